package dev.veil.internal.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The early end of an overflow records the pending blocks before it clears the overflow: a request
 * checked lock-free meanwhile still finds a pending-blocked caller blocked (it was answered while the
 * overflow was cleared first, a review found).
 */
class CallerLimiterOverflowRaceTest {
    static final Instant NOON = Instant.parse("2026-01-01T12:00:00Z");

    static final class GateClock extends Clock {
        volatile Instant now = NOON;
        volatile Thread gated;
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId z) {
            return this;
        }

        /** The gated thread stops here until released: inside block(), as it records a pending block. */
        @Override
        public Instant instant() {
            if (Thread.currentThread() == gated) {
                inside.countDown();
                try {
                    release.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            return now;
        }
    }

    @Test
    void aPendingBlockIsNeverAnsweredUnblocked() throws Exception {
        GateClock clock = new GateClock();
        CallerLimiter l = new CallerLimiter(clock, 1000, Duration.ofMinutes(1), 1);
        l.block("a1", NOON.plusSeconds(900));
        l.block("attacker", NOON.plus(Duration.ofDays(1))); // finds the table full: pending
        assertThat(l.blockedUntil("attacker", NOON.plusSeconds(10).toEpochMilli())).isPresent();
        clock.now = NOON.plusSeconds(901);
        long at = clock.now.toEpochMilli();
        Thread e = new Thread(() -> l.blockedUntil("someone", at), "ender");
        clock.gated = e; // stops the ender inside block(), as it records the pending block
        e.start();
        assertThat(clock.inside.await(5, TimeUnit.SECONDS)).isTrue();
        Optional<Instant> seen = l.blockedUntil("attacker", at); // another request thread, lock-free
        clock.release.countDown();
        e.join();
        assertThat(l.blockedUntil("attacker", at)).as("after the ender finished").isPresent();
        assertThat(seen).as("while the ender records the pending blocks").isPresent();
    }
}
