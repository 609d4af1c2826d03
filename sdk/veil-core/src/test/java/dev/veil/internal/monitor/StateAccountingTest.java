package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.internal.monitor.traffic.BenignTraffic;
import dev.veil.internal.state.MemoryStateStore;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The in-memory store's account of its bytes (what its memory cap is enforced on) against the heap
 * it really holds: the similarity detectors at their defaults on 784-feature benign traffic, heap
 * in use after a full GC before and after, all queries still referenced so that only the store's
 * growth is measured. The account must neither hide much memory (below 80% of the heap delta) nor
 * overstate it wildly (above 160%). The heap delta is the larger figure for near_duplicate because
 * G1 keeps each array larger than half a region (the global index's table) in whole regions: up
 * to a region of slack per large array that no object accounting sees.
 */
class StateAccountingTest {
    @Test
    void shouldAccountForTheHeapTheStoreHolds() {
        List<BenignTraffic.Event> events = BenignTraffic.issue().subList(0, 3000);
        for (String[] set : new String[][] {{"near_duplicate"}, {"knn", "knn_global"}}) {
            StatefulDetector[] d = new StatefulDetector[set.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = BuiltinDetectors.create(set[i], Map.of());
            }
            MemoryStateStore store = new MemoryStateStore(1L << 30, Clock.systemUTC(), 1_000_000);
            DetectorHarness h = new DetectorHarness(store, d);
            h.observe("warm-up", 1, events.get(0).x()); // loads classes and the detectors' tables
            long before = heapAfterGc();
            long accountBefore = store.bytesUsed();
            for (BenignTraffic.Event e : events) {
                h.observe(e.caller(), e.timeMillis(), e.x());
            }
            long heap = heapAfterGc() - before;
            long account = store.bytesUsed() - accountBefore;
            assertThat(account).as("%s: account %d B vs heap %d B for %d queries", String.join("+", set), account,
                    heap, events.size()).isBetween((long) (heap * 0.8), (long) (heap * 1.6));
            java.lang.ref.Reference.reachabilityFence(store);
            store.close();
        }
        java.lang.ref.Reference.reachabilityFence(events);
    }

    private static long heapAfterGc() {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(30);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Runtime rt = Runtime.getRuntime();
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }
}
