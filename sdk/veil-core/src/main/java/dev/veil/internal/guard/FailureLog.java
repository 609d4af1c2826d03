package dev.veil.internal.guard;

import dev.veil.internal.text.ControlChars;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Logs detector failures, and the other failures a request can cause on every request (a stage that
 * cannot be evaluated), at most once a minute per detector or stage, with the number of failures
 * since the last line, and without the messages that may quote the request ({@link Failures}). A
 * caller who can make a detector throw on every request (an input chosen to trip it) must not fill
 * the service's log: the audit record of every such request names the failure anyway
 * ({@code monitoring:<detector>:error}, the stage's outcome). Thread-safe.
 */
final class FailureLog {
    private static final long EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final System.Logger log;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    /** One detector's failures since its last logged line. */
    private static final class Window {
        final AtomicLong nextLine;
        final AtomicLong unlogged = new AtomicLong();

        Window(long now) {
            nextLine = new AtomicLong(now);
        }
    }

    FailureLog(System.Logger log, LongSupplier nanoTime) {
        this.log = log;
        this.nanoTime = nanoTime;
    }

    /**
     * Detector {@code detector} failed for decision {@code decisionId}; {@code what} says what it
     * failed to do and what the Guard did.
     */
    void failed(String detector, String decisionId, String what, Throwable e) {
        log("detector " + detector, System.Logger.Level.WARNING, "detector " + detector + " failed " + what
                + " for decision " + decisionId, "detector", e);
    }

    /**
     * Logs {@code line} and {@code e} (as {@link Failures#loggable}) unless a line of {@code key} was
     * logged less than a minute ago; then counts it for the next line. {@code per} names what a key
     * is, for the line ({@code logged at most once a minute per stage}).
     */
    void log(String key, System.Logger.Level level, String line, String per, Throwable e) {
        long now = nanoTime.getAsLong();
        Window w = windows.computeIfAbsent(key, d -> new Window(now));
        long next = w.nextLine.get();
        if (now - next >= 0 && w.nextLine.compareAndSet(next, now + EVERY_NANOS)) {
            long more = w.unlogged.getAndSet(0);
            log.log(level, ControlChars.escaped(line + (more == 0 ? "" : " (and " + more + " time" + (more == 1 ? "" : "s")
                    + " since its last line)") + "; logged at most once a minute per " + per), Failures.loggable(e));
        } else {
            w.unlogged.incrementAndGet();
        }
    }
}
