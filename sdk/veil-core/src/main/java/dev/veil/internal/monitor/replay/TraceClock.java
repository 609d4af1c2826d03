package dev.veil.internal.monitor.replay;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The time of the trace line being replayed: the clock the replay's state store and rate limits
 * run on, set to each line's {@code ts_ms} before the line is replayed. Not thread-safe beyond a
 * volatile read: one replay sets it, on one thread.
 */
public final class TraceClock extends Clock {
    private volatile long millis;

    public TraceClock(long startMillis) {
        this.millis = startMillis;
    }

    /** Sets the time to a trace line's {@code ts_ms}. */
    public void set(long timeMillis) {
        this.millis = timeMillis;
    }

    @Override
    public long millis() {
        return millis;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        if (ZoneOffset.UTC.equals(zone)) {
            return this;
        }
        throw new UnsupportedOperationException("the trace clock runs in UTC only");
    }
}
