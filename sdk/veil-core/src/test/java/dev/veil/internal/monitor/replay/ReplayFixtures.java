package dev.veil.internal.monitor.replay;

import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.veil.ApiKeys;
import dev.veil.PolicyBundle;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Bundles and traces for the replay tests, written to real directories. */
final class ReplayFixtures {
    private ReplayFixtures() {}

    static final long T = 1_700_000_000_000L;

    /** Callers with an API key in the fixture bundle, and their roles. */
    static final Map<String, List<String>> CALLERS = new LinkedHashMap<>();

    static {
        for (String c : List.of("alice", "bob", "carol", "dave", "frank", "grace", "henry", "ivan", "c0", "c1", "c2",
                "c3", "c4")) {
            CALLERS.put(c, List.of());
        }
        CALLERS.put("erin", List.of("intern"));
    }

    /**
     * Rate limit 1/s with a burst of 3; inputs of 3 features in [0, 1]; a per-caller rate detector,
     * a boundary detector and a global rate detector without rules.
     */
    static final String POLICY = """
            veil: 1
            name: replay-test
            authentication:
              api_keys: { file: keys.json }
            access:
              default: { effect: allow, rate_limit: { per_second: 1, burst: 3 } }
              rules:
                - { id: no-interns, when: { roles: [intern] }, effect: deny, message: "interns may not query" }
            validation:
              default: { shape: [3], range: { min: 0, max: 1 } }
            monitoring:
              detectors:
                rate: { window_seconds: 60, low: 3, medium: 5, high: 8 }
                boundary: { window: 4, min_queries: 3, margin: 0.2, low: 0.5, medium: 0.75, high: 1 }
                everyone: { type: rate, scope: global, window_seconds: 60, high: 1000 }
              rules:
                - { id: busy, when: { signals: { rate: medium } }, action: alert }
                - { id: flood, when: { signals: { rate: high } }, action: block, cooldown_seconds: 600 }
                - { id: probing, when: { signals: { boundary: high } }, action: block, cooldown_seconds: 600 }
            output:
              default: { form: label_only }
            """;

    /** Writes a bundle with {@code policy} and a key store for {@link #CALLERS}; returns the plaintext keys. */
    static Map<String, String> writeBundle(Path dir, String policy) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("policy.veil.yaml"), policy);
            Map<String, String> plain = new LinkedHashMap<>();
            List<Object> entries = new ArrayList<>();
            for (Map.Entry<String, List<String>> e : CALLERS.entrySet()) {
                ApiKeys.Issued k = ApiKeys.issue(e.getKey(), e.getValue(), "", Map.of(), null);
                entries.add(k.entry());
                plain.put(e.getKey(), k.plaintext());
            }
            Files.writeString(dir.resolve("keys.json"), JsonMapper.builder().build()
                    .writeValueAsString(Map.of("keys", entries)));
            return plain;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static PolicyBundle bundle(Path dir, String policy) {
        writeBundle(dir, policy);
        return PolicyBundle.load(dir);
    }

    static final double[] CONFIDENT = {0.9, 0.05, 0.05};
    static final double[] UNSURE = {0.5, 0.5, 0};
    /**
     * A stand-in input: each line written with it gets its own values (the last one raised by a
     * multiple of 1e-9, counted over the test run), because a model gives one input one answer and
     * the answer detectors remember a resent input once; lines that stand for a client's retry pass
     * the same array of their own.
     */
    static final double[] X = {0.1, 0.2, 0.3};
    private static final java.util.concurrent.atomic.AtomicLong DISTINCT = new java.util.concurrent.atomic.AtomicLong();

    /** One trace line ({@link #X} replaced by a new input of its own). */
    static String line(String caller, long ts, double[] features, double[] scores) {
        if (features == X) {
            features = new double[] {X[0], X[1], X[2] + 1e-9 * DISTINCT.incrementAndGet()};
        }
        StringBuilder b = new StringBuilder("{\"caller\": \"").append(caller).append("\", \"ts_ms\": ").append(ts)
                .append(", \"features\": ").append(array(features));
        if (scores != null) {
            b.append(", \"scores\": ").append(array(scores));
        }
        if (CALLERS.getOrDefault(caller, List.of()).contains("intern")) {
            b.append(", \"roles\": [\"intern\"]");
        }
        return b.append('}').toString();
    }

    static String array(double[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ", ").append(v[i]);
        }
        return b.append(']').toString();
    }

    /**
     * The hand-written trace (see {@code MonitorReplayTest} for what each caller does). With
     * {@code allScores} every line has scores (as a Guard's model always answers).
     */
    static List<String> handTrace(boolean allScores) {
        List<long[]> order = new ArrayList<>(); // {ts, seq}
        List<String> lines = new ArrayList<>();
        java.util.function.BiConsumer<Long, String> add = (ts, l) -> {
            order.add(new long[] {ts, lines.size()});
            lines.add(l);
        };
        for (int i = 0; i < 4; i++) {
            add.accept(T + i * 10_000L, line("alice", T + i * 10_000L, X, CONFIDENT));
        }
        for (int i = 0; i < 10; i++) {
            add.accept(T + 1000 + i * 1000L, line("bob", T + 1000 + i * 1000L, X, allScores ? CONFIDENT : null));
        }
        for (int i = 0; i < 6; i++) {
            add.accept(T + 2000 + i * 10_000L, line("carol", T + 2000 + i * 10_000L, X, UNSURE));
        }
        for (int i = 0; i < 4; i++) {
            add.accept(T + 3000 + i * 10_000L, line("dave", T + 3000 + i * 10_000L, X, allScores ? CONFIDENT : null));
        }
        for (int i = 0; i < 2; i++) {
            add.accept(T + 4000 + i, line("erin", T + 4000 + i, X, CONFIDENT));
        }
        for (int i = 0; i < 6; i++) {
            add.accept(T + 5000, line("frank", T + 5000, X, CONFIDENT));
        }
        add.accept(T + 7000, line("frank", T + 7000, X, CONFIDENT));
        for (int i = 0; i < 3; i++) {
            add.accept(T + 6000 + i, line("grace", T + 6000 + i, new double[] {2, 0, 0}, CONFIDENT));
        }
        add.accept(T + 9000, line("grace", T + 9000, X, CONFIDENT));
        for (int i = 0; i < 8; i++) {
            add.accept(T + 100_000 + i * 1000L, line("henry", T + 100_000 + i * 1000L, X, i < 2 ? CONFIDENT : UNSURE));
        }
        // ivan's second query is earlier than his first: file order rules
        add.accept(T + 200_000, line("ivan", T + 200_000, X, CONFIDENT));
        add.accept(T + 200_001, line("ivan", T + 150_000, X, CONFIDENT));
        order.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        List<String> out = new ArrayList<>();
        for (long[] o : order) {
            out.add(lines.get((int) o[1]));
        }
        return out;
    }

    /** The expected replay output of {@link #handTrace(boolean)} with scores only where it has them. */
    static final List<String> HAND_EXPECTED = List.of(
            "{\"caller\": \"alice\", \"queries\": 4, \"first_alarm\": null, \"detectors\": {\"rate\": null, "
                    + "\"boundary\": null, \"everyone\": null}}",
            "{\"caller\": \"bob\", \"queries\": 10, \"first_alarm\": 4, \"detectors\": {\"rate\": 4, "
                    + "\"boundary\": null, \"everyone\": null}}",
            "{\"caller\": \"carol\", \"queries\": 6, \"first_alarm\": 3, \"detectors\": {\"rate\": null, "
                    + "\"boundary\": 3, \"everyone\": null}}",
            "{\"caller\": \"dave\", \"queries\": 4, \"first_alarm\": null, \"detectors\": {\"rate\": null, "
                    + "\"boundary\": null, \"everyone\": null}}",
            "{\"caller\": \"erin\", \"queries\": 2, \"first_alarm\": null, \"detectors\": {\"rate\": null, "
                    + "\"boundary\": null, \"everyone\": null}}",
            "{\"caller\": \"frank\", \"queries\": 7, \"first_alarm\": 6, \"detectors\": {\"rate\": 6, "
                    + "\"boundary\": null, \"everyone\": null}}",
            "{\"caller\": \"grace\", \"queries\": 4, \"first_alarm\": null, \"detectors\": {\"rate\": null, "
                    + "\"boundary\": null, \"everyone\": null}}",
            "{\"caller\": \"henry\", \"queries\": 8, \"first_alarm\": 4, \"detectors\": {\"rate\": 4, "
                    + "\"boundary\": 6, \"everyone\": null}}",
            "{\"caller\": \"ivan\", \"queries\": 2, \"first_alarm\": null, \"detectors\": {\"rate\": null, "
                    + "\"boundary\": null, \"everyone\": null}}",
            "callers: 9, flagged: 4");

    static InputStream reader(List<String> lines) {
        return new ByteArrayInputStream((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
