package dev.veil;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real {@link Clock} that only moves when a test moves it (nanosecond resolution, UTC,
 * thread-safe): rate limits, quotas, cool-downs, model ages and privacy periods all read it.
 */
public final class ManualClock extends Clock {
    private final AtomicLong epochNanos;

    /** A clock standing at {@code start}. */
    public ManualClock(Instant start) {
        this.epochNanos = new AtomicLong(toNanos(start));
    }

    /** Moves the clock forward by {@code d} (must not be negative). */
    public void advance(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("a ManualClock only moves forward, was " + d);
        }
        epochNanos.addAndGet(d.toNanos());
    }

    /** Sets the clock to {@code t}. */
    public void set(Instant t) {
        epochNanos.set(toNanos(t));
    }

    private static long toNanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    @Override
    public Instant instant() {
        long n = epochNanos.get();
        return Instant.ofEpochSecond(Math.floorDiv(n, 1_000_000_000L), Math.floorMod(n, 1_000_000_000L));
    }

    @Override
    public long millis() {
        return Math.floorDiv(epochNanos.get(), 1_000_000L);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        if (!ZoneOffset.UTC.equals(zone)) {
            throw new UnsupportedOperationException("a ManualClock runs in UTC only, was asked for " + zone);
        }
        return this;
    }
}
