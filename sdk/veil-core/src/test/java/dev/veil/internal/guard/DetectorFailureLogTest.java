package dev.veil.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** A detector that fails on every request logs a line a minute, with the count of the others. */
class DetectorFailureLogTest {

    /** A logger that keeps its messages. */
    static final class Kept implements System.Logger {
        final List<String> lines = new ArrayList<>();

        @Override
        public String getName() {
            return "kept";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            lines.add(msg);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            lines.add(format);
        }

        @Override
        public void log(Level level, Supplier<String> msgSupplier) {
            lines.add(msgSupplier.get());
        }
    }

    @Test
    void aDetectorFailingOnEveryRequestLogsOnceAMinutePerDetector() {
        Kept log = new Kept();
        AtomicLong now = new AtomicLong(0);
        DetectorFailureLog d = new DetectorFailureLog(log, now::get);
        RuntimeException e = new IllegalStateException("tripped");

        for (int i = 0; i < 1000; i++) {
            d.failed("tripwire", "id-" + i, "to remember the query", e);
        }
        d.failed("other", "id-x", "to give its signal", e);
        now.addAndGet(TimeUnit.SECONDS.toNanos(61));
        d.failed("tripwire", "id-1000", "to remember the query", e);

        assertThat(log.lines).containsExactly(
                "detector tripwire failed to remember the query for decision id-0; logged at most once a minute per "
                        + "detector",
                "detector other failed to give its signal for decision id-x; logged at most once a minute per detector",
                "detector tripwire failed to remember the query for decision id-1000 (and 999 times since its last "
                        + "line); logged at most once a minute per detector");
    }
}
