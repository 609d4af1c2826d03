package dev.veil.spi;

import dev.veil.Prediction;
import java.util.Objects;

/**
 * What the {@code output} policy may see of the raw prediction: never the scores themselves.
 *
 * @param topLabel the raw top label ({@code ""} for a regression)
 * @param topScore the top score of the normalised distribution (the value for a regression)
 * @param margin top score minus the runner-up (0 with one class or a regression)
 * @param entropy Shannon entropy of the normalised distribution, in nats
 * @param classes number of classes (0 for a regression)
 */
public record PredictionSummary(String topLabel, double topScore, double margin, double entropy, int classes) {
    public PredictionSummary {
        Objects.requireNonNull(topLabel, "topLabel");
    }

    /** Summarises a raw prediction (scores are normalised to sum to one first). */
    public static PredictionSummary of(Prediction p) {
        if (p.kind() == Prediction.Kind.REGRESSION) {
            return new PredictionSummary("", p.value(), 0, 0, 0);
        }
        double[] s = p.scores();
        double sum = 0;
        for (double v : s) {
            sum += v;
        }
        double scale = 1;
        if (Double.isInfinite(sum)) {
            // Finite scores whose sum is not (e.g. near Double.MAX_VALUE): divide by the largest
            // first, as the release transforms do, instead of reading every share as 0.
            scale = 0;
            for (double v : s) {
                scale = Math.max(scale, v);
            }
            sum = 0;
            for (double v : s) {
                sum += v / scale;
            }
        }
        double top = Double.NEGATIVE_INFINITY;
        double second = Double.NEGATIVE_INFINITY;
        int topIdx = 0;
        double entropy = 0;
        for (int i = 0; i < s.length; i++) {
            // (s[i] / 1 is s[i] exactly: the division by the scale is skipped when there is none)
            double q = sum > 0 ? (scale == 1 ? s[i] : s[i] / scale) / sum : 1.0 / s.length;
            if (q > top) {
                second = top;
                top = q;
                topIdx = i;
            } else if (q > second) {
                second = q;
            }
            if (q > 0) {
                entropy -= q * Math.log(q);
            }
        }
        double margin = s.length > 1 ? top - second : 0;
        return new PredictionSummary(p.labels().get(topIdx), top, margin, entropy, s.length);
    }
}
