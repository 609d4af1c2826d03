package dev.veil.rego;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner's contract on small hand-written case files. */
class ConformanceRunnerTest {

    private static final String CASES = """
            cases:
              - note: "demo/pass"
                query: "data.test.p = x"
                modules:
                  - |
                    package test
                    p := input.a + 1
                input: {"a": 1}
                want_result:
                  - "x": 2
              - note: "demo/sets sorted"
                query: "data.test.s = x"
                sort_bindings: true
                modules:
                  - |
                    package test
                    s contains v if some v in ["b", "a"]
                want_result:
                  - "x": ["a", "b"]
              - note: "demo/error"
                query: "x = 1 / 0"
                strict_error: true
                want_error_code: "eval_builtin_error"
                want_error: "divide by zero"
              - note: "demo/wrong"
                query: "x = 1"
                want_result:
                  - "x": 2
              - note: "demo/undefined"
                query: "data.test.q = x"
                modules:
                  - |
                    package test
                    q if false
                want_defined: false
            """;

    @Test
    void countsPerDirectoryReasonsAndPassingNotes(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("v1/demo"));
        Files.writeString(dir.resolve("v1/demo/cases.yaml"), CASES);
        Files.createDirectories(dir.resolve("v1/other"));
        Files.writeString(dir.resolve("v1/other/one.yml"), """
                cases:
                  - note: "other/input term"
                    query: "x = input"
                    input_term: "{1, 2}"
                    want_result:
                      - "x": [1, 2]
                """);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Conformance.Report r = Conformance.run(dir, true, new PrintStream(buf, true, StandardCharsets.UTF_8));
        List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).containsExactly(
                "v1/demo 4/5",
                "  FAIL demo/wrong: want [{\"x\": 2}] but got [{\"x\": 1}]",
                "v1/other 1/1",
                "5 passed, 1 failed");
        assertThat(r.passed()).isEqualTo(5);
        assertThat(r.failed()).isEqualTo(1);
        Path out = dir.resolve("passing.txt");
        r.writePassing(out);
        assertThat(Files.readAllLines(out)).containsExactly("demo/error", "demo/pass", "demo/sets sorted",
                "demo/undefined", "other/input term");
    }

    @Test
    void notVerboseLeavesOutTheFailures(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("c.yaml"), CASES);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Conformance.run(dir, false, new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertThat(buf.toString(StandardCharsets.UTF_8).lines().toList())
                .containsExactly(". 4/5", "4 passed, 1 failed");
    }

    @Test
    void aCaseThatRunsTooLongFailsWithTimeout(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("slow.yaml"), """
                cases:
                  - note: "slow/forever"
                    query: "data.test.p = x"
                    modules:
                      - |
                        package test
                        r := numbers.range(1, 3000)
                        p := count([1 | some a in r; some b in r; some c in r; a + b + c == 0])
                    want_result:
                      - "x": 0
                """);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        Conformance.Report r = Conformance.run(dir, true, new PrintStream(buf, true, StandardCharsets.UTF_8));
        // run twice (a first run's one-off work could have made it slow), each stopped at the limit
        assertThat(System.nanoTime() - t0).isBetween(Conformance.CASE_TIMEOUT_SECONDS * 2_000_000_000L,
                Conformance.CASE_TIMEOUT_SECONDS * 3_000_000_000L);
        assertThat(r.failures()).containsEntry("slow/forever", "timeout");
    }

    @Test
    void badInputIsReported(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> Conformance.run(dir.resolve("missing"), false, System.out))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not a directory");
        Files.writeString(dir.resolve("bad.yaml"), "not: [cases]\n");
        assertThatThrownBy(() -> Conformance.run(dir, false, new PrintStream(new ByteArrayOutputStream())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected a top-level 'cases:' list");
    }
}
