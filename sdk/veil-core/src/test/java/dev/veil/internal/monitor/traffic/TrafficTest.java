package dev.veil.internal.monitor.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The generated traffic is what it claims to be: images in [0, 1] with class structure, a benign
 * population with retries and batch jobs, and attacks that really make progress against the model
 * (so that the efficacy tests do not catch strawmen).
 */
class TrafficTest {
    private static SoftmaxModel model;
    private static List<double[]> pool;

    @BeforeAll
    static void setUp() {
        model = Fixtures.model();
        pool = Fixtures.pool();
    }

    private static double distance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double t = a[i] - b[i];
            s += t * t;
        }
        return Math.sqrt(s);
    }

    @Test
    void shouldDrawImagesInTheUnitRangeWithClassStructure() {
        SplittableRandom r = new SplittableRandom(1);
        double same = 0;
        double other = 0;
        int n = 300;
        double[][] x = new double[n][];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % SyntheticDigits.CLASSES;
            x[i] = SyntheticDigits.sample(r, y[i]);
            assertThat(x[i]).hasSize(784);
            for (double v : x[i]) {
                assertThat(v).isBetween(0.0, 1.0);
            }
        }
        int cs = 0;
        int co = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                if (y[i] == y[j]) {
                    same += distance(x[i], x[j]);
                    cs++;
                } else {
                    other += distance(x[i], x[j]);
                    co++;
                }
            }
        }
        // same-class images are closer on average, but not near-identical (MNIST-like: about 9 vs 10)
        assertThat(same / cs).isLessThan(0.95 * other / co).isGreaterThan(6);
        List<double[]> test = new ArrayList<>();
        int[] labels = new int[500];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = r.nextInt(SyntheticDigits.CLASSES);
            test.add(SyntheticDigits.sample(r, labels[i]));
        }
        assertThat(model.accuracy(test, labels)).isGreaterThan(0.8);
    }

    @Test
    void shouldBeDeterministicForASeed() {
        assertThat(SyntheticDigits.sample(new SplittableRandom(7))).isEqualTo(SyntheticDigits.sample(
                new SplittableRandom(7)));
        BenignTraffic.Spec small = new BenignTraffic.Spec(20, 10, 0.1, 0.2, 1, 30, 60_000, 1000, 100);
        List<BenignTraffic.Event> a = BenignTraffic.generate(small, 3, 0);
        List<BenignTraffic.Event> b = BenignTraffic.generate(small, 3, 0);
        assertThat(a).hasSameSizeAs(b);
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i).caller()).isEqualTo(b.get(i).caller());
            assertThat(a.get(i).x()).isEqualTo(b.get(i).x());
        }
    }

    @Test
    void shouldGenerateRetriesBatchJobsAndTimeOrder() {
        List<BenignTraffic.Event> events = BenignTraffic.issue();
        Map<String, Integer> perCaller = new HashMap<>();
        int retries = 0;
        long last = Long.MIN_VALUE;
        double[] previous = null;
        Map<String, double[]> lastOf = new HashMap<>();
        for (BenignTraffic.Event e : events) {
            assertThat(e.timeMillis()).isGreaterThanOrEqualTo(last);
            last = e.timeMillis();
            perCaller.merge(e.caller(), 1, Integer::sum);
            if (e.retry()) {
                retries++;
                assertThat(e.x()).as("a retry repeats the caller's previous input exactly")
                        .isEqualTo(lastOf.get(e.caller()));
            }
            lastOf.put(e.caller(), e.x());
            previous = e.x();
        }
        assertThat(previous).isNotNull();
        assertThat(perCaller).hasSize(2005);
        assertThat(perCaller.get("batch-0")).isEqualTo(500);
        assertThat(retries).isBetween(2500, 3700); // about 3% of 100,000
    }

    /** The rise of log P(target) from the attack's start to its current point after {@code queries}. */
    private static double progress(Attack a, int queries) {
        double start = Math.log(model.scores(a.current())[a.target()]);
        for (int i = 0; i < queries; i++) {
            a.answer(model.scores(a.next()));
        }
        double end = Math.log(model.scores(a.current())[a.target()]);
        System.out.printf("%s: log P(target) %.2f -> %.2f%n", a.name(), start, end);
        return end - start;
    }

    @Test
    void shouldMakeProgressWithEveryScoreDrivenAttack() {
        SplittableRandom r = new SplittableRandom(9);
        double[] start = SyntheticDigits.sample(r, 3);
        int target = 8;
        PcaBasis pca = Fixtures.pca();
        List<Attack> attacks = List.of(
                Attacks.nes("nes-0.02", start, target, 0.02, Attacks.Noise.PIXEL, 0.01, 1),
                Attacks.nes("nes-0.1", start, target, 0.1, Attacks.Noise.PIXEL, 0.01, 2),
                Attacks.nes("smooth-0.1", start, target, 0.1, Attacks.Noise.SMOOTH_7X7, 0.01, 3),
                Attacks.hillClimb("hill", start, target, 0.25, 4),
                Attacks.pcaSearch("pca-0.2", pca, start, target, 0.2, 0.05, 5));
        for (Attack a : attacks) {
            assertThat(progress(a, 1500)).as(a.name() + ": rise of log P(target) over 1,500 queries").isGreaterThan(2);
        }
    }

    @Test
    void shouldBisectToALabelFlip() {
        Attack walk = Attacks.boundaryWalk("boundary", pool, 10, 6);
        double[] first = null;
        double[] second = null;
        int[] labels = new int[40];
        List<double[]> queries = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            double[] x = walk.next();
            queries.add(x);
            double[] s = model.scores(x);
            labels[i] = SoftmaxModel.argmax(s);
            walk.answer(s);
        }
        // the first pair with different labels is followed by 10 bisection points converging on the flip
        int i = 0;
        while (labels[i] == labels[i + 1]) {
            i += 2;
        }
        first = queries.get(i);
        second = queries.get(i + 1);
        double span = distance(first, second);
        double[] last = queries.get(i + 11);
        double[] beforeLast = queries.get(i + 10);
        assertThat(distance(last, beforeLast)).isLessThan(span / 500);
        assertThat(walk.target()).isEqualTo(-1);
    }
}
