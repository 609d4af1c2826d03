package dev.veil.internal.access;

import dev.veil.Caller;
import java.util.Objects;

/**
 * The outcome of authenticating one set of credentials: a {@link Success} with the {@link Caller},
 * or a {@link Failure} with a message that says what was wrong. A failure message never contains a
 * secret (no key secret, no token, no signature); it may contain the key id, which is public.
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface AuthResult permits AuthResult.Success, AuthResult.Failure {

    /** Whether the credentials were accepted. */
    boolean succeeded();

    /** A success carrying the authenticated (or, where allowed, anonymous) caller. */
    static AuthResult success(Caller caller) {
        return new Success(caller);
    }

    /** A failure with a specific, secret-free message. */
    static AuthResult failure(String message) {
        return new Failure(message);
    }

    /**
     * Credentials accepted.
     *
     * @param caller who is asking; never {@code null}
     */
    record Success(Caller caller) implements AuthResult {
        /** Checks that {@code caller} is not {@code null}. */
        public Success {
            Objects.requireNonNull(caller, "caller");
        }

        @Override
        public boolean succeeded() {
            return true;
        }
    }

    /**
     * Credentials refused.
     *
     * @param message what was wrong, e.g. {@code "API key k1a2b3c4 expired at 2027-01-01T00:00:00Z"}
     */
    record Failure(String message) implements AuthResult {
        /** Checks that {@code message} is not {@code null}. */
        public Failure {
            Objects.requireNonNull(message, "message");
        }

        @Override
        public boolean succeeded() {
            return false;
        }
    }
}
