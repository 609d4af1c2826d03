package dev.veil.examples.inversion;

import java.util.SplittableRandom;

/**
 * The prior attacker's knowledge: the mean and the top principal components (with their standard
 * deviations) of public unlabelled images of the same domain, found by subspace iteration on the
 * covariance. A point is given by whitened coefficients (each in units of its component's deviation).
 */
final class Pca {
    private final double[] mean;
    private final double[][] components;
    private final double[] std;

    private Pca(double[] mean, double[][] components, double[] std) {
        this.mean = mean;
        this.components = components;
        this.std = std;
    }

    /** Learns {@code k} components from {@code x[from..to)}. */
    static Pca learn(double[][] x, int from, int to, int k, long seed) {
        int d = x[from].length;
        int n = to - from;
        double[] mean = new double[d];
        for (int s = from; s < to; s++) {
            for (int j = 0; j < d; j++) {
                mean[j] += x[s][j] / n;
            }
        }
        double[][] cov = new double[d][d];
        double[] c = new double[d];
        for (int s = from; s < to; s++) {
            for (int j = 0; j < d; j++) {
                c[j] = x[s][j] - mean[j];
            }
            for (int i = 0; i < d; i++) {
                double ci = c[i];
                if (ci != 0) {
                    double[] row = cov[i];
                    for (int j = i; j < d; j++) {
                        row[j] += ci * c[j];
                    }
                }
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                cov[i][j] /= n;
                cov[j][i] = cov[i][j];
            }
        }
        SplittableRandom r = new SplittableRandom(seed);
        double[][] v = new double[k][d];
        for (double[] row : v) {
            for (int j = 0; j < d; j++) {
                row[j] = Attacker.gaussian(r);
            }
        }
        orthonormalise(v);
        for (int it = 0; it < 30; it++) {
            double[][] next = new double[k][d];
            for (int a = 0; a < k; a++) {
                for (int i = 0; i < d; i++) {
                    double s = 0;
                    double[] row = cov[i];
                    for (int j = 0; j < d; j++) {
                        s += row[j] * v[a][j];
                    }
                    next[a][i] = s;
                }
            }
            v = next;
            orthonormalise(v);
        }
        double[] std = new double[k];
        for (int a = 0; a < k; a++) {
            double var = 0;
            for (int i = 0; i < d; i++) {
                double s = 0;
                for (int j = 0; j < d; j++) {
                    s += cov[i][j] * v[a][j];
                }
                var += v[a][i] * s; // v' C v: the variance along the component
            }
            std[a] = Math.sqrt(var);
        }
        return new Pca(mean, v, std);
    }

    private static void orthonormalise(double[][] v) {
        for (int a = 0; a < v.length; a++) {
            for (int b = 0; b < a; b++) {
                double dot = 0;
                for (int j = 0; j < v[a].length; j++) {
                    dot += v[a][j] * v[b][j];
                }
                for (int j = 0; j < v[a].length; j++) {
                    v[a][j] -= dot * v[b][j];
                }
            }
            double norm = 0;
            for (double e : v[a]) {
                norm += e * e;
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < v[a].length; j++) {
                v[a][j] /= norm;
            }
        }
    }

    /** The number of components. */
    int size() {
        return components.length;
    }

    /** The image at whitened coefficients {@code z}, clipped to [0, 1]. */
    double[] image(double[] z) {
        double[] x = mean.clone();
        for (int a = 0; a < components.length; a++) {
            double coef = z[a] * std[a];
            double[] v = components[a];
            for (int j = 0; j < x.length; j++) {
                x[j] += coef * v[j];
            }
        }
        for (int j = 0; j < x.length; j++) {
            x[j] = Attacker.clip(x[j]);
        }
        return x;
    }
}
