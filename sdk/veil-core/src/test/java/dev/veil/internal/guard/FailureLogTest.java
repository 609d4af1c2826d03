package dev.veil.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A detector that fails on every request logs a line a minute, with the count of the others. */
class FailureLogTest {

    @Test
    void aDetectorFailingOnEveryRequestLogsOnceAMinutePerDetector() {
        OutageLogTest.Recorder log = new OutageLogTest.Recorder();
        AtomicLong now = new AtomicLong(0);
        FailureLog d = new FailureLog(log, now::get);
        RuntimeException e = new IllegalStateException("tripped");

        for (int i = 0; i < 1000; i++) {
            d.failed("tripwire", "id-" + i, "to remember the query", e);
        }
        d.failed("other", "id-x", "to give its signal", e);
        now.addAndGet(TimeUnit.SECONDS.toNanos(61));
        d.failed("tripwire", "id-1000", "to remember the query", e);

        assertThat(log.lines).containsExactly(
                "WARNING detector tripwire failed to remember the query for decision id-0; logged at most once a minute per "
                        + "detector",
                "WARNING detector other failed to give its signal for decision id-x; logged at most once a minute per detector",
                "WARNING detector tripwire failed to remember the query for decision id-1000 (and 999 times since its last "
                        + "line); logged at most once a minute per detector");
    }
}
