package dev.veil.spi;

/**
 * Where the Guard keeps state: monitoring windows, fingerprint indexes, rate buckets, blocks and
 * privacy-budget ledgers. The default keeps it in memory; veil-redis shares it between replicas,
 * so that an attack spread over replicas and accounts is seen as one.
 *
 * <p>Implementations are thread-safe. A remote store answers one {@link #execute} call in one
 * round trip (pipelined) and throws {@link StateUnavailableException} when it cannot; what the
 * Guard then does is the policy's {@code on_state_unavailable} (deny, degrade or local).
 *
 * <p>Operations that carry the request's time ({@code nowMillis}) are answered at that time, not at
 * the store's clock; see {@link StateOp} for which time each operation uses.
 *
 * <p>An implementation handles every {@link StateOp} type, and new versions of Veil may add types
 * (see {@link StateOp}): check the permitted types when upgrading Veil.
 */
public interface StateStore extends AutoCloseable {
    /** Short name for messages and audit records, e.g. {@code memory} or {@code redis}. */
    String name();

    /**
     * Runs the operations in order and waits for their results; {@code result[i]} answers
     * {@code ops[i]} (see each {@link StateOp} for its result type). A {@link StateOp.BlockedUntil}
     * that finds its caller blocked ends the batch: the operations after it are not run and their
     * results are {@code null}. A store that cannot write for now may also answer a batch that
     * begins with a {@code BlockedUntil} and the same caller's {@link StateOp.Acquire} with that
     * caller's refusal alone, running nothing: 0 for the {@code BlockedUntil}, {@code THROTTLED}
     * for the {@code Acquire} and {@code null} for every later operation (veil-redis while Redis is
     * full, for a caller it has throttled); a caller refused so reads no other result.
     *
     * @throws StateUnavailableException when the store cannot be reached or did not answer in time
     */
    Object[] execute(StateOp... ops);

    /**
     * Runs the operations without waiting (history that only later requests read), ending at a
     * {@link StateOp.BlockedUntil} that finds its caller blocked, as {@link #execute} does. A failure
     * is reported by the next {@link #execute} or counted by the store; it never blocks the caller.
     */
    void submit(StateOp... ops);

    /** Approximate bytes of state held (for a remote store: by this Guard's namespace, if known, else -1). */
    long bytesUsed();

    @Override
    void close();
}
