package dev.veil.internal.monitor.traffic;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The target model of the attacks: multinomial logistic regression (a linear softmax model) over
 * the synthetic digit classes, trained with a few epochs of SGD. Immutable once trained.
 */
public final class SoftmaxModel {
    private final double[][] w;
    private final double[] b;

    private SoftmaxModel(double[][] w, double[] b) {
        this.w = w;
        this.b = b;
    }

    /** Trains on {@code n} fresh samples drawn with {@code seed}. */
    public static SoftmaxModel train(long seed, int n, int epochs) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] x = new double[n][];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(SyntheticDigits.CLASSES);
            x[i] = SyntheticDigits.sample(r, y[i]);
        }
        int c = SyntheticDigits.CLASSES;
        int d = SyntheticDigits.D;
        double[][] w = new double[c][d];
        double[] b = new double[c];
        SoftmaxModel m = new SoftmaxModel(w, b);
        double lr = 0.05;
        for (int e = 0; e < epochs; e++) {
            for (int i = 0; i < n; i++) {
                double[] p = m.scores(x[i]);
                for (int k = 0; k < c; k++) {
                    double g = p[k] - (k == y[i] ? 1 : 0);
                    double[] wk = w[k];
                    for (int j = 0; j < d; j++) {
                        wk[j] -= lr * (g * x[i][j] + 1e-4 * wk[j]);
                    }
                    b[k] -= lr * g;
                }
            }
            lr *= 0.6;
        }
        return m;
    }

    /** Class probabilities. */
    public double[] scores(double[] x) {
        int c = w.length;
        double[] z = new double[c];
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < c; k++) {
            double s = b[k];
            double[] wk = w[k];
            for (int j = 0; j < x.length; j++) {
                s += wk[j] * x[j];
            }
            z[k] = s;
            max = Math.max(max, s);
        }
        double sum = 0;
        for (int k = 0; k < c; k++) {
            z[k] = Math.exp(z[k] - max);
            sum += z[k];
        }
        for (int k = 0; k < c; k++) {
            z[k] /= sum;
        }
        return z;
    }

    /** The top class. */
    public int label(double[] x) {
        return argmax(scores(x));
    }

    static int argmax(double[] s) {
        int best = 0;
        for (int k = 1; k < s.length; k++) {
            if (s[k] > s[best]) {
                best = k;
            }
        }
        return best;
    }

    /** Share of {@code xs} labelled as {@code ys}. */
    public double accuracy(List<double[]> xs, int[] ys) {
        int ok = 0;
        for (int i = 0; i < xs.size(); i++) {
            ok += label(xs.get(i)) == ys[i] ? 1 : 0;
        }
        return ok / (double) xs.size();
    }
}
