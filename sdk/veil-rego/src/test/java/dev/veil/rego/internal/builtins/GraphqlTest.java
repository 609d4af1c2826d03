package dev.veil.rego.internal.builtins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import org.junit.jupiter.api.Test;

class GraphqlTest {
    private static final String SCHEMA = """
            type Employee { id: String! salary: Int! }
            schema { query: Query }
            type Query { employeeByID(id: String): Employee }
            """;

    static Value call(String name, Value... args) {
        Builtin b = Builtins.register(java.util.List.of(Graphql.ALL)).get(name);
        assertThat(b.arity()).isEqualTo(args.length);
        return b.fn().call(args, null);
    }

    static StringValue s(String v) {
        return StringValue.of(v);
    }

    @Test
    void parseSchemaGivesGqlparserShapedObjects() {
        assertThat(call("graphql.parse_schema", s("type Hello {\n  world(flag: Boolean = true): [String]!\n}")))
                .isEqualTo(Values.parseJson("""
                        {"Definitions": [{"BuiltIn": false, "Description": "", "Fields": [{"Arguments": [
                          {"DefaultValue": {"ExpectedTypeHasDefault": false, "Kind": 5, "Raw": "true"},
                           "Description": "", "Name": "flag", "Type": {"NamedType": "Boolean", "NonNull": false}}],
                          "Description": "", "Name": "world",
                          "Type": {"Elem": {"NamedType": "String", "NonNull": false}, "NamedType": "",
                            "NonNull": true}}],
                         "Kind": "OBJECT", "Name": "Hello"}]}"""));
        assertThat(call("graphql.parse_schema", s("\"\"\"\n    Block\n      text\n\"\"\"\nscalar S @deprecated")))
                .isEqualTo(Values.parseJson("""
                        {"Definitions": [{"BuiltIn": false, "Description": "Block\\n  text",
                          "Directives": [{"Location": "", "Name": "deprecated"}], "Kind": "SCALAR", "Name": "S"}]}"""));
    }

    @Test
    void parseQueryGivesGqlparserShapedObjects() {
        assertThat(call("graphql.parse_query", s("query Q($v: Int = 3) { a: f(x: [1, \"s\"], y: $v) { ...F } }")))
                .isEqualTo(Values.parseJson("""
                        {"Operations": [{"Name": "Q", "Operation": "query", "SelectionSet": [{"Alias": "a",
                          "Arguments": [
                            {"Name": "x", "Value": {"Children": [
                               {"Name": "", "Value": {"ExpectedTypeHasDefault": false, "Kind": 1, "Raw": "1"}},
                               {"Name": "", "Value": {"ExpectedTypeHasDefault": false, "Kind": 3, "Raw": "s"}}],
                             "ExpectedTypeHasDefault": false, "Kind": 8, "Raw": ""}},
                            {"Name": "y", "Value": {"ExpectedTypeHasDefault": false, "Kind": 0, "Raw": "v"}}],
                          "Name": "f", "SelectionSet": [{"Name": "F"}]}],
                          "VariableDefinitions": [{"DefaultValue": {"ExpectedTypeHasDefault": false, "Kind": 1,
                            "Raw": "3"},
                            "Type": {"NamedType": "Int", "NonNull": false}, "Used": false, "Variable": "v"}]}]}"""));
        assertThat(call("graphql.parse_query", s(""))).isEqualTo(ObjectValue.EMPTY);
    }

    @Test
    void syntaxErrorsReadAsOpas() {
        assertError("graphql.parse_schema", "type Hello {}",
                "expected at least one definition, found } in GraphQL string at location 1:13");
        assertError("graphql.parse_schema", "extend type Hello", "Unexpected <EOF> in GraphQL string at location 1:18");
        assertError("graphql.parse_schema", "\n  \"D\"\n  extend type Hello { w: String }",
                "Unexpected String \"D\" in GraphQL string at location 2:4");
        assertError("graphql.parse_schema", "directive @foo on FIELD | WRONG",
                "Unexpected Name \"WRONG\" in GraphQL string at location 1:27");
        assertError("graphql.parse_schema", "\"\"\"\r", "Unexpected <Invalid> in GraphQL string at location 2:1");
        assertError("graphql.parse_query", "{", "Expected Name, found <EOF> in GraphQL string at location 1:2");
        assertError("graphql.parse_query", "fragment X Type { a }",
                "Expected \"on\", found Name \"Type\" in GraphQL string at location 1:12");
        assertError("graphql.parse_query", "query ($a: Int = $b) { a }",
                "Unexpected $ in GraphQL string at location 1:18");
        assertThatThrownBy(() -> call("graphql.parse_query", NumberValue.of(1))).isInstanceOf(RegoTypeError.class)
                .hasMessageContaining("operand 1 must be string but got number");
    }

    private static void assertError(String fn, String src, String message) {
        assertThatThrownBy(() -> call(fn, s(src))).isInstanceOf(BuiltinError.class).hasMessage(message);
    }

    @Test
    void validation() {
        assertThat(call("graphql.schema_is_valid", s(SCHEMA))).isEqualTo(BooleanValue.TRUE);
        assertThat(call("graphql.schema_is_valid", s("type Hello implements World { f: String }")))
                .isEqualTo(BooleanValue.FALSE);
        assertThat(call("graphql.schema_is_valid", s("extend type User { id: ID! }"))).isEqualTo(BooleanValue.TRUE);
        assertThat(call("graphql.schema_is_valid", s("type Hello {}"))).isEqualTo(BooleanValue.FALSE);
        assertThat(call("graphql.is_valid", s("{ employeeByID(id: \"a\") { salary } }"), s(SCHEMA)))
                .isEqualTo(BooleanValue.TRUE);
        assertThat(call("graphql.is_valid", s("{ employeeByID(id: \"a\") { bonus } }"), s(SCHEMA)))
                .isEqualTo(BooleanValue.FALSE);
        assertThat(call("graphql.is_valid", NumberValue.of(1), s(SCHEMA))).isEqualTo(BooleanValue.FALSE);
        // AST objects work like text
        Value schemaAst = call("graphql.parse_schema", s(SCHEMA));
        Value queryAst = call("graphql.parse_query", s("{ employeeByID(id: \"a\") { salary } }"));
        assertThat(call("graphql.parse", queryAst, schemaAst)).isEqualTo(ArrayValue.of(queryAst, schemaAst));
        assertThat(call("graphql.parse_and_verify", queryAst, schemaAst))
                .isEqualTo(ArrayValue.of(BooleanValue.TRUE, queryAst, schemaAst));
        assertThat(call("graphql.parse_and_verify", s("{ nope }"), schemaAst))
                .isEqualTo(ArrayValue.of(BooleanValue.FALSE, ObjectValue.EMPTY, ObjectValue.EMPTY));
        assertThatThrownBy(() -> call("graphql.parse", s("{ nope }"), schemaAst)).isInstanceOf(BuiltinError.class);
    }

    private static final String SHOP = """
            interface Named { name: String }
            type Item implements Named { name: String price(currency: String!, rounded: Boolean): Int }
            type Shop implements Named { name: String items(first: Int): [Item!]! }
            union Thing = Item | Shop
            type Query { shop(id: ID!): Shop thing: Thing named: Named }
            """;

    private static void assertInvalid(String query, String message) {
        assertThatThrownBy(() -> call("graphql.parse", s(query), s(SHOP))).isInstanceOf(BuiltinError.class)
                .hasMessage(message);
    }

    @Test
    void validationErrorsReadAsGqlparserWithTheCallersLocations() {
        assertInvalid("query Q {\n  shop {\n    name\n  }\n}",
                "Field \"shop\" argument \"id\" of type \"ID!\" is required, but it was not provided in GraphQL "
                        + "string at location 2:3");
        assertInvalid("{ shop(id: 1) { nam } }",
                "Cannot query field \"nam\" on type \"Shop\". Did you mean \"name\"? in GraphQL string at "
                        + "location 1:17");
        assertInvalid("{ shop(id: 1) { zzzzzz } }",
                "Cannot query field \"zzzzzz\" on type \"Shop\" in GraphQL string at location 1:17");
        assertInvalid("{ thing { name } }",
                "Cannot query field \"name\" on type \"Thing\". Did you mean to use an inline "
                + "fragment on \"Named\", \"Item\", or \"Shop\"? in GraphQL string at location 1:11");
        assertInvalid("{ shop(id: 1, ids: 2) { name } }",
                "Unknown argument \"ids\" on field \"Query.shop\". Did you mean \"id\"? in GraphQL string at "
                        + "location 1:15");
        assertInvalid("{ shop(id: 1) }",
                "Field \"shop\" of type \"Shop\" must have a selection of subfields. Did you mean "
                + "\"shop { ... }\"? in GraphQL string at location 1:3");
        assertInvalid("{ shop(id: 1) { name { x } } }",
                "Field \"name\" must not have a selection since type \"String\" "
                + "has no subfields in GraphQL string at location 1:17");
        assertInvalid("query Q { shop(id: $id) { name } }",
                "Variable \"$id\" is not defined by operation \"Q\" in GraphQL string at location 1:20");
        assertInvalid("query Q($id: ID!, $x: Int) { shop(id: $id) { name } }",
                "Variable \"$x\" is never used in operation \"Q\" in GraphQL string at location 1:19");
        assertInvalid("{ shop(id: 1) { ...F } }", "Unknown fragment \"F\" in GraphQL string at location 1:17");
        assertInvalid("query Q($id: Nope) { shop(id: $id) { name } }",
                "Unknown type \"Nope\" in GraphQL string at location 1:14");
        // the location follows the caller's text, not a re-printed query
        assertInvalid("\n\n   # comment\n   { shop(id: 1) { nam } }",
                "Cannot query field \"nam\" on type \"Shop\". Did you mean \"name\"? in GraphQL string at "
                        + "location 4:20");
    }

    @Test
    void suggestionsFollowGqlparser() {
        assertThat(GqlErrors.suggestions("nam", java.util.List.of("name", "names", "id", "NAM")))
                .containsExactly("name", "NAM", "names"); // ties keep the schema order
        assertThat(GqlErrors.quotedOrList(java.util.List.of("a"))).isEqualTo("\"a\"");
        assertThat(GqlErrors.quotedOrList(java.util.List.of("a", "b"))).isEqualTo("\"a\" or \"b\"");
        assertThat(GqlErrors.quotedOrList(java.util.List.of("a", "b", "c", "d", "e", "f")))
                .isEqualTo("\"a\", \"b\", \"c\", \"d\", or \"e\"");
    }
}
