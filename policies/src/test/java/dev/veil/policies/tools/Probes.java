package dev.veil.policies.tools;

import java.util.Arrays;
import java.util.Random;

/**
 * Synthetic 28x28 inputs a model-inversion attacker starts from, and that the image-classifier
 * bundle's distribution check must refuse. Every value is in [0, 1], so the probes pass the shape
 * and range checks and only the distribution check can stop them.
 */
public final class Probes {
    /** Pixels of a 28x28 image. */
    public static final int PIXELS = 784;

    private Probes() {}

    /** An all-black image. */
    public static double[] blank() {
        return new double[PIXELS];
    }

    /** An all-white image. */
    public static double[] saturated() {
        double[] x = new double[PIXELS];
        Arrays.fill(x, 1.0);
        return x;
    }

    /** A uniform grey image. */
    public static double[] grey(double level) {
        double[] x = new double[PIXELS];
        Arrays.fill(x, level);
        return x;
    }

    /** Every pixel drawn independently and uniformly from [0, {@code max}]. */
    public static double[] uniformNoise(Random random, double max) {
        double[] x = new double[PIXELS];
        for (int i = 0; i < PIXELS; i++) {
            x[i] = max * random.nextDouble();
        }
        return x;
    }

    /**
     * Salt-and-pepper noise: a copy of {@code base} in which each pixel, with probability
     * {@code density}, is replaced by 0 or 1 (equally likely). Density 1 over a blank image is a
     * random black-and-white image.
     */
    public static double[] saltAndPepper(Random random, double density, double[] base) {
        double[] x = base.clone();
        for (int i = 0; i < x.length; i++) {
            if (random.nextDouble() < density) {
                x[i] = random.nextBoolean() ? 1.0 : 0.0;
            }
        }
        return x;
    }
}
