package dev.veil.internal.monitor.answers;

import java.util.Random;

/**
 * A seeded synthetic 10-class image distribution in [0, 1]^784 (28x28) and the linear softmax model
 * that answers on it (a nearest-class-mean classifier: logit_k = beta (mu_k . x - |mu_k|^2 / 2),
 * with mu_k the mean of 200 samples of class k).
 *
 * <p>An image of class k has two smooth blobs at class-specific places (jittered by about 1.5
 * pixels), random widths and brightness, a distractor blob in one image out of three and faint
 * pixel noise: independent images are far apart (root mean square difference per pixel about 0.15
 * to 0.3) while the classes overlap a little, so that some honest answers have low margins.
 */
final class SyntheticImages {
    static final int SIDE = 28;
    static final int D = SIDE * SIDE;
    static final int K = 10;
    private static final double BETA = 1.0;

    private final double[][] mu = new double[K][D];
    private final double[] half = new double[K];

    SyntheticImages(long seed) {
        Random r = new Random(seed);
        int n = 200;
        for (int k = 0; k < K; k++) {
            for (int i = 0; i < n; i++) {
                double[] x = sample(k, r);
                for (int j = 0; j < D; j++) {
                    mu[k][j] += x[j] / n;
                }
            }
            double s = 0;
            for (int j = 0; j < D; j++) {
                s += mu[k][j] * mu[k][j];
            }
            half[k] = s / 2;
        }
    }

    /** A random image of class k. */
    static double[] sample(int k, Random r) {
        double[] img = new double[D];
        double a = 2 * Math.PI * k / K;
        double b = a + Math.PI * (1 + k % 3) / 4;
        blob(img, 14 + 7 * Math.cos(a) + 1.5 * r.nextGaussian(), 14 + 7 * Math.sin(a) + 1.5 * r.nextGaussian(),
                1.8 + 1.2 * r.nextDouble(), 0.6 + 0.4 * r.nextDouble());
        blob(img, 14 + 4 * Math.cos(b) + 1.5 * r.nextGaussian(), 14 + 4 * Math.sin(b) + 1.5 * r.nextGaussian(),
                1.5 + 1.0 * r.nextDouble(), 0.4 + 0.4 * r.nextDouble());
        if (r.nextInt(3) == 0) {
            blob(img, 4 + 20 * r.nextDouble(), 4 + 20 * r.nextDouble(), 1.5 + 1.5 * r.nextDouble(),
                    0.3 + 0.5 * r.nextDouble());
        }
        for (int i = 0; i < D; i++) {
            img[i] = clip(img[i] + 0.03 * r.nextGaussian());
        }
        return img;
    }

    private static void blob(double[] img, double cx, double cy, double sigma, double amplitude) {
        double[] ex = new double[SIDE];
        double[] ey = new double[SIDE];
        for (int i = 0; i < SIDE; i++) {
            ex[i] = Math.exp(-(i - cx) * (i - cx) / (2 * sigma * sigma));
            ey[i] = Math.exp(-(i - cy) * (i - cy) / (2 * sigma * sigma));
        }
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                img[y * SIDE + x] += amplitude * ex[x] * ey[y];
            }
        }
    }

    static double clip(double v) {
        return v < 0 ? 0 : v > 1 ? 1 : v;
    }

    /** The model's softmax probabilities for x. */
    double[] scores(double[] x) {
        double[] z = new double[K];
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < K; k++) {
            double dot = 0;
            double[] m = mu[k];
            for (int j = 0; j < D; j++) {
                dot += m[j] * x[j];
            }
            z[k] = BETA * (dot - half[k]);
            max = Math.max(max, z[k]);
        }
        double sum = 0;
        for (int k = 0; k < K; k++) {
            z[k] = Math.exp(z[k] - max);
            sum += z[k];
        }
        for (int k = 0; k < K; k++) {
            z[k] /= sum;
        }
        return z;
    }

    /** The class mean (the direction an attacker climbing toward k ends up following). */
    double[] mean(int k) {
        return mu[k].clone();
    }

    static int argmax(double[] s) {
        int best = 0;
        for (int i = 1; i < s.length; i++) {
            if (s[i] > s[best]) {
                best = i;
            }
        }
        return best;
    }

    static double rms(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(s / a.length);
    }
}
