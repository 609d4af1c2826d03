package dev.veil.internal.guard;

import dev.veil.VeilException;

/**
 * What the service's log may say of a failure on the request path. The message of an exception
 * thrown by code that saw the request (a custom detector, an output transform, a listener) may quote
 * the input or the raw prediction, which the policy may mask in the audit log, so such an exception
 * is logged as its class and stack trace, without its message and its causes' messages. Veil's own
 * exceptions ({@link VeilException}: the policy engines' evaluation errors, the state store's
 * outages) keep theirs: they name what failed in the policy or the infrastructure, not the data.
 */
final class Failures {
    /** How many causes deep a failure is rewritten; deeper ones are left out. */
    private static final int MAX_DEPTH = 8;

    private Failures() {}

    /** {@code e} as the log may show it (itself when its message is Veil's own). */
    static Throwable loggable(Throwable e) {
        return e == null ? null : loggable(e, 0);
    }

    private static Throwable loggable(Throwable e, int depth) {
        if (e instanceof VeilException || e instanceof DefaultGuard.UnreleasableException) {
            return e;
        }
        Throwable cause = e.getCause();
        Withheld w = new Withheld(e.getClass().getName(),
                cause != null && cause != e && depth < MAX_DEPTH ? loggable(cause, depth + 1) : null);
        w.setStackTrace(e.getStackTrace());
        return w;
    }

    /** A failure whose message is left out; its stack trace is the original's. */
    static final class Withheld extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Withheld(String className, Throwable cause) {
            super(className + " (its message is left out of the log: it may quote the input or the raw prediction)",
                    cause, false, true);
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }
}
