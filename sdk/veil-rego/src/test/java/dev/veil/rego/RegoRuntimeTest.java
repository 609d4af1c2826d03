package dev.veil.rego;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code opa.runtime()} as OPA without a runtime, its mocking with {@code with}, and {@code test.sleep}. */
class RegoRuntimeTest {

    private static Rego rego(String source) {
        return Rego.compile(Map.of("p.rego", source), Map.of());
    }

    @Test
    void runtimeIsEmptyWithoutARuntime() {
        assertThat(rego("package a\n\nr := opa.runtime()\n").evaluate("data.a.r", null)).isEqualTo(Map.of());
    }

    @Test
    void runtimeCanBeMockedWithAValue() {
        Rego r = rego("package a\n\nenv := opa.runtime().env\n\np := e if e := env with opa.runtime as {\"env\": {\"X\": \"1\"}}\n");
        assertThat(r.evaluate("data.a.p", null)).isEqualTo(Map.of("X", "1"));
        assertThat(r.evaluate("data.a.env", null)).isNull();
    }

    @Test
    void runtimeCanReplaceAnotherBuiltin() {
        Rego r = rego("package a\n\np := x if {\n\tx = time.now_ns() with time.now_ns as opa.runtime\n}\n");
        assertThat(r.evaluate("data.a.p", null)).isEqualTo(Map.of());
    }

    @Test
    void testSleepIsNotAnEngineBuiltin() {
        RegoException e = (RegoException) catchThrowable(() -> rego("package a\n\np if test.sleep(\"1ms\")\n"));
        assertThat(e.errors()).hasSize(1);
        assertThat(e.errors().get(0).message()).isEqualTo("undefined function test.sleep");
    }

    @Test
    void conformanceRunnerDefinesTestSleepAndTheClockStaysFixed(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("v1/time"));
        Files.writeString(dir.resolve("v1/time/cases.yaml"), """
                cases:
                  - note: "time/caching"
                    query: "data.t.p = x"
                    modules:
                      - |
                        package t
                        p if {
                        \ttime.now_ns(t0)
                        \ttest.sleep("5ms")
                        \ttime.now_ns(t1)
                        \tt0 == t1
                        }
                    want_result:
                      - "x": true
                  - note: "time/bad duration"
                    query: "test.sleep(\\"soon\\")"
                    strict_error: true
                    want_error: "test.sleep: time: invalid duration \\"soon\\""
                """);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Conformance.Report report = Conformance.run(dir, true, new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertThat(report.failures()).as(buf.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(report.passingNotes()).isEqualTo(List.of("time/bad duration", "time/caching"));
    }
}
