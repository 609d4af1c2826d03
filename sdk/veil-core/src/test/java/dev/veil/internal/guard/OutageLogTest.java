package dev.veil.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.spi.StateUnavailableException;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OutageLogTest {
    /** A System.Logger that keeps what it is given. */
    static final class Recorder implements System.Logger {
        final List<String> lines = new ArrayList<>();
        final List<Throwable> thrown = new ArrayList<>();

        @Override
        public String getName() {
            return "recorder";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable t) {
            lines.add(level + " " + msg);
            thrown.add(t);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            lines.add(level + " " + format);
            thrown.add(null);
        }
    }

    @Test
    void anOutageIsLoggedOnceWithItsCauseThenAtMostOnceAMinuteThenWhenItEnds() {
        Recorder log = new Recorder();
        AtomicLong now = new AtomicLong(0);
        OutageLog o = new OutageLog("state store", log, now::get);
        StateUnavailableException e = new StateUnavailableException("Redis at h:1 is unavailable");
        o.succeeded();
        assertThat(log.lines).isEmpty();
        for (int i = 0; i < 1000; i++) {
            now.addAndGet(50_000_000L); // a request every 50 ms: 50 s in all
            o.failed("d" + i, "denied", e);
        }
        assertThat(log.lines).containsExactly("WARNING state store unavailable (decision d0 denied); requests are "
                + "denied while it lasts, logged here at most once a minute");
        assertThat(log.thrown.get(0)).isSameAs(e);
        for (int i = 1000; i < 1400; i++) { // 20 s more: past the minute once
            now.addAndGet(50_000_000L);
            o.failed("d" + i, "denied", e);
        }
        assertThat(log.lines).hasSize(2);
        assertThat(log.lines.get(1)).isEqualTo("WARNING state store still unavailable: 1201 requests denied so far "
                + "(latest: decision d1200: Redis at h:1 is unavailable)");
        o.succeeded();
        o.succeeded();
        assertThat(log.lines).hasSize(3);
        assertThat(log.lines.get(2)).isEqualTo("WARNING state store available again; the outage affected 1400 "
                + "requests");
        o.failed("d2000", "degraded", e); // a new outage starts over, with its cause
        assertThat(log.lines).hasSize(4);
        assertThat(log.lines.get(3)).startsWith("WARNING state store unavailable (decision d2000 degraded)");
        assertThat(log.thrown.get(3)).isSameAs(e);
    }

    @Test
    void aFlappingOutageIsLoggedAtMostOnceAMinute() {
        // an audit queue that is full for one request now and then, as under a burst
        Recorder log = new Recorder();
        AtomicLong now = new AtomicLong(0);
        OutageLog o = new OutageLog("audit log", log, now::get);
        IllegalStateException e = new IllegalStateException("queue full");
        for (int i = 0; i < 100; i++) {
            now.addAndGet(30_000_000L); // 30 ms apart: 3 s in all
            o.failed("d" + i, "refused (audit_unavailable)", e);
            o.succeeded();
        }
        assertThat(log.lines).hasSize(2);
        assertThat(log.lines.get(0)).startsWith("WARNING audit log unavailable (decision d0 refused");
        assertThat(log.lines.get(1)).isEqualTo("WARNING audit log available again; the outage affected 1 request");

        now.addAndGet(60_000_000_000L); // a minute later the next one is logged, with the ones not logged
        o.failed("d100", "refused (audit_unavailable)", e);
        o.succeeded();
        assertThat(log.lines).hasSize(4);
        assertThat(log.lines.get(2)).startsWith("WARNING audit log unavailable (decision d100 refused");
        assertThat(log.lines.get(3)).isEqualTo("WARNING audit log available again; the outage affected 100 requests");
    }

    @Test
    void anOutageThatStartsRightAfterALoggedFlapIsLoggedWithItsCauseOnceItLastsAMinuteAndWhenItEnds() {
        Recorder log = new Recorder();
        AtomicLong now = new AtomicLong(0);
        OutageLog o = new OutageLog("state store", log, now::get);
        o.failed("d0", "denied", new IllegalStateException("blip"));
        o.succeeded();
        IllegalStateException noauth = new IllegalStateException("NOAUTH");
        for (int i = 1; i <= 600; i++) { // from 10 s on, a real outage: a failure a second for ten minutes
            now.set((9L + i) * 1_000_000_000L);
            o.failed("d" + i, "denied", noauth);
        }
        o.succeeded();
        assertThat(log.lines.get(0)).startsWith("WARNING state store unavailable (decision d0 denied)");
        assertThat(log.lines.get(1)).isEqualTo("WARNING state store available again; the outage affected 1 request");
        assertThat(log.lines.get(2)).startsWith("WARNING state store unavailable for a minute: ");
        assertThat(log.thrown.get(2)).isSameAs(noauth);
        assertThat(log.lines.get(log.lines.size() - 1)).isEqualTo("WARNING state store available again; the outage "
                + "affected 600 requests");
        assertThat(log.lines).hasSizeLessThanOrEqualTo(14);
    }
}
