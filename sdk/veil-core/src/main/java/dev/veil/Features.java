package dev.veil;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The numeric view of a model input that validation and monitoring read: a flat vector and, for
 * tabular models, the names of its features. Veil never changes the model's own input type; a
 * {@link FeatureView} derives this view from it.
 *
 * <p>The vector is not copied: do not change the array after handing it over.
 */
public final class Features {
    private final double[] vector;
    private final List<String> names; // empty when unnamed, else names.size() == vector.length

    private Features(double[] vector, List<String> names) {
        this.vector = vector;
        this.names = names;
    }

    /** An unnamed vector (images, embeddings). */
    public static Features of(double... vector) {
        Objects.requireNonNull(vector, "vector");
        return new Features(vector, List.of());
    }

    /**
     * Named features for tabular models, in the map's iteration order. A {@code null} value marks
     * a feature that is absent from the request: a contract that requires it refuses the request.
     */
    public static Features named(Map<String, Double> named) {
        Objects.requireNonNull(named, "named");
        double[] v = new double[named.size()];
        String[] n = new String[named.size()];
        int i = 0;
        for (Map.Entry<String, Double> e : named.entrySet()) {
            n[i] = Objects.requireNonNull(e.getKey(), "feature name");
            v[i] = e.getValue() == null ? Double.NaN : e.getValue();
            i++;
        }
        return new Features(v, List.of(n));
    }

    /**
     * Named features from a fixed layout: pass the same {@code names} list on every request (e.g. a
     * constant) and validation resolves cross-field rules by identity, at no cost per request. A
     * NaN value marks an absent feature. The values array is not copied.
     *
     * @throws IllegalArgumentException when the lengths differ or a name repeats
     */
    public static Features named(List<String> names, double[] values) {
        Objects.requireNonNull(names, "names");
        Objects.requireNonNull(values, "values");
        if (names.size() != values.length) {
            throw new IllegalArgumentException("names and values must have the same length, was " + names.size()
                    + " and " + values.length);
        }
        List<String> frozen = List.copyOf(names);
        if (new java.util.HashSet<>(frozen).size() != frozen.size()) {
            throw new IllegalArgumentException("feature names must be unique, was " + names);
        }
        return new Features(values, frozen == names ? names : frozen);
    }

    /** The flat vector (not a copy). */
    public double[] vector() {
        return vector;
    }

    public int size() {
        return vector.length;
    }

    /** Feature names, empty when unnamed. */
    public List<String> names() {
        return names;
    }

    public boolean isNamed() {
        return !names.isEmpty();
    }

    /** Named view in order (absent features map to NaN); empty when unnamed. */
    public Map<String, Double> asMap() {
        if (names.isEmpty()) {
            return Collections.emptyMap();
        }
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < vector.length; i++) {
            m.put(names.get(i), vector[i]);
        }
        return m;
    }

    @Override
    public String toString() {
        return "Features[size=" + vector.length + (names.isEmpty() ? "" : ", names=" + names) + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Features f && Arrays.equals(vector, f.vector) && names.equals(f.names);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(vector) + names.hashCode();
    }
}
