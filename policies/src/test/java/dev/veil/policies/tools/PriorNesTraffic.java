package dev.veil.policies.tools;

import dev.veil.policies.SoftmaxRegression;
import java.io.BufferedWriter;
import java.io.FileWriter;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A replay trace of the prior attacker of ML-DEFENCES.md section 8 ({@code veil monitor replay}'s
 * format, role analyst): NES in a 40-component PCA basis learned from 10,000 real training images
 * the model was not trained on (30,000 to 39,999, their labels unused), in whitened coefficients,
 * from the first test t-shirt the model gets right toward {@code pullover}. Antithetic pairs
 * {@code z +- sigma u}, ten pairs a step, a normalised gradient step with a Gaussian prior's pull
 * toward the mean image (as veil-core's test attack {@code PcaSearch}); every probe is the image of
 * its coefficients, clipped to [0, 1], so probes look like images rather than like noise. The
 * answers are the model's raw scores, {@code accounts} accounts round-robin, one query every
 * {@code spacing} ms. Prints the target score of the walk's point every 100 queries (its progress).
 *
 * <pre>java -cp "$CP" dev.veil.policies.tools.PriorNesTraffic OUT SIGMA ACCOUNTS QUERIES SPACING_MS [SEED]</pre>
 */
public final class PriorNesTraffic {
    static final int COMPONENTS = 40;
    static final int TARGET = 2; // pullover
    static final double LR = 0.05;
    static final double PRIOR = 0.1;

    private PriorNesTraffic() {}

    /** Writes the trace; see the class comment for the arguments. */
    public static void main(String[] a) throws Exception {
        if (a.length < 5) {
            throw new IllegalArgumentException("usage: PriorNesTraffic OUT SIGMA ACCOUNTS QUERIES SPACING_MS [SEED]");
        }
        String out = a[0];
        double sigma = Double.parseDouble(a[1]);
        int accounts = Integer.parseInt(a[2]);
        int queries = Integer.parseInt(a[3]);
        long spacing = Long.parseLong(a[4]);
        long seed = a.length > 5 ? Long.parseLong(a[5]) : 42;
        SoftmaxRegression model = BenignTraffic.model();
        double[][] train = FashionMnist.trainImages(40_000);
        Basis basis = Basis.learn(train, 30_000, 40_000, COMPONENTS, 60);
        double[] start = AttackTraces.firstTShirt(model);
        double[] z = basis.coefficients(start);
        double[] grad = new double[COMPONENTS];
        double[] u = new double[COMPONENTS];
        SplittableRandom r = new SplittableRandom(seed);
        double fPlus = 0;
        int pairs = 0;
        long ts = 1_780_000_000_000L;
        try (PrintWriter w = new PrintWriter(new BufferedWriter(new FileWriter(out)))) {
            for (int q = 0; q < queries; q++) {
                boolean plus = q % 2 == 0;
                if (plus) {
                    for (int k = 0; k < COMPONENTS; k++) {
                        u[k] = Nes.gaussian(r);
                    }
                }
                double[] c = new double[COMPONENTS];
                for (int k = 0; k < COMPONENTS; k++) {
                    c[k] = z[k] + (plus ? sigma : -sigma) * u[k];
                }
                double[] p = basis.image(c);
                for (int i = 0; i < p.length; i++) {
                    p[i] = Math.rint(p[i] * 1e5) / 1e5; // the 5 decimals the trace holds
                }
                double[] s = model.probabilities(p);
                w.println(AttackTraces.line("mallory-" + (q % accounts), ts += spacing, p, s));
                double f = Math.log(Math.max(1e-12, s[TARGET]));
                if (plus) {
                    fPlus = f;
                } else {
                    for (int k = 0; k < COMPONENTS; k++) {
                        grad[k] += (fPlus - f) * u[k];
                    }
                    if (++pairs == 10) {
                        double norm = 0;
                        for (double g : grad) {
                            norm += g * g;
                        }
                        norm = Math.sqrt(norm);
                        for (int k = 0; k < COMPONENTS; k++) {
                            z[k] += LR * (norm == 0 ? 0 : grad[k] / norm) * Math.sqrt(COMPONENTS) - LR * PRIOR * z[k];
                            grad[k] = 0;
                        }
                        pairs = 0;
                    }
                }
                if ((q + 1) % 100 == 0) {
                    System.out.printf(Locale.ROOT, "query %d: the walk's point has p(pullover) %.4f%n", q + 1,
                            model.probabilities(basis.image(z))[TARGET]);
                }
            }
        }
    }

    /** A PCA basis: the mean image and the leading components, each with the spread of its coefficient. */
    static final class Basis {
        final double[] mean;
        final double[][] components;
        final double[] std;

        private Basis(double[] mean, double[][] components, double[] std) {
            this.mean = mean;
            this.components = components;
            this.std = std;
        }

        /** The leading components of images {@code [from, to)} by subspace iteration on their covariance. */
        static Basis learn(double[][] images, int from, int to, int k, int iterations) {
            int d = images[from].length;
            int n = to - from;
            double[] mean = new double[d];
            for (int i = from; i < to; i++) {
                for (int j = 0; j < d; j++) {
                    mean[j] += images[i][j] / n;
                }
            }
            double[][] cov = new double[d][d];
            double[] x = new double[d];
            for (int i = from; i < to; i++) {
                for (int j = 0; j < d; j++) {
                    x[j] = images[i][j] - mean[j];
                }
                for (int j = 0; j < d; j++) {
                    double xj = x[j] / n;
                    if (xj == 0) {
                        continue;
                    }
                    double[] row = cov[j];
                    for (int l = 0; l < d; l++) {
                        row[l] += xj * x[l];
                    }
                }
            }
            SplittableRandom r = new SplittableRandom(7);
            double[][] v = new double[k][d];
            for (double[] c : v) {
                for (int j = 0; j < d; j++) {
                    c[j] = Nes.gaussian(r);
                }
            }
            orthonormalise(v);
            for (int it = 0; it < iterations; it++) {
                double[][] next = new double[k][d];
                for (int c = 0; c < k; c++) {
                    for (int j = 0; j < d; j++) {
                        double s = 0;
                        double[] row = cov[j];
                        for (int l = 0; l < d; l++) {
                            s += row[l] * v[c][l];
                        }
                        next[c][j] = s;
                    }
                }
                orthonormalise(next);
                v = next;
            }
            double[] std = new double[k];
            for (int c = 0; c < k; c++) {
                double var = 0;
                for (int j = 0; j < d; j++) {
                    double s = 0;
                    for (int l = 0; l < d; l++) {
                        s += cov[j][l] * v[c][l];
                    }
                    var += v[c][j] * s;
                }
                std[c] = Math.sqrt(Math.max(var, 1e-12));
            }
            return new Basis(mean, v, std);
        }

        private static void orthonormalise(double[][] v) {
            for (int c = 0; c < v.length; c++) {
                for (int p = 0; p < c; p++) {
                    double dot = 0;
                    for (int j = 0; j < v[c].length; j++) {
                        dot += v[c][j] * v[p][j];
                    }
                    for (int j = 0; j < v[c].length; j++) {
                        v[c][j] -= dot * v[p][j];
                    }
                }
                double norm = 0;
                for (double e : v[c]) {
                    norm += e * e;
                }
                norm = Math.sqrt(norm);
                for (int j = 0; j < v[c].length; j++) {
                    v[c][j] /= norm;
                }
            }
        }

        /** Whitened coefficients of an image. */
        double[] coefficients(double[] image) {
            double[] z = new double[components.length];
            for (int c = 0; c < z.length; c++) {
                double s = 0;
                for (int j = 0; j < image.length; j++) {
                    s += (image[j] - mean[j]) * components[c][j];
                }
                z[c] = s / std[c];
            }
            return z;
        }

        /** The image of whitened coefficients, clipped to [0, 1]. */
        double[] image(double[] z) {
            double[] x = mean.clone();
            for (int c = 0; c < z.length; c++) {
                double a = z[c] * std[c];
                for (int j = 0; j < x.length; j++) {
                    x[j] += a * components[c][j];
                }
            }
            for (int j = 0; j < x.length; j++) {
                x[j] = Math.min(1, Math.max(0, x[j]));
            }
            return x;
        }
    }
}
