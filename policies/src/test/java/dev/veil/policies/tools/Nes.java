package dev.veil.policies.tools;

import java.util.SplittableRandom;

/**
 * NES (Ilyas et al., ICML 2018) on a 28x28 image in [0, 1]: antithetic pairs
 * x +- sigma u with per-pixel Gaussian u, ten pairs per signed step of 0.01 toward a higher target
 * score. With {@code blur} > 0 the directions are smooth: each u is averaged over a
 * (2 blur + 1)-pixel square and rescaled to an RMS of one per pixel. The walk is the same for a given
 * seed whoever answers it: {@code ImageClassifierMonitoringTest} through a Guard (released scores),
 * {@link NesTraffic} with the model's raw scores.
 */
public final class Nes {
    private final double sigma;
    private final int blur;
    private final double[] x;
    private final double[] grad;
    private final SplittableRandom r;
    private double[] u;
    private boolean plus = true;
    private double fPlus;
    private int pairs;

    /** A walk from {@code start} (not modified). */
    public Nes(double[] start, double sigma, long seed, int blur) {
        this.x = start.clone();
        this.grad = new double[x.length];
        this.sigma = sigma;
        this.blur = blur;
        this.r = new SplittableRandom(seed);
    }

    /** The next probe. */
    public double[] next() {
        if (plus) {
            u = new double[x.length];
            for (int i = 0; i < u.length; i++) {
                u[i] = gaussian(r);
            }
            if (blur > 0) {
                u = smooth(u, blur);
            }
        }
        double[] q = new double[x.length];
        for (int i = 0; i < q.length; i++) {
            q[i] = clip(x[i] + (plus ? sigma : -sigma) * u[i]);
        }
        return q;
    }

    /** The target class's score for the last probe. */
    public void answer(double targetScore) {
        double f = Math.log(Math.max(1e-3, targetScore));
        if (plus) {
            fPlus = f;
            plus = false;
            return;
        }
        plus = true;
        for (int i = 0; i < grad.length; i++) {
            grad[i] += (fPlus - f) * u[i];
        }
        if (++pairs == 10) {
            for (int i = 0; i < x.length; i++) {
                x[i] = clip(x[i] + 0.01 * Math.signum(grad[i]));
                grad[i] = 0;
            }
            pairs = 0;
        }
    }

    /** {@code v} clipped to [0, 1]. */
    public static double clip(double v) {
        return v < 0 ? 0 : v > 1 ? 1 : v;
    }

    /** A standard normal draw (Box-Muller). */
    public static double gaussian(SplittableRandom r) {
        double u1 = 1 - r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    /** The box blur of a 28x28 direction over (2 radius + 1)-pixel squares, rescaled to RMS 1. */
    private static double[] smooth(double[] u, int radius) {
        double[] out = new double[u.length];
        double ss = 0;
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                double sum = 0;
                for (int dy = -radius; dy <= radius; dy++) {
                    for (int dx = -radius; dx <= radius; dx++) {
                        sum += u[Math.min(27, Math.max(0, y + dy)) * 28 + Math.min(27, Math.max(0, x + dx))];
                    }
                }
                out[y * 28 + x] = sum;
                ss += sum * sum;
            }
        }
        double scale = Math.sqrt(out.length / ss);
        for (int i = 0; i < out.length; i++) {
            out[i] *= scale;
        }
        return out;
    }
}
