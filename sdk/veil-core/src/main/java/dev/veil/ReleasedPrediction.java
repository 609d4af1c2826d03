package dev.veil;

import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * What a caller receives: the prediction after output minimisation.
 *
 * @param label the released top label; {@code null} for a regression
 * @param scores the released scores, highest first: all classes, the top k, or none (label-only)
 * @param value the released regression value (possibly rounded or noised); empty for a classification
 * @param applied the transforms that were applied, in order, e.g. {@code [round(0.05), top_k(3)]}:
 *     for the host service, not for the caller (it tells which output rule answered, which may
 *     depend on the raw prediction; see {@link Response.Released}). {@code keep_label} after a
 *     classification's {@code noise(...)} says the label is the raw top label: the noise's epsilon
 *     then covers the scores, not the label (docs/policy-reference.md, section 9)
 */
public record ReleasedPrediction(String label, List<ScoredLabel> scores, OptionalDouble value, List<String> applied) {
    public ReleasedPrediction {
        scores = List.copyOf(scores);
        Objects.requireNonNull(value, "value");
        applied = List.copyOf(applied);
    }

    /** A label with its released score. */
    public record ScoredLabel(String label, double score) {
        public ScoredLabel {
            Objects.requireNonNull(label, "label");
        }
    }
}
