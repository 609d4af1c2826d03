package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.Signal;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.internal.state.PackedEntries;
import dev.veil.spi.StateOp;
import dev.veil.spi.StateStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The detectors that read a history in place (the in-memory store's {@link PackedEntries}: a
 * stretch of the list's own array, from an offset that moves as the oldest entries leave) give
 * exactly the signals they give when the same history comes as a plain list of arrays, the form the
 * Redis store returns. Small windows make every list wrap many times.
 */
class PackedReadsTest {

    @Test
    void propertyInPlaceReadsGiveTheSignalsOfPlainLists() {
        Map<String, Map<String, Object>> configs = new LinkedHashMap<>();
        configs.put("knn", Map.of("history", 9, "k", 3, "min_history", 2));
        configs.put("confidence_climb", Map.of("window", 7, "min_points", 4, "max_step", 0.1));
        configs.put("class_focus", Map.of("window", 6, "min_queries", 2));
        configs.put("boundary", Map.of("window", 5, "min_queries", 1));
        configs.put("extraction", Map.of("min_distances", 20, "max_distances", 40, "max_set", 11, "test_every", 2));
        configs.put("antithetic", Map.of("history", 8, "matches", 1, "tolerance", 0.05, "min_changed", 4));
        // the scores each detector gave over every example: were one always the same, the comparison
        // would test nothing for it (one short example may leave a detector still; all 30 may not)
        List<Set<Double>> scoresSeen = new ArrayList<>();
        for (int d = 0; d < configs.size(); d++) {
            scoresSeen.add(new HashSet<>());
        }
        qt().withExamples(30).forAll(longs().all(), integers().between(60, 400)).checkAssert((seed, queries) -> {
            StatefulDetector[] detectors = configs.entrySet().stream()
                    .map(e -> BuiltinDetectors.create(e.getKey(), e.getValue())).toArray(StatefulDetector[]::new);
            try (Reads packed = new Reads(new MemoryStateStore(64L << 20, Clock.systemUTC(), 1000), false);
                    Reads plain = new Reads(new MemoryStateStore(64L << 20, Clock.systemUTC(), 1000), true)) {
                DetectorHarness inPlace = new DetectorHarness(packed, detectors);
                DetectorHarness asLists = new DetectorHarness(plain, detectors);
                ClimbingTraffic traffic = new ClimbingTraffic(seed, 24, queries);
                for (int i = 0; traffic.hasNext(); i++) {
                    ClimbingTraffic.Query q = traffic.next();
                    Signal[] a = inPlace.observe(q.caller(), q.timeMillis(), q.x(), q.answer());
                    Signal[] b = asLists.observe(q.caller(), q.timeMillis(), q.x().clone(), q.answer());
                    assertThat(a).as("query %d", i).containsExactly(b);
                    for (int d = 0; d < detectors.length; d++) {
                        scoresSeen.get(d).add(a[d].score());
                    }
                }
                assertThat(packed.fromAnOffset).as("reads served in place from an offset").isPositive();
            }
        });
        List<String> names = new ArrayList<>(configs.keySet());
        for (int d = 0; d < names.size(); d++) {
            assertThat(scoresSeen.get(d)).as("scores of %s", names.get(d)).hasSizeGreaterThan(1);
        }
    }

    /**
     * A store that counts the packed reads served from an offset and, when {@code plain}, hands out
     * every list as a plain list of arrays, as the Redis store returns them.
     */
    private static final class Reads extends dev.veil.ForwardingStateStore {
        private final boolean plain;
        int fromAnOffset;

        Reads(StateStore inner, boolean plain) {
            super(inner);
            this.plain = plain;
        }

        @Override
        public String name() {
            return plain ? "plain-lists" : "packed";
        }

        @Override
        public Object[] execute(StateOp... ops) {
            Object[] out = inner.execute(ops);
            for (int i = 0; i < out.length; i++) {
                if (out[i] instanceof PackedEntries p && p.offset() > 0) {
                    fromAnOffset++;
                }
                if (plain && out[i] instanceof List<?> l) {
                    List<byte[]> copy = new ArrayList<>(l.size());
                    for (Object e : l) {
                        copy.add((byte[]) e);
                    }
                    out[i] = copy;
                }
            }
            return out;
        }
    }
}
