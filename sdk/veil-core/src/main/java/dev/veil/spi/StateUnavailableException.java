package dev.veil.spi;

import dev.veil.VeilException;

/**
 * A {@link StateStore} could not be reached or did not answer in time. The Guard applies the
 * policy's {@code on_state_unavailable}: deny, degrade, or fall back to local state.
 */
public final class StateUnavailableException extends VeilException {
    private static final long serialVersionUID = 1L;

    public StateUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public StateUnavailableException(String message) {
        super(message);
    }
}
