package dev.veil.internal.guard;

import static dev.veil.GuardFixtures.ALICE;
import static dev.veil.GuardFixtures.INFO_A;
import static dev.veil.GuardFixtures.LABELS;
import static dev.veil.GuardFixtures.NOW;
import static dev.veil.GuardFixtures.SCORES_A;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.ApiKeys;
import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.GuardFixtures;
import dev.veil.ManualClock;
import dev.veil.Model;
import dev.veil.Prediction;
import dev.veil.ReasonCode;
import dev.veil.Request;
import dev.veil.Response;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A caller's spent privacy budget holds for every release to it until the period ends
 * (docs/policy-reference.md 5.6 and 9), also for a plain release, and also after other callers
 * have filled the in-memory store's monitoring share: the mark is protecting state, which is never
 * forgotten to make room.
 */
class SpentBudgetMemoryTest {
    @TempDir
    Path dir;

    /** Raw scores above the plain rule's {@code top_score gte 0.9}. */
    private static final double[] SURE = {0.95, 0.03, 0.02};
    /** An input the model is sure about (plain release) and one it is not (release with noise). */
    private static final double[] PLAIN = {80, 1, 1};
    private static final double[] NOISY = {10, 1, 1};

    private static Request<double[]> ask(ApiKeys.Issued key, double... x) {
        return Request.of(Credentials.apiKey(key.plaintext()), x);
    }

    private static void budgetExhausted(Response r) {
        assertThat(r).isInstanceOf(Response.Denied.class);
        assertThat(((Response.Denied) r).reasons().get(0).code()).isEqualTo(ReasonCode.BUDGET_EXHAUSTED);
    }

    @Test
    void aSpentBudgetIsNotForgottenWhenOtherCallersFillTheMonitoringShare() {
        List<ApiKeys.Issued> others = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            others.add(ApiKeys.issue("other-" + i, List.of("analyst"), "acme", Map.of(), null));
        }
        var bundle = GuardFixtures.bundle(dir.resolve("bundle"))
                .keys(others.toArray(ApiKeys.Issued[]::new))
                .set("monitoring", "detectors: {knn: {history: 500, seed: 11, low: 1}}")
                .set("output", """
                        default: {form: top_k, top_k: 2, round: 0.1, noise: {mechanism: laplace, epsilon: 0.5}}
                        rules:
                          - {id: sure, when: {top_score: {gte: 0.9}}, release: {noise: none, form: label_only}}
                        privacy: {per_caller_epsilon: 1, on_exhausted: deny}
                        """)
                .load();
        Model<double[]> model = Model.ofVector(INFO_A,
                x -> Prediction.classification(LABELS, (x[0] >= 50 ? SURE : SCORES_A).clone()));
        try (Guard<double[]> g = Guard.builder(model).policy(bundle).clock(new ManualClock(NOW))
                .audit(AuditLog.jsonLines(dir.resolve("audit.jsonl"))).stateMemory(1L << 20).build()) {
            assertThat(g.predict(ask(ALICE, PLAIN))).as("plain, before anything is spent")
                    .isInstanceOf(Response.Released.class);
            assertThat(g.predict(ask(ALICE, NOISY))).isInstanceOf(Response.Released.class);
            assertThat(g.predict(ask(ALICE, NOISY))).isInstanceOf(Response.Released.class);
            budgetExhausted(g.predict(ask(ALICE, NOISY))); // the refused charge marks the budget spent
            budgetExhausted(g.predict(ask(ALICE, PLAIN)));

            Random random = new Random(7);
            for (ApiKeys.Issued other : others) {
                for (int i = 0; i < 500; i++) {
                    g.predict(ask(other, 50 + 50 * random.nextDouble(), 100 * random.nextDouble(),
                            100 * random.nextDouble()));
                }
            }
            long used = ((DefaultGuard<double[]>) g).stateStore().bytesUsed();
            // 10 x 500 knn entries of about 290 B (1.4 MB) went through the lists' share, half of the
            // 1 MiB cap: least recently used lists were evicted, and the store holds most of a share
            assertThat(used).as("the store is full enough that its lists were evicted")
                    .isGreaterThan((1L << 20) * 3 / 10);

            budgetExhausted(g.predict(ask(ALICE, PLAIN)));
            budgetExhausted(g.predict(ask(ALICE, NOISY)));
        }
    }
}
