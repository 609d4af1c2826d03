package dev.veil;

/**
 * Receives the Guard's events. Called on the request thread after the decision is made: keep it
 * fast and do not throw (an exception from a listener is reported to {@code System.Logger}, logger
 * {@code dev.veil.Guard}, as its class and stack trace without its message, at most once a minute
 * per callback, and otherwise ignored; it never changes a decision).
 */
public interface GuardListener {
    /** A monitoring rule fired or the model is stale with an {@code alert} policy. */
    default void onAlert(Alert alert) {}

    /**
     * A request was refused: who asked ({@code ""} when authentication failed or the Guard was
     * closed) and the caller's tenant ({@code ""} when none; caller ids are unique within a tenant).
     * The Guard calls this one; by default it calls {@link #onDenied(Response.Denied, String)}. A
     * listener that forwards events to others must override and forward this form: forwarding only
     * the two-argument one would never reach a listener that overrides this one.
     */
    default void onDenied(Response.Denied denied, String callerId, String tenant) {
        onDenied(denied, callerId);
    }

    /**
     * A request was refused (without the tenant: override the three-argument form where callers of
     * different tenants may share an id).
     */
    default void onDenied(Response.Denied denied, String callerId) {}

    /**
     * A policy bundle was installed by {@link Guard#reload(PolicyBundle)}. See
     * {@link #onModelSwapped} for the order and thread of these two callbacks.
     */
    default void onPolicyReloaded(PolicyBundle previous, PolicyBundle current) {}

    /**
     * The model was replaced by {@link Guard#swapModel(Model)}.
     *
     * <p>This and {@link #onPolicyReloaded} are called one at a time, in the order the changes
     * took effect, with no lock of the Guard held: each event's {@code previous} is the
     * {@code current} of the one before, and once all are delivered the last {@code current} is
     * what {@link Guard#model()} or {@link Guard#policy()} returns. Usually on the thread that made the
     * change, before its {@code swapModel} or {@code reload} returns; when another thread is
     * delivering an earlier change's event at that moment, that thread delivers this one after it,
     * and the call may return first. A callback may call the Guard, {@code reload} and
     * {@code swapModel} included (that change is reported after the callback returns), and may wait
     * for another thread that does.
     */
    default void onModelSwapped(ModelInfo previous, ModelInfo current) {}
}
