package dev.veil.internal.monitor.traffic;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The attacks of issue 3 on 784-feature images (issue 3's efficacy tests), each seeded.
 */
public final class Attacks {
    private Attacks() {}

    private static double clip(double v) {
        return v < 0 ? 0 : (v > 1 ? 1 : v);
    }

    private static double logScore(double[] s, int target) {
        return Math.log(Math.max(1e-12, s[target]));
    }

    /** How an NES attacker draws its probe directions. */
    public enum Noise {
        /** Independent N(0, 1) per pixel. */
        PIXEL,
        /** 7x7 N(0, 1) noise upsampled bilinearly to 28x28 (an adaptive attacker's smooth probes). */
        SMOOTH_7X7
    }

    /**
     * NES gradient estimation (Ilyas et al. 2018): 25 antithetic pairs x +- sigma u per step, then a
     * signed step of {@code lr} toward a higher log-probability of {@code target}. Probes are
     * clipped to [0, 1], as a validated input must be.
     */
    public static Attack nes(String name, double[] start, int target, double sigma, Noise noise, double lr,
            long seed) {
        return new Nes(name, start, target, sigma, noise, lr, seed);
    }

    /** Hill climbing toward {@code target}: a random 3x3 patch changed by +-{@code delta}, kept when the score rises. */
    public static Attack hillClimb(String name, double[] start, int target, double delta, long seed) {
        return new HillClimb(name, start, target, delta, seed);
    }

    /**
     * NES in a PCA basis learned from public unlabeled images (the prior attacker): probes are
     * images of whitened coefficients z +- sigma u, with a Gaussian prior pulling z toward 0, so every
     * probe looks like a natural image.
     */
    public static Attack pcaSearch(String name, PcaBasis basis, double[] start, int target, double sigma, double lr,
            long seed) {
        return new PcaSearch(name, basis, start, target, sigma, lr, seed);
    }

    /**
     * Boundary walk: for each pair of inputs with different labels, query both, then bisect the
     * segment between them {@code steps} times around where the label flips (label-only access).
     */
    public static Attack boundaryWalk(String name, List<double[]> pool, int steps, long seed) {
        return new BoundaryWalk(name, pool, steps, seed);
    }

    /** Smooth 7x7 Gaussian noise upsampled bilinearly to 28x28. */
    static double[] smoothNoise(SplittableRandom r) {
        int g = 7;
        double[] grid = new double[g * g];
        for (int i = 0; i < grid.length; i++) {
            grid[i] = SyntheticDigits.gaussian(r);
        }
        int side = SyntheticDigits.SIDE;
        double[] u = new double[side * side];
        double scale = (g - 1) / (double) (side - 1);
        for (int y = 0; y < side; y++) {
            double gy = y * scale;
            int y0 = Math.min(g - 2, (int) gy);
            double fy = gy - y0;
            for (int x = 0; x < side; x++) {
                double gx = x * scale;
                int x0 = Math.min(g - 2, (int) gx);
                double fx = gx - x0;
                u[y * side + x] = (1 - fy) * ((1 - fx) * grid[y0 * g + x0] + fx * grid[y0 * g + x0 + 1])
                        + fy * ((1 - fx) * grid[(y0 + 1) * g + x0] + fx * grid[(y0 + 1) * g + x0 + 1]);
            }
        }
        return u;
    }

    private static final class Nes implements Attack {
        private static final int PAIRS = 25;
        private final String name;
        private final double[] x;
        private final int target;
        private final double sigma;
        private final Noise noise;
        private final double lr;
        private final SplittableRandom r;
        private final double[] grad;
        private double[] u;
        private boolean plus = true;
        private double fPlus;
        private int pair;

        Nes(String name, double[] start, int target, double sigma, Noise noise, double lr, long seed) {
            this.name = name;
            this.x = start.clone();
            this.target = target;
            this.sigma = sigma;
            this.noise = noise;
            this.lr = lr;
            this.r = new SplittableRandom(seed);
            this.grad = new double[x.length];
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public double[] next() {
            if (plus) {
                if (noise == Noise.PIXEL) {
                    u = new double[x.length];
                    for (int i = 0; i < u.length; i++) {
                        u[i] = SyntheticDigits.gaussian(r);
                    }
                } else {
                    u = smoothNoise(r);
                }
            }
            double sign = plus ? sigma : -sigma;
            double[] q = new double[x.length];
            for (int i = 0; i < q.length; i++) {
                q[i] = clip(x[i] + sign * u[i]);
            }
            return q;
        }

        @Override
        public void answer(double[] scores) {
            double f = logScore(scores, target);
            if (plus) {
                fPlus = f;
                plus = false;
                return;
            }
            plus = true;
            for (int i = 0; i < grad.length; i++) {
                grad[i] += (fPlus - f) * u[i];
            }
            if (++pair == PAIRS) {
                for (int i = 0; i < x.length; i++) {
                    x[i] = clip(x[i] + lr * Math.signum(grad[i]));
                    grad[i] = 0;
                }
                pair = 0;
            }
        }

        @Override
        public double[] current() {
            return x.clone();
        }

        @Override
        public int target() {
            return target;
        }
    }

    private static final class HillClimb implements Attack {
        private final String name;
        private double[] x;
        private final int target;
        private final double delta;
        private final SplittableRandom r;
        private double best = Double.NEGATIVE_INFINITY;
        private double[] candidate;

        HillClimb(String name, double[] start, int target, double delta, long seed) {
            this.name = name;
            this.x = start.clone();
            this.target = target;
            this.delta = delta;
            this.r = new SplittableRandom(seed);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public double[] next() {
            if (best == Double.NEGATIVE_INFINITY) {
                candidate = x.clone(); // the starting point's score first
                return candidate;
            }
            int side = SyntheticDigits.SIDE;
            int cx = 1 + r.nextInt(side - 2);
            int cy = 1 + r.nextInt(side - 2);
            double d = r.nextBoolean() ? delta : -delta;
            candidate = x.clone();
            for (int y = cy - 1; y <= cy + 1; y++) {
                for (int xx = cx - 1; xx <= cx + 1; xx++) {
                    candidate[y * side + xx] = clip(candidate[y * side + xx] + d);
                }
            }
            return candidate;
        }

        @Override
        public void answer(double[] scores) {
            double f = logScore(scores, target);
            if (f > best) {
                best = f;
                x = candidate;
            }
        }

        @Override
        public double[] current() {
            return x.clone();
        }

        @Override
        public int target() {
            return target;
        }
    }

    private static final class PcaSearch implements Attack {
        private static final int PAIRS = 10;
        private final String name;
        private final PcaBasis basis;
        private final double[] z;
        private final int target;
        private final double sigma;
        private final double lr;
        private final SplittableRandom r;
        private final double[] grad;
        private double[] u;
        private boolean plus = true;
        private double fPlus;
        private int pair;

        PcaSearch(String name, PcaBasis basis, double[] start, int target, double sigma, double lr, long seed) {
            this.name = name;
            this.basis = basis;
            this.z = basis.coefficients(start);
            this.target = target;
            this.sigma = sigma;
            this.lr = lr;
            this.r = new SplittableRandom(seed);
            this.grad = new double[z.length];
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public double[] next() {
            if (plus) {
                u = new double[z.length];
                for (int i = 0; i < u.length; i++) {
                    u[i] = SyntheticDigits.gaussian(r);
                }
            }
            double sign = plus ? sigma : -sigma;
            double[] p = new double[z.length];
            for (int i = 0; i < p.length; i++) {
                p[i] = z[i] + sign * u[i];
            }
            return basis.image(p);
        }

        @Override
        public void answer(double[] scores) {
            double f = logScore(scores, target);
            if (plus) {
                fPlus = f;
                plus = false;
                return;
            }
            plus = true;
            for (int i = 0; i < grad.length; i++) {
                grad[i] += (fPlus - f) * u[i];
            }
            if (++pair == PAIRS) {
                double norm = 0;
                for (double g : grad) {
                    norm += g * g;
                }
                norm = Math.sqrt(norm);
                for (int i = 0; i < z.length; i++) {
                    // normalised gradient step plus the Gaussian prior's pull toward the mean image
                    z[i] += lr * (norm == 0 ? 0 : grad[i] / norm) * Math.sqrt(z.length) - lr * 0.1 * z[i];
                    grad[i] = 0;
                }
                pair = 0;
            }
        }

        @Override
        public double[] current() {
            return basis.image(z);
        }

        @Override
        public int target() {
            return target;
        }
    }

    private static final class BoundaryWalk implements Attack {
        private final String name;
        private final List<double[]> pool;
        private final int steps;
        private final SplittableRandom r;
        private double[] a;
        private double[] b;
        private int labelA = -1;
        private int phase; // 0: query a, 1: query b, 2..: bisection
        private double lo;
        private double hi;
        private double mid;
        private double[] last;

        BoundaryWalk(String name, List<double[]> pool, int steps, long seed) {
            this.name = name;
            this.pool = pool;
            this.steps = steps;
            this.r = new SplittableRandom(seed);
            newPair();
        }

        private void newPair() {
            a = pool.get(r.nextInt(pool.size()));
            b = pool.get(r.nextInt(pool.size()));
            phase = 0;
            lo = 0;
            hi = 1;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public double[] next() {
            if (phase == 0) {
                last = a;
            } else if (phase == 1) {
                last = b;
            } else {
                mid = (lo + hi) / 2;
                last = new double[a.length];
                for (int i = 0; i < a.length; i++) {
                    last[i] = (1 - mid) * a[i] + mid * b[i];
                }
            }
            return last;
        }

        @Override
        public void answer(double[] scores) {
            int label = SoftmaxModel.argmax(scores);
            if (phase == 0) {
                labelA = label;
                phase = 1;
            } else if (phase == 1) {
                if (label == labelA) {
                    newPair(); // same label: nothing to bisect, try another pair
                } else {
                    phase = 2;
                }
            } else {
                if (label == labelA) {
                    lo = mid;
                } else {
                    hi = mid;
                }
                if (++phase - 2 >= steps) {
                    newPair();
                }
            }
        }

        @Override
        public double[] current() {
            return last == null ? a.clone() : last.clone();
        }

        @Override
        public int target() {
            return -1;
        }
    }
}
