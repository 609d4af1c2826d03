package dev.veil.internal.guard;

import dev.veil.VeilException;

/**
 * What the service's log may say of a failure on the request path. The message of an exception
 * thrown by code that saw the request (a custom detector, an output transform, a listener, a Rego
 * builtin, whose error quotes its operand) may quote the input or the raw prediction, which the policy
 * may mask in the audit log, so such an exception is logged as its class and stack trace, without its
 * message. The messages Veil writes for the log are kept: a {@link VeilException} itself (what a
 * policy engine throws when a question cannot be answered, see {@link dev.veil.spi.CompiledPolicy}),
 * a state store outage, an audit failure, a custom detector that broke the SPI's contract (a signal
 * under another name): they name what failed in the policy, the infrastructure or the detector, not
 * the data. Causes are rewritten the same way, whatever kept their effect.
 */
final class Failures {
    /** How many causes deep a failure is rewritten; deeper ones are left out. */
    private static final int MAX_DEPTH = 8;

    private Failures() {}

    /** {@code e} as the log may show it (itself when its message is Veil's own and it has no cause). */
    static Throwable loggable(Throwable e) {
        return e == null ? null : loggable(e, 0);
    }

    private static Throwable loggable(Throwable e, int depth) {
        Throwable cause = e.getCause();
        boolean hasCause = cause != null && cause != e;
        boolean keep = keepsMessage(e);
        if (keep && !hasCause) {
            return e;
        }
        Logged l = new Logged(e.getClass().getName(), keep ? e.getMessage() : null,
                hasCause && depth < MAX_DEPTH ? loggable(cause, depth + 1) : null);
        l.setStackTrace(e.getStackTrace());
        return l;
    }

    /** Whether {@code e}'s message is one Veil wrote for the log. */
    private static boolean keepsMessage(Throwable e) {
        return e.getClass() == VeilException.class || e instanceof dev.veil.spi.StateUnavailableException
                || e instanceof dev.veil.AuditException || e instanceof DefaultGuard.UnreleasableException
                || e instanceof DefaultGuard.DetectorContractException;
    }

    /**
     * A failure as logged: its class's name, its message when kept (else a note that it was left
     * out), its stack trace and its cause, both as the original's.
     */
    static final class Logged extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String className;
        private final boolean kept;

        Logged(String className, String message, Throwable cause) {
            super(message != null ? message
                    : className + " (its message is left out of the log: it may quote the input or the raw prediction)",
                    cause, false, true);
            this.className = className;
            this.kept = message != null;
        }

        /** As the original's: {@code class: message}; a left-out message already names the class. */
        @Override
        public String toString() {
            return kept ? className + ": " + getMessage() : getMessage();
        }
    }
}
