package dev.veil.examples.inversion;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A black-box inversion attacker (NES: Ilyas et al., ICML 2018): it climbs one class's confidence
 * by NES, zeroth-order gradient estimation from probes {@code x + s u}, and what it ends on is its
 * picture of that class. The textbook attackers send antithetic pairs {@code x + s u} and
 * {@code x - s u}; the one-sided one ({@link #priorNesOneSided}) a fresh direction with every probe.
 * It sees only what it is answered: one score per probe, or nothing when the probe is refused. A
 * probe refused as unlike the training images would be refused again, so it drops it (with its
 * pair) and draws a fresh direction ({@link #refused}); one refused for another reason (a block, a
 * rate limit) it sends again later.
 */
abstract class Attacker {
    /** The confidence the walk climbs: the log of the answered score; 0 (a class not released) is taken as 1e-9. */
    private static final double FLOOR = 1e-9;

    private final int pairsPerStep;
    private final boolean oneSided;
    private final SplittableRandom random;
    private double[] direction;
    private double[] probe;
    private boolean plus = true;
    private double fPlus;
    private int pairs;
    private final double[] gradient;
    /** One-sided: the step's directions and the confidences they were answered with, so far. */
    private final double[][] directions;
    private final double[] answers;
    private int probes;

    /**
     * An attacker that steps after {@code pairsPerStep} antithetic pairs or, {@code oneSided}, after as
     * many probes ({@code 2 pairsPerStep}) each in a fresh direction: the same queries per step.
     */
    Attacker(int dimensions, int pairsPerStep, boolean oneSided, long seed) {
        this.pairsPerStep = pairsPerStep;
        this.oneSided = oneSided;
        this.random = new SplittableRandom(seed);
        this.gradient = new double[dimensions];
        this.directions = oneSided ? new double[2 * pairsPerStep][] : null;
        this.answers = oneSided ? new double[2 * pairsPerStep] : null;
    }

    /** The textbook attacker: per-pixel Gaussian probes of {@code sigma}, signed steps with momentum. */
    static Attacker pixelNes(double[] start, double sigma, double rate, long seed) {
        return new PixelNes(start, sigma, rate, seed);
    }

    /**
     * The adaptive attacker: NES in the whitened coefficients of a PCA basis learned from public
     * unlabelled images, pulled toward the mean image by a Gaussian prior, so every probe looks like
     * a natural image (it passes a distance-to-training check, and output minimisation alone does not
     * stop it: the demo's "no monitoring" rows).
     */
    static Attacker priorNes(Pca basis, double sigma, double rate, long seed) {
        return new PriorNes(basis, sigma, rate, false, 0, seed);
    }

    /**
     * The adaptive attacker that avoids antithetic pairs: {@link #priorNes} with every probe
     * {@code z + sigma u} in a fresh direction {@code u}, never its mirror {@code z - sigma u}, so that
     * no {@code antithetic} detector sees a pair. Its gradient estimate is the one-sided NES one, the sum
     * over the step's 20 probes (the same 20 queries a step as {@link #priorNes}) of
     * {@code (f_i - mean f) u_i}, the mean of the step's confidences as baseline. With {@code sigma} 1
     * its probes still look like natural images (the PCA prior), and it is the attacker of the demo's
     * table that Veil's shipped bundle does not stop (examples/inversion-demo/README.md, "What the demo
     * does not stop").
     */
    static Attacker priorNesOneSided(Pca basis, double sigma, double rate, long seed) {
        return new PriorNes(basis, sigma, rate, true, 0, seed);
    }

    /**
     * {@link #priorNesOneSided} that knows the {@code smooth} detector: to every probe it adds a fixed
     * checker of {@code +-texture} on the pixels of at least 0.05 (then clipped), fine detail that makes
     * its probes as rough as real images and costs its search nothing (the pattern is the same in every
     * probe, so it cancels out of the confidence differences the gradient is made of). Its picture of
     * the class is the point of the walk, without the pattern.
     */
    static Attacker priorNesOneSidedTextured(Pca basis, double sigma, double rate, double texture, long seed) {
        return new PriorNes(basis, sigma, rate, true, texture, seed);
    }

    /** The next probe to send (the last one again until it is answered). */
    final double[] next() {
        if (probe == null) {
            if (plus || oneSided) {
                direction = new double[gradient.length];
                for (int i = 0; i < direction.length; i++) {
                    direction[i] = gaussian(random);
                }
            }
            probe = probe(direction, plus ? 1 : -1);
        }
        return probe;
    }

    /**
     * The last probe was refused as unlike the training images (the same probe always would be): it
     * is dropped, and with it an antithetic pair whose first half was answered (no use without its
     * mirror); the next probe is in a fresh direction.
     */
    final void refused() {
        probe = null;
        plus = true;
    }

    /** The score the last probe was answered with (0 when its class was not among those released). */
    final void answer(double score) {
        probe = null;
        double f = Math.log(Math.max(FLOOR, score));
        if (oneSided) {
            directions[probes] = direction;
            answers[probes] = f;
            if (++probes == answers.length) {
                double mean = Arrays.stream(answers).average().orElse(0);
                for (int k = 0; k < probes; k++) {
                    for (int i = 0; i < gradient.length; i++) {
                        gradient[i] += (answers[k] - mean) * directions[k][i];
                    }
                }
                step(gradient);
                Arrays.fill(gradient, 0);
                probes = 0;
            }
            return;
        }
        if (plus) {
            fPlus = f;
            plus = false;
            return;
        }
        plus = true;
        for (int i = 0; i < gradient.length; i++) {
            gradient[i] += (fPlus - f) * direction[i];
        }
        if (++pairs == pairsPerStep) {
            step(gradient);
            Arrays.fill(gradient, 0);
            pairs = 0;
        }
    }

    /** The attacker's current picture of the class. */
    abstract double[] reconstruction();

    abstract double[] probe(double[] direction, int sign);

    abstract void step(double[] gradient);

    static double gaussian(SplittableRandom r) {
        double u1 = 1.0 - r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    static double clip(double v) {
        return Math.max(0, Math.min(1, v));
    }

    private static final class PixelNes extends Attacker {
        private final double[] x;
        private final double[] momentum;
        private final double sigma;
        private final double rate;

        PixelNes(double[] start, double sigma, double rate, long seed) {
            super(start.length, 25, false, seed);
            this.x = start.clone();
            this.momentum = new double[start.length];
            this.sigma = sigma;
            this.rate = rate;
        }

        @Override
        double[] probe(double[] u, int sign) {
            double[] q = new double[x.length];
            for (int i = 0; i < q.length; i++) {
                q[i] = clip(x[i] + sign * sigma * u[i]);
            }
            return q;
        }

        @Override
        void step(double[] g) {
            for (int i = 0; i < x.length; i++) {
                momentum[i] = 0.9 * momentum[i] + g[i];
                x[i] = clip(x[i] + rate * Math.signum(momentum[i]));
            }
        }

        @Override
        double[] reconstruction() {
            return x.clone();
        }
    }

    private static final class PriorNes extends Attacker {
        private final Pca basis;
        private final double[] z;
        private final double sigma;
        private final double rate;
        private final double texture;

        PriorNes(Pca basis, double sigma, double rate, boolean oneSided, double texture, long seed) {
            super(basis.size(), 10, oneSided, seed);
            this.basis = basis;
            this.z = new double[basis.size()]; // the mean image
            this.sigma = sigma;
            this.rate = rate;
            this.texture = texture;
        }

        @Override
        double[] probe(double[] u, int sign) {
            double[] p = new double[z.length];
            for (int i = 0; i < p.length; i++) {
                p[i] = z[i] + sign * sigma * u[i];
            }
            double[] image = basis.image(p);
            if (texture > 0) {
                for (int i = 0; i < image.length; i++) {
                    if (image[i] >= 0.05) {
                        image[i] = clip(image[i] + ((i / 28 + i % 28) % 2 == 0 ? texture : -texture));
                    }
                }
            }
            return image;
        }

        @Override
        void step(double[] g) {
            double norm = 0;
            for (double v : g) {
                norm += v * v;
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < z.length; i++) {
                // a normalised gradient step, and the Gaussian prior's pull toward the mean image
                z[i] += rate * (norm == 0 ? 0 : g[i] / norm) * Math.sqrt(z.length) - rate * 0.1 * z[i];
            }
        }

        @Override
        double[] reconstruction() {
            return basis.image(z);
        }
    }
}
