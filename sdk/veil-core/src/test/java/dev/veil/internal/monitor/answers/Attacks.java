package dev.veil.internal.monitor.answers;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded attackers against {@link SyntheticImages}' model. Each is a stream: {@link Attack#next()}
 * gives the next query, {@link Attack#answer(double[])} hands it the model's scores for it.
 */
final class Attacks {
    private Attacks() {}

    interface Attack {
        double[] next();

        void answer(double[] scores);
    }

    /**
     * Hill climbing toward {@code target}: propose x + step * N(0, I) (clipped), keep it when the
     * target's score rose.
     */
    static Attack hillClimb(int target, double[] start, double step, Random r) {
        return new Attack() {
            double[] x = start.clone();
            double best = -1;
            double[] candidate;

            @Override
            public double[] next() {
                if (best < 0) {
                    candidate = x.clone();
                    return candidate;
                }
                candidate = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    candidate[i] = SyntheticImages.clip(x[i] + step * r.nextGaussian());
                }
                return candidate;
            }

            @Override
            public void answer(double[] scores) {
                if (scores[target] > best) {
                    best = scores[target];
                    x = candidate;
                }
            }
        };
    }

    /**
     * NES (Ilyas et al.): {@code pairs} antithetic probes x +- sigma u per step, then a signed step of
     * {@code lr} per pixel along the estimated gradient of the target's score. With {@code smooth},
     * the noise is 7x7 Gaussian noise upsampled to 28x28 (an adaptive attacker's smooth probes).
     */
    static Attack nes(int target, double[] start, double sigma, int pairs, double lr, boolean smooth, Random r) {
        return new Attack() {
            double[] x = start.clone();
            final double[] g = new double[x.length];
            double[] u;
            double plus;
            int probe; // 0..2*pairs-1

            @Override
            public double[] next() {
                if (probe % 2 == 0) {
                    u = smooth ? smoothNoise(r) : gaussian(x.length, r);
                }
                double sign = probe % 2 == 0 ? 1 : -1;
                double[] q = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    q[i] = SyntheticImages.clip(x[i] + sign * sigma * u[i]);
                }
                return q;
            }

            @Override
            public void answer(double[] scores) {
                if (probe % 2 == 0) {
                    plus = scores[target];
                } else {
                    double diff = plus - scores[target];
                    for (int i = 0; i < g.length; i++) {
                        g[i] += diff * u[i];
                    }
                }
                probe++;
                if (probe == 2 * pairs) {
                    for (int i = 0; i < x.length; i++) {
                        x[i] = SyntheticImages.clip(x[i] + lr * Math.signum(g[i]));
                        g[i] = 0;
                    }
                    probe = 0;
                }
            }
        };
    }

    static double[] gaussian(int n, Random r) {
        double[] u = new double[n];
        for (int i = 0; i < n; i++) {
            u[i] = r.nextGaussian();
        }
        return u;
    }

    /** 7x7 Gaussian noise, bilinearly upsampled to 28x28 (unit variance at the grid points). */
    static double[] smoothNoise(Random r) {
        int c = 7;
        double[] grid = gaussian(c * c, r);
        double[] u = new double[SyntheticImages.D];
        for (int y = 0; y < SyntheticImages.SIDE; y++) {
            for (int x = 0; x < SyntheticImages.SIDE; x++) {
                double gx = x * (c - 1) / 27.0;
                double gy = y * (c - 1) / 27.0;
                int x0 = Math.min((int) gx, c - 2);
                int y0 = Math.min((int) gy, c - 2);
                double fx = gx - x0;
                double fy = gy - y0;
                u[y * SyntheticImages.SIDE + x] = (1 - fx) * (1 - fy) * grid[y0 * c + x0]
                        + fx * (1 - fy) * grid[y0 * c + x0 + 1] + (1 - fx) * fy * grid[(y0 + 1) * c + x0]
                        + fx * fy * grid[(y0 + 1) * c + x0 + 1];
            }
        }
        return u;
    }

    /**
     * A boundary walk: bisect between an input of class A and one of class B until the two ends are
     * within {@code tolerance} (RMS per pixel), then move the boundary point by a small random step
     * (RMS {@code stride}), re-open the bracket across the boundary (width {@code width} RMS) and
     * bisect again, and so on.
     */
    static Attack boundaryWalk(double[] a, double[] b, double tolerance, double stride, double width, Random r) {
        return new Attack() {
            double[] lo = a.clone();
            double[] hi = b.clone();
            int classLo = -1;
            double[] mid;

            @Override
            public double[] next() {
                if (classLo < 0) {
                    mid = lo.clone(); // first learn the class of the A side
                    return mid;
                }
                mid = new double[lo.length];
                for (int i = 0; i < lo.length; i++) {
                    mid[i] = (lo[i] + hi[i]) / 2;
                }
                return mid;
            }

            @Override
            public void answer(double[] scores) {
                int top = SyntheticImages.argmax(scores);
                if (classLo < 0) {
                    classLo = top;
                    return;
                }
                if (top == classLo) {
                    lo = mid;
                } else {
                    hi = mid;
                }
                if (SyntheticImages.rms(lo, hi) < tolerance) {
                    double[] p = mid;
                    double[] across = new double[p.length];
                    double norm = 0;
                    for (int i = 0; i < p.length; i++) {
                        across[i] = hi[i] - lo[i];
                        norm += across[i] * across[i];
                    }
                    norm = Math.sqrt(norm / p.length);
                    double[] step = gaussian(p.length, r);
                    for (int i = 0; i < p.length; i++) {
                        double centre = p[i] + stride * step[i];
                        double half = width / 2 * across[i] / norm;
                        lo[i] = centre - half;
                        hi[i] = centre + half;
                    }
                    lo = lo.clone();
                    hi = hi.clone();
                }
            }
        };
    }

    /**
     * Papernot et al.'s Jacobian-based augmentation: query a small seed set, then in each round add
     * x + lambda * sign(grad of the substitute's score for x's label) for every x queried so far.
     * The substitute is the nearest-class-mean model of the attacker's labelled queries, either its
     * softmax (the gradient depends on x) or its linear score (the same direction for every x of a
     * label, so that rounds keep pushing inputs the same way until pixels saturate). Points
     * the attacker has already asked about are not asked again (it keeps the answers).
     */
    static Attack jacobian(List<double[]> seeds, double lambda, boolean linearSubstitute) {
        return new Attack() {
            final List<double[]> pending = new ArrayList<>(seeds);
            final List<double[]> known = new ArrayList<>();
            final List<Integer> labels = new ArrayList<>();
            final java.util.Set<java.util.List<Double>> asked = new java.util.HashSet<>();
            int round;
            double[] current;

            @Override
            public double[] next() {
                for (int empty = 0; ; ) {
                    if (pending.isEmpty()) {
                        if (++empty > 10) {
                            throw new IllegalStateException("the augmentation produces no new points");
                        }
                        augment();
                    }
                    current = pending.remove(0);
                    if (asked.add(java.util.Arrays.stream(current).boxed().toList())) {
                        return current;
                    }
                }
            }

            @Override
            public void answer(double[] scores) {
                known.add(current);
                labels.add(SyntheticImages.argmax(scores));
            }

            private void augment() {
                int d = known.get(0).length;
                double[][] mean = new double[SyntheticImages.K][d];
                int[] count = new int[SyntheticImages.K];
                for (int i = 0; i < known.size(); i++) {
                    count[labels.get(i)]++;
                    for (int j = 0; j < d; j++) {
                        mean[labels.get(i)][j] += known.get(i)[j];
                    }
                }
                for (int k = 0; k < SyntheticImages.K; k++) {
                    for (int j = 0; j < d; j++) {
                        mean[k][j] = count[k] == 0 ? 0 : mean[k][j] / count[k];
                    }
                }
                double lambdaNow = (round++ / 3) % 2 == 0 ? lambda : -lambda; // Papernot's periodic step
                int known0 = known.size();
                for (int i = 0; i < known0; i++) {
                    double[] x = known.get(i);
                    // gradient of the substitute's log-probability of x's label: mu_y - sum_k p_k(x) mu_k
                    double[] z = new double[SyntheticImages.K];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int k = 0; k < SyntheticImages.K; k++) {
                        double dot = 0;
                        double sq = 0;
                        for (int j = 0; j < d; j++) {
                            dot += mean[k][j] * x[j];
                            sq += mean[k][j] * mean[k][j];
                        }
                        z[k] = count[k] == 0 ? Double.NEGATIVE_INFINITY : dot - sq / 2;
                        max = Math.max(max, z[k]);
                    }
                    double sum = 0;
                    for (int k = 0; k < SyntheticImages.K; k++) {
                        z[k] = Math.exp(z[k] - max);
                        sum += z[k];
                    }
                    double[] m = mean[labels.get(i)];
                    double[] q = new double[d];
                    for (int j = 0; j < d; j++) {
                        double expected = 0;
                        for (int k = 0; k < SyntheticImages.K; k++) {
                            // the linear substitute's gradient is the same everywhere: mu_y - mean of the mus
                            expected += (linearSubstitute ? (count[k] == 0 ? 0 : 1.0 / nonEmpty(count))
                                    : z[k] / sum) * mean[k][j];
                        }
                        q[j] = SyntheticImages.clip(x[j] + lambdaNow * Math.signum(m[j] - expected));
                    }
                    pending.add(q);
                }
            }
        };
    }

    private static int nonEmpty(int[] count) {
        int n = 0;
        for (int c : count) {
            n += c == 0 ? 0 : 1;
        }
        return n;
    }

    /** Tramer et al.'s random queries: independent uniform inputs in [0, 1]^d. */
    static Attack uniformRandom(int d, Random r) {
        return new Attack() {
            @Override
            public double[] next() {
                double[] q = new double[d];
                for (int i = 0; i < d; i++) {
                    q[i] = r.nextDouble();
                }
                return q;
            }

            @Override
            public void answer(double[] scores) {}
        };
    }
}
