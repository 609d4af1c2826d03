package dev.veil.policies;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** What the shipped bundles' monitoring tests share: outcomes, the honest-traffic tally, attack results. */
final class MonitoringTests {
    private MonitoringTests() {}

    /** What monitoring did to one answer: nothing, an alert, a degraded answer, or a block (in that order). */
    enum Outcome {
        CLEAN, ALERTED, DEGRADED, BLOCKED
    }

    /**
     * Result of one attack run: the 0-based query at which monitoring first degraded or blocked, and
     * by which rules.
     */
    record Caught(int query, Outcome outcome, List<String> rules) {
        /** What the {@code n}-th answer tells of an attack: caught (degraded or refused), or {@code null}. */
        static Caught at(int n, Response r, Outcome o) {
            if (r instanceof Response.Denied d) {
                return new Caught(n, o, List.of(d.reason().rule()));
            }
            return o == Outcome.DEGRADED ? new Caught(n, o, ((Response.Released) r).alerts()) : null;
        }
    }

    /** Copies a bundle directory (the shipped one, to adapt in a test). */
    static void copyBundle(Path src, Path dst) throws IOException {
        try (Stream<Path> files = Files.walk(src)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path to = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
    }

    /**
     * Replaces the {@code monitoring} section of a policy file (up to the {@code model} section that
     * follows it in the shipped bundles) by {@code section}, which starts with a blank line.
     */
    static void replaceMonitoring(Path policy, String section) throws IOException {
        String s = Files.readString(policy);
        int from = s.indexOf("\nmonitoring:\n");
        int to = s.indexOf("\nmodel:\n");
        if (from < 0 || to < from) {
            throw new IllegalStateException(policy + ": no monitoring section followed by a model section");
        }
        Files.writeString(policy, s.substring(0, from) + section + s.substring(to));
    }

    /** Adds the entries of {@code keys} to a bundle's API key store ({@code keys.json}). */
    static void addKeys(Path keysJson, java.util.Collection<dev.veil.ApiKeys.Issued> keys) throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper()
                .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);
        @SuppressWarnings("unchecked")
        Map<String, Object> store = json.readValue(keysJson.toFile(), java.util.LinkedHashMap.class);
        @SuppressWarnings("unchecked")
        List<Object> entries = new ArrayList<>((List<Object>) store.get("keys"));
        for (dev.veil.ApiKeys.Issued k : keys) {
            entries.add(k.entry());
        }
        store.put("keys", entries);
        json.writeValue(keysJson.toFile(), store);
    }

    /**
     * Removes the tabular-credit bundle's {@code feature_sweep} detectors and their rules from a copy
     * of its policy, to test what the other detectors catch without them (defence in depth: a sweep
     * that changes two features at once is not counted as one).
     */
    static void removeFeatureSweep(Path policy) throws IOException {
        String s = Files.readString(policy);
        s = cut(s, "    # Attribute inference by a sweep of candidates", "  rules:");
        s = cut(s, "    # A sweep: from its 3rd candidate", "    # Many answers near a tie");
        if (s.contains("feature_sweep") || s.contains("feature-sweep")) {
            throw new IllegalStateException(policy + ": feature_sweep left after removing its blocks");
        }
        Files.writeString(policy, s);
    }

    private static String cut(String s, String from, String to) {
        int a = s.indexOf(from);
        int b = a < 0 ? -1 : s.indexOf(to, a);
        if (b < 0) {
            throw new IllegalStateException("no block from '" + from + "' to '" + to + "'");
        }
        return s.substring(0, a) + s.substring(b);
    }

    /**
     * What monitoring did to honest callers, for the bundles' false-alarm tests: each caller's
     * worst answer ({@link Outcome}) and the rules that fired for it.
     */
    static final class HonestTally {
        private final Map<String, Outcome> worst = new TreeMap<>();
        private final Map<String, List<String>> rules = new TreeMap<>();

        /** Records one answer to {@code caller}, which monitoring treated as {@code outcome}. */
        void record(String caller, Response r, Outcome outcome) {
            worst.merge(caller, outcome, (a, b) -> a.compareTo(b) >= 0 ? a : b);
            if (r instanceof Response.Released ok && !ok.alerts().isEmpty()) {
                rules.computeIfAbsent(caller, k -> new ArrayList<>()).addAll(ok.alerts());
            } else if (r instanceof Response.Denied d) {
                rules.computeIfAbsent(caller, k -> new ArrayList<>()).add(d.reason().rule());
            }
        }

        /**
         * Prints the tally and requires that all {@code callers} were seen, that the traffic held more
         * than 100 exact retries, that no caller was degraded or blocked (at most 0.1% of the callers:
         * none of a few hundred) and that at most {@code maxAlerted} were alerted.
         */
        void requireAlmostNeverFlagged(int callers, int queries, long retries, int maxAlerted) {
            long degradedOrBlocked = worst.values().stream().filter(o -> o.compareTo(Outcome.DEGRADED) >= 0).count();
            long alerted = worst.values().stream().filter(o -> o.compareTo(Outcome.ALERTED) >= 0).count();
            System.out.printf("benign: %d callers, %d queries (%d retries): degraded or blocked %d, alerted %d %s%n",
                    worst.size(), queries, retries, degradedOrBlocked, alerted, rules);
            assertThat(worst).hasSize(callers);
            assertThat(retries).as("exact retries in the traffic").isGreaterThan(100);
            assertThat(degradedOrBlocked).as("honest callers degraded or blocked: %s", rules).isZero();
            assertThat(alerted).as("honest callers alerted: %s", rules).isLessThanOrEqualTo(maxAlerted);
        }
    }
}
