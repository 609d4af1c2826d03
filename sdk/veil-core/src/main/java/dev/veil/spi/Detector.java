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
 *
 * <p>A caller is its id within its tenant: state kept per caller should be keyed by both
 * ({@code query.caller().tenant()} and {@code id()}), as the built-in detectors, rate limits and
 * budgets do, so that two tenants' callers of one id are not one caller. Use a key that keeps the
 * two apart, such as {@code List.of(tenant, id)}: a plain {@code tenant + ":" + id} makes tenant
 * {@code a:b} with id {@code c} the same as tenant {@code a} with id {@code b:c}.
 */
public interface Detector {
    /**
     * The name the {@code monitoring} policy refers to: non-empty, well-formed UTF-16 text, and not
     * the name of a built-in detector ({@code Guard.Builder.detector} refuses others).
     */
    String name();

    /**
     * Updates the state with this query and reports what it sees: a signal named {@link #name()}. A
     * signal of another name, like an exception, is a failure of the monitoring stage, which the
     * policy's {@code on_error} turns into a denial (the default) or a degraded answer.
     */
    Signal observe(Query query);

    /** Learns from the raw prediction that answered {@code query}. Default: nothing. */
    default void afterPrediction(Query query, Prediction raw) {}

    /** Approximate bytes of state held now. */
    long stateBytes();
}
