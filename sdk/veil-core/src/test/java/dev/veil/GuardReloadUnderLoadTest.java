package dev.veil;

import static dev.veil.GuardFixtures.ALICE;
import static dev.veil.GuardFixtures.LABELS;
import static dev.veil.GuardFixtures.NOW;
import static dev.veil.GuardFixtures.SCORES_A;
import static dev.veil.GuardFixtures.at;
import static dev.veil.GuardFixtures.auditRecords;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.GuardFixtures.BundleDir;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Bundle reloads and model swaps while eight threads ask: no request sees a state that never was. */
@ExtendWith(QuietGuardLog.class)
@Timeout(60)
class GuardReloadUnderLoadTest {
    private static final double[] VALID = {1, 2, 3};

    @TempDir
    Path tmp;

    private final ManualClock clock = new ManualClock(NOW);
    private int bundles;

    private BundleDir bundle() {
        return GuardFixtures.bundle(tmp.resolve("bundle-" + (++bundles)));
    }

    /**
     * An operator installs bundle gen-i, then model version i, for i = 1..n, while 8 threads ask. The
     * pairs ever in force are (gen-i, i-1) and (gen-i, i); a record naming (gen-i, j) for any other j
     * saw a state that never was. Each record must also name the model whose answer was released.
     */
    @Test
    void reloadThenSwapUnderEightThreadsNeverShowsAPairThatWasNotInForce() throws Exception {
        int n = 80;
        List<PolicyBundle> gens = new ArrayList<>();
        for (int i = 0; i <= n; i++) {
            gens.add(bundle().set("name", "gen-" + i).load());
        }
        List<Model<double[]>> models = new ArrayList<>();
        for (int i = 0; i <= n; i++) {
            ModelInfo info = ModelInfo.of("animals", Integer.toString(i), NOW.minus(Duration.ofDays(1)));
            models.add(Model.ofVector(info, x -> Prediction.classification(LABELS, SCORES_A.clone())));
        }
        Path auditFile = tmp.resolve("audit.jsonl");
        Guard<double[]> g = Guard.builder(models.get(0)).policy(bundle().set("name", "gen-0").load())
                .audit(AuditLog.jsonLines(auditFile).async(AuditLog.DEFAULT_QUEUE_CAPACITY, Duration.ofSeconds(30)))
                .clock(clock).build();
        Request<double[]> ask = Request.of(Credentials.apiKey(ALICE.plaintext()), VALID);
        g.reload(gens.get(0));
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        java.util.concurrent.atomic.AtomicLong asked = new java.util.concurrent.atomic.AtomicLong();
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                workers.add(pool.submit(() -> {
                    while (!done.get()) {
                        g.predict(ask);
                        asked.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (int i = 1; i <= n; i++) {
                g.reload(gens.get(i));
                g.swapModel(models.get(i));
                Thread.sleep(2);
            }
            done.set(true);
            for (Future<?> w : workers) {
                w.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            g.close();
        }
        AuditVerification v = AuditLog.verify(auditFile);
        assertThat(v.ok()).as("audit chain: %s", v.message()).isTrue();
        List<Map<String, Object>> recs = auditRecords(auditFile);
        int bad = 0;
        for (Map<String, Object> r : recs) {
            int gen = Integer.parseInt(((Map<?, ?>) r.get("bundles")).keySet().iterator().next().toString().substring(4));
            int ver = Integer.parseInt((String) at(r, "model", "version"));
            if (ver != gen && ver != gen - 1) {
                bad++;
            }
        }
        assertThat(bad).isZero();
    }

}
