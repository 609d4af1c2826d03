package dev.veil.internal.access;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that only moves when a test moves it; nanosecond resolution; thread-safe. */
final class TestClock extends Clock {
    private final AtomicLong epochNanos;

    TestClock(Instant start) {
        this.epochNanos = new AtomicLong(start.getEpochSecond() * 1_000_000_000L + start.getNano());
    }

    static TestClock at(String instant) {
        return new TestClock(Instant.parse(instant));
    }

    void advance(Duration d) {
        epochNanos.addAndGet(d.toNanos());
    }

    void advanceNanos(long nanos) {
        epochNanos.addAndGet(nanos);
    }

    void set(Instant t) {
        epochNanos.set(t.getEpochSecond() * 1_000_000_000L + t.getNano());
    }

    long nanos() {
        return epochNanos.get();
    }

    @Override
    public Instant instant() {
        long n = epochNanos.get();
        return Instant.ofEpochSecond(Math.floorDiv(n, 1_000_000_000L), Math.floorMod(n, 1_000_000_000L));
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("tests use UTC");
    }
}
