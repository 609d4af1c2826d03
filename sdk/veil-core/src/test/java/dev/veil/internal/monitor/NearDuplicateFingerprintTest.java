package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.internal.monitor.traffic.SyntheticDigits;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The near_duplicate fingerprint and the exact-vector hash, whose fast forms (interleaved hash
 * chains, a cut before the sort) must give exactly the values of the plain computation written out
 * here: each window hashed on its own by Horner's rule, every non-blank window's hash kept, one full
 * sort, the {@code keep} largest; and one multiply-add per value for the vector hash. A changed
 * value would change which earlier queries a query matches, in memory and in Redis alike.
 */
class NearDuplicateFingerprintTest {
    /** The fingerprint as the class Javadoc defines it, computed the plain way. */
    static long[] reference(double[] x, NearDuplicateDetector.Config c) {
        int d = x.length;
        double inverseQuantum = 1.0 / c.quantum();
        double[] salt = new double[d];
        long state = c.seed();
        long seed = QueryHashing.mix(c.seed() ^ 0x2545F4914F6CDD1DL);
        int[] b = new int[d];
        boolean[] ink = new boolean[d];
        for (int i = 0; i < d; i++) {
            state += QueryHashing.GOLDEN;
            salt[i] = (QueryHashing.mix(state) >>> 11) * 0x1.0p-53 * 255;
            b[i] = bucket(x[i], salt[i], inverseQuantum);
            ink[i] = b[i] != bucket(0, salt[i], inverseQuantum);
        }
        int w = Math.min(c.window(), d);
        long p = QueryHashing.GOLDEN | 1;
        long[] all = new long[d];
        int n = 0;
        for (int s = 0; s + w <= d; s += c.step()) {
            long h = 0;
            boolean any = false;
            for (int j = s; j < s + w; j++) {
                h = h * p + ((b[j] << 1 | (ink[j] ? 1 : 0)) + 2L);
                any |= ink[j];
            }
            if (any) {
                all[n++] = QueryHashing.mix(h ^ seed ^ QueryHashing.mix(s + 1L));
            }
        }
        Arrays.sort(all, 0, n);
        return Arrays.copyOfRange(all, Math.max(0, n - c.keep()), n);
    }

    private static int bucket(double x, double salt, double inverseQuantum) {
        double a = x * 255 + salt;
        a -= 255 * Math.floor(a * (1.0 / 255));
        return (int) (a * inverseQuantum + 0.5);
    }

    /** The vector hash as defined: two polynomial hashes over alternate values, one multiply-add each. */
    /**
     * Feature vectors of the kinds that reach the detector or could break a shortcut: digit images
     * (blank background, ink), uniform values, values on and next to bucket edges, negative, huge and
     * non-finite values, and lengths from 1 to beyond the window.
     */
    static double[] vector(SplittableRandom r) {
        int kind = r.nextInt(6);
        if (kind == 0) {
            return SyntheticDigits.sample(r);
        }
        int d = 1 + r.nextInt(r.nextBoolean() ? 40 : 2000);
        double[] x = new double[d];
        for (int i = 0; i < d; i++) {
            x[i] = switch (kind) {
                case 1 -> r.nextDouble();
                case 2 -> r.nextInt(4) == 0 ? r.nextDouble() : 0; // mostly blank
                case 3 -> r.nextInt(256) / 255.0 + (r.nextInt(3) - 1) * Math.ulp(1.0); // on and next to edges
                case 4 -> (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(24) - 4); // negative and huge
                default -> switch (r.nextInt(8)) { // non-finite among ordinary values
                    case 0 -> Double.NaN;
                    case 1 -> Double.POSITIVE_INFINITY;
                    case 2 -> Double.NEGATIVE_INFINITY;
                    case 3 -> -0.0;
                    default -> r.nextDouble();
                };
            };
        }
        return x;
    }

    static NearDuplicateDetector.Config config(SplittableRandom r) {
        if (r.nextInt(3) == 0) {
            return NearDuplicateDetector.Config.DEFAULT;
        }
        int window = r.nextInt(4) == 0 ? 1 + r.nextInt(3000) : 1 + r.nextInt(40);
        int step = r.nextInt(3) == 0 ? 1 + r.nextInt(100) : 1;
        return new NearDuplicateDetector.Config(NearDuplicateDetector.Index.BOTH, window, step, 1 + r.nextInt(255),
                1 + r.nextInt(256), r.nextLong(), 8, 3600, 0, 0, 1);
    }

    @Test
    void shouldFingerprintExactlyAsThePlainComputation() {
        qt().withExamples(400).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            NearDuplicateDetector.Config c = config(r);
            NearDuplicateDetector d = new NearDuplicateDetector("nd", c);
            for (int k = 0; k < 3; k++) { // the same detector on several vectors (it caches per length)
                double[] x = vector(r);
                double[] copy = x.clone();
                assertThat(d.fingerprint(x)).as("%s, %d features", c, x.length).containsExactly(reference(x, c));
                assertThat(x).as("the input is left alone").isEqualTo(copy);
            }
        });
    }

    /** Default configuration on digit images and small perturbations of them, as attacks send. */
    @Test
    void shouldFingerprintDigitsAndTheirPerturbationsAsThePlainComputation() {
        NearDuplicateDetector d = new NearDuplicateDetector("nd", NearDuplicateDetector.Config.DEFAULT);
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < 300; i++) {
            double[] x = NearDuplicateDetectorTest.perturb(SyntheticDigits.sample(r), i % 3 * 0.01, i);
            assertThat(d.fingerprint(x)).as("image %d", i)
                    .containsExactly(reference(x, NearDuplicateDetector.Config.DEFAULT));
        }
    }

    @Test
    void shouldKeepTheLargestUsedAsAFullSortWould() {
        qt().withExamples(500).forAll(longs().all(), integers().between(0, 1200), integers().between(1, 256))
                .checkAssert((seed, n, keep) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    long[] v = new long[n];
                    int kind = r.nextInt(4);
                    for (int i = 0; i < n; i++) {
                        // uniform, a few repeated values, clustered at the top, clustered at the bottom
                        v[i] = kind == 0 ? r.nextLong() : kind == 1 ? r.nextInt(5) * (Long.MAX_VALUE / 3)
                                : kind == 2 ? Long.MAX_VALUE - r.nextInt(1000) : Long.MIN_VALUE + r.nextInt(1000);
                    }
                    // some values not used (blank windows), at random or none
                    int[] used = new int[n];
                    int unusedOneIn = r.nextInt(3) == 0 ? 0 : 2 + r.nextInt(8);
                    int m = 0;
                    long[] usedValues = new long[n];
                    for (int i = 0; i < n; i++) {
                        used[i] = unusedOneIn > 0 && r.nextInt(unusedOneIn) == 0 ? 0 : 1;
                        if (used[i] == 1) {
                            usedValues[m++] = v[i];
                        }
                    }
                    long[] sorted = Arrays.copyOf(usedValues, m);
                    Arrays.sort(sorted);
                    long[] want = Arrays.copyOfRange(sorted, Math.max(0, m - keep), m);
                    assertThat(NearDuplicateDetector.largest(v, used, n, keep, new long[n])).containsExactly(want);
                });
    }

    @Test
    void shouldCompareWithoutABranchAsTheSignedComparison() {
        long[] edges = {Long.MIN_VALUE, Long.MIN_VALUE + 1, -1, 0, 1, Long.MAX_VALUE - 1, Long.MAX_VALUE};
        for (long v : edges) {
            for (long cut : edges) {
                assertThat(NearDuplicateDetector.atLeast(v, cut)).as("%d >= %d", v, cut).isEqualTo(v >= cut ? 1 : 0);
            }
        }
        qt().withExamples(2000).forAll(longs().all(), longs().all()).checkAssert((v, cut) -> {
            assertThat(NearDuplicateDetector.atLeast(v, cut)).isEqualTo(v >= cut ? 1 : 0);
            assertThat(NearDuplicateDetector.atLeast(v, v)).isEqualTo(1);
        });
    }
}
