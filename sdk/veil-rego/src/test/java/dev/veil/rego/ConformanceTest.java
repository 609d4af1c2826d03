package dev.veil.rego;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Runs OPA's conformance cases (read from the shared folder, never copied here) and fails when a case
 * listed in {@code conformance-passing.txt} stops passing. That list is written by
 * {@link Conformance.Report#writePassing}; set {@code -Dveil.rego.writePassing=true} to regenerate it.
 */
class ConformanceTest {

    /** The shared folder: {@code VEIL_OPA_CONFORMANCE}, or {@code shared/opa-conformance} next to an ancestor. */
    static Path suite() {
        String env = System.getenv("VEIL_OPA_CONFORMANCE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path c = p.resolve("shared").resolve("opa-conformance");
            if (Files.isDirectory(c)) {
                return c;
            }
        }
        return null;
    }

    @Test
    void listedCasesStillPass() throws IOException {
        Path suite = suite();
        Assumptions.assumeTrue(suite != null && Files.isDirectory(suite),
                "OPA's conformance cases are not here (looked for shared/opa-conformance above the working "
                        + "directory and for $VEIL_OPA_CONFORMANCE): skipping the conformance run");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Conformance.Report report = Conformance.run(suite, true, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String printed = buf.toString(StandardCharsets.UTF_8);
        System.out.println(printed.lines().filter(l -> !l.startsWith("  FAIL")).reduce("", (a, b) -> a + b + "\n"));
        if (Boolean.getBoolean("veil.rego.writePassing")) {
            report.writePassing(Path.of("src/test/resources/dev/veil/rego/conformance-passing.txt"));
        }
        List<String> listed = new ArrayList<>();
        try (InputStream in = ConformanceTest.class.getResourceAsStream("conformance-passing.txt")) {
            assertThat(in).as("conformance-passing.txt on the test class path").isNotNull();
            new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).forEach(listed::add);
        }
        List<String> regressions = new ArrayList<>();
        for (String note : listed) {
            if (!report.passingNotes().contains(note)) {
                Map<String, String> f = report.failures();
                regressions.add(note + ": " + f.getOrDefault(note, "no longer in the suite"));
            }
        }
        assertThat(regressions).as("cases that passed before and fail now").isEmpty();
        assertThat(printed).containsPattern("(?m)^\\d+ passed, \\d+ failed$");
    }
}
