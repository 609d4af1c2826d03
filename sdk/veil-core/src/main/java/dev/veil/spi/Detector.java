package dev.veil.spi;

import dev.veil.Prediction;
import dev.veil.Signal;

/**
 * Watches the query stream. A detector keeps bounded state, is thread-safe, and must be fast: it
 * runs on every request that passed access control and validation.
 *
 * <p><b>What a detector must not write.</b> The arrays it is shown, the query's
 * {@code features().vector()} and the raw prediction's {@code scores()}, are copies the Guard makes
 * for its custom detectors, once per request and shared by all of them (observe and
 * afterPrediction see the same copy of the features): writing them changes neither the answer
 * released nor the audit record, but the other custom detectors of the request read what was
 * written. Do not write them; copy what needs changing (to sort the scores, say).
 *
 * <p>An exception or an {@link Error} (an {@code AssertionError}, a {@code StackOverflowError})
 * from {@link #observe} or {@link #afterPrediction} is a failure of the detector, handled as the
 * policy's {@code on_error} says (denied, or answered degraded), and the record says
 * {@code observe: error}; only the JVM's own {@code OutOfMemoryError} and {@code InternalError} deny
 * as {@code internal_error} whatever {@code on_error} says. An {@link InterruptedException} (the
 * thread was interrupted in a wait) denies, and the Guard sets the thread's interrupt flag again
 * before {@code predict} returns.
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

    /**
     * Learns from the raw prediction that answered {@code query} (a copy of the model's; see the
     * class Javadoc: do not write its scores). Default: nothing.
     */
    default void afterPrediction(Query query, Prediction raw) {}

    /** Approximate bytes of state held now. */
    long stateBytes();
}
