package dev.veil.rego;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The evaluator on the language's features, through the public API. */
class RegoEvalTest {

    private static Rego policy(String source) {
        return Rego.compile(Map.of("p.rego", source), Map.of());
    }

    private static Object eval(String source, String ref, Object input) {
        return policy(source).evaluate(ref, input);
    }

    @Test
    void completeRulesDefaultAndElse() {
        String src = """
                package t
                default allow := false
                allow if input.role == "admin"
                level := "high" if input.n > 10
                else := "mid" if input.n > 5
                else := "low"
                """;
        Rego r = policy(src);
        assertThat(r.evaluate("data.t.allow", Map.of("role", "admin", "n", 1))).isEqualTo(true);
        assertThat(r.evaluate("data.t.allow", Map.of("role", "user", "n", 1))).isEqualTo(false);
        assertThat(r.evaluate("data.t.level", Map.of("n", 11))).isEqualTo("high");
        assertThat(r.evaluate("data.t.level", Map.of("n", 6))).isEqualTo("mid");
        assertThat(r.evaluate("data.t.level", Map.of("n", 1))).isEqualTo("low");
    }

    @Test
    void undefinedIsNull() {
        assertThat(eval("package t\np if input.x == 1\n", "data.t.p", Map.of("x", 2))).isNull();
        assertThat(eval("package t\np if input.x == 1\n", "data.t.p", null)).isNull();
    }

    @Test
    void partialSetsAndObjects() {
        String src = """
                package t
                users := [{"name": "a", "role": "admin"}, {"name": "b", "role": "dev"}, {"name": "c", "role": "dev"}]
                names contains u.name if some u in users
                by_role[r] contains u.name if { some u in users; r := u.role }
                first[u.name] := i if { some i, u in users }
                """;
        Rego r = policy(src);
        assertThat(r.evaluate("data.t.names", null)).isEqualTo(List.of("a", "b", "c"));
        assertThat(r.evaluate("data.t.by_role", null))
                .isEqualTo(Map.of("admin", List.of("a"), "dev", List.of("b", "c")));
        assertThat(r.evaluate("data.t.first", null)).isEqualTo(Map.of("a", 0L, "b", 1L, "c", 2L));
    }

    @Test
    void refHeadsWithVariables() {
        String src = """
                package t
                p[x][y] := z if { some x, y in {"a": "b", "c": "d"}; z := concat("", [x, y]) }
                """;
        assertThat(eval(src, "data.t.p", null)).isEqualTo(Map.of("a", Map.of("b", "ab"), "c", Map.of("d", "cd")));
    }

    @Test
    void functionsWithSeveralDefinitionsAndConflicts() {
        String src = """
                package t
                f(1) := "one"
                f(2) := "two"
                f(x) := "many" if x > 2
                g(x) := 1
                g(x) := 2 if x > 0
                a := [f(1), f(2), f(3)]
                b := g(1)
                """;
        Rego r = policy(src);
        assertThat(r.evaluate("data.t.a", null)).isEqualTo(List.of("one", "two", "many"));
        assertThatThrownBy(() -> r.evaluate("data.t.b", null)).isInstanceOfSatisfying(RegoException.class,
                e -> assertThat(e.getMessage()).contains(
                        "eval_conflict_error: functions must not produce multiple outputs for same inputs"));
    }

    @Test
    void completeRuleConflictIsAnError() {
        assertThatThrownBy(() -> eval("package t\np := x if { some x in [1, 2] }\n", "data.t.p", null))
                .isInstanceOfSatisfying(RegoException.class, e -> {
                    assertThat(e.code()).isEqualTo("eval_conflict_error");
                    assertThat(e.errors().get(0).message())
                            .isEqualTo("complete rules must not produce multiple outputs");
                });
    }

    @Test
    void everyNotAndSome() {
        String src = """
                package t
                all_pos if every x in input.xs { x > 0 }
                none_neg if not any_neg
                any_neg if { some x in input.xs; x < 0 }
                pairs contains [k, v] if some k, v in input.obj
                """;
        Rego r = policy(src);
        Map<String, Object> in = Map.of("xs", List.of(1, 2), "obj", Map.of("a", 1));
        assertThat(r.evaluate("data.t.all_pos", in)).isEqualTo(true);
        assertThat(r.evaluate("data.t.none_neg", in)).isEqualTo(true);
        assertThat(r.evaluate("data.t.pairs", in)).isEqualTo(List.of(List.of("a", 1L)));
        assertThat(r.evaluate("data.t.all_pos", Map.of("xs", List.of(1, -2)))).isNull();
        assertThat(r.evaluate("data.t.none_neg", Map.of("xs", List.of(1, -2)))).isNull();
        assertThat(r.evaluate("data.t.all_pos", Map.of("xs", List.of()))).isEqualTo(true);
    }

    @Test
    void withReplacesInputDataAndFunctions() {
        String src = """
                package t
                p if input.x == 1
                q := data.cfg.limit
                f(x) := x + 1
                r := f(1)
                a if p with input.x as 1
                b := v if v := q with data.cfg.limit as 7
                c := v if v := r with f as 10
                d := n if n := count([1, 2, 3]) with count as f
                """;
        Rego r = Rego.compile(Map.of("p.rego", src), Map.of("cfg", Map.of("limit", 3)));
        assertThat(r.evaluate("data.t.a", null)).isEqualTo(true);
        assertThat(r.evaluate("data.t.q", null)).isEqualTo(3L);
        assertThat(r.evaluate("data.t.b", null)).isEqualTo(7L);
        assertThat(r.evaluate("data.t.c", null)).isEqualTo(10L);
    }

    @Test
    void unificationDestructures() {
        Rego r = policy("package t\n");
        assertThat(r.query("[x, {\"a\": y}] = [1, {\"a\": [2, 3]}]", null))
                .containsExactly(Map.of("x", 1L, "y", List.of(2L, 3L)));
        assertThat(r.query("[x, 1] = [2, y]", null)).containsExactly(Map.of("x", 2L, "y", 1L));
        assertThat(r.query("[x, 1] = [2, 2]", null)).isEmpty();
    }

    @Test
    void multiValueQueryResultsAndEnumerationOverDataAndVirtualDocs() {
        String src = """
                package t
                virt := {"v1": 1}
                """;
        Rego r = Rego.compile(Map.of("p.rego", src), Map.of("base", Map.of("b1", 2, "b2", 3)));
        assertThat(r.query("data.base[k] = v", null)).containsExactly(Map.of("k", "b1", "v", 2L),
                Map.of("k", "b2", "v", 3L));
        assertThat(r.query("data.t[k]", null)).containsExactly(Map.of("k", "virt"));
        assertThat(r.query("x := data.t.virt.v1", null)).containsExactly(Map.of("x", 1L));
    }

    @Test
    void comprehensions() {
        Rego r = policy("package t\nxs := [3, 1, 2]\n");
        assertThat(r.query("a := [x | some x in data.t.xs; x > 1]; s := {x | some x in data.t.xs};"
                + " o := {k: v | some k, v in data.t.xs}", null)).containsExactly(Map.of(
                "a", List.of(3L, 2L), "s", List.of(1L, 2L, 3L), "o", Map.of("0", 3L, "1", 1L, "2", 2L)));
    }

    @Test
    void closuresCaptureOuterVariablesAsOpa() {
        String src = """
                package t
                xs := {"a", "b"}
                later := y if {
                    y = [a | a = z[_]]
                    z = input.a
                }
                nested := y if {
                    k := 10
                    y := [[v | v := k + i] | some i in [1, 2]]
                }
                declared_after := x if {
                    y := {x | xs[x]}
                    x := count(y)
                }
                """;
        Rego r = policy(src);
        assertThat(r.evaluate("data.t.later", Map.of("a", List.of(1, 2)))).isEqualTo(List.of(1L, 2L));
        assertThat(r.evaluate("data.t.nested", null)).isEqualTo(List.of(List.of(11L), List.of(12L)));
        assertThat(r.evaluate("data.t.declared_after", null)).isEqualTo(2L);
    }

    @Test
    void importsAndAliases() {
        Rego r = Rego.compile(Map.of(
                "lib.rego", "package lib\nadmins := {\"ann\"}\nis_admin(u) if admins[u]\n",
                "main.rego", "package main\nimport data.lib\nimport data.lib.admins as A\nimport input.user\n"
                        + "allow if lib.is_admin(user)\nn := count(A)\n"), Map.of());
        assertThat(r.evaluate("data.main.allow", Map.of("user", "ann"))).isEqualTo(true);
        assertThat(r.evaluate("data.main.allow", Map.of("user", "bob"))).isNull();
        assertThat(r.evaluate("data.main.n", null)).isEqualTo(1L);
    }

    @Test
    void builtinErrorsAreUndefinedUnlessStrict() {
        Rego r = policy("package t\np := x if x := 1 / 0\n");
        assertThat(r.evaluate("data.t.p", null)).isNull();
        assertThatThrownBy(() -> r.strictBuiltinErrors(true).evaluate("data.t.p", null))
                .isInstanceOfSatisfying(RegoException.class, e -> {
                    assertThat(e.code()).isEqualTo("eval_builtin_error");
                    assertThat(e.errors().get(0).message()).isEqualTo("div: divide by zero");
                });
    }

    @Test
    void builtinTypeErrorsAreUndefinedUnlessStrictAsInOpaConformanceCases() {
        Rego r = policy("package t\np := count(input.x)\n");
        assertThat(r.evaluate("data.t.p", Map.of("x", 1))).isNull();
        assertThatThrownBy(() -> r.strictBuiltinErrors(true).evaluate("data.t.p", Map.of("x", 1)))
                .isInstanceOfSatisfying(RegoException.class, e -> {
                    assertThat(e.code()).isEqualTo("eval_type_error");
                    assertThat(e.getMessage()).isEqualTo("p.rego:2: eval_type_error: count: operand 1 must be one of "
                            + "{array, object, set, string} but got number");
                });
    }

    @Test
    void walkEnumeratesPathsAndValues() {
        Rego r = policy("package t\n");
        assertThat(r.query("walk({\"a\": [7]}, [p, v]); v == 7", null))
                .containsExactly(Map.of("p", List.of("a", 0L), "v", 7L));
    }

    @Test
    void printWritesItsArgumentsAndUndefinedAsSuch() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Rego r = policy("package t\np if { print(\"x is\", input.x, input.missing) }\n")
                .printTo(new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(r.evaluate("data.t.p", Map.of("x", List.of(1)))).isEqualTo(true);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("x is [1] <undefined>\n");
    }

    @Test
    void indexedRulesPickTheRightCandidates() {
        StringBuilder src = new StringBuilder("package t\n");
        for (int i = 0; i < 100; i++) {
            src.append("role_level := ").append(i).append(" if input.role == \"r").append(i).append("\"\n");
        }
        Rego r = policy(src.toString());
        assertThat(r.evaluate("data.t.role_level", Map.of("role", "r42"))).isEqualTo(42L);
        assertThat(r.evaluate("data.t.role_level", Map.of("role", "nope"))).isNull();
        assertThat(r.evaluate("data.t.role_level", null)).isNull();
    }

    @Test
    void aTimeLimitStopsLongEvaluations() {
        Rego r = policy("package t\nr := numbers.range(1, 2000)\n"
                + "p := count([1 | some a in r; some b in r; some c in r; a + b + c == 0])\n")
                .timeout(java.time.Duration.ofMillis(200));
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> r.evaluate("data.t.p", null)).isInstanceOfSatisfying(RegoException.class, e -> {
            assertThat(e.code()).isEqualTo("eval_cancel_error");
            assertThat(e.errors().get(0).message()).isEqualTo("timeout");
        });
        assertThat(System.nanoTime() - t0).isLessThan(3_000_000_000L);
    }

    @Test
    void indexingSkipsRulesWhoseConstantDoesNotMatch() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Rego r = policy("""
                package t
                p := 1 if { print("evaluated a"); input.role == "a" }
                p := 2 if { print("evaluated b"); input.role == "b" }
                p := 3 if { print("evaluated other"); input.level > 1 }
                f("x") := 1 if print("evaluated f x")
                f("y") := 2 if print("evaluated f y")
                q := f(input.role)
                """).printTo(new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(r.evaluate("data.t.p", Map.of("role", "b", "level", 0))).isEqualTo(2L);
        assertThat(out.toString(StandardCharsets.UTF_8).lines().toList())
                .containsExactlyInAnyOrder("evaluated b", "evaluated other");
        out.reset();
        assertThat(r.evaluate("data.t.q", Map.of("role", "y"))).isEqualTo(2L);
        assertThat(out.toString(StandardCharsets.UTF_8).lines().toList()).containsExactly("evaluated f y");
    }

    @Test
    void functionResultsAreComputedOncePerArgumentsPerEvaluation() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Rego r = policy("""
                package t
                f(x) := x * 2 if print("f", x)
                p := [f(1), f(1), f(2)]
                q := v if v := f(1) with input as {}
                """).printTo(new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(r.evaluate("data.t.p", null)).isEqualTo(List.of(2L, 2L, 4L));
        assertThat(out.toString(StandardCharsets.UTF_8).lines().toList()).containsExactly("f 1", "f 2");
        out.reset();
        assertThat(r.query("a := data.t.p; b := data.t.q", null)).hasSize(1);
        assertThat(out.toString(StandardCharsets.UTF_8).lines().toList()).containsExactly("f 1", "f 2", "f 1");
    }

    @Test
    void evaluateRejectsNonDataReferences() {
        Rego r = policy("package t\np := 1\n");
        assertThatThrownBy(() -> r.evaluate("input.x", null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a reference into data");
        assertThatThrownBy(() -> r.evaluate("data.t[x]", null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("variable step");
    }

    @Test
    void foldedRuleValuesGiveWayToWithAndToInput() {
        String src = """
                package t
                base := {"a": 1}
                f(x) := x + 1
                g(x) := x * 10
                v := object.union(base, {"b": f(1)})
                w := object.union(base, {"on": true}) if input.on
                else := {"off": f(0)}
                r := {"x": input.x}
                """;
        Rego r = policy(src);
        assertThat(r.evaluate("data.t.v", null)).isEqualTo(java.util.Map.of("a", 1L, "b", 2L));
        assertThat(r.query("x := data.t.v with data.t.base as {\"a\": 5}", null).get(0).get("x"))
                .isEqualTo(java.util.Map.of("a", 5L, "b", 2L));
        assertThat(r.query("x := data.t.v with data.t.f as data.t.g", null).get(0).get("x"))
                .isEqualTo(java.util.Map.of("a", 1L, "b", 10L));
        assertThat(r.evaluate("data.t.w", Map.of("on", true))).isEqualTo(Map.of("a", 1L, "on", true));
        assertThat(r.evaluate("data.t.w", Map.of("on", false))).isEqualTo(Map.of("off", 1L));
        assertThat(r.evaluate("data.t.r", Map.of("x", 1L))).isEqualTo(Map.of("x", 1L));
        assertThat(r.evaluate("data.t.r", Map.of("x", 2L))).isEqualTo(Map.of("x", 2L));
    }

    @Test
    void valuesThatReadTheClockArePerEvaluation() throws Exception {
        Rego r = policy("package t\nnow := {\"ns\": time.now_ns()}\n");
        Object first = r.evaluate("data.t.now", null);
        Thread.sleep(2);
        assertThat(r.evaluate("data.t.now", null)).isNotEqualTo(first);
    }

    @Test
    void printInARuleValuePrintsOnEveryEvaluation() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Rego r = policy("package t\nf(x) := x if print(\"called\", x)\nv := {\"a\": f(1)}\n")
                .printTo(new PrintStream(out, true, StandardCharsets.UTF_8));
        java.util.List<java.util.Map<String, Object>> res = r.query("x := data.t.v", null);
        r.query("x := data.t.v", null);
        assertThat(res.get(0).get("x")).isEqualTo(Map.of("a", 1L));
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("called 1\ncalled 1\n");
    }
}
