package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A request thread interrupted while the audit log makes it wait: at most one record, and the flag kept. */
@Timeout(60)
class AuditAppendInterruptTest {

    private static List<String> ids(byte[] log) {
        List<String> ids = new ArrayList<>();
        for (String line : AuditFixtures.lines(log)) {
            ids.add(AuditFixtures.parse(line).get("decision_id").asText());
        }
        return ids;
    }

    private static void awaitState(Thread t, Thread.State s) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.getState() != s && System.nanoTime() < end) {
            Thread.sleep(1);
        }
        assertThat(t.getState()).isEqualTo(s);
    }

    /** Async: interrupted under back-pressure: refused, nothing written for it, flag kept. */
    @Test
    void anAppendInterruptedUnderBackPressureIsRefusedUnwrittenAndKeepsTheFlag() throws Exception {
        AsyncAuditWriterTest.GatedStream stream = new AsyncAuditWriterTest.GatedStream();
        AsyncAuditWriter w = new AsyncAuditWriter(Sink.of(stream, "gated"), AuditSerializer.ZERO_HASH, 1,
                Duration.ofSeconds(30));
        w.append(AuditFixtures.denial("r0"));
        assertThat(stream.entered.await(10, TimeUnit.SECONDS)).isTrue();
        w.append(AuditFixtures.denial("r1")); // the queue is full now
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean flag = new AtomicBoolean();
        Thread t = new Thread(() -> {
            try {
                w.append(AuditFixtures.denial("r2"));
            } catch (Throwable e) {
                thrown.set(e);
            }
            flag.set(Thread.currentThread().isInterrupted());
        });
        t.start();
        awaitState(t, Thread.State.TIMED_WAITING);
        t.interrupt();
        t.join(10_000);
        stream.gate.countDown();
        w.close();
        assertThat(thrown.get()).isInstanceOf(AuditUnavailableException.class);
        assertThat(flag.get()).isTrue();
        assertThat(ids(stream.bytes())).containsExactly("r0", "r1");
    }

    /** Durable: interrupted while its batch is being written and forced: still written once, flag kept. */
    @Test
    void aDurableAppendInterruptedWhileItsBatchIsWrittenIsWrittenOnceAndKeepsTheFlag() throws Exception {
        AsyncAuditWriterTest.GatedStream stream = new AsyncAuditWriterTest.GatedStream();
        DurableAuditWriter w = new DurableAuditWriter(Sink.of(stream, "gated"), AuditSerializer.ZERO_HASH,
                Duration.ofSeconds(30));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean flag = new AtomicBoolean();
        Thread t = new Thread(() -> {
            try {
                w.append(AuditFixtures.denial("r0"));
            } catch (Throwable e) {
                thrown.set(e);
            }
            flag.set(Thread.currentThread().isInterrupted());
        });
        t.start();
        assertThat(stream.entered.await(10, TimeUnit.SECONDS)).isTrue();
        t.interrupt();
        Thread.sleep(50);
        assertThat(t.isAlive()).as("a taken record is waited for").isTrue();
        stream.gate.countDown();
        t.join(10_000);
        w.close();
        assertThat(thrown.get()).isNull();
        assertThat(flag.get()).isTrue();
        assertThat(ids(stream.bytes())).containsExactly("r0");
    }
}
