package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import graphql.language.Document;
import graphql.parser.Parser;
import graphql.schema.GraphQLSchema;
import graphql.schema.idl.SchemaParser;
import graphql.schema.idl.TypeDefinitionRegistry;
import graphql.schema.idl.UnExecutableSchemaGenerator;
import graphql.validation.ValidationError;
import graphql.validation.Validator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code graphql.*} builtins. Parsing follows OPA's gqlparser exactly ({@link GqlParser}: same AST
 * objects, same syntax errors); schema and query validation use graphql-java on the documents printed
 * back to GraphQL text, with gqlparser's leniencies (an extension of an undefined type defines it, a
 * schema needs no query type). Validation messages are graphql-java's, not gqlparser's.
 */
public final class Graphql {

    /** Every graphql builtin. */
    public static final List<Builtin> ALL = List.of(
            Builtin.of("graphql.parse_query", 1, (a, c) -> parseQuery(a[0])),
            Builtin.of("graphql.parse_schema", 1, (a, c) -> parseSchema(a[0])),
            Builtin.of("graphql.parse", 2, (a, c) -> parse(a)),
            Builtin.of("graphql.parse_and_verify", 2, (a, c) -> parseAndVerify(a)),
            Builtin.of("graphql.is_valid", 2, (a, c) -> isValid(a)),
            Builtin.of("graphql.schema_is_valid", 1, (a, c) -> schemaIsValid(a[0])));

    private Graphql() {
    }

    private static ObjectValue parseQuery(Value v) {
        if (!(v instanceof StringValue s)) {
            throw RegoTypeError.operand(1, v, "string");
        }
        return query(s.value());
    }

    private static ObjectValue parseSchema(Value v) {
        if (!(v instanceof StringValue s)) {
            throw RegoTypeError.operand(1, v, "string");
        }
        return schema(s.value());
    }

    private static ObjectValue query(String text) {
        try {
            return GqlParser.parseQuery(text);
        } catch (GqlParser.SyntaxError e) {
            throw new BuiltinError(e.getMessage() + " in GraphQL string at location " + e.line + ":" + e.column);
        }
    }

    private static ObjectValue schema(String text) {
        try {
            return GqlParser.parseSchema(text);
        } catch (GqlParser.SyntaxError e) {
            throw new BuiltinError(e.getMessage() + " in GraphQL string at location " + e.line + ":" + e.column);
        }
    }

    private static ObjectValue queryOperand(Value v) {
        if (v instanceof StringValue s) {
            return query(s.value());
        }
        if (v instanceof ObjectValue o) {
            return o;
        }
        throw RegoTypeError.operand(1, v, "string", "object");
    }

    private static String source(Value query) {
        return query instanceof StringValue s ? s.value() : null;
    }

    private static ObjectValue schemaOperand(Value v, int pos) {
        if (v instanceof StringValue s) {
            return schema(s.value());
        }
        if (v instanceof ObjectValue o) {
            return o;
        }
        throw RegoTypeError.operand(pos, v, "string", "object");
    }

    private static Value parse(Value[] args) {
        ObjectValue q = queryOperand(args[0]);
        ObjectValue s = schemaOperand(args[1], 2);
        GraphQLSchema schema = buildSchema(s);
        String error = validateQuery(schema, q, source(args[0]));
        if (error != null) {
            throw new BuiltinError(error);
        }
        return ArrayValue.of(q, s);
    }

    private static Value parseAndVerify(Value[] args) {
        ArrayValue unverified = ArrayValue.of(BooleanValue.FALSE, ObjectValue.EMPTY, ObjectValue.EMPTY);
        try {
            ObjectValue q = queryOperand(args[0]);
            ObjectValue s = schemaOperand(args[1], 2);
            return validateQuery(buildSchema(s), q, source(args[0])) == null ? ArrayValue.of(BooleanValue.TRUE, q, s)
                    : unverified;
        } catch (BuiltinFailure e) {
            return unverified;
        }
    }

    private static Value isValid(Value[] args) {
        try {
            ObjectValue q = queryOperand(args[0]);
            ObjectValue s = schemaOperand(args[1], 2);
            return BooleanValue.of(validateQuery(buildSchema(s), q, source(args[0])) == null);
        } catch (BuiltinFailure e) {
            return BooleanValue.FALSE;
        }
    }

    private static Value schemaIsValid(Value v) {
        try {
            buildSchema(schemaOperand(v, 1));
            return BooleanValue.TRUE;
        } catch (BuiltinFailure e) {
            return BooleanValue.FALSE;
        }
    }

    /** A graphql-java schema of the AST, or a BuiltinError naming what is wrong. */
    static GraphQLSchema buildSchema(ObjectValue ast) {
        String sdl = GqlPrinter.schema(ast);
        Set<String> defined = new HashSet<>();
        for (Value d : list(ast, "Definitions")) {
            defined.add(str(d, "Name"));
        }
        boolean hasSchema = !list(ast, "Schema").isEmpty();
        StringBuilder extra = new StringBuilder();
        // gqlparser: extending an undefined type defines it.
        for (Value e : list(ast, "Extensions")) {
            String name = str(e, "Name");
            if (defined.add(name)) {
                extra.append(GqlPrinter.typeHeader(str(e, "Kind"), name));
            }
        }
        if (!hasSchema && !defined.contains("Query")) {
            extra.append("type Query { _veilNoQueryType: Boolean }\n");
        }
        try {
            TypeDefinitionRegistry registry = new SchemaParser().parse(extra + sdl);
            return UnExecutableSchemaGenerator.makeUnExecutableSchema(registry);
        } catch (RuntimeException e) {
            throw new BuiltinError("Error in gqlparser SchemaDocument to Schema conversion: "
                    + firstLine(e.getMessage()));
        }
    }

    /**
     * Null when the query is valid against the schema, otherwise the first error as OPA reports it
     * (gqlparser's wording without the final period, {@code in GraphQL string at location L:C}).
     *
     * @param source the query text when the query came as a string (so that locations are the
     *               caller's), else null and the AST is printed back to text
     */
    static String validateQuery(GraphQLSchema schema, ObjectValue ast, String source) {
        if (list(ast, "Operations").isEmpty() && list(ast, "Fragments").isEmpty()) {
            return null;
        }
        Document doc = null;
        if (source != null) {
            try {
                doc = Parser.parse(source);
            } catch (RuntimeException e) {
                doc = null; // graphql-java is stricter than gqlparser here: validate the printed AST instead
            }
        }
        if (doc == null) {
            try {
                doc = Parser.parse(GqlPrinter.query(ast));
            } catch (RuntimeException e) {
                return firstLine(e.getMessage());
            }
        }
        List<ValidationError> errors = new Validator().validateDocument(schema, doc, Locale.ENGLISH);
        if (errors.isEmpty()) {
            return null;
        }
        ValidationError e = errors.get(0);
        String message = GqlErrors.message(e, doc, schema);
        if (message.endsWith(".")) {
            message = message.substring(0, message.length() - 1);
        }
        String where = e.getLocations() == null || e.getLocations().isEmpty() ? ""
                : " in GraphQL string at location " + e.getLocations().get(0).getLine() + ":"
                        + e.getLocations().get(0).getColumn();
        return message + where;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "invalid";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    static List<Value> list(Value o, String key) {
        return o instanceof ObjectValue ov && ov.get(key) instanceof ArrayValue a ? a.asList() : List.of();
    }

    static String str(Value o, String key) {
        return o instanceof ObjectValue ov && ov.get(key) instanceof StringValue s ? s.value() : "";
    }

    static boolean bool(Value o, String key) {
        return o instanceof ObjectValue ov && ov.get(key) instanceof BooleanValue b && b.value();
    }

    static int num(Value o, String key) {
        return o instanceof ObjectValue ov && ov.get(key) instanceof NumberValue n && n.isInt() ? n.intValueExact()
                : -1;
    }

    static String json(String s) {
        return Values.toJson(StringValue.of(s));
    }
}
