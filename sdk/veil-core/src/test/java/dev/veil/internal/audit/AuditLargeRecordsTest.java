package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.GuardFixtures;
import dev.veil.PolicyBundle;
import dev.veil.QuietGuardLog;
import dev.veil.ReasonCode;
import dev.veil.Request;
import dev.veil.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Large records (a policy that keeps the input, {@code input: keep}, and inputs of many features)
 * from callers that outpace the writer: the writers bound what they hold in bytes, so the log never
 * stops for a batch too large for its buffer, every released answer has its record, and a record
 * that cannot be serialised is that record's problem, not the log's.
 *
 * <p>At the default bounds (batches of 16 MiB, a buffer of up to 2 GiB) this takes records of 20 MB
 * and gigabytes of heap: the writers get smaller bounds here ({@link AuditWriters#limits}), with
 * records of about 260 KB and a batch buffer that holds at most {@value #BUFFER_LIMIT} bytes, as the
 * old writer's buffer held at most 1 GiB: a writer that batched by record count alone filled it
 * (the reviewer's ReviewAuditBigBatchTest, in seconds).
 */
@ExtendWith(QuietGuardLog.class)
@Timeout(120)
class AuditLargeRecordsTest {
    private static final int BUFFER_LIMIT = 2 << 20;
    /** Batches of 256 KiB, a queue of 1 MiB, a buffer of 2 MiB, a force every second. */
    private static final AuditLimits SMALL = new AuditLimits(256 << 10, 1 << 20, BUFFER_LIMIT, 1_000_000_000L);
    /** Features of a large request: about 13 bytes each in the log ("12.123456789,"), so 260 KB. */
    private static final int LARGE = 20_000;

    @TempDir
    Path tmp;

    @AfterEach
    void restoreLimits() {
        AuditWriters.limits = AuditLimits.DEFAULT;
    }

    private PolicyBundle keepingInputs() {
        return GuardFixtures.bundle(tmp.resolve("bundle"))
                .set("validation", "default: {shape: [], range: {min: 0, max: 100}}")
                .set("logging", "default: {input: keep}").load();
    }

    private static Guard<double[]> guard(PolicyBundle bundle, AuditLog log) {
        return Guard.builder(new GuardFixtures.CountingModel(GuardFixtures.SCORES_A).as(GuardFixtures.INFO_A))
                .policy(bundle).audit(log).build();
    }

    private static Request<double[]> ask(int features) {
        double[] x = new double[features];
        for (int i = 0; i < features; i++) {
            x[i] = (i % 100) + 0.123456789;
        }
        return Request.of(Credentials.apiKey(GuardFixtures.ALICE.plaintext()), x);
    }

    /** Runs {@code perThread} requests on each of {@code threads} threads; returns the decision ids answered. */
    private static List<String> load(Guard<double[]> g, int threads, int perThread, int features,
            ConcurrentLinkedQueue<String> refusals) throws InterruptedException {
        ConcurrentLinkedQueue<String> released = new ConcurrentLinkedQueue<>();
        Request<double[]> ask = ask(features);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    Response r = g.predict(ask);
                    if (r.allowed()) {
                        released.add(r.decisionId());
                    } else {
                        refusals.add(((Response.Denied) r).reasons().toString());
                    }
                }
            });
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) {
            th.join();
        }
        return List.copyOf(released);
    }

    private static void assertEveryAnswerRecorded(Path log, List<String> released) {
        AuditVerification v = AuditLog.verify(log);
        assertThat(v.ok()).as(v.message()).isTrue();
        List<Object> ids = GuardFixtures.auditRecords(log).stream().map(r -> r.get("decision_id")).toList();
        assertThat(ids).as("one record per released answer").containsExactlyInAnyOrderElementsOf(released);
    }

    @Test
    void asyncLogKeepsEveryReleasedAnswerWhenLargeKeptInputsOutpaceTheWriter() throws Exception {
        AuditWriters.limits = SMALL;
        Path log = tmp.resolve("audit.jsonl");
        ConcurrentLinkedQueue<String> refusals = new ConcurrentLinkedQueue<>();
        List<String> released;
        try (Guard<double[]> g = guard(keepingInputs(), AuditLog.jsonLines(log).async(256, Duration.ofSeconds(30)))) {
            released = load(g, 4, 40, LARGE, refusals);
        }
        assertThat(refusals).as("the Guard stopped answering").isEmpty();
        assertThat(released).hasSize(160);
        assertEveryAnswerRecorded(log, released);
    }

    @Test
    void durableLogKeepsAnsweringWhenLargeKeptInputsWaitBehindEachOther() throws Exception {
        AuditWriters.limits = SMALL;
        Path log = tmp.resolve("audit.jsonl");
        ConcurrentLinkedQueue<String> refusals = new ConcurrentLinkedQueue<>();
        List<String> released;
        try (Guard<double[]> g = guard(keepingInputs(), AuditLog.jsonLines(log).durable(Duration.ofSeconds(30)))) {
            released = load(g, 8, 10, 2 * LARGE, refusals); // 520 KB each: 4 of them fill the buffer
        }
        assertThat(refusals).as("the Guard stopped answering").isEmpty();
        assertThat(released).hasSize(80);
        assertEveryAnswerRecorded(log, released);
    }

    /** One request of 1.3 MB, more than this test's buffer holds, between small ones. */
    private static List<String> smallBigSmall(Guard<double[]> g, List<Response> big) {
        List<String> released = new ArrayList<>();
        for (int features : new int[] {3, 5 * LARGE, 3}) {
            Response r = g.predict(ask(features));
            if (features > 3) {
                big.add(r);
            }
            if (r.allowed()) {
                released.add(r.decisionId());
            }
        }
        return released;
    }

    @Test
    void asyncRecordThatCannotBeSerialisedIsWrittenAsItsMinimalRecordAndTheLogGoesOn() {
        AuditWriters.limits = new AuditLimits(256 << 10, 1 << 20, 1 << 20, 1_000_000_000L);
        Path log = tmp.resolve("audit.jsonl");
        List<Response> big = new ArrayList<>();
        List<String> released;
        // the big record waits for the small one before it to be written (it needs the whole byte bound):
        // a wait of 30 s, not the default 100 ms, which a loaded machine's writer thread can overrun
        try (Guard<double[]> g = guard(keepingInputs(),
                AuditLog.jsonLines(log).async(AuditLog.DEFAULT_QUEUE_CAPACITY, Duration.ofSeconds(30)))) {
            released = smallBigSmall(g, big);
        }
        assertThat(released).hasSize(3); // async: accepted once queued, so the big one was answered
        assertEveryAnswerRecorded(log, released);
        List<Map<String, Object>> records = GuardFixtures.auditRecords(log);
        Map<String, Object> minimal = records.get(1);
        assertThat(minimal.get("decision_id")).isEqualTo(big.get(0).decisionId());
        assertThat(minimal.get("rules")).asList().endsWith(AuditRecord.MINIMAL_RULE);
        assertThat(GuardFixtures.at(minimal, "input").toString()).matches("\\{payload_bytes=-?[0-9]+\\}");
        assertThat(GuardFixtures.at(minimal, "result", "allowed")).isEqualTo(true);
        assertThat(minimal.get("erased")).asList().contains("/result/released", "/raw", "/caller/attributes");
        assertThat(GuardFixtures.at(records.get(2), "input", "features")).asList().hasSize(3);
    }

    @Test
    void durableRecordThatCannotBeSerialisedRefusesItsRequestOnlyAndTheLogGoesOn() {
        AuditWriters.limits = new AuditLimits(256 << 10, 1 << 20, 1 << 20, 1_000_000_000L);
        Path log = tmp.resolve("audit.jsonl");
        List<Response> big = new ArrayList<>();
        List<String> released;
        try (Guard<double[]> g = guard(keepingInputs(), AuditLog.jsonLines(log).durable())) {
            released = smallBigSmall(g, big);
        }
        assertThat(released).hasSize(2);
        assertThat(big.get(0).allowed()).isFalse();
        assertThat(((Response.Denied) big.get(0)).reasons().get(0).code()).isEqualTo(ReasonCode.AUDIT_UNAVAILABLE);
        assertEveryAnswerRecorded(log, released);
    }
}
