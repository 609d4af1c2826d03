package dev.veil.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Bundles and traces for the monitor replay and calibrate tests. */
final class ReplayFiles {
    private ReplayFiles() {}

    static final long T = 1_700_000_000_000L;

    /**
     * Rate limit 1/s with a burst of 3; inputs of 3 features in [0, 1]; a per-caller rate detector
     * (medium: alert, high: block), a boundary detector (high: block) and a global rate detector
     * without rules. Detectors in the order rate, boundary, everyone.
     */
    static final String POLICY = """
            veil: 1
            name: replay-test
            authentication: { anonymous: true }
            access:
              default: { effect: allow, rate_limit: { per_second: 1, burst: 3 } }
              rules:
                - { id: no-interns, when: { roles: [intern] }, effect: deny }
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

    /** Writes a bundle directory holding {@code policy}. */
    static Path bundle(Path dir, String policy) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("policy.veil.yaml"), policy);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path write(Path file, List<String> lines) {
        try {
            Files.write(file, lines);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String line(String caller, long ts, double[] x, double[] scores) {
        StringBuilder b = new StringBuilder("{\"caller\": \"").append(caller).append("\", \"ts_ms\": ").append(ts)
                .append(", \"features\": ").append(array(x));
        if (scores != null) {
            b.append(", \"scores\": ").append(array(scores));
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
     * Benign traffic: {@code callers} callers, each sending 10 to 40 queries at exponential gaps
     * around its own mean (2 to 30 s), interleaved in time order; inputs uniform in [0, 1]^3; each
     * answer is, with the caller's own probability (0 to 30 %), a hesitant one (margin below 0.1)
     * and else a confident one. Seeded: the same arguments give the same trace.
     */
    static List<String> benign(int callers, long seed, String prefix) {
        Random rnd = new Random(seed);
        List<long[]> events = new ArrayList<>(); // ts, caller, query
        List<String> lines = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            int n = 10 + rnd.nextInt(31);
            double mean = 2_000 + rnd.nextDouble() * 28_000;
            double hesitant = rnd.nextDouble() * 0.3;
            long ts = T + (long) (rnd.nextDouble() * 3_600_000);
            for (int q = 0; q < n; q++) {
                ts += (long) (-Math.log(1 - rnd.nextDouble()) * mean) + 1;
                double[] x = {rnd.nextDouble(), rnd.nextDouble(), rnd.nextDouble()};
                double[] s;
                if (rnd.nextDouble() < hesitant) {
                    double top = 0.45 + rnd.nextDouble() * 0.05;
                    s = new double[] {top, top - rnd.nextDouble() * 0.09, 0};
                    s[2] = Math.max(0, 1 - s[0] - s[1]);
                } else {
                    double top = 0.7 + rnd.nextDouble() * 0.3;
                    s = new double[] {top, (1 - top) / 2, (1 - top) / 2};
                }
                events.add(new long[] {ts, lines.size()});
                lines.add(line(prefix + c, ts, x, s));
            }
        }
        events.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        List<String> out = new ArrayList<>(lines.size());
        for (long[] e : events) {
            out.add(lines.get((int) e[1]));
        }
        return out;
    }
}
