package dev.veil.spi;

import dev.veil.Prediction;
import dev.veil.Signal;

/**
 * Watches the query stream. A detector keeps bounded state, is thread-safe, and must be fast: it
 * runs on every request that passed access control and validation.
 *
 * <p>{@link #observe} runs before the model and returns the detector's signal, which enters the
 * policy input under {@code signals.<name>}; the {@code monitoring} policy turns signals into
 * actions. {@link #afterPrediction} lets detectors that need the model's answer (confidence climb,
 * boundary probing) learn from it; it must not throw.
 */
public interface Detector {
    /** The name the {@code monitoring} policy refers to. */
    String name();

    /** Updates the state with this query and reports what it sees. */
    Signal observe(Query query);

    /** Learns from the raw prediction that answered {@code query}. Default: nothing. */
    default void afterPrediction(Query query, Prediction raw) {}

    /** Approximate bytes of state held now. */
    long stateBytes();
}
