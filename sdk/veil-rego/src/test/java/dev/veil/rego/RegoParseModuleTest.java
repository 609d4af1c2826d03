package dev.veil.rego;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code rego.parse_module(file, text)}: OPA's JSON AST of a module, or OPA's parse error. */
class RegoParseModuleTest {

    private static final Rego REGO = Rego.compile(Map.of("p.rego", "package q\n"), Map.of()).strictBuiltinErrors(true);

    private static Object parse(String text) {
        List<Map<String, Object>> r = REGO.query("rego.parse_module(\"x.rego\", input, m)", text);
        assertThat(r).hasSize(1);
        return r.get(0).get("m");
    }

    private static Map<String, Object> term(String type, Object value) {
        return Map.of("type", type, "value", value);
    }

    @Test
    void packageImportsAndRules() {
        Object m = parse("package foo.bar\n\nimport data.a as b\n\np if { b == 1 }\n");
        assertThat(m).isEqualTo(Map.of(
                "package", Map.of("path", List.of(term("var", "data"), term("string", "foo"), term("string", "bar"))),
                "imports", List.of(Map.of("alias", "b",
                        "path", term("ref", List.of(term("var", "data"), term("string", "a"))))),
                "rules", List.of(Map.of(
                        "head", Map.of("name", "p", "ref", List.of(term("var", "p")), "value", term("boolean", true)),
                        "body", List.of(Map.of("index", 0L, "terms", List.of(
                                term("ref", List.of(term("var", "equal"))), term("var", "b"),
                                term("number", 1L))))))));
    }

    @Test
    void partialSetFunctionDefaultAndComments() {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) parse(
                "package a\n\n# hi\ns contains x if { some x in [1] }\nf(y) := y\ndefault d := 1\n");
        assertThat(m.get("comments")).isEqualTo(List.of(Map.of("Location", Map.of("file", "x.rego", "row", 3L,
                "col", 1L), "Text", "IGhp")));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rules = (List<Map<String, Object>>) m.get("rules");
        assertThat(rules.get(0).get("head")).isEqualTo(Map.of("name", "s", "ref", List.of(term("var", "s")),
                "key", term("var", "x")));
        assertThat(rules.get(0).get("body")).isEqualTo(List.of(Map.of("index", 0L, "terms", Map.of("symbols",
                List.of(term("call", List.of(term("ref", List.of(term("var", "internal"), term("string", "member_2"))),
                        term("var", "x"), term("array", List.of(term("number", 1L))))))))));
        assertThat(rules.get(1).get("head")).isEqualTo(Map.of("name", "f", "ref", List.of(term("var", "f")),
                "args", List.of(term("var", "y")), "value", term("var", "y"), "assign", true));
        assertThat(rules.get(2).get("default")).isEqualTo(true);
    }

    @Test
    void refHeadsEveryAndWith() {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) parse(
                "package a\n\nq[k] := 1 if k := \"x\"\n\nt if {\n\tevery v in [1] { v > 0 }\n\tq with input.x as 2\n}\n");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rules = (List<Map<String, Object>>) m.get("rules");
        assertThat(rules.get(0).get("head")).isEqualTo(Map.of("ref", List.of(term("var", "q"), term("var", "k")),
                "value", term("number", 1L), "assign", true));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> body = (List<Map<String, Object>>) rules.get(1).get("body");
        @SuppressWarnings("unchecked")
        Map<String, Object> every = (Map<String, Object>) body.get(0).get("terms");
        assertThat(every).containsEntry("key", null).containsEntry("value", term("var", "v"))
                .containsEntry("domain", term("array", List.of(term("number", 1L))))
                .containsEntry("body", List.of(Map.of("index", 0L, "terms", List.of(
                        term("ref", List.of(term("var", "gt"))), term("var", "v"), term("number", 0L)))));
        assertThat(body.get(1)).isEqualTo(Map.of("index", 1L, "terms", term("var", "q"), "with", List.of(Map.of(
                "target", term("ref", List.of(term("var", "input"), term("string", "x"))),
                "value", term("number", 2L)))));
    }

    @Test
    void parseErrorIsABuiltinErrorWithOpasText() {
        RegoException e = (RegoException) catchThrowable(() -> parse("package foo."));
        assertThat(e.errors().get(0).code()).isEqualTo("eval_builtin_error");
        assertThat(e.errors().get(0).message()).isEqualTo("rego.parse_module: 1 error occurred: x.rego:1: "
                + "rego_parse_error: unexpected eof token: expected ident\n\tpackage foo.\n\t            ^");
    }

    @Test
    void nonStringOperandIsATypeError() {
        RegoException e = (RegoException) catchThrowable(() -> REGO.query("rego.parse_module(\"x.rego\", 1, m)", null));
        assertThat(e.errors().get(0).code()).isEqualTo("eval_type_error");
        assertThat(e.errors().get(0).message()).isEqualTo("rego.parse_module: operand 2 must be string but got number");
    }
}
