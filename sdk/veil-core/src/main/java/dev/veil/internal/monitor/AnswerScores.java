package dev.veil.internal.monitor;

import dev.veil.Prediction;

/**
 * What the answer detectors read from a raw prediction: the two best classes and their normalised
 * scores (each score divided by the sum of all). Absent ({@link #of} returns null) for a
 * regression, an empty score vector or scores whose sum is not a positive finite number.
 *
 * @param top the best class (index into the labels; the first one on ties)
 * @param topScore its normalised score
 * @param second the second best class, or -1 when there is only one class
 * @param secondScore its normalised score (0 when there is only one class)
 * @param topLogOdds {@code ln(p / (1 - p))} of the best class, clamped to [-{@value #MAX_LOG_ODDS},
 *     {@value #MAX_LOG_ODDS}] (keeps resolution where confidences approach 1)
 * @param secondLogOdds the same for the second class
 */
record AnswerScores(int top, double topScore, int second, double secondScore, double topLogOdds,
        double secondLogOdds) {
    /** Bound on stored log-odds (a probability within about 1e-22 of 0 or 1). */
    static final double MAX_LOG_ODDS = 50;

    /** The margin between the two best normalised scores, in [0, 1]. */
    double margin() {
        return topScore - secondScore;
    }

    static AnswerScores of(Prediction raw) {
        if (raw == null || raw.kind() != Prediction.Kind.CLASSIFICATION) {
            return null;
        }
        double[] s = raw.scores();
        if (s.length == 0) {
            return null;
        }
        double sum = 0;
        int top = -1;
        int second = -1;
        for (int i = 0; i < s.length; i++) {
            double v = s[i];
            if (!(v >= 0) || Double.isInfinite(v)) {
                return null;
            }
            sum += v;
            if (top < 0 || v > s[top]) {
                second = top;
                top = i;
            } else if (second < 0 || v > s[second]) {
                second = i;
            }
        }
        if (!(sum > 0) || Double.isInfinite(sum)) {
            return null;
        }
        double othersOfTop = 0;
        double othersOfSecond = 0;
        for (int i = 0; i < s.length; i++) {
            othersOfTop += i == top ? 0 : s[i];
            othersOfSecond += i == second ? 0 : s[i];
        }
        double p1 = s[top] / sum;
        double p2 = second < 0 ? 0 : s[second] / sum;
        return new AnswerScores(top, p1, second, p2, logOdds(s[top], othersOfTop),
                second < 0 ? -MAX_LOG_ODDS : logOdds(s[second], othersOfSecond));
    }

    /**
     * The {@code k} best classes (best first, the first one on ties) and their log-odds, for a
     * classification with valid scores.
     *
     * @return how many were written ({@code min(k, classes)}), or -1 when the answer has no valid scores
     */
    static int top(Prediction raw, int k, int[] classes, float[] logOdds) {
        if (of(raw) == null) {
            return -1;
        }
        double[] s = raw.scores();
        int n = Math.min(k, s.length);
        for (int j = 0; j < n; j++) {
            int best = -1;
            for (int i = 0; i < s.length; i++) {
                if (taken(classes, j, i)) {
                    continue;
                }
                if (best < 0 || s[i] > s[best]) {
                    best = i;
                }
            }
            classes[j] = best;
            double others = 0;
            for (int i = 0; i < s.length; i++) {
                others += i == best ? 0 : s[i];
            }
            logOdds[j] = (float) logOdds(s[best], others);
        }
        return n;
    }

    private static boolean taken(int[] classes, int n, int c) {
        for (int j = 0; j < n; j++) {
            if (classes[j] == c) {
                return true;
            }
        }
        return false;
    }

    /** {@code ln(a / b)} clamped, for a class's score a and the sum b of the others. */
    static double logOdds(double a, double b) {
        if (a <= 0) {
            return -MAX_LOG_ODDS;
        }
        if (b <= 0) {
            return MAX_LOG_ODDS;
        }
        double v = Math.log(a) - Math.log(b);
        return Math.max(-MAX_LOG_ODDS, Math.min(MAX_LOG_ODDS, v));
    }
}
