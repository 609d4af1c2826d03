package dev.veil.internal.monitor.answers;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Features;
import dev.veil.Prediction;
import dev.veil.Signal;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.monitor.StatefulDetector;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs built-in detectors over queries the way the Guard does (plan for all, one execute, evaluate,
 * then after the model answered record and submit), against a real {@link MemoryStateStore}.
 */
final class Harness implements AutoCloseable {
    static final List<String> LABELS = List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9");

    final MemoryStateStore store;
    final StatefulDetector[] detectors;
    private long now = 1_700_000_000_000L;

    /** Detectors by name (the name is the type unless the config says {@code type}). */
    Harness(Map<String, Map<String, Object>> configs) {
        this(configs, 64L << 20);
    }

    Harness(Map<String, Map<String, Object>> configs, long storeBytes) {
        this.store = new MemoryStateStore(storeBytes, Clock.systemUTC(), 100_000);
        List<StatefulDetector> list = new ArrayList<>();
        for (var e : configs.entrySet()) {
            list.add(BuiltinDetectors.create(e.getKey(), e.getValue()));
        }
        this.detectors = list.toArray(StatefulDetector[]::new);
    }

    /** All four answer detectors with their default configuration. */
    static Harness defaults() {
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        m.put("confidence_climb", Map.of());
        m.put("class_focus", Map.of());
        m.put("boundary", Map.of());
        m.put("extraction", Map.of());
        return new Harness(m);
    }

    static Caller caller(String id) {
        return new Caller(id, AuthMethod.API_KEY, Set.of(), "", Map.of());
    }

    /** One query: the signals (describing the stream before this answer), then the answer is recorded. */
    Signal[] query(String caller, double[] x, double[] scores) {
        return query(caller, x, scores == null ? null : Prediction.classification(LABELS.subList(0, scores.length),
                scores));
    }

    Signal[] query(String caller, double[] x, Prediction answer) {
        Query q = new Query(caller(caller), now += 10, Features.of(x));
        List<StateOp> ops = new ArrayList<>();
        Object[] contexts = new Object[detectors.length];
        int[] from = new int[detectors.length];
        for (int i = 0; i < detectors.length; i++) {
            from[i] = ops.size();
            contexts[i] = detectors[i].plan(q, ops);
        }
        Object[] results = store.execute(ops.toArray(StateOp[]::new));
        Signal[] signals = new Signal[detectors.length];
        for (int i = 0; i < detectors.length; i++) {
            signals[i] = detectors[i].evaluate(q, contexts[i], results, from[i]);
        }
        if (answer != null) {
            List<StateOp> later = new ArrayList<>();
            for (int i = 0; i < detectors.length; i++) {
                detectors[i].record(q, contexts[i], answer, later);
            }
            if (!later.isEmpty()) {
                store.submit(later.toArray(StateOp[]::new));
            }
        }
        return signals;
    }

    @Override
    public void close() {
        store.close();
    }
}
