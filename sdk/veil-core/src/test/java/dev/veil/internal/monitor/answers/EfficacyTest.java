package dev.veil.internal.monitor.answers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.Level;
import dev.veil.Signal;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The answer detectors (default configuration) on seeded synthetic traffic against the linear
 * softmax model of {@link SyntheticImages}: inversion, boundary and extraction attacks are flagged
 * at level high within the stated number of queries, while at most 0.1% of 1,000 benign callers
 * ever reach level high on any of them.
 */
class EfficacyTest {
    private static final int CLIMB = 0;
    private static final int FOCUS = 1;
    private static final int BOUNDARY = 2;
    private static final int EXTRACTION = 3;
    private static final String[] NAMES = {"confidence_climb", "class_focus", "boundary", "extraction"};

    private static SyntheticImages model;
    private static List<double[]> pool;
    private static List<double[]> poolScores;

    @BeforeAll
    static void setUp() {
        model = new SyntheticImages(1);
        Random r = new Random(20261201);
        pool = new ArrayList<>();
        poolScores = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            // classes in unequal proportions (class k has weight 1 + k / 3)
            int k = r.nextInt(25);
            int cls = 0;
            for (double acc = 1; k >= acc; acc += 1 + (cls + 1) / 3.0) {
                cls++;
            }
            double[] x = SyntheticImages.sample(Math.min(cls, 9), r);
            pool.add(x);
            poolScores.add(model.scores(x));
        }
    }

    /** Runs an attack for n queries; returns, per detector, the index of the first high signal or -1. */
    private static int[] firstHigh(Attacks.Attack a, int n) {
        int[] first = {-1, -1, -1, -1};
        try (Harness h = Harness.defaults()) {
            for (int i = 0; i < n; i++) {
                double[] x = a.next();
                double[] s = model.scores(x);
                Signal[] sig = h.query("attacker", x, s);
                a.answer(s);
                for (int d = 0; d < 4; d++) {
                    if (first[d] < 0 && sig[d].level() == Level.HIGH) {
                        first[d] = i;
                    }
                }
            }
        }
        return first;
    }

    private static int flaggedWithin(int[] first, int detector, int queries) {
        assertThat(first[detector]).as("first high signal of %s", NAMES[detector]).isBetween(0, queries - 1);
        return first[detector];
    }

    @Test
    void shouldFlagHillClimbingWithin50Queries() {
        for (int seed = 0; seed < 4; seed++) {
            Random r = new Random(seed);
            int target = r.nextInt(10);
            double[] start = SyntheticImages.sample((target + 1 + r.nextInt(9)) % 10, r);
            flaggedWithin(firstHigh(Attacks.hillClimb(target, start, 0.01, r), 50), CLIMB, 50);
            flaggedWithin(firstHigh(Attacks.hillClimb(target, start, 0.03, r), 50), CLIMB, 50);
            flaggedWithin(firstHigh(Attacks.hillClimb(target, new double[SyntheticImages.D], 0.01, r), 50), CLIMB, 50);
        }
    }

    @Test
    void shouldFlagNesInversionWithSmallProbesWithin50Queries() {
        for (int seed = 0; seed < 4; seed++) {
            Random r = new Random(100 + seed);
            int target = r.nextInt(10);
            double[] start = SyntheticImages.sample((target + 1 + r.nextInt(9)) % 10, r);
            for (double sigma : new double[] {0.001, 0.01, 0.02}) {
                // 5 antithetic pairs per step: the iterate moves every 10 queries
                int[] first = firstHigh(Attacks.nes(target, start, sigma, 5, 0.01, false, r), 50);
                assertThat(first[CLIMB]).as("NES sigma %s seed %d", sigma, seed).isBetween(0, 49);
            }
        }
    }

    @Test
    void shouldFlagNesWithManyProbesPerStepOnceTheIterateHasMoved() {
        // 25 pairs per step: the first 50 queries probe one point, so no climb can show before the
        // first step; the climb is flagged a few steps later (similarity detectors see it earlier)
        Random r = new Random(7);
        double[] start = SyntheticImages.sample(3, r);
        int[] first = firstHigh(Attacks.nes(8, start, 0.01, 25, 0.01, false, r), 150);
        assertThat(first[CLIMB]).isBetween(50, 149);
    }

    @Test
    void shouldFlagBoundaryWalksWithin50Queries() {
        for (int seed = 0; seed < 5; seed++) {
            Random r = new Random(200 + seed);
            int a = r.nextInt(10);
            int b = (a + 1 + r.nextInt(9)) % 10;
            int[] first = firstHigh(Attacks.boundaryWalk(SyntheticImages.sample(a, r), SyntheticImages.sample(b, r),
                    0.002, 0.01, 0.05, r), 50);
            flaggedWithin(first, BOUNDARY, 50);
        }
    }

    @Test
    void shouldFlagAGradientEstimationStreamByItsMinimumDistancesWithin300Queries() {
        // PRADA's test on a stream of tiny perturbations around a moving point (NES, sigma 0.001, from a
        // blank start). Papernot-style Jacobian augmentation is NOT flagged in this setup (W 0.89-0.99 on
        // the 32-float sketches), see the report of issue 3.
        for (int seed = 0; seed < 3; seed++) {
            Random r = new Random(300 + seed);
            int[] first = firstHigh(Attacks.nes(r.nextInt(10), new double[SyntheticImages.D], 0.001, 5, 0.01, false, r),
                    300);
            assertThat(first[EXTRACTION]).as("seed %d", seed).isBetween(0, 299);
        }
    }

    @Test
    void shouldFlagRandomQueryExtractionByItsLowMargins() {
        // uniform random inputs give near-normal minimum distances (PRADA's test does not see them), but
        // the model hesitates on them: boundary flags the stream
        int[] first = firstHigh(Attacks.uniformRandom(SyntheticImages.D, new Random(400)), 300);
        flaggedWithin(first, BOUNDARY, 50);
    }

    @Test
    void shouldRarelyFlagBenignCallers() {
        Random r = new Random(500);
        int callers = 1000;
        int[] flagged = new int[4];
        int flaggedByAny = 0;
        long queries = 0;
        try (Harness h = Harness.defaults()) {
            for (int c = 0; c < callers; c++) {
                boolean batch = c % 10 == 0; // a batch job: 200 distinct inputs in a row
                int n = batch ? 200 : 50 + r.nextInt(151);
                boolean[] hit = new boolean[4];
                int k = r.nextInt(pool.size());
                for (int i = 0; i < n; i++) {
                    if (batch) {
                        k = (k + 1) % pool.size();
                    } else if (i == 0 || r.nextDouble() >= 0.05) { // else: retry the previous request
                        k = r.nextInt(pool.size());
                    }
                    Signal[] sig = h.query("benign-" + c, pool.get(k), poolScores.get(k));
                    queries++;
                    for (int d = 0; d < 4; d++) {
                        hit[d] |= sig[d].level() == Level.HIGH;
                    }
                }
                for (int d = 0; d < 4; d++) {
                    flagged[d] += hit[d] ? 1 : 0;
                }
                flaggedByAny += hit[0] || hit[1] || hit[2] || hit[3] ? 1 : 0;
            }
        }
        assertThat(queries).isGreaterThan(100_000);
        for (int d = 0; d < 4; d++) {
            assertThat(flagged[d]).as("benign callers flagged high by %s", NAMES[d]).isLessThanOrEqualTo(callers / 1000);
        }
        // the bound is on callers, whichever detector flags them: the four together
        assertThat(flaggedByAny).as("benign callers flagged high by any of %s", List.of(NAMES))
                .isLessThanOrEqualTo(callers / 1000);
    }
}
