package dev.veil.internal.guard;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Logs detector failures at most once a minute per detector, with the number of failures since the
 * last line. A caller who can make a detector throw on every request (an input chosen to trip it)
 * must not fill the service's log: the audit record of every such request names the failure anyway
 * ({@code monitoring:<detector>:error}). Thread-safe.
 */
final class DetectorFailureLog {
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

    DetectorFailureLog(System.Logger log, LongSupplier nanoTime) {
        this.log = log;
        this.nanoTime = nanoTime;
    }

    /**
     * Detector {@code detector} failed for decision {@code decisionId}; {@code what} says what it
     * failed to do and what the Guard did.
     */
    void failed(String detector, String decisionId, String what, Throwable e) {
        long now = nanoTime.getAsLong();
        Window w = windows.computeIfAbsent(detector, d -> new Window(now));
        long next = w.nextLine.get();
        if (now - next >= 0 && w.nextLine.compareAndSet(next, now + EVERY_NANOS)) {
            long more = w.unlogged.getAndSet(0);
            log.log(System.Logger.Level.WARNING, "detector " + detector + " failed " + what + " for decision "
                    + decisionId + (more == 0 ? "" : " (and " + more + " time" + (more == 1 ? "" : "s")
                    + " since its last line)") + "; logged at most once a minute per detector", e);
        } else {
            w.unlogged.incrementAndGet();
        }
    }
}
