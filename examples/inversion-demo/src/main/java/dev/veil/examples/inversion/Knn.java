package dev.veil.examples.inversion;

/**
 * The judge of the reconstructions: a 10-nearest-neighbour classifier over training images the
 * attacked model never saw. Another family than the softmax model under attack, so that a
 * reconstruction that only fools linear models (adversarial noise) is not taken for its class.
 */
final class Knn implements Classifier {
    private static final int K = 10;
    private final double[][] x;
    private final int[] y;
    private final int from;
    private final int to;

    Knn(double[][] x, int[] y, int from, int to) {
        this.x = x;
        this.y = y;
        this.from = from;
        this.to = to;
    }

    /** The majority class of the 10 nearest images (ties: the nearer). */
    @Override
    public int classify(double[] q) {
        double[] best = new double[K];
        int[] label = new int[K];
        java.util.Arrays.fill(best, Double.POSITIVE_INFINITY);
        for (int i = from; i < to; i++) {
            double d = 0;
            double[] xi = x[i];
            for (int j = 0; j < q.length && d < best[K - 1]; j++) {
                double t = xi[j] - q[j];
                d += t * t;
            }
            if (d < best[K - 1]) {
                int k = K - 1;
                while (k > 0 && best[k - 1] > d) {
                    best[k] = best[k - 1];
                    label[k] = label[k - 1];
                    k--;
                }
                best[k] = d;
                label[k] = y[i];
            }
        }
        int[] votes = new int[10];
        int top = label[0];
        for (int k = 0; k < K; k++) {
            votes[label[k]]++;
            if (votes[label[k]] > votes[top]) {
                top = label[k];
            }
        }
        return top;
    }
}
