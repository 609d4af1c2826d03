package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.veil.internal.monitor.traffic.SyntheticDigits;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The distortion of the 64-float sketch on the distances the detectors care about. Measured on
 * the test traffic (about 2,000 pairs of each kind; relative std of sketch / true distance):
 * independent digits about 0.09, NES probe pairs (sigma 0.1, clipped) about 0.09, single 3x3
 * patch changes (hill climbing) about 0.15; no ratio outside [0.6, 1.45].
 */
class SparseSketchTest {
    private static double distance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(s);
    }

    private static double sketchDistance(SparseSketch sk, double[] a, double[] b) {
        float[] sa = sk.project(a);
        return sk.distance(sa, sk.encode(0, sk.project(b)));
    }

    /** Mean and std of sketch / true distance over pairs; asserts the bounds. */
    private static double[] ratios(SparseSketch sk, double[][] a, double[][] b, double lo, double hi) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = sketchDistance(sk, a[i], b[i]) / distance(a[i], b[i]);
            assertThat(r[i]).as("pair %d", i).isBetween(lo, hi);
        }
        double mean = Arrays.stream(r).average().orElseThrow();
        double var = Arrays.stream(r).map(x -> (x - mean) * (x - mean)).average().orElseThrow();
        return new double[] {mean, Math.sqrt(var)};
    }

    @Test
    void shouldPreserveDistancesOfIndependentImagesAndOfProbes() {
        SparseSketch sk = new SparseSketch(64, 7919);
        SplittableRandom r = new SplittableRandom(3);
        int n = 2000;
        double[][] a = new double[n][];
        double[][] b = new double[n][];
        double[][] probeA = new double[n][];
        double[][] probeB = new double[n][];
        double[][] patched = new double[n][];
        for (int i = 0; i < n; i++) {
            a[i] = SyntheticDigits.sample(r);
            b[i] = SyntheticDigits.sample(r);
            probeA[i] = NearDuplicateDetectorTest.perturb(a[i], 0.1, r.nextLong());
            probeB[i] = NearDuplicateDetectorTest.perturb(a[i], 0.1, r.nextLong());
            patched[i] = a[i].clone();
            int cx = 1 + r.nextInt(26);
            int cy = 1 + r.nextInt(26);
            for (int y = cy - 1; y <= cy + 1; y++) {
                for (int x = cx - 1; x <= cx + 1; x++) {
                    patched[i][y * 28 + x] = Math.min(1, patched[i][y * 28 + x] + 0.25);
                }
            }
            if (distance(a[i], patched[i]) == 0) {
                patched[i][cy * 28 + cx] = 0.5 - patched[i][cy * 28 + cx] / 2; // a patch on saturated ink
            }
        }
        double[] images = ratios(sk, a, b, 0.6, 1.45);
        double[] probes = ratios(sk, probeA, probeB, 0.6, 1.45);
        double[] patches = ratios(sk, a, patched, 0.5, 1.5);
        assertThat(images[0]).isCloseTo(1, within(0.02));
        assertThat(probes[0]).isCloseTo(1, within(0.02));
        assertThat(patches[0]).isCloseTo(1, within(0.03));
        assertThat(images[1]).isLessThan(0.11);
        assertThat(probes[1]).isLessThan(0.11);
        assertThat(patches[1]).isLessThan(0.18);
    }

    @Test
    void shouldBeLinearAndReadNonFiniteValuesAsZero() {
        SparseSketch sk = new SparseSketch(16, 1);
        double[] x = new double[100];
        double[] y = new double[100];
        SplittableRandom r = new SplittableRandom(4);
        for (int i = 0; i < 100; i++) {
            x[i] = r.nextDouble();
            y[i] = r.nextDouble();
        }
        double[] sum = new double[100];
        for (int i = 0; i < 100; i++) {
            sum[i] = x[i] + y[i];
        }
        float[] sx = sk.project(x);
        float[] sy = sk.project(y);
        float[] ss = sk.project(sum);
        for (int j = 0; j < 16; j++) {
            assertThat((double) ss[j]).isCloseTo(sx[j] + sy[j], within(1e-4));
        }
        double[] odd = x.clone();
        odd[3] = Double.NaN;
        odd[4] = Double.POSITIVE_INFINITY;
        double[] zeroed = x.clone();
        zeroed[3] = 0;
        zeroed[4] = 0;
        assertThat(sk.project(odd)).containsExactly(sk.project(zeroed));
        double[] huge = new double[100];
        Arrays.fill(huge, Double.MAX_VALUE);
        float[] sh = sk.project(huge);
        for (float v : sh) {
            assertThat(Float.isFinite(v)).isTrue();
        }
        assertThat(sk.distance(sh, sk.encode(0, sk.project(new double[100])))).isFinite();
    }

    @Test
    void shouldEncodeTheVectorHashAndTheSketch() {
        SparseSketch sk = new SparseSketch(8, 1);
        float[] s = sk.project(new double[] {1, 2, 3});
        byte[] e = sk.encode(0x1234_5678_9ABC_DEF0L, s);
        assertThat(e).hasSize(8 + 32);
        assertThat(SparseSketch.entryHash(e)).isEqualTo(0x1234_5678_9ABC_DEF0L);
        assertThat(sk.distance(s, e)).isZero();
        assertThatThrownBy(() -> new SparseSketch(1, 0)).hasMessage("a sketch needs at least 2 coordinates, was 1");
    }
}
