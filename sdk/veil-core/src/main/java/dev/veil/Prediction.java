package dev.veil;

import dev.veil.internal.guard.InvalidPredictionException;
import java.util.List;
import java.util.Objects;

/**
 * A raw model output: class scores with their labels, or a regression value. The raw prediction
 * never leaves the Guard; callers receive a {@link ReleasedPrediction}.
 *
 * <p><b>A fresh scores array per answer.</b> The Guard reads the scores array of a classification
 * without copying it, from its checks until the answer is released and recorded: a model that hands
 * the same array to two calls (a native runtime's output buffer, reused) and writes the second answer
 * into it while the first request is still in the Guard, on another thread, gets the second caller's
 * answer released to the first caller, under the first caller's audit record. Copy such a buffer
 * ({@code buffer.clone()}) before passing it to {@link #classification}.
 *
 * <p>Scores must be finite and non-negative; the Guard refuses (with {@link ReasonCode#MODEL_ERROR})
 * a prediction that is not. They need not sum to one: transforms that need a distribution
 * normalise first.
 */
public final class Prediction {
    /** What a prediction holds. */
    public enum Kind {
        CLASSIFICATION,
        REGRESSION
    }

    private final Kind kind;
    private final List<String> labels;
    private final double[] scores;
    private final double value;

    private Prediction(Kind kind, List<String> labels, double[] scores, double value) {
        this.kind = kind;
        this.labels = labels;
        this.scores = scores;
        this.value = value;
    }

    /**
     * Class scores. {@code labels} and {@code scores} must have the same length (at least one); the
     * scores array is not copied, so do not change it afterwards, nor pass it to another call: see
     * the class Javadoc (another request's answer may be released).
     */
    public static Prediction classification(List<String> labels, double[] scores) {
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(scores, "scores");
        if (labels.isEmpty()) {
            throw new InvalidPredictionException("a classification needs at least one label");
        }
        if (labels.size() != scores.length) {
            throw new InvalidPredictionException(
                    "labels and scores must have the same length, was " + labels.size() + " and " + scores.length);
        }
        return new Prediction(Kind.CLASSIFICATION, List.copyOf(labels), scores, Double.NaN);
    }

    /** A regression value. */
    public static Prediction regression(double value) {
        return new Prediction(Kind.REGRESSION, List.of(), new double[0], value);
    }

    public Kind kind() {
        return kind;
    }

    /** Class labels; empty for a regression. */
    public List<String> labels() {
        return labels;
    }

    /** Class scores (not a copy); empty for a regression. */
    public double[] scores() {
        return scores;
    }

    /** The regression value; NaN for a classification. */
    public double value() {
        return value;
    }

    /** Index of the highest score (the first one on ties); -1 for a regression. */
    public int topIndex() {
        int best = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] > bestScore) {
                bestScore = scores[i];
                best = i;
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return kind == Kind.REGRESSION ? "Prediction[regression]" : "Prediction[classes=" + labels.size() + "]";
    }
}
