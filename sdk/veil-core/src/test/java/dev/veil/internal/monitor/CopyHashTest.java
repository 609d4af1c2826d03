package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class CopyHashTest {

    /** A 784-value image whose first six values are 0.3 to 0.55 (normal numbers, mid-binade). */
    static double[] image(long seed) {
        double[] x = NearDuplicateDetectorTest.image(seed);
        for (int i = 0; i < 6; i++) {
            x[i] = 0.3 + 0.05 * i;
        }
        return x;
    }

    /** x + N(0, sigma) per value but the first six, clipped to [0, 1]. */
    static double[] probe(double[] x, double sigma, long seed) {
        double[] y = NearDuplicateDetectorTest.perturb(x, sigma, seed);
        System.arraycopy(x, 0, y, 0, 6);
        return y;
    }

    @Test
    void shouldHashCopiesAlikeAndMinusZeroAsZero() {
        qt().withExamples(300).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            double[] x = NearDuplicateFingerprintTest.vector(r);
            long key = r.nextLong();
            assertThat(new CopyHash(key).of(x.clone())).isEqualTo(new CopyHash(key).of(x));
        });
        CopyHash h = new CopyHash(3);
        assertThat(h.of(new double[] {0.0, 1})).isEqualTo(h.of(new double[] {-0.0, 1}));
        assertThat(h.of(new double[0])).isEqualTo(new CopyHash(3).of(new double[0]));
    }

    @Test
    void shouldTellApartVectorsThatDifferInOneValueOrInLength() {
        qt().withExamples(2000).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            double[] x = NearDuplicateFingerprintTest.vector(r);
            double[] y = x.clone();
            int i = r.nextInt(x.length);
            long bits = Double.doubleToRawLongBits(x[i] + 0.0);
            long other = switch (r.nextInt(3)) {
                case 0 -> bits + (r.nextBoolean() ? 1 : -1); // one unit in the last place
                case 1 -> bits ^ (1L << r.nextInt(64)); // one bit, the sign included
                default -> r.nextLong();
            };
            if (other == bits || other == Double.doubleToRawLongBits(-0.0) && bits == 0) {
                return; // the same value to a model
            }
            y[i] = Double.longBitsToDouble(other);
            CopyHash h = new CopyHash(r.nextLong());
            assertThat(h.of(y)).as("value %d changed", i).isNotEqualTo(h.of(x));
            assertThat(h.of(java.util.Arrays.copyOf(x, x.length + 1))).as("one 0 more").isNotEqualTo(h.of(x));
        });
    }

    @Test
    void shouldKeepABoundedKeyWhateverTheInputsLength() {
        CopyHash h = new CopyHash(9);
        double[] huge = new double[CopyHash.MAX_CACHED_WORDS]; // twice as many values as kept words cover
        java.util.Arrays.fill(huge, 0.25);
        long first = h.of(huge);
        assertThat(h.cachedWords()).isEqualTo(CopyHash.MAX_CACHED_WORDS);
        assertThat(new CopyHash(9).of(huge.clone())).as("the same hash from a fresh instance").isEqualTo(first);
        double[] changed = huge.clone();
        changed[huge.length - 1] = 0.5; // a value beyond the kept words
        assertThat(h.of(changed)).isNotEqualTo(first);
        CopyHash small = new CopyHash(9);
        small.of(new double[784]);
        assertThat(small.cachedWords()).as("an input keeps the words it needs").isEqualTo(2 * 784);
    }

    @Test
    void shouldDependOnTheSeed() {
        double[] x = image(1);
        Set<Long> hashes = new HashSet<>();
        for (long seed = 0; seed < 1000; seed++) {
            hashes.add(new CopyHash(seed).of(x));
        }
        assertThat(hashes).hasSize(1000);
    }

    @Test
    void shouldGiveTheSameHashWhicheverLengthsItSawFirst() throws Exception {
        SplittableRandom r = new SplittableRandom(7);
        List<double[]> vectors = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            vectors.add(NearDuplicateFingerprintTest.vector(r));
        }
        CopyHash reference = new CopyHash(11);
        List<Long> expected = new ArrayList<>();
        for (double[] v : vectors) {
            expected.add(reference.of(v));
        }
        CopyHash backwards = new CopyHash(11);
        for (int i = vectors.size() - 1; i >= 0; i--) {
            assertThat(backwards.of(vectors.get(i))).isEqualTo(expected.get(i));
        }
        // and from many threads at once, each growing the key on first use
        CopyHash shared = new CopyHash(11);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<List<Long>>> tasks = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int start = t * 8;
                tasks.add(() -> {
                    List<Long> got = new ArrayList<>();
                    for (int i = 0; i < vectors.size(); i++) {
                        got.add(shared.of(vectors.get((start + i) % vectors.size())));
                    }
                    return got;
                });
            }
            int t = 0;
            for (Future<List<Long>> f : pool.invokeAll(tasks)) {
                List<Long> got = f.get();
                for (int i = 0; i < vectors.size(); i++) {
                    assertThat(got.get(i)).isEqualTo(expected.get((t * 8 + i) % vectors.size()));
                }
                t++;
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldTellApartProbesForgedToCollideUnderThePolynomialHash() {
        double[] x = image(2);
        for (int i = 0; i < 50; i++) {
            double[] forged = PolynomialCollisions.forge(x, probe(x, i % 2 == 0 ? 0.01 : 0.2, i));
            for (int k = 0; k < 6; k++) {
                assertThat(Math.abs(forged[k] - x[k])).as("value %d moved by a few units in the last place", k)
                        .isLessThan(1e-8);
            }
            for (long seed : new long[] {0, 42, 104729, -1}) {
                assertThat(PolynomialCollisions.polynomialHash(forged, seed)).as("the forgery works, seed %d", seed)
                        .isEqualTo(PolynomialCollisions.polynomialHash(x, seed));
                CopyHash h = new CopyHash(seed);
                assertThat(h.of(forged)).as("probe %d, seed %d", i, seed).isNotEqualTo(h.of(x));
            }
        }
    }
}
