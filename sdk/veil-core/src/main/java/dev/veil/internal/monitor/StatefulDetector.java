package dev.veil.internal.monitor;

import dev.veil.Prediction;
import dev.veil.Signal;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.util.List;

/**
 * A built-in detector whose state lives in a {@link dev.veil.spi.StateStore}, in two phases so
 * that the Guard can send every detector's operations for one request together (one round trip to
 * a remote store):
 *
 * <ol>
 *   <li>{@link #plan} adds the operations the detector needs for this query to the batch;
 *   <li>{@link #evaluate} reads their results and returns the signal;
 *   <li>{@link #record} (after the model answered) adds the operations that store what later
 *       queries need to know about this one's answer; they are submitted without waiting.
 * </ol>
 *
 * <p>Implementations are immutable and thread-safe (all state is in the store); any per-query work
 * is done in {@link #plan} and {@link #evaluate}. They must not throw for any finite input.
 */
public interface StatefulDetector {
    /** The name the {@code monitoring} policy refers to. */
    String name();

    /**
     * Whether the detector is keyed by a {@code seed} left at (or written out as) its published
     * default, so that anyone can compute what it computes. Detectors without a seed: false.
     */
    default boolean onPublishedSeed() {
        return false;
    }

    /**
     * Adds this detector's operations for {@code q} to {@code ops}.
     *
     * @return an opaque per-query context handed back to {@link #evaluate} (e.g. the sketch), or null
     */
    Object plan(Query q, List<StateOp> ops);

    /**
     * Computes the signal from the results of the operations {@link #plan} added, which are
     * {@code results[from]} to {@code results[from + n - 1]} in the order they were added.
     */
    Signal evaluate(Query q, Object context, Object[] results, int from);

    /** Adds the operations that store this query's answer for later queries. Default: none. */
    default void record(Query q, Object context, Prediction raw, List<StateOp> ops) {}

    /**
     * Whether {@link #record} reads the query's feature values, which by then the model has had (and
     * may have changed in place). A Guard skips its copy of features it does not own only when
     * nothing reads them after the model: no detector for which this is true, no custom detector, and
     * an audit log that masks the input. Default: true; a detector whose {@code record} reads only
     * the caller, the context and the answer says false.
     */
    default boolean readsFeaturesInRecord() {
        return true;
    }

    /** Approximate bytes of state this detector keeps per remembered query. */
    long bytesPerQuery();

    /**
     * Whether a larger score is more suspicious (rates, shares, shared hashes, trend statistics) or
     * a smaller one (distances to recent queries, a normality statistic). {@code veil calibrate}
     * uses it to pick thresholds from benign traffic.
     */
    default boolean higherIsWorse() {
        return true;
    }

    /**
     * What the score is when it is one series over many callers' queries, the same for all the
     * callers counted together (a tenant's count of queries, a tenant's share of smooth ones), or
     * {@code null} when it describes the caller's own stream. {@code veil calibrate} skips such a
     * detector: a share of the benign callers says nothing of how often it alarms.
     */
    default String sharedScore() {
        return null;
    }

    /**
     * Why this detector cannot observe inputs of {@code features} features, or {@code null} when it
     * can (every input, by default). A policy whose validation fixes a shape the detector cannot take
     * is refused when it loads.
     */
    default String featuresProblem(long features) {
        return null;
    }

    /**
     * Why this detector's configuration names a feature that no input has, when a validation rule
     * accepts only the named features {@code features} ({@code allow_unknown_features: false}): a
     * misspelt name would otherwise watch or widen nothing, silently. {@code null} when it names none
     * such (every detector that names no features, by default).
     */
    default String featureNamesProblem(java.util.Set<String> features) {
        return null;
    }
}
