package dev.veil.conformance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The feature vectors a {@link GuardContract} generates valid requests from: for each feature, in
 * the order {@link GuardContract#inputFor(double[])} reads them, a closed range of values the
 * Guard's policy accepts. Choose ranges inside what the policy allows (also across fields: a
 * {@code loan <= 20 * income} rule means the loan range must be small enough for the smallest
 * income), so that every generated valid request passes validation.
 *
 * <pre>{@code
 * FeatureSpace.builder()
 *         .feature("income", 20_000, 1_000_000)
 *         .feature("loan_amount", 0, 400_000)
 *         .feature("age", 18, 120)
 *         .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class FeatureSpace {
    private final List<String> names;
    private final double[] min;
    private final double[] max;

    private FeatureSpace(List<String> names, double[] min, double[] max) {
        this.names = names;
        this.min = min;
        this.max = max;
    }

    /** Starts a feature space; add features in the order the model input holds them. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A space of unnamed features ({@code x0}, {@code x1}, ...) with the same range each, e.g. the
     * pixels of an image: {@code FeatureSpace.uniform(784, 0, 1)}.
     *
     * @throws IllegalArgumentException when {@code size < 1} or the range is not finite with {@code min <= max}
     */
    public static FeatureSpace uniform(int size, double min, double max) {
        if (size < 1) {
            throw new IllegalArgumentException("a feature space needs at least one feature, size was " + size);
        }
        Builder b = builder();
        for (int i = 0; i < size; i++) {
            b.feature("x" + i, min, max);
        }
        return b.build();
    }

    /** The number of features. */
    public int size() {
        return names.size();
    }

    /** The feature names, in order. */
    public List<String> names() {
        return names;
    }

    /** The smallest valid value of feature {@code i}. */
    public double min(int i) {
        return min[i];
    }

    /** The largest valid value of feature {@code i}. */
    public double max(int i) {
        return max[i];
    }

    /** The middle of every range: a typical valid vector (a new array). */
    public double[] middle() {
        double[] v = new double[min.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = min[i] + (max[i] - min[i]) / 2;
        }
        return v;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("FeatureSpace[");
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                b.append(", ");
            }
            b.append(names.get(i)).append(" in [").append(min[i]).append(", ").append(max[i]).append(']');
        }
        return b.append(']').toString();
    }

    /** Builds a {@link FeatureSpace}; each feature is checked when added. */
    public static final class Builder {
        private final List<String> names = new ArrayList<>();
        private final Set<String> seen = new HashSet<>();
        private double[] min = new double[8];
        private double[] max = new double[8];

        private Builder() {}

        /**
         * Adds the next feature.
         *
         * @param name its name, for messages (and, for named features, the name the policy uses)
         * @param min the smallest valid value, finite
         * @param max the largest valid value, finite and {@code >= min}
         * @throws IllegalArgumentException for a blank or repeated name or a range that is not finite
         *     with {@code min <= max}
         */
        public Builder feature(String name, double min, double max) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("a feature name must not be blank");
            }
            if (!seen.add(name)) {
                throw new IllegalArgumentException("feature '" + name + "' was already added");
            }
            if (!Double.isFinite(min) || !Double.isFinite(max) || !(min <= max)) {
                throw new IllegalArgumentException("feature '" + name + "' needs a finite range with min <= max, was ["
                        + min + ", " + max + "]");
            }
            int i = names.size();
            if (i == this.min.length) {
                this.min = Arrays.copyOf(this.min, i * 2);
                this.max = Arrays.copyOf(this.max, i * 2);
            }
            names.add(name);
            this.min[i] = min;
            this.max[i] = max;
            return this;
        }

        /**
         * @throws IllegalStateException when no feature was added
         */
        public FeatureSpace build() {
            if (names.isEmpty()) {
                throw new IllegalStateException(
                        "a feature space needs at least one feature: call feature(name, min, max)");
            }
            int n = names.size();
            return new FeatureSpace(List.copyOf(names), Arrays.copyOf(min, n), Arrays.copyOf(max, n));
        }
    }
}
