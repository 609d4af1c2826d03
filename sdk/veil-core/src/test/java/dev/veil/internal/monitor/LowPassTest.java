package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LowPassTest {

    @Test
    void averagesTilesOfARowMajorImage() {
        // a 4 x 4 image, tiles of 2 x 2
        double[] x = {
            1, 3, 0, 0,
            5, 7, 0, 8,
            2, 2, 1, 1,
            2, 2, 1, 5};
        assertThat(new LowPass(2, 4).apply(x)).containsExactly(4, 2, 2, 2);
        assertThat(LowPass.NONE.apply(x)).isSameAs(x);
    }

    @Test
    void keepsTheMeanOfTheImageAndShrinksIndependentNoiseByTheTileSize() {
        // every tile mean is a mean of block^2 values: the image's mean is kept, and per-pixel noise of
        // standard deviation s has standard deviation s / block in the tiles
        qt().withExamples(200).forAll(integers().between(2, 8), integers().between(1, 6), longs().all())
                .checkAssert((block, tiles, seed) -> {
                    int width = block * tiles;
                    SplittableRandom r = new SplittableRandom(seed);
                    double[] x = new double[width * width];
                    double sum = 0;
                    for (int i = 0; i < x.length; i++) {
                        x[i] = r.nextDouble();
                        sum += x[i];
                    }
                    double[] v = new LowPass(block, width).apply(x);
                    assertThat(v).hasSize(tiles * tiles);
                    double viewSum = 0;
                    for (double t : v) {
                        viewSum += t;
                    }
                    assertThat(viewSum / v.length).isCloseTo(sum / x.length, within(1e-9));
                });
        SplittableRandom r = new SplittableRandom(3);
        double[] noise = new double[28 * 28 * 100];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = r.nextGaussian() * 0.2;
        }
        double[] v = new LowPass(4, 28).apply(noise);
        double ss = 0;
        for (double t : v) {
            ss += t * t;
        }
        assertThat(Math.sqrt(ss / v.length)).isCloseTo(0.05, within(0.005));
    }

    @Test
    void refusesInputsThatAreNotWholeTiledImagesAndBadKeys() {
        assertThatThrownBy(() -> new LowPass(4, 28).apply(new double[30]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pool 4 with width 28 needs an image of whole rows, a multiple of 4 of them; the input "
                        + "has 30 features");
        assertThatThrownBy(() -> new LowPass(4, 28).apply(new double[28 * 3]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LowPass(4, 30)).hasMessage("width must be a positive multiple of pool (4) with "
                + "pool > 1, was 30");
        assertThatThrownBy(() -> new LowPass(1, 28)).hasMessage("width is read only with pool > 1 (the image's "
                + "width in features)");
        assertThatThrownBy(() -> new LowPass(33, 33)).hasMessage("pool must be in [1, 32] (1 = off), was 33");
    }

    @Test
    void knnAndKnnGlobalReadPoolAndWidth() {
        assertThat(KnnDetector.Config.from(Map.of("pool", 4, "width", 28)).lowPass()).isEqualTo(new LowPass(4, 28));
        assertThat(KnnDetector.Config.from(Map.of()).lowPass()).isEqualTo(LowPass.NONE);
        assertThat(KnnGlobalDetector.Config.from(Map.of("pool", 2, "width", 8, "cell_width", 0.1)).lowPass())
                .isEqualTo(new LowPass(2, 8));
        assertThatThrownBy(() -> KnnDetector.Config.from(Map.of("pool", 4)))
                .hasMessageContaining("width must be a positive multiple of pool (4)");
    }

    @Test
    void knnScoresAWalkOfLargeProbesAsCloseOnlyThroughTheLowPassView() {
        // probes x +- 0.2 u around one image against independent images: on raw pixels the probes are as
        // far apart as the images (RMS about 0.28), on 4 x 4 tile means they are 4 times closer
        SplittableRandom r = new SplittableRandom(11);
        double[] center = new double[784];
        for (int i = 0; i < center.length; i++) {
            center[i] = 0.5;
        }
        KnnDetector raw = new KnnDetector("knn", new KnnDetector.Config(5, 50, 3, 64, 7919, 3600, 0.001, 0, 0));
        KnnDetector pooled = new KnnDetector("knn", new KnnDetector.Config(5, 50, 3, 64, 7919, 3600, 0.001, 0, 0,
                new LowPass(4, 28)));
        double rawScore = lastScore(raw, probes(center, 0.2, 12, r));
        double pooledScore = lastScore(pooled, probes(center, 0.2, 12, new SplittableRandom(11)));
        assertThat(rawScore).isGreaterThan(0.2);
        assertThat(pooledScore).isLessThan(rawScore / 3);
    }

    private static double lastScore(KnnDetector d, double[][] queries) {
        DetectorHarness h = new DetectorHarness(new dev.veil.internal.state.MemoryStateStore(1 << 24,
                java.time.Clock.systemUTC(), 100), d);
        double score = Double.NaN;
        for (int i = 0; i < queries.length; i++) {
            score = h.observe("mallory", 1_700_000_000_000L + i * 1000L, queries[i])[0].score();
        }
        return score;
    }

    private static double[][] probes(double[] center, double sigma, int n, SplittableRandom r) {
        double[][] out = new double[n][];
        for (int q = 0; q < n; q++) {
            out[q] = new double[center.length];
            for (int i = 0; i < center.length; i++) {
                out[q][i] = center[i] + sigma * r.nextGaussian();
            }
        }
        return out;
    }
}
