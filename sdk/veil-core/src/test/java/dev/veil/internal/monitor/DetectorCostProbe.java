package dev.veil.internal.monitor;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Features;
import dev.veil.internal.monitor.traffic.BenignTraffic;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * An informal cost measurement (not a test; JMH comes with the benchmarks module): per-query time
 * of the similarity detectors at 784 features on the benign traffic of the efficacy tests, split
 * into the detectors' own work (plan and evaluate: sketches, fingerprints, distances) and the
 * in-memory store's work on their batch, and the store's bytes per query. Run from the module
 * directory after {@code mvn test-compile}:
 *
 * <pre>{@code
 * java -cp target/classes:target/test-classes:$(cat cp.txt) dev.veil.internal.monitor.DetectorCostProbe
 * }</pre>
 */
public final class DetectorCostProbe {
    private DetectorCostProbe() {}

    public static void main(String[] args) {
        int warm = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int measured = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        List<BenignTraffic.Event> events = BenignTraffic.issue();
        String[][] sets = {{"near_duplicate"}, {"knn"}, {"knn_global"}, {"near_duplicate", "knn", "knn_global"}};
        for (String[] names : sets) {
            StatefulDetector[] d = new StatefulDetector[names.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = BuiltinDetectors.create(names[i], Map.of());
            }
            probe(String.join("+", names), d, events, warm, measured);
        }
    }

    private static void probe(String label, StatefulDetector[] d, List<BenignTraffic.Event> events, int warm,
            int measured) {
        MemoryStateStore store = new MemoryStateStore(1L << 30, Clock.systemUTC(), 1_000_000);
        Map<String, Caller> callers = new HashMap<>();
        long[] detector = new long[measured];
        long[] state = new long[measured];
        long bytesBefore = 0;
        for (int n = 0; n < warm + measured; n++) {
            BenignTraffic.Event e = events.get(n % events.size());
            Caller c = callers.computeIfAbsent(e.caller(), id -> new Caller(id, AuthMethod.API_KEY, Set.of(), "",
                    Map.of()));
            Query q = new Query(c, e.timeMillis(), Features.of(e.x()));
            long t0 = System.nanoTime();
            List<StateOp> ops = new ArrayList<>();
            Object[] ctx = new Object[d.length];
            int[] from = new int[d.length];
            for (int i = 0; i < d.length; i++) {
                from[i] = ops.size();
                ctx[i] = d[i].plan(q, ops);
            }
            long t1 = System.nanoTime();
            Object[] results = store.execute(ops.toArray(StateOp[]::new));
            long t2 = System.nanoTime();
            for (int i = 0; i < d.length; i++) {
                d[i].evaluate(q, ctx[i], results, from[i]);
            }
            long t3 = System.nanoTime();
            if (n == warm) {
                bytesBefore = store.bytesUsed();
            }
            if (n >= warm) {
                detector[n - warm] = (t1 - t0) + (t3 - t2);
                state[n - warm] = t2 - t1;
            }
        }
        long bytes = store.bytesUsed() - bytesBefore;
        long stated = Arrays.stream(d).mapToLong(StatefulDetector::bytesPerQuery).sum();
        System.out.printf(Locale.ROOT, "%-32s detectors median %5.1f us (p90 %5.1f), store median %6.1f us (p90 %6.1f),"
                + " state %5d B/query (stated bound %d)%n", label, median(detector), pct(detector, 0.9), median(state),
                pct(state, 0.9), bytes / measured, stated);
    }

    private static double median(long[] v) {
        return pct(v, 0.5);
    }

    private static double pct(long[] v, double p) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, p * s.length)] / 1000.0;
    }
}
