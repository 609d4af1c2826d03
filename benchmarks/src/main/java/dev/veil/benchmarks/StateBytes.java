package dev.veil.benchmarks;

import dev.veil.internal.monitor.StatefulDetector;
import dev.veil.internal.state.MemoryStateStore;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Clock;
import java.util.Arrays;
import java.util.Locale;

/**
 * Issue 3's "bytes of state per remembered query", measured on the heap (not a JMH benchmark: JMH
 * measures time). For each detector set of {@link DetectorTraffic}, at the defaults and 784
 * features: heap in use after a full GC, before and after {@code N} benign queries through a fresh
 * in-memory store whose cap (1 GiB) evicts nothing, divided by {@code N}; next to it the store's
 * own account ({@code bytesUsed()}, what its memory cap is enforced on) and the detectors' stated
 * bounds. Run:
 *
 * <pre>{@code
 * java -Xmx4g -cp benchmarks/target/benchmarks.jar dev.veil.benchmarks.StateBytes [N [callers]]
 * }</pre>
 *
 * <p>The traffic keeps everything it needs outside the store small (callers and the 512 base
 * images are allocated before the first measurement), so the heap delta is the store's.
 */
public final class StateBytes {
    private StateBytes() {}

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int callers = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        System.out.printf(Locale.ROOT, "%d queries from %d callers, 784 features, defaults%n", n, callers);
        System.out.printf(Locale.ROOT, "%-16s %14s %16s %14s%n", "detectors", "heap B/query", "store B/query",
                "stated bound");
        for (String set : new String[] {"near_duplicate", "knn", "knn_global", "antithetic", "answers", "rate",
            "similarity", "eight", "all"}) {
            measure(set, n, callers);
        }
    }

    private static void measure(String set, int n, int callers) {
        DetectorTraffic traffic = new DetectorTraffic(set, callers, 42);
        MemoryStateStore store = new MemoryStateStore(1L << 30, Clock.systemUTC(), 1_000_000);
        // the queries are built first, so that only the store's state is allocated in between
        DetectorTraffic.Prepared[] queries = new DetectorTraffic.Prepared[n];
        for (int i = 0; i < n; i++) {
            queries[i] = traffic.next();
        }
        traffic.observe(store, traffic.next()); // loads classes and the detectors' tables
        long before = heapAfterGc();
        long storeBefore = store.bytesUsed();
        for (int i = 0; i < n; i++) {
            traffic.observe(store, queries[i]);
        }
        long after = heapAfterGc(); // the queries are still held: the delta is the store's growth
        long heap = after - before;
        long stated = Arrays.stream(traffic.detectors()).mapToLong(StatefulDetector::bytesPerQuery).sum();
        System.out.printf(Locale.ROOT, "%-16s %14.0f %16.0f %14d%n", set, heap / (double) n,
                (store.bytesUsed() - storeBefore) / (double) n, stated);
        store.close();
        java.lang.ref.Reference.reachabilityFence(queries);
    }

    private static long heapAfterGc() {
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            used = Math.min(used, mx.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
