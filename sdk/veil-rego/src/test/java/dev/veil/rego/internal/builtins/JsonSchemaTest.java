package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.B.builtinError;
import static dev.veil.rego.internal.builtins.B.call;
import static dev.veil.rego.internal.builtins.B.j;
import static dev.veil.rego.internal.builtins.B.json;
import static dev.veil.rego.internal.builtins.B.n;
import static dev.veil.rego.internal.builtins.B.s;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.rego.internal.value.Value;
import org.junit.jupiter.api.Test;

class JsonSchemaTest {
    private static final Value SCHEMA =
            j("{\"properties\": {\"id\": {\"type\": \"integer\"}}, \"required\": [\"id\"]}");

    @Test
    void matchingDocumentsGiveTrueAndNoErrors() {
        assertThat(json(call("json.match_schema", j("{\"id\": 5}"), SCHEMA))).isEqualTo("[true,[]]");
        assertThat(json(call("json.match_schema", s("{\"id\": 5}"), SCHEMA))).isEqualTo("[true,[]]");
        assertThat(json(call("json.match_schema", j("{\"id\": 5}"), s(json(SCHEMA))))).isEqualTo("[true,[]]");
    }

    @Test
    void errorsComeInGojsonschemasShape() {
        assertThat(json(call("json.match_schema", j("{\"id\": \"foo\"}"), SCHEMA))).isEqualTo("[false,[{"
                + "\"desc\":\"Invalid type. Expected: integer, given: string\","
                + "\"error\":\"id: Invalid type. Expected: integer, given: string\","
                + "\"field\":\"id\",\"type\":\"invalid_type\"}]]");
        assertThat(json(call("json.match_schema", j("{}"), SCHEMA))).isEqualTo("[false,[{"
                + "\"desc\":\"id is required\",\"error\":\"(root): id is required\","
                + "\"field\":\"(root)\",\"type\":\"required\"}]]");
        assertThat(json(call("json.match_schema", j("{\"a\": {\"b\": [1, \"x\"]}}"),
                j("{\"properties\": {\"a\": {\"properties\": {\"b\": {\"items\": {\"type\": \"number\"}}}}}}"))))
                .contains("\"field\":\"a.b.1\"");
        assertThat(json(call("json.match_schema", j("{\"n\": 1}"),
                j("{\"properties\": {\"n\": {\"minimum\": 3}}}"))))
                .contains("\"desc\":\"Must be greater than or equal to 3\"", "\"type\":\"number_gte\"");
        Value dateSchema = j("{\"properties\": {\"t\": {\"type\": \"string\", \"format\": \"date-time\"}}}");
        assertThat(json(call("json.match_schema", j("{\"t\": \"2024-01-02T03:04:05Z\"}"), dateSchema)))
                .isEqualTo("[true,[]]");
        assertThat(json(call("json.match_schema", j("{\"t\": \"yesterday\"}"), dateSchema)))
                .contains("\"type\":\"format\"", "Does not match format 'date-time'");
    }

    /**
     * Patterns ({@code pattern}, {@code patternProperties}) are RE2's, as in OPA, whose gojsonschema uses
     * Go's regexp: Go's syntax compiles ({@code (?P<name>...)}), lookaround does not, {@code $} is the
     * end of the text, and a pattern java.util.regex backtracks on for minutes runs in linear time (the
     * evaluation's time limit is checked between builtin calls, so one call must end by itself).
     */
    @Test
    void patternsAreRe2sAsInOpa() {
        Value named = j("{\"properties\": {\"x\": {\"type\": \"string\", \"pattern\": \"^(?P<first>a)b$\"}}}");
        assertThat(json(call("json.match_schema", j("{\"x\": \"ab\"}"), named))).isEqualTo("[true,[]]");
        assertThat(json(call("json.match_schema", j("{\"x\": \"ab\\n\"}"), named))).startsWith("[false,");
        assertThat(json(call("json.verify_schema",
                j("{\"properties\": {\"x\": {\"pattern\": \"^(?=a)ab$\"}}}")))).startsWith("[false,\"jsonschema: ");
        assertThat(json(call("json.match_schema", j("{\"k1\": 1, \"k\": \"s\"}"),
                j("{\"patternProperties\": {\"^k\\\\d$\": {\"type\": \"string\"}}}"))))
                .contains("\"field\":\"k1\"");
        Value slow = j("{\"properties\": {\"x\": {\"type\": \"string\", \"pattern\": \"^(.*a){12}$\"}}}");
        Value doc = j("{\"x\": \"" + "a".repeat(60) + "!\"}");
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () ->
                assertThat(json(call("json.match_schema", doc, slow))).startsWith("[false,"));
    }

    @Test
    void arrayDocumentsAndNoRemoteReferences() {
        assertThat(json(call("json.match_schema", j("[{\"a\": \"b\"}]"),
                j("{\"items\": {\"properties\": {\"a\": {\"type\": \"number\"}}}}"))))
                .contains("\"error\":\"0.a: Invalid type. Expected: number, given: string\"");
        assertThat(json(call("json.verify_schema", j("[1]")))).isEqualTo("[false,\"jsonschema: schema is invalid\"]");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> call("json.match_schema", j("{}"),
                j("{\"$ref\": \"http://127.0.0.1:9/schema.json\"}")))
                .isInstanceOf(BuiltinError.class).hasMessage("json.match_schema: schema reference "
                        + "http://127.0.0.1:9/schema.json cannot be resolved: remote schemas are not fetched, inline "
                        + "the referenced schema under $defs");
    }

    @Test
    void invalidSchemasAndOperands() {
        builtinError("json.match_schema", "json.match_schema: has a primitive type that is NOT VALID -- given: "
                + "/unknown/ Expected valid values are:[array boolean integer number null object string]",
                j("{\"id\": \"foo\"}"), j("{\"properties\": {\"id\": {\"type\": \"unknown\"}}}"));
        builtinError("json.match_schema", "json.match_schema: invalid JSON string", s("{"), SCHEMA);
        builtinError("json.match_schema", "json.match_schema: wrong type, expected string or object", n("1"), SCHEMA);
        assertThat(json(call("json.verify_schema", s("{\"type\": \"boolean\"}")))).isEqualTo("[true,null]");
        assertThat(json(call("json.verify_schema", j("{\"type\": \"boolean\"}")))).isEqualTo("[true,null]");
        assertThat(json(call("json.verify_schema", j("{\"type\": \"bool\"}")))).isEqualTo("[false,\"jsonschema: has a "
                + "primitive type that is NOT VALID -- given: /bool/ Expected valid values are:[array boolean integer "
                + "number null object string]\"]");
        assertThat(json(call("json.verify_schema", s("{"))))
                .isEqualTo("[false,\"jsonschema: invalid JSON string\"]");
        assertThat(json(call("json.verify_schema", n("1"))))
                .isEqualTo("[false,\"jsonschema: wrong type, expected string or object\"]");
    }
}
