package dev.veil.policies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.veil.internal.monitor.SmoothDetector;
import dev.veil.internal.monitor.traffic.PcaBasis;
import dev.veil.policies.tools.FashionMnist;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The figures behind the {@code smooth} detector's defaults, on real Fashion-MNIST: how many real
 * images are smoother than its floor (0.238), per class, how many blurred or upscaled ones, and how
 * many of a prior attacker's probes are (synthetic points: NES in 40 principal components of
 * training images, whitened, sigma 1 around 20 random points; the demo's real walk sends more).
 */
class SmoothImagesTest {
    static final double FLOOR = SmoothDetector.Config.DEFAULT.floor();

    @BeforeAll
    static void data() {
        assumeThat(FashionMnist.available()).as(FashionMnist.MISSING).isTrue();
    }

    static boolean smooth(double[] x) {
        return SmoothDetector.roughness(x, 28) < FLOOR;
    }

    @Test
    void aboutOneRealImageInAHundredIsSmootherThanTheFloorAndAtMostFourInAHundredOfAnyClass() {
        double[][] test = FashionMnist.testImages(Integer.MAX_VALUE);
        int[] labels = FashionMnist.testLabels(Integer.MAX_VALUE);
        int[] smooth = new int[10];
        int[] all = new int[10];
        for (int i = 0; i < test.length; i++) {
            all[labels[i]]++;
            smooth[labels[i]] += smooth(test[i]) ? 1 : 0;
        }
        double[] share = new double[10];
        for (int c = 0; c < 10; c++) {
            share[c] = smooth[c] / (double) all[c];
        }
        double overall = Arrays.stream(smooth).sum() / (double) test.length;
        System.out.printf(Locale.ROOT, "smooth real test images: %.4f overall; per class %s%n", overall,
                Arrays.toString(Arrays.stream(share).map(v -> Math.round(v * 1000) / 1000.0).toArray()));
        assertThat(overall).isBetween(0.005, 0.015);
        for (int c = 0; c < 10; c++) {
            assertThat(share[c]).as(FashionMnist.CLASSES.get(c)).isLessThanOrEqualTo(0.04);
        }
    }

    /**
     * Honest inputs that are blurred or upscaled are smooth too: the real test images halved (2x2
     * means) and brought back to 28x28 by bilinear interpolation, or blurred with a Gaussian of sigma
     * 0.5 pixels. A service whose inputs look like that must set its own floor (or not block on it).
     */
    @Test
    void blurredOrUpscaledRealImagesAreMostlySmooth() {
        double[][] test = FashionMnist.testImages(2_000);
        int upscaled = 0;
        int blurred = 0;
        for (double[] x : test) {
            upscaled += smooth(bilinearUpscale(halve(x))) ? 1 : 0;
            blurred += smooth(gaussianBlur(x, 0.5)) ? 1 : 0;
        }
        double up = upscaled / (double) test.length;
        double blur = blurred / (double) test.length;
        System.out.printf(Locale.ROOT, "smooth real test images, halved then upscaled bilinearly: %.3f; "
                + "blurred (sigma 0.5): %.3f%n", up, blur);
        assertThat(up).isGreaterThan(0.9);
        assertThat(blur).isGreaterThan(0.2);
    }

    /** 2x2 means: 14x14. */
    static double[] halve(double[] x) {
        double[] h = new double[196];
        for (int r = 0; r < 14; r++) {
            for (int c = 0; c < 14; c++) {
                h[r * 14 + c] = (x[2 * r * 28 + 2 * c] + x[2 * r * 28 + 2 * c + 1] + x[(2 * r + 1) * 28 + 2 * c]
                        + x[(2 * r + 1) * 28 + 2 * c + 1]) / 4;
            }
        }
        return h;
    }

    /** 14x14 to 28x28, bilinear, pixel centres aligned. */
    static double[] bilinearUpscale(double[] h) {
        double[] x = new double[784];
        for (int r = 0; r < 28; r++) {
            for (int c = 0; c < 28; c++) {
                double y = Math.max(0, Math.min(13, (r + 0.5) / 2 - 0.5));
                double w = Math.max(0, Math.min(13, (c + 0.5) / 2 - 0.5));
                int y0 = (int) y;
                int w0 = (int) w;
                int y1 = Math.min(13, y0 + 1);
                int w1 = Math.min(13, w0 + 1);
                double fy = y - y0;
                double fw = w - w0;
                x[r * 28 + c] = (1 - fy) * ((1 - fw) * h[y0 * 14 + w0] + fw * h[y0 * 14 + w1])
                        + fy * ((1 - fw) * h[y1 * 14 + w0] + fw * h[y1 * 14 + w1]);
            }
        }
        return x;
    }

    /** A Gaussian blur of {@code sigma} pixels (a 5x5 kernel, edges replicated). */
    static double[] gaussianBlur(double[] x, double sigma) {
        double[] k = new double[5];
        double sum = 0;
        for (int i = 0; i < 5; i++) {
            k[i] = Math.exp(-(i - 2) * (i - 2) / (2 * sigma * sigma));
            sum += k[i];
        }
        double[] out = new double[784];
        for (int r = 0; r < 28; r++) {
            for (int c = 0; c < 28; c++) {
                double v = 0;
                for (int dy = -2; dy <= 2; dy++) {
                    for (int dx = -2; dx <= 2; dx++) {
                        int rr = Math.max(0, Math.min(27, r + dy));
                        int cc = Math.max(0, Math.min(27, c + dx));
                        v += k[dy + 2] * k[dx + 2] * x[rr * 28 + cc];
                    }
                }
                out[r * 28 + c] = v / (sum * sum);
            }
        }
        return out;
    }

    @Test
    void aboutHalfOfAPriorAttackersProbesAreSmootherThanTheFloor() {
        double[][] train = FashionMnist.trainImages(40_000);
        PcaBasis basis = PcaBasis.learn(List.of(Arrays.copyOfRange(train, 30_000, 40_000)), 40, 7);
        SplittableRandom random = new SplittableRandom(11);
        int smooth = 0;
        int probes = 0;
        for (int walk = 0; walk < 20; walk++) {
            double[] z = new double[basis.size()];
            for (int j = 0; j < z.length; j++) {
                z[j] = 0.8 * random.nextGaussian(); // a point the walk has reached
            }
            for (int p = 0; p < 50; p++) {
                double[] u = z.clone();
                for (int j = 0; j < u.length; j++) {
                    u[j] += random.nextGaussian();
                }
                smooth += smooth(basis.image(u)) ? 1 : 0;
                probes++;
            }
        }
        double share = smooth / (double) probes;
        System.out.printf(Locale.ROOT, "smooth prior-attack probes (sigma 1): %.3f of %d%n", share, probes);
        assertThat(share).isGreaterThan(0.3);
    }
}
