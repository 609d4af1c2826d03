package dev.veil.internal.monitor;

import dev.veil.Signal;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.util.List;

/**
 * A detector that reads one bounded list of the caller's earlier answers: {@link #plan} reads it,
 * {@link #evaluate(Query, List)} computes the signal from it, and the subclass's {@code record}
 * appends this query's entry under {@link #key}. Shared by {@code boundary}, {@code class_focus}
 * and {@code confidence_climb}.
 */
abstract class AnswerHistoryDetector implements StatefulDetector {
    private final String name;
    private final String keyPrefix;

    /**
     * @param name the detector's name in the policy
     * @param kind the state key's prefix, e.g. {@code boundary}
     */
    AnswerHistoryDetector(String name, String kind) {
        this.name = name;
        this.keyPrefix = kind + ":" + name + ":";
    }

    @Override
    public final String name() {
        return name;
    }

    /** The caller's history list. */
    final String key(Query q) {
        return keyPrefix + dev.veil.internal.state.StateKeys.of(q.caller());
    }

    @Override
    public final Object plan(Query q, List<StateOp> ops) {
        ops.add(new StateOp.ListRead(key(q)));
        return null;
    }

    @Override
    public final Signal evaluate(Query q, Object context, Object[] results, int from) {
        @SuppressWarnings("unchecked")
        List<byte[]> history = (List<byte[]>) results[from];
        return evaluate(q, history);
    }

    /** The signal for {@code q} given the caller's earlier entries, oldest first. */
    abstract Signal evaluate(Query q, List<byte[]> history);
}
