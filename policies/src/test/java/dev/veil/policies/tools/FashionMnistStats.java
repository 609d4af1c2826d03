package dev.veil.policies.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.veil.internal.validation.TrainingStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes the training statistics of the image-classifier bundle: the distribution check's
 * per-pixel mean and standard deviation and the summary ranges (mean, std, roughness at the 0.1%
 * and 99.9% quantiles, widened by 10%) of the 60,000 real Fashion-MNIST training images, as
 * {@link TrainingStats#compute} defines them.
 *
 * <p>Run from the repository root (the exact command is in {@code policies/README.md}):
 * <pre>
 * java -cp "$(cat policies/target/test-classpath.txt):policies/target/test-classes" \
 *     dev.veil.policies.tools.FashionMnistStats [images.gz] [out/data.json]
 * </pre>
 * Defaults: {@code /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz} and
 * {@code policies/bundles/image-classifier/training/stats/data.json}.
 */
public final class FashionMnistStats {
    /** Lower quantile of the summary ranges. */
    public static final double QUANTILE_LOW = 0.001;
    /** Upper quantile of the summary ranges. */
    public static final double QUANTILE_HIGH = 0.999;

    private FashionMnistStats() {}

    /**
     * Computes the statistics document for the given images.
     *
     * @param images the training images, each a vector in [0, 1], iterated once
     * @return the document {@link TrainingStats#toData()} writes
     */
    public static Map<String, Object> statistics(Iterable<double[]> images) {
        return TrainingStats.compute(images, QUANTILE_LOW, QUANTILE_HIGH).toData();
    }

    /**
     * Reads the images, computes the statistics and writes them as JSON.
     *
     * @param args optional: the IDX image file, then the output file
     * @throws IOException when the output cannot be written
     */
    public static void main(String[] args) throws IOException {
        if (args.length > 2) {
            throw new IllegalArgumentException("usage: FashionMnistStats [train-images-idx3-ubyte.gz] [data.json]");
        }
        Path images = args.length > 0 ? Path.of(args[0]) : FashionMnist.DEFAULT_DIR.resolve(FashionMnist.TRAIN_IMAGES);
        Path out = args.length > 1 ? Path.of(args[1])
                : Path.of("policies/bundles/image-classifier/training/stats/data.json");
        Map<String, Object> stats = statistics(FashionMnist.stream(images));
        Files.createDirectories(out.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), stats);
        System.out.println("wrote the statistics of " + stats.get("samples") + " images from " + images + " to " + out
                + ": summary " + summaryText(stats));
    }

    @SuppressWarnings("unchecked")
    private static String summaryText(Map<String, Object> stats) {
        StringBuilder sb = new StringBuilder();
        ((Map<String, Object>) stats.get("summary")).forEach((k, v) -> sb.append(k).append(' ').append(v).append("; "));
        return sb.toString();
    }
}
