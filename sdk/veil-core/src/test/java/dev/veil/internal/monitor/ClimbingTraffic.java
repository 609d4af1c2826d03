package dev.veil.internal.monitor;

import dev.veil.Prediction;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded traffic of two callers that moves every built-in detector: caller {@code c0} climbs by
 * small steps, class 0's confidence rising (so the answer detectors' tests run and their signals
 * move), and now and then jumps; caller {@code c1} jumps about at random.
 */
final class ClimbingTraffic {
    static final List<String> LABELS = List.of("c0", "c1", "c2", "c3", "c4");

    /** One query: who sent it, when, a fresh copy of its vector, and the model's answer. */
    record Query(String caller, long timeMillis, double[] x, Prediction answer) {}

    private final SplittableRandom r;
    private final int queries;
    private final double[][] xs;
    private int i;

    ClimbingTraffic(long seed, int features, int queries) {
        this.r = new SplittableRandom(seed);
        this.queries = queries;
        this.xs = new double[][] {new double[features], new double[features]};
    }

    boolean hasNext() {
        return i < queries;
    }

    /** The next query; its vector is a copy, the caller's own stays with the traffic. */
    Query next() {
        int c = r.nextInt(2);
        double[] x = xs[c];
        if (c == 1 || r.nextInt(8) == 0) {
            for (int j = 0; j < x.length; j++) {
                x[j] = r.nextDouble();
            }
        } else {
            x[r.nextInt(x.length)] += 0.01 * (r.nextDouble() - 0.5);
        }
        double[] scores = new double[LABELS.size()];
        for (int j = 0; j < scores.length; j++) {
            scores[j] = c == 0 ? 0.1 * r.nextDouble() : r.nextInt(3) == 0 ? 0 : r.nextDouble();
        }
        if (c == 0) {
            scores[0] = 0.3 + 0.6 * i / queries + 0.05 * r.nextDouble();
        }
        Query q = new Query("c" + c, 1_700_000_000_000L + 10L * i, x.clone(),
                Prediction.classification(LABELS, scores));
        i++;
        return q;
    }
}
