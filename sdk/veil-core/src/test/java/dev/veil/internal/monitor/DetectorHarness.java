package dev.veil.internal.monitor;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Features;
import dev.veil.Prediction;
import dev.veil.Signal;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import dev.veil.spi.StateStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs built-in detectors on a query exactly as the Guard does: every detector's plan into one
 * batch, one {@link StateStore#execute}, evaluate, then the record ops submitted.
 */
final class DetectorHarness {
    private final StateStore store;
    private final StatefulDetector[] detectors;
    private final Map<String, Caller> callers = new HashMap<>();
    /** Whether the input is overwritten between evaluate and record, as a model that writes to it would. */
    private boolean overwriteBeforeRecord;

    DetectorHarness(StateStore store, StatefulDetector... detectors) {
        this.store = store;
        this.detectors = detectors;
    }

    /** A detector configuration from key, value, key, value, ... (what a bundle's YAML gives). */
    static Map<String, Object> config(Object... keyValues) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    StatefulDetector[] detectors() {
        return detectors;
    }

    /**
     * From now on, overwrites each query's vector after the detectors' signals and before they
     * record it, as a model that changes its input in place would between the two.
     */
    DetectorHarness overwritingBeforeRecord() {
        overwriteBeforeRecord = true;
        return this;
    }

    /** The detectors' signals for one query, in detector order; no answer is recorded. */
    Signal[] observe(String caller, long timeMillis, double[] x) {
        return observe(caller, timeMillis, x, null);
    }

    /** As {@link #observe(String, long, double[])}, then {@code answer} (may be null) is recorded. */
    Signal[] observe(String caller, long timeMillis, double[] x, Prediction answer) {
        return observe(callers.computeIfAbsent(caller, id -> new Caller(id, AuthMethod.API_KEY, Set.of(), "",
                Map.of())), timeMillis, x, answer);
    }

    /** As {@link #observe(String, long, double[])}, for a caller of any tenant. */
    Signal[] observe(Caller caller, long timeMillis, double[] x) {
        return observe(caller, timeMillis, x, null);
    }

    /** As {@link #observe(String, long, double[])}, for features of any kind (named ones, say). */
    Signal[] observe(String caller, long timeMillis, Features f) {
        return observe(callers.computeIfAbsent(caller, id -> new Caller(id, AuthMethod.API_KEY, Set.of(), "",
                Map.of())), timeMillis, f, null);
    }

    /** As {@link #observe(String, long, Features)}, for a caller of any tenant. */
    Signal[] observe(Caller caller, long timeMillis, Features f) {
        return observe(caller, timeMillis, f, null);
    }

    private Signal[] observe(Caller c, long timeMillis, double[] x, Prediction answer) {
        return observe(c, timeMillis, Features.of(x), answer);
    }

    private Signal[] observe(Caller c, long timeMillis, Features f, Prediction answer) {
        double[] x = f.vector();
        Query q = new Query(c, timeMillis, f);
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
        if (overwriteBeforeRecord) {
            for (int j = 0; j < x.length; j++) {
                x[j] = (7 * x[j] + 0.618 * j) % 1;
            }
        }
        List<StateOp> later = new ArrayList<>();
        for (int i = 0; i < detectors.length; i++) {
            detectors[i].record(q, contexts[i], answer, later);
        }
        if (!later.isEmpty()) {
            store.submit(later.toArray(StateOp[]::new));
        }
        return signals;
    }
}
