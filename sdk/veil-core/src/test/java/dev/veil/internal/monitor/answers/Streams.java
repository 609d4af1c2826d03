package dev.veil.internal.monitor.answers;

import java.util.Arrays;
import java.util.Random;

/** Hand-built inputs and answers for the unit tests. */
final class Streams {
    static final int D = 784;

    private Streams() {}

    /** Scores over {@code k} classes: {@code cls} gets {@code p}, the others share the rest equally. */
    static double[] probs(int k, int cls, double p) {
        double[] s = new double[k];
        Arrays.fill(s, (1 - p) / (k - 1));
        s[cls] = p;
        return s;
    }

    /** A 784-feature input, all 0.5 but the first feature {@code 0.5 + delta}. */
    static double[] near(double delta) {
        double[] x = new double[D];
        Arrays.fill(x, 0.5);
        x[0] += delta;
        return x;
    }

    /** An independent uniform input (about 0.41 root mean square per feature from any other). */
    static double[] far(Random r) {
        double[] x = new double[D];
        for (int i = 0; i < D; i++) {
            x[i] = r.nextDouble();
        }
        return x;
    }

    static double[] scaled(double[] v, double t) {
        double[] x = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            x[i] = t * v[i];
        }
        return x;
    }
}
