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
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
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
    private final List<Guard<?>> open = new ArrayList<>();
    private int bundles;
    private Path auditFile;

    @AfterEach
    void closeGuards() {
        for (Guard<?> g : open) {
            try {
                g.close();
            } catch (RuntimeException | Error ignored) {
                // a test's Guard may have been left in any state
            }
        }
        Thread.interrupted(); // never leak an interrupt into the next test
    }

    private BundleDir bundle() {
        return GuardFixtures.bundle(tmp.resolve("bundle-" + (++bundles)));
    }

    private <I> Guard<I> guard(BundleDir b, Model<I> model, Consumer<Guard.Builder<I>> more) {
        return guard(b, model, AuditLog.jsonLines(tmp.resolve("audit-" + bundles + ".jsonl"))
                .async(AuditLog.DEFAULT_QUEUE_CAPACITY, Duration.ofSeconds(30)), more);
    }

    private <I> Guard<I> guard(BundleDir b, Model<I> model, AuditLog log, Consumer<Guard.Builder<I>> more) {
        auditFile = log.file();
        Guard.Builder<I> builder = Guard.builder(model).policy(b.load()).audit(log).clock(clock);
        more.accept(builder);
        Guard<I> g = builder.build();
        open.add(g);
        return g;
    }

    private static Request<double[]> ask(ApiKeys.Issued key, double... x) {
        return Request.of(Credentials.apiKey(key.plaintext()), x);
    }

    private List<Map<String, Object>> audited(Guard<?> g) {
        g.close();
        AuditVerification v = AuditLog.verify(auditFile);
        assertThat(v.ok()).as("audit chain: %s", v.message()).isTrue();
        return auditRecords(auditFile);
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
        Guard<double[]> g = guard(bundle().set("name", "gen-0"), models.get(0), b -> { });
        g.reload(gens.get(0));
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        java.util.concurrent.atomic.AtomicLong asked = new java.util.concurrent.atomic.AtomicLong();
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                workers.add(pool.submit(() -> {
                    while (!done.get()) {
                        g.predict(ask(ALICE, VALID));
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
        }
        List<Map<String, Object>> recs = audited(g);
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
