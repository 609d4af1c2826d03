package dev.veil.rego;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One test per class of compile error: OPA's code and message, file, line and column. */
class RegoCompileErrorsTest {

    private static RegoError only(String source) {
        RegoException e = (RegoException) org.assertj.core.api.Assertions.catchThrowable(
                () -> Rego.compile(Map.of("p.rego", source), Map.of()));
        assertThat(e).as("compiling should fail").isNotNull();
        assertThat(e.errors()).hasSize(1);
        return e.errors().get(0);
    }

    private static void assertError(RegoError e, String code, String message, int line, int column) {
        assertThat(e.code()).isEqualTo(code);
        assertThat(e.message()).isEqualTo(message);
        assertThat(e.file()).isEqualTo("p.rego");
        assertThat(e.line()).isEqualTo(line);
        assertThat(e.column()).isEqualTo(column);
    }

    @Test
    void unsafeVariableInBody() {
        assertError(only("package a\n\np if {\n\tx > 1\n}\n"), "rego_unsafe_var_error", "var x is unsafe", 4, 2);
    }

    @Test
    void aVariableAssignedTwiceInOneBody() {
        assertError(only("package a\n\np if {\n\tx := 1\n\tx := 2\n}\n"), "rego_compile_error", "var x assigned above",
                5, 2);
    }

    @Test
    void aVariableReferencedBeforeItsDeclaration() {
        assertError(only("package a\n\np if {\n\tx = 1\n\tx := 2\n}\n"), "rego_compile_error",
                "var x referenced above", 5, 2);
        assertError(only("package a\n\np if {\n\t[y, x] := [x, 1]\n}\n"), "rego_compile_error",
                "var x referenced above", 4, 6);
    }

    @Test
    void aVariableDeclaredWithSomeThenAssigned() {
        assertError(only("package a\n\np if {\n\tsome x\n\tx := 2\n}\n"), "rego_compile_error",
                "var x declared above", 5, 2);
        assertError(only("package a\n\np if {\n\tsome x in [1]\n\tx := 2\n}\n"), "rego_compile_error",
                "var x declared above", 5, 2);
    }

    @Test
    void aFunctionArgumentAssignedInTheBody() {
        assertError(only("package a\n\nf(x) := y if {\n\tx := 1\n\ty := x\n}\n"), "rego_compile_error",
                "arg x redeclared", 4, 2);
    }

    @Test
    void aVariableNamedInputOrData() {
        assertError(only("package a\n\np if {\n\tinput := 1\n}\n"), "rego_compile_error",
                "variables must not shadow input (use a different variable name)", 4, 2);
        assertError(only("package a\n\np if {\n\t[data, y] := [1, 2]\n\ty > 1\n}\n"), "rego_compile_error",
                "variables must not shadow data (use a different variable name)", 4, 3);
    }

    @Test
    void everyDeclaresItsKeyAndValueInItsBody() {
        assertError(only("package a\n\np if {\n\tevery x in [1] {\n\t\tx := 1\n\t}\n}\n"), "rego_compile_error",
                "var x declared above", 5, 3);
    }

    @Test
    void aClosureThatReadsAnOuterVariableAndThenDeclaresItIsRefusedWithItsOwnMessage() {
        assertError(only("package a\n\np if {\n\tx := 1\n\tys := [y | y := x; x := 2]\n\tys == [1]\n}\n"),
                "rego_compile_error", "var x of an enclosing body is read above and declared again here: Veil does "
                        + "not support redeclaring a variable after reading it; rename one of them", 5, 21);
    }

    @Test
    void aClosureMayDeclareANameOfItsEnclosingBody() {
        Rego.compile(Map.of("p.rego", "package a\n\np := [x | some x in [1, 2]] if {\n\tx := 3\n\tx > 2\n}\n"
                + "q := {x | x := 1} if {\n\tx := 2\n\tx > 1\n}\n"), Map.of());
    }

    @Test
    void builtinsOpaRemovedInRegoV1AreUndefined() {
        for (String call : List.of("re_match(\"a\", \"a\")", "net.cidr_overlap(\"10.0.0.0/8\", \"10.1.0.0/16\")")) {
            RegoError e = only("package a\n\np if " + call + "\n");
            assertThat(e.code()).isEqualTo("rego_type_error");
            assertThat(e.message()).startsWith("undefined function ");
        }
    }

    @Test
    void unsafeVariableInHead() {
        assertError(only("package a\n\np := x if {\n\ttrue\n}\n"), "rego_unsafe_var_error", "var x is unsafe", 3, 6);
    }

    @Test
    void unsafeVariableOnlyInNegation() {
        assertError(only("package a\n\np if {\n\tnot input.xs[x]\n}\n"), "rego_unsafe_var_error", "var x is unsafe",
                4, 15);
    }

    @Test
    void undefinedFunction() {
        assertError(only("package a\n\np if {\n\tfoo(1)\n}\n"), "rego_type_error", "undefined function foo", 4, 2);
    }

    @Test
    void arityMismatch() {
        RegoError e = only("package a\n\np if {\n\tcount(1, 2, 3)\n}\n");
        assertThat(e.code()).isEqualTo("rego_type_error");
        assertThat(e.message()).startsWith("count: arity mismatch");
        assertThat(e.line()).isEqualTo(4);
        assertThat(e.column()).isEqualTo(2);
    }

    @Test
    void userFunctionArity() {
        assertError(only("package a\n\nf(x) := x\n\np := f(1, 2, 3)\n"), "rego_type_error",
                "function data.a.f has arity 1, got 3 arguments", 5, 6);
    }

    @Test
    void recursion() {
        assertError(only("package a\n\np if {\n\tq\n}\n\nq if {\n\tp\n}\n"), "rego_recursion_error",
                "rule data.a.p is recursive: data.a.p -> data.a.q -> data.a.p", 3, 1);
    }

    @Test
    void selfRecursionThroughFunction() {
        assertError(only("package a\n\nf(x) := y if {\n\ty := f(x)\n}\n"), "rego_recursion_error",
                "rule data.a.f is recursive: data.a.f -> data.a.f", 3, 1);
    }

    @Test
    void recursionThroughTheWholeDataDocument() {
        assertError(only("package a\n\np := data\n"), "rego_recursion_error",
                "rule data.a.p is recursive: data.a.p -> data.a.p", 3, 1);
    }

    @Test
    void recursionThroughAVariableStep() {
        assertError(only("package a\n\np contains k if {\n\tsome k\n\tdata.a[k]\n}\n"), "rego_recursion_error",
                "rule data.a.p is recursive: data.a.p -> data.a.p", 3, 1);
    }

    /** {@code r1 := r2 + 1}, ..., {@code r<n-1> := r<n> + 1}, then {@code r<n> := last}. */
    private static String chain(int n, String last) {
        StringBuilder b = new StringBuilder("package a\n\n");
        for (int i = 1; i < n; i++) {
            b.append("r").append(i).append(" := r").append(i + 1).append(" + 1\n");
        }
        return b.append("r").append(n).append(" := ").append(last).append('\n').toString();
    }

    /** Runs a compilation on a thread with a small stack, as a request or loader thread may have. */
    private static Throwable compileOnASmallStack(String source) throws InterruptedException {
        Throwable[] thrown = new Throwable[1];
        Thread t = new Thread(null, () -> thrown[0] = org.assertj.core.api.Assertions.catchThrowable(
                () -> Rego.compile(Map.of("p.rego", source), Map.of())), "small-stack", 256 * 1024);
        t.start();
        t.join();
        return thrown[0];
    }

    @Test
    void aLongChainOfRulesCompilesWhateverTheStack() throws InterruptedException {
        assertThat(compileOnASmallStack(chain(4900, "count(input.x)"))).isNull();
    }

    @Test
    void aLongCycleOfRulesIsARecursionErrorNotAStackOverflow() throws InterruptedException {
        Throwable e = compileOnASmallStack(chain(4900, "r1 + 1"));
        assertThat(e).isInstanceOf(RegoException.class);
        RegoError err = ((RegoException) e).errors().get(0);
        assertThat(err.code()).isEqualTo("rego_recursion_error");
        assertThat(err.message()).startsWith("rule data.a.r1 is recursive: data.a.r1 -> data.a.r2 -> data.a.r3 -> ")
                .endsWith(" -> data.a.r4900 -> data.a.r1");
        assertThat(err.line()).isEqualTo(3);
    }

    @Test
    void conflictingRuleKinds() {
        assertError(only("package a\n\np := 1\n\np contains 2\n"), "rego_type_error",
                "conflicting rules data.a.p found", 3, 1);
    }

    @Test
    void conflictingFunctionArities() {
        assertError(only("package a\n\nf(x) := 1\nf(x, y) := 2\n"), "rego_type_error",
                "conflicting rules data.a.f found", 4, 1);
    }

    @Test
    void multipleDefaultRules() {
        assertError(only("package a\n\ndefault p := 1\n\ndefault p := 2\n"), "rego_type_error",
                "multiple default rules data.a.p found", 5, 1);
    }

    @Test
    void errorsFromSeveralFilesAreAllReported() {
        assertThatThrownBy(() -> Rego.compile(Map.of("a.rego", "package a\np if { x }\n",
                "b.rego", "package b\nq if { nope(1) }\n"), Map.of()))
                .isInstanceOfSatisfying(RegoException.class, e -> {
                    List<RegoError> errs = e.errors();
                    assertThat(errs).extracting(RegoError::file).containsExactly("a.rego", "b.rego");
                    assertThat(e.getMessage()).startsWith("2 errors occurred:")
                            .contains("a.rego:2:8: rego_unsafe_var_error: var x is unsafe")
                            .contains("b.rego:2:8: rego_type_error: undefined function nope");
                });
    }

    @Test
    void parseErrorsKeepTheirPosition() {
        RegoError e = only("package a\n\np if {\n\t1 +\n}\n");
        assertThat(e.code()).isEqualTo("rego_parse_error");
        assertThat(e.file()).isEqualTo("p.rego");
        assertThat(e.line()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void unsafeVariableInQuery() {
        Rego r = Rego.compile(Map.of(), Map.of());
        assertThatThrownBy(() -> r.query("x > 1", null)).isInstanceOfSatisfying(RegoException.class,
                e -> assertThat(e.errors().get(0).message()).isEqualTo("var x is unsafe"));
    }
}
