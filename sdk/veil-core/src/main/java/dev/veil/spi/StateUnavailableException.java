package dev.veil.spi;

import dev.veil.VeilException;

/**
 * A {@link StateStore} could not be reached or did not answer in time, or answered with a refusal.
 * The Guard applies the policy's {@code on_state_unavailable}: deny, degrade, or fall back to local
 * state.
 */
public final class StateUnavailableException extends VeilException {
    private static final long serialVersionUID = 1L;

    /** Whether the store answered (with a refusal), rather than not at all. */
    private final boolean answered;

    public StateUnavailableException(String message, Throwable cause) {
        this(message, cause, false);
    }

    public StateUnavailableException(String message) {
        this(message, null, false);
    }

    /**
     * @param answered whether the store answered with a refusal (it is reachable, but refused this
     *     batch: a full Redis refusing writes, an ACL refusal), rather than not answering at all (down,
     *     a timeout). A reachable store may still answer a batch that writes nothing, so the Guard
     *     asks it again where it would otherwise not wait for a store a second time.
     */
    public StateUnavailableException(String message, Throwable cause, boolean answered) {
        super(message, cause);
        this.answered = answered;
    }

    /** Whether the store answered with a refusal rather than not at all (see the constructor). */
    public boolean answered() {
        return answered;
    }
}
