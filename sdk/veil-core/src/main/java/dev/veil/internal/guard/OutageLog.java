package dev.veil.internal.guard;

import dev.veil.internal.text.ControlChars;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Logs an outage of the state store or of the audit log without a line per request: a Guard under load would otherwise
 * write a warning with a stack trace for every refused request. The first failure is logged with
 * its stack trace; while the outage lasts, at most one line per {@link #EVERY_NANOS} says how many
 * requests it has affected; the first success after it says that the store is back and how many
 * requests the outage affected in all. An outage that starts less than a minute after the last
 * logged one started (a store that flaps, or a queue that is full now and then) is counted but
 * not logged when it starts: its requests appear in the next line that is, and if it lasts a
 * minute it is logged then, with its cause, and its end too. Thread-safe; a success costs one
 * volatile read while the store is up.
 */
final class OutageLog {
    /** At most one line per minute while an outage lasts. */
    static final long EVERY_NANOS = 60_000_000_000L;

    private final String what;
    private final System.Logger log;
    private final LongSupplier nanoTime;
    private final AtomicLong affected = new AtomicLong();
    private final AtomicLong nextLine = new AtomicLong();
    private volatile boolean down;
    /** Whether the current outage was logged (guarded by this). */
    private boolean reported;
    /** When the last logged outage started (guarded by this); a minute before construction at first. */
    private long lastReported;

    /** @param what what is out, for the messages: {@code "state store"}, {@code "audit log"} */
    OutageLog(String what, System.Logger log, LongSupplier nanoTime) {
        this.what = Objects.requireNonNull(what, "what");
        this.log = Objects.requireNonNull(log, "log");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.lastReported = nanoTime.getAsLong() - EVERY_NANOS;
    }

    /**
     * A request's state batch failed.
     *
     * @param outcome what the Guard did with the request ({@code "denied"} or {@code "degraded"})
     */
    void failed(String decisionId, String outcome, Throwable e) {
        long n = affected.incrementAndGet();
        long now = nanoTime.getAsLong();
        if (!down) {
            synchronized (this) {
                if (!down) {
                    down = true;
                    nextLine.set(now + EVERY_NANOS);
                    reported = now - lastReported >= EVERY_NANOS;
                    if (reported) {
                        lastReported = now;
                        log.log(System.Logger.Level.WARNING, ControlChars.escaped(what + " unavailable (decision " + decisionId + " "
                                + outcome + "); requests are " + outcome + " while it lasts, logged here at most "
                                + "once a minute"), e);
                    }
                    return;
                }
            }
        }
        long next = nextLine.get();
        if (now - next >= 0 && nextLine.compareAndSet(next, now + EVERY_NANOS)) {
            boolean first; // an outage not logged when it started (it followed a logged one within a minute)
            synchronized (this) {
                first = down && !reported;
                if (first) {
                    reported = true;
                    lastReported = now;
                }
            }
            if (first) {
                log.log(System.Logger.Level.WARNING, ControlChars.escaped(what + " unavailable for a minute: " + n + " requests " + outcome
                        + " so far (latest: decision " + decisionId + "); logged here at most once a minute"), e);
            } else {
                log.log(System.Logger.Level.WARNING, ControlChars.escaped(what + " still unavailable: " + n + " requests " + outcome
                        + " so far (latest: decision " + decisionId + ": " + e.getMessage() + ")"));
            }
        }
    }

    /** A request's state batch succeeded. */
    void succeeded() {
        if (down) {
            synchronized (this) {
                if (down) {
                    down = false;
                    if (reported) {
                        long n = affected.getAndSet(0);
                        log.log(System.Logger.Level.WARNING, ControlChars.escaped(what + " available again; the outage affected " + n
                                + " request" + (n == 1 ? "" : "s")));
                    }
                }
            }
        }
    }
}
