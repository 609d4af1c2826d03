package dev.veil.internal.monitor.replay;

/**
 * A replay that {@linkplain MonitorReplay#failAtCallerBound fails at the caller bound} reached the
 * in-memory store's bound on callers with protecting state: from this line on, a Guard with that
 * bound would refuse new callers (or, for cool-downs, block everybody), so the replay's figures
 * would no longer be those of the detectors. The message names the line and the caller.
 */
public final class CallerBoundException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** Which table was full. */
    public enum Kind {
        /** Callers with rate-limit or quota state: a new caller's permit was refused. */
        RATE_LIMITER,
        /** Callers with active blocks or throttles: a caller was reported blocked by no block of its own. */
        COOL_DOWNS
    }

    private final Kind kind;
    private final long line;
    private final String caller;

    CallerBoundException(Kind kind, long line, String caller) {
        super("line " + line + " (caller " + caller + "): " + (kind == Kind.RATE_LIMITER
                ? "the in-memory rate limiter is at its bound on callers with rate-limit or quota state"
                : "the in-memory store is at its bound on callers with blocks or throttles, so it blocks everybody"));
        this.kind = kind;
        this.line = line;
        this.caller = caller;
    }

    /** Which table was full. */
    public Kind kind() {
        return kind;
    }

    /** The 1-based trace line. */
    public long line() {
        return line;
    }

    /** The line's caller. */
    public String caller() {
        return caller;
    }
}
