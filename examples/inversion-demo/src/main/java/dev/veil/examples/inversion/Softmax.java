package dev.veil.examples.inversion;

import java.util.SplittableRandom;

/**
 * A softmax regression over 784 pixels, trained by mini-batch gradient descent: the model under
 * attack, and (trained on other images) the independent judge of what the attacker reconstructed.
 */
final class Softmax implements Classifier {
    private final double[][] w; // [class][pixel]
    private final double[] b;

    private Softmax(double[][] w, double[] b) {
        this.w = w;
        this.b = b;
    }

    /** Trains on images {@code x[from..to)} with labels {@code y}: {@code epochs} passes, batches of 50, rate 0.5 / (1 + epoch). */
    static Softmax train(double[][] x, int[] y, int from, int to, int classes, int epochs, long seed) {
        int d = x[0].length;
        double[][] w = new double[classes][d];
        double[] b = new double[classes];
        double[][] gw = new double[classes][d];
        double[] gb = new double[classes];
        double[] p = new double[classes];
        int[] order = new int[to - from];
        for (int i = 0; i < order.length; i++) {
            order[i] = from + i;
        }
        SplittableRandom r = new SplittableRandom(seed);
        int batch = 50;
        for (int e = 0; e < epochs; e++) {
            double rate = 0.5 / (1 + e); // decaying, so that the last epochs settle whatever the shuffle
            for (int i = order.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int start = 0; start < order.length; start += batch) {
                int end = Math.min(order.length, start + batch);
                for (int s = start; s < end; s++) {
                    double[] xi = x[order[s]];
                    probabilities(w, b, xi, p);
                    p[y[order[s]]] -= 1;
                    for (int c = 0; c < classes; c++) {
                        double g = p[c];
                        double[] gwc = gw[c];
                        for (int i = 0; i < d; i++) {
                            gwc[i] += g * xi[i];
                        }
                        gb[c] += g;
                    }
                }
                double step = rate / (end - start);
                for (int c = 0; c < classes; c++) {
                    for (int i = 0; i < d; i++) {
                        w[c][i] -= step * gw[c][i];
                        gw[c][i] = 0;
                    }
                    b[c] -= step * gb[c];
                    gb[c] = 0;
                }
            }
        }
        return new Softmax(w, b);
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

    /** The class probabilities of one image, by class index. */
    double[] probabilities(double[] x) {
        double[] p = new double[w.length];
        probabilities(w, b, x, p);
        return p;
    }

    /** The most probable class of one image. */
    @Override
    public int classify(double[] x) {
        double[] p = probabilities(x);
        int best = 0;
        for (int c = 1; c < p.length; c++) {
            if (p[c] > p[best]) {
                best = c;
            }
        }
        return best;
    }
}
