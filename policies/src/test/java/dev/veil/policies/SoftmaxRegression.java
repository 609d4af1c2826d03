package dev.veil.policies;

import dev.veil.Prediction;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A real, small image classifier for the end-to-end tests: multinomial logistic (softmax)
 * regression on the raw pixels, trained with mini-batch gradient descent. On Fashion-MNIST a few
 * thousand training images and a few epochs give about 80% test accuracy in about a second.
 * Immutable after {@link #train}; {@link #predict} is thread-safe.
 */
public final class SoftmaxRegression {
    private final List<String> labels;
    private final double[][] w; // [class][pixel]
    private final double[] b;

    private SoftmaxRegression(List<String> labels, double[][] w, double[] b) {
        this.labels = labels;
        this.w = w;
        this.b = b;
    }

    /**
     * Trains on {@code x} (vectors) with labels {@code y} (indices into {@code labels}).
     *
     * @param epochs passes over the data
     * @param batch mini-batch size
     * @param rate learning rate
     * @param seed shuffling seed
     */
    public static SoftmaxRegression train(double[][] x, int[] y, List<String> labels, int epochs, int batch, double rate,
            long seed) {
        int k = labels.size();
        int d = x[0].length;
        double[][] w = new double[k][d];
        double[] b = new double[k];
        int[] order = new int[x.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Random random = new Random(seed);
        double[][] gw = new double[k][d];
        double[] gb = new double[k];
        double[] p = new double[k];
        for (int e = 0; e < epochs; e++) {
            for (int i = order.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int start = 0; start < order.length; start += batch) {
                int end = Math.min(order.length, start + batch);
                for (double[] row : gw) {
                    Arrays.fill(row, 0);
                }
                Arrays.fill(gb, 0);
                for (int s = start; s < end; s++) {
                    double[] xi = x[order[s]];
                    probabilities(w, b, xi, p);
                    p[y[order[s]]] -= 1;
                    for (int c = 0; c < k; c++) {
                        double g = p[c];
                        if (g == 0) {
                            continue;
                        }
                        double[] gwc = gw[c];
                        for (int i = 0; i < d; i++) {
                            gwc[i] += g * xi[i];
                        }
                        gb[c] += g;
                    }
                }
                double step = rate / (end - start);
                for (int c = 0; c < k; c++) {
                    for (int i = 0; i < d; i++) {
                        w[c][i] -= step * gw[c][i];
                    }
                    b[c] -= step * gb[c];
                }
            }
        }
        return new SoftmaxRegression(List.copyOf(labels), w, b);
    }

    private static void probabilities(double[][] w, double[] b, double[] x, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < w.length; c++) {
            double z = b[c];
            double[] wc = w[c];
            for (int i = 0; i < x.length; i++) {
                z += wc[i] * x[i];
            }
            out[c] = z;
            max = Math.max(max, z);
        }
        double sum = 0;
        for (int c = 0; c < out.length; c++) {
            out[c] = Math.exp(out[c] - max);
            sum += out[c];
        }
        for (int c = 0; c < out.length; c++) {
            out[c] /= sum;
        }
    }

    /** Class probabilities of one image, by label index. */
    public double[] probabilities(double[] x) {
        double[] p = new double[w.length];
        probabilities(w, b, x, p);
        return p;
    }

    /** Class probabilities of one image. */
    public Prediction predict(double[] x) {
        double[] p = new double[w.length];
        probabilities(w, b, x, p);
        return Prediction.classification(labels, p);
    }

    /** Share of {@code x} classified as {@code y}. */
    public double accuracy(double[][] x, int[] y) {
        int right = 0;
        for (int i = 0; i < x.length; i++) {
            if (predict(x[i]).topIndex() == y[i]) {
                right++;
            }
        }
        return (double) right / x.length;
    }
}
