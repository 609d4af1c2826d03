package dev.veil;

/**
 * Receives the Guard's events. Called on the request thread after the decision is made: keep it
 * fast and do not throw (an exception from a listener is reported to {@code System.Logger} and
 * otherwise ignored; it never changes a decision).
 */
public interface GuardListener {
    /** A monitoring rule fired or the model is stale with an {@code alert} policy. */
    default void onAlert(Alert alert) {}

    /** A request was refused. */
    default void onDenied(Response.Denied denied, String callerId) {}

    /** A policy bundle was installed by {@link Guard#reload(PolicyBundle)}. */
    default void onPolicyReloaded(PolicyBundle previous, PolicyBundle current) {}

    /** The model was replaced by {@link Guard#swapModel(Model)}. */
    default void onModelSwapped(ModelInfo previous, ModelInfo current) {}
}
