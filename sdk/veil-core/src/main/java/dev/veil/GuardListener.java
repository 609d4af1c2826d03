package dev.veil;

/**
 * Receives the Guard's events. Called on the request thread after the decision is made and the
 * request's audit record appended (when it has one): keep it fast and do not throw (an exception from a listener, or
 * an {@link Error} such as an {@code AssertionError} or a {@code StackOverflowError}, is reported to
 * {@code System.Logger}, logger {@code dev.veil.Guard}, as its class and stack trace without its
 * message, at most once a minute per callback, and otherwise ignored; it never changes a decision).
 *
 * <p>The JVM's own failures are not ignored: an {@code OutOfMemoryError} (or an
 * {@code InternalError}) from a callback goes on, out of {@code predict} after the request's record
 * was written (the caller loses an answer that record may say was released), and out of
 * {@code reload} or {@code swapModel} after the change took effect.
 *
 * <p>{@link Guard#close()} does not wait for the callbacks of requests whose records are appended:
 * a request blocked in a callback while the Guard closes still gets the answer its record says.
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
