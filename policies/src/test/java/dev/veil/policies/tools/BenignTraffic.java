package dev.veil.policies.tools;

import dev.veil.policies.SoftmaxRegression;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Benign query streams of real Fashion-MNIST images, for the image-classifier bundle's monitoring:
 * the traffic its detector thresholds were calibrated on ({@code veil calibrate}) and the traffic
 * its false-alarm test sends through a Guard.
 *
 * <p>Each caller sends {@code perCaller} independent images drawn from a pool of real images (a
 * shuffled pass over the pool, reshuffled when it runs out, so an image may come back for another
 * caller: a popular input). The gap between a caller's queries is exponential with a mean of
 * {@link #MEAN_GAP_MS}; callers start at uniform times spread so that about
 * {@link #CONCURRENT_RATE} queries a second reach the service from all callers together, whatever
 * their number. After a query, with probability {@code retry}, the caller sends the same image
 * again 1 to 3 s later (a client's retry). With probability {@code singleClass} a caller sends
 * images of one class only (a shop that catalogues only trousers); with probability {@code heavy} it
 * sends ten times as many images as the others (a batch client).
 *
 * <p>As a command it writes a replay trace ({@code veil monitor replay}, {@code veil calibrate}):
 * one JSON line per query with the caller (role {@code analyst} of tenant {@code acme}, whom the bundle admits), the time, the pixels (5 decimals)
 * and the scores of the softmax-regression model the Guard tests train (first 6,000 training
 * images, 5 epochs, seed 1):
 *
 * <pre>
 * java -cp "$CP" dev.veil.policies.tools.BenignTraffic OUT.jsonl POOL CALLERS PER_CALLER SEED [SINGLE_CLASS [HEAVY]]
 * </pre>
 *
 * where POOL is {@code train} (training images 6,000 to 59,999: neither the model nor the tests
 * see them) or {@code test} (the 10,000 test images).
 */
public final class BenignTraffic {
    /** Mean gap between one caller's queries. */
    public static final long MEAN_GAP_MS = 10_000;
    /** Queries a second over the whole service, about (see the class comment). */
    public static final double CONCURRENT_RATE = 20;
    /** Share of queries followed by an exact retry. */
    public static final double RETRY = 0.03;
    /** Training images the model of the tests is trained on (the pool {@code train} starts after them). */
    public static final int MODEL_TRAINING_IMAGES = 6000;

    /** One query: who, when, and which image of the pool. */
    public record Query(String caller, long tsMs, int image) {}

    private BenignTraffic() {}

    /**
     * The queries of {@code callers} callers, in time order.
     *
     * @param labels the labels of the pool's images (for single-class callers)
     * @param perCaller distinct images per caller
     * @param retry probability of an exact retry after a query
     * @param singleClass share of callers who send one class only
     * @param heavy share of callers who send ten times as many images (batch clients)
     * @param startMs time of the earliest possible query
     */
    public static List<Query> queries(int[] labels, int callers, int perCaller, double retry, double singleClass,
            double heavy, long seed, long startMs) {
        SplittableRandom r = new SplittableRandom(seed);
        int pool = labels.length;
        int[] order = shuffled(pool, r);
        int next = 0;
        List<Query> out = new ArrayList<>();
        // callers start over the time that keeps about CONCURRENT_RATE queries a second in flight
        long spreadMs = Math.max(1000, (long) (callers * perCaller * 1000.0 / CONCURRENT_RATE) - perCaller * MEAN_GAP_MS);
        for (int c = 0; c < callers; c++) {
            String caller = String.format(Locale.ROOT, "user-%04d", c);
            long t = startMs + (long) (r.nextDouble() * spreadMs);
            int onlyClass = r.nextDouble() < singleClass ? r.nextInt(10) : -1;
            int n = r.nextDouble() < heavy ? 10 * perCaller : perCaller;
            for (int q = 0; q < n; q++) {
                int image;
                if (onlyClass < 0) {
                    if (next == pool) {
                        order = shuffled(pool, r);
                        next = 0;
                    }
                    image = order[next++];
                } else {
                    do {
                        image = r.nextInt(pool);
                    } while (labels[image] != onlyClass);
                }
                t += 1 + (long) (-Math.log(1 - r.nextDouble()) * MEAN_GAP_MS);
                out.add(new Query(caller, t, image));
                if (r.nextDouble() < retry) {
                    t += 1000 + r.nextInt(2000);
                    out.add(new Query(caller, t, image));
                }
            }
        }
        out.sort(Comparator.comparingLong(Query::tsMs).thenComparing(Query::caller));
        return out;
    }

    private static int[] shuffled(int n, SplittableRandom r) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    /** The model the Guard tests train: softmax regression on the first 6,000 training images. */
    public static SoftmaxRegression model() {
        return SoftmaxRegression.train(FashionMnist.trainImages(MODEL_TRAINING_IMAGES),
                FashionMnist.trainLabels(MODEL_TRAINING_IMAGES), FashionMnist.CLASSES, 5, 50, 0.5, 1);
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 5) {
            System.err.println("usage: BenignTraffic OUT.jsonl train|test CALLERS PER_CALLER SEED [SINGLE_CLASS [HEAVY]]");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        double[][] images;
        int[] labels;
        if (args[1].equals("train")) {
            double[][] all = FashionMnist.trainImages(Integer.MAX_VALUE);
            int[] allLabels = FashionMnist.trainLabels(Integer.MAX_VALUE);
            images = java.util.Arrays.copyOfRange(all, MODEL_TRAINING_IMAGES, all.length);
            labels = java.util.Arrays.copyOfRange(allLabels, MODEL_TRAINING_IMAGES, allLabels.length);
        } else {
            images = FashionMnist.testImages(Integer.MAX_VALUE);
            labels = FashionMnist.testLabels(Integer.MAX_VALUE);
        }
        int callers = Integer.parseInt(args[2]);
        int perCaller = Integer.parseInt(args[3]);
        long seed = Long.parseLong(args[4]);
        double single = args.length > 5 ? Double.parseDouble(args[5]) : 0;
        double heavy = args.length > 6 ? Double.parseDouble(args[6]) : 0;
        SoftmaxRegression model = model();
        List<Query> qs = queries(labels, callers, perCaller, RETRY, single, heavy, seed, 1_780_000_000_000L);
        String[] pixel = new String[256];
        for (int k = 0; k < 256; k++) {
            pixel[k] = k == 0 ? "0" : k == 255 ? "1" : String.format(Locale.ROOT, "%.5f", k / 255.0);
        }
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            StringBuilder b = new StringBuilder(1 << 14);
            for (Query q : qs) {
                double[] x = images[q.image()];
                b.setLength(0);
                b.append("{\"caller\":\"").append(q.caller()).append("\",\"tenant\":\"acme\",\"roles\":[\"analyst\"],\"ts_ms\":")
                        .append(q.tsMs()).append(",\"features\":[");
                for (int i = 0; i < x.length; i++) {
                    b.append(i == 0 ? "" : ",").append(pixel[(int) Math.round(x[i] * 255)]);
                }
                b.append("],\"scores\":[");
                double[] p = model.probabilities(x);
                for (int i = 0; i < p.length; i++) {
                    b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.6g", p[i]));
                }
                b.append("]}\n");
                w.write(b.toString());
            }
        }
        System.out.printf(Locale.ROOT, "%d queries from %d callers (%s pool, seed %d, single-class %.2f, heavy %.2f) -> %s%n",
                qs.size(), callers, args[1], seed, single, heavy, out);
    }
}
