package dev.veil.policies;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** A UTC clock the test moves by hand, so rate limits, windows, budgets and model ages are exact. */
final class MutableClock extends Clock {
    private final AtomicLong millis;

    MutableClock(Instant start) {
        this.millis = new AtomicLong(start.toEpochMilli());
    }

    /** Moves the clock forward. */
    void advance(Duration d) {
        millis.addAndGet(d.toMillis());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("MutableClock is UTC only");
    }

    @Override
    public long millis() {
        return millis.get();
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis.get());
    }
}
