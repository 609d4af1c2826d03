package dev.veil.rego;

import dev.veil.rego.internal.conformance.CaseRunner;
import dev.veil.rego.internal.conformance.TestCase;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Runs OPA's Rego conformance test cases (the YAML format of OPA's {@code v1/test/cases/testdata})
 * against this engine: every {@code *.yaml}/{@code *.yml} file under a directory, every case in it.
 * Prints one line per directory ({@code <dir> <passed>/<total>}), with {@code verbose} the notes of
 * failing cases with a one-line reason, and finally {@code N passed, M failed}. A case that runs
 * longer than {@link #CASE_TIMEOUT_SECONDS} is run once more, and if it does again, fails with the
 * reason {@code timeout}: a case's first run can include one-off work, such as loading graphql-java
 * for the first {@code graphql.*} case, which takes seconds on a cold JVM on a busy machine.
 */
public final class Conformance {
    /** The time one case may take. */
    public static final long CASE_TIMEOUT_SECONDS = 5;

    private Conformance() {
    }

    /** The outcome of a run. */
    public static final class Report {
        private final int passed;
        private final int failed;
        private final List<String> passingNotes;
        private final Map<String, String> failures;

        Report(int passed, int failed, List<String> passingNotes, Map<String, String> failures) {
            this.passed = passed;
            this.failed = failed;
            this.passingNotes = List.copyOf(passingNotes);
            this.failures = Map.copyOf(failures);
        }

        public int passed() {
            return passed;
        }

        public int failed() {
            return failed;
        }

        /** The notes of the passing cases, sorted. */
        public List<String> passingNotes() {
            return passingNotes;
        }

        /** The failing cases' notes with their reason. */
        public Map<String, String> failures() {
            return failures;
        }

        /**
         * Writes the sorted notes of the passing cases, one per line.
         *
         * @throws UncheckedIOException when the file cannot be written
         */
        public void writePassing(Path file) {
            try {
                Path parent = file.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.write(file, passingNotes, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the passing notes to " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Runs every case under {@code dir}.
     *
     * @throws UncheckedIOException     when the directory cannot be read
     * @throws IllegalArgumentException when {@code dir} is not a directory or a file is not in the format
     */
    public static Report run(Path dir, boolean verbose, PrintStream out) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is not a directory: give the folder holding OPA's test cases");
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> {
                String n = p.getFileName().toString();
                return Files.isRegularFile(p) && (n.endsWith(".yaml") || n.endsWith(".yml"));
            }).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        Map<String, List<Path>> byDir = new TreeMap<>();
        for (Path f : files) {
            Path rel = dir.relativize(f.getParent());
            String name = rel.toString().isEmpty() ? "." : rel.toString().replace('\\', '/');
            byDir.computeIfAbsent(name, k -> new ArrayList<>()).add(f);
        }
        ExecutorService[] exec = {newExecutor()};
        int passed = 0;
        int failed = 0;
        TreeSet<String> passing = new TreeSet<>();
        Map<String, String> failures = new TreeMap<>();
        try {
            for (Map.Entry<String, List<Path>> d : byDir.entrySet()) {
                int dp = 0;
                int dt = 0;
                List<String> lines = new ArrayList<>();
                for (Path f : d.getValue()) {
                    List<TestCase> cases;
                    try {
                        cases = TestCase.read(f);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
                    }
                    for (TestCase c : cases) {
                        dt++;
                        String reason = runOne(c, exec);
                        if (reason == null) {
                            dp++;
                            passing.add(c.note());
                        } else {
                            failures.put(c.note(), reason);
                            lines.add("  FAIL " + c.note() + ": " + reason);
                        }
                    }
                }
                passed += dp;
                failed += dt - dp;
                out.println(d.getKey() + " " + dp + "/" + dt);
                if (verbose) {
                    lines.forEach(out::println);
                }
            }
        } finally {
            exec[0].shutdownNow();
        }
        out.println(passed + " passed, " + failed + " failed");
        return new Report(passed, failed, new ArrayList<>(passing), failures);
    }

    private static ExecutorService newExecutor() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "rego-conformance");
            t.setDaemon(true);
            return t;
        });
    }

    private static String runOne(TestCase c, ExecutorService[] exec) {
        String outcome = runOnce(c, exec);
        return "timeout".equals(outcome) ? runOnce(c, exec) : outcome; // null: passed
    }

    private static String runOnce(TestCase c, ExecutorService[] exec) {
        long timeout = TimeUnit.SECONDS.toNanos(CASE_TIMEOUT_SECONDS);
        Future<String> f = exec[0].submit(() -> CaseRunner.run(c, timeout));
        try {
            return f.get(CASE_TIMEOUT_SECONDS + 1, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            // The worker may be stuck: give the next cases a fresh thread.
            exec[0].shutdownNow();
            exec[0] = newExecutor();
            return "timeout";
        } catch (ExecutionException e) {
            return "internal error: " + e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
