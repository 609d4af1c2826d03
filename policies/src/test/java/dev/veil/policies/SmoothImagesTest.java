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
 * images are smoother than its floor (0.238), per class, and how many of a prior attacker's probes
 * (NES in 40 principal components of public images, whitened, sigma 1) are.
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
