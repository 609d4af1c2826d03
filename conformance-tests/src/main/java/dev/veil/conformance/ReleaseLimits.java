package dev.veil.conformance;

/**
 * The most a released prediction may carry under the policy of a {@link GuardContract}: how many
 * scores at most, on which grid, and whether the released label may differ from the model's top
 * label. State what the policy promises for the contract's allowed caller, degraded answers
 * included, e.g. {@code ReleaseLimits.of(2, 0.05)} for {@code output.default: {form: top_k, top_k:
 * 2, round: 0.05}} with a {@code label_only} degraded release.
 *
 * <p>Immutable and thread-safe.
 */
public final class ReleaseLimits {
    private final int maxScores;
    private final double roundingStep;
    private final boolean labelMayChange;

    private ReleaseLimits(int maxScores, double roundingStep, boolean labelMayChange) {
        this.maxScores = maxScores;
        this.roundingStep = roundingStep;
        this.labelMayChange = labelMayChange;
    }

    /**
     * Limits on released predictions.
     *
     * @param maxScores the most scores a release may list ({@code 0}: label only)
     * @param roundingStep every released score (or regression value) must be a multiple of this step;
     *     {@code 0} when the policy does not round
     * @throws IllegalArgumentException when {@code maxScores < 0} or the step is outside [0, 1e15]
     *     (above 1 for a regression's value, as a policy's {@code round})
     */
    public static ReleaseLimits of(int maxScores, double roundingStep) {
        if (maxScores < 0) {
            throw new IllegalArgumentException("maxScores must be >= 0 (0 = label only), was " + maxScores);
        }
        if (!(roundingStep >= 0 && roundingStep <= 1e15)) {
            throw new IllegalArgumentException("roundingStep must be in [0, 1e15] (0 = no rounding), was " + roundingStep);
        }
        return new ReleaseLimits(maxScores, roundingStep, false);
    }

    /** Label-only releases: no scores at all. */
    public static ReleaseLimits labelOnly() {
        return new ReleaseLimits(0, 0, false);
    }

    /**
     * The same limits for a policy whose noise or reverse sigmoid may change the released label
     * ({@code allow_label_change: true}); by default the released label must be the model's top label.
     */
    public ReleaseLimits allowingLabelChange() {
        return new ReleaseLimits(maxScores, roundingStep, true);
    }

    /** The most scores a release may list. */
    public int maxScores() {
        return maxScores;
    }

    /** The grid step of released scores; {@code 0} for none. */
    public double roundingStep() {
        return roundingStep;
    }

    /** Whether the released label may differ from the model's top label. */
    public boolean labelMayChange() {
        return labelMayChange;
    }

    @Override
    public String toString() {
        return "ReleaseLimits[maxScores=" + maxScores + ", roundingStep=" + roundingStep
                + (labelMayChange ? ", label may change" : "") + "]";
    }
}
