package dev.veil.internal.monitor.traffic;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A principal-component basis learned from "public" unlabeled images of the same distribution, as
 * the prior attacker ({@link Attacks#pcaSearch}) uses: mean, the top components (orthonormal) and
 * their standard deviations, found by subspace iteration on the covariance.
 */
public final class PcaBasis {
    private final double[] mean;
    private final double[][] components;
    private final double[] std;

    private PcaBasis(double[] mean, double[][] components, double[] std) {
        this.mean = mean;
        this.components = components;
        this.std = std;
    }

    /** Learns {@code k} components from {@code samples}. */
    public static PcaBasis learn(List<double[]> samples, int k, long seed) {
        int d = samples.get(0).length;
        int n = samples.size();
        double[] mean = new double[d];
        for (double[] x : samples) {
            for (int j = 0; j < d; j++) {
                mean[j] += x[j] / n;
            }
        }
        double[][] cov = new double[d][d];
        double[] c = new double[d];
        for (double[] x : samples) {
            for (int j = 0; j < d; j++) {
                c[j] = x[j] - mean[j];
            }
            for (int i = 0; i < d; i++) {
                double ci = c[i];
                if (ci == 0) {
                    continue;
                }
                double[] row = cov[i];
                for (int j = i; j < d; j++) {
                    row[j] += ci * c[j];
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
                row[j] = SyntheticDigits.gaussian(r);
            }
        }
        orthonormalise(v);
        double[][] next = new double[k][d];
        for (int it = 0; it < 30; it++) {
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
            double[][] t = v;
            v = next;
            next = t;
            orthonormalise(v);
        }
        double[] std = new double[k];
        for (int a = 0; a < k; a++) {
            double var = 0;
            for (double[] x : samples) {
                double p = 0;
                for (int j = 0; j < d; j++) {
                    p += (x[j] - mean[j]) * v[a][j];
                }
                var += p * p / n;
            }
            std[a] = Math.sqrt(var);
        }
        return new PcaBasis(mean, v, std);
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
            for (double x : v[a]) {
                norm += x * x;
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < v[a].length; j++) {
                v[a][j] /= norm;
            }
        }
    }

    /** Number of components. */
    public int size() {
        return components.length;
    }

    /** The image of whitened coefficients {@code z} (z_j in units of component j's std), clipped to [0, 1]. */
    public double[] image(double[] z) {
        double[] x = mean.clone();
        for (int a = 0; a < components.length; a++) {
            double coef = z[a] * std[a];
            double[] v = components[a];
            for (int j = 0; j < x.length; j++) {
                x[j] += coef * v[j];
            }
        }
        for (int j = 0; j < x.length; j++) {
            x[j] = Math.max(0, Math.min(1, x[j]));
        }
        return x;
    }

    /** The whitened coefficients of {@code x}. */
    public double[] coefficients(double[] x) {
        double[] z = new double[components.length];
        for (int a = 0; a < components.length; a++) {
            double p = 0;
            for (int j = 0; j < x.length; j++) {
                p += (x[j] - mean[j]) * components[a][j];
            }
            z[a] = p / std[a];
        }
        return z;
    }
}
