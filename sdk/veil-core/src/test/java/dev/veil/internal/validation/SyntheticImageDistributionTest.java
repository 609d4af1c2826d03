package dev.veil.internal.validation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.Features;
import dev.veil.ReasonCode;
import dev.veil.spi.InputContract;
import dev.veil.spi.InputContract.DistributionCheck;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The distribution check on realistic image-like data: 2000 smooth synthetic 28x28 images (one to
 * three blurred blobs in [0, 1]) train the statistics; held-out images must pass, probe images
 * (blank, saturated, noise) must be refused.
 */
class SyntheticImageDistributionTest {
    private static final int SIDE = 28;
    private static final double STD_FLOOR = 0.05;

    private static List<double[]> train;
    private static List<double[]> heldOut;
    private static TrainingStats stats;
    private static CompiledContract contract;
    private static final Random RANDOM = new Random(20261129);

    /** One to three Gaussian blobs, clipped to [0, 1]: smooth like a natural image. */
    private static double[] blobImage(Random r) {
        double[] img = new double[SIDE * SIDE];
        int blobs = 1 + r.nextInt(3);
        for (int b = 0; b < blobs; b++) {
            double cx = 6 + 16 * r.nextDouble();
            double cy = 6 + 16 * r.nextDouble();
            double sigma = 1.5 + 2 * r.nextDouble();
            double amplitude = 0.6 + 0.4 * r.nextDouble();
            for (int y = 0; y < SIDE; y++) {
                for (int x = 0; x < SIDE; x++) {
                    double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                    img[y * SIDE + x] += amplitude * Math.exp(-d2 / (2 * sigma * sigma));
                }
            }
        }
        for (int i = 0; i < img.length; i++) {
            img[i] = Math.min(1, img[i]);
        }
        return img;
    }

    private static double[] uniformNoise(Random r, double high) {
        double[] img = new double[SIDE * SIDE];
        for (int i = 0; i < img.length; i++) {
            img[i] = high * r.nextDouble();
        }
        return img;
    }

    private static CompiledContract imageContract(DistributionCheck d) {
        return CompiledContract.compile(new InputContract(List.of(SIDE, SIDE), 0, 1, Map.of(), true, List.of(), 0, d));
    }

    @BeforeAll
    static void train() throws Exception {
        train = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            train.add(blobImage(RANDOM));
        }
        heldOut = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            heldOut.add(blobImage(RANDOM));
        }
        stats = TrainingStats.compute(train, 0.001, 0.999);
        // through the bundle's data.json, as a policy loader reads it
        ObjectMapper json = new ObjectMapper();
        Object document = json.readValue(json.writeValueAsString(stats.toData()), Object.class);
        contract = imageContract(TrainingStats.fromData(document, "synthetic data.json", STD_FLOOR, 0, 0, true));
    }

    @Test
    void shouldPassHeldOutImages() {
        for (int i = 0; i < heldOut.size(); i++) {
            assertThat(contract.check(Features.of(heldOut.get(i)), -1)).as("held-out image %d", i).isNull();
        }
    }

    @Test
    void shouldRefuseBlankImage() {
        Violation v = contract.check(Features.of(new double[SIDE * SIDE]), -1);
        assertThat(v.code()).isEqualTo(ReasonCode.OUT_OF_DISTRIBUTION);
        assertThat(v.rule()).isEqualTo("distribution");
        assertThat(v.message()).startsWith("the input's standard deviation is 0.000, outside the range seen in training");
    }

    @Test
    void shouldRefuseSaturatedImage() {
        double[] white = new double[SIDE * SIDE];
        Arrays.fill(white, 1);
        Violation v = contract.check(Features.of(white), -1);
        assertThat(v.code()).isEqualTo(ReasonCode.OUT_OF_DISTRIBUTION);
        assertThat(v.message()).startsWith("the input's mean is 1.000, outside the range seen in training");
    }

    @Test
    void shouldRefuseUniformNoise() {
        for (int i = 0; i < 20; i++) {
            Violation v = contract.check(Features.of(uniformNoise(RANDOM, 1)), -1);
            assertThat(v).isNotNull();
            assertThat(v.code()).isEqualTo(ReasonCode.OUT_OF_DISTRIBUTION);
            assertThat(v.rule()).isEqualTo("distribution");
        }
    }

    @Test
    void shouldRefuseFaintNoiseWhoseMeanAndStdLookNormalByItsRoughness() {
        for (int i = 0; i < 20; i++) {
            double[] faint = uniformNoise(RANDOM, 0.3); // mean 0.15 and std 0.09 are within the training ranges
            Violation v = contract.check(Features.of(faint), -1);
            assertThat(v).isNotNull();
            assertThat(v.code()).isEqualTo(ReasonCode.OUT_OF_DISTRIBUTION);
            assertThat(v.message()).startsWith("the input's roughness");
        }
    }

    @Test
    void shouldShowThatAPerPixelBoundCalibratedOnTrainingMissesBlankAndFaintNoise() {
        double[] mean = stats.mean();
        double[] std = stats.std();
        double maxAbsZ = 0;
        for (double[] x : train) {
            for (int i = 0; i < x.length; i++) {
                maxAbsZ = Math.max(maxAbsZ, Math.abs((x[i] - mean[i]) / Math.max(std[i], STD_FLOOR)));
            }
        }
        CompiledContract perPixel = imageContract(stats.toCheck(STD_FLOOR, maxAbsZ, 0, false));
        for (double[] x : train) {
            assertThat(perPixel.check(Features.of(x), -1)).isNull();
        }
        double[] blank = new double[SIDE * SIDE];
        double[] faint = uniformNoise(RANDOM, 0.3);
        assertThat(perPixel.check(Features.of(blank), -1)).isNull();
        assertThat(perPixel.check(Features.of(faint), -1)).isNull();
        assertThat(contract.check(Features.of(blank), -1)).isNotNull();
        assertThat(contract.check(Features.of(faint), -1)).isNotNull();
    }
}
