package dev.veil;

import dev.veil.internal.validation.FeatureNames;
import dev.veil.internal.validation.NotANumberException;
import java.util.Arrays;
import java.util.BitSet;
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
 * <p><b>Absent features.</b> A named feature can be absent: left out of (or {@code null} in) the
 * map of {@link #named(Map)}, which then holds no place for it, or in the {@code absent} set of
 * {@link #named(List, double[], BitSet)}, whose fixed layout keeps its place with NaN as its value.
 * A contract that requires an absent feature refuses the request. Absence is kept
 * apart from the values: a NaN that the request itself carries is never taken for an absent feature,
 * so validation refuses it as a value that is not finite, whatever the contract says of that
 * feature, and it cannot reach the model.
 *
 * <p><b>Ownership.</b> A Guard validates, monitors and records features that nobody else can
 * change: a model that changes its input in place (say, to normalise it) or a caller that reuses
 * its array for the next request must not change what Veil checked, remembered or logged. So a
 * Guard takes its own {@link #copy()} of features whose vector others may hold ({@link #of},
 * {@link #named(List, double[])}), as soon as it has read them, whenever something reads them after
 * the model has had them: an audit log that may keep or digest the input (any policy but a YAML
 * policy that masks the input in every {@code logging} rule) or a built-in detector that sketches
 * the input when it records its answer ({@code confidence_climb}, {@code extraction}). Otherwise
 * every read of the values is over before the model is called, and the Guard uses them as they are.
 * Custom detectors always get a copy of their own, taken before the model. Features whose vector is Veil's alone never need a copy
 * ({@link #isOwned()}): {@link #named(Map)} builds its own array, and {@link #ofOwned} hands an
 * array over for good. The copy is not free: at 784 features it is about 6 KB of fresh memory per
 * request, about a quarter of a Guard's own time per call on a 2-vCPU machine (benchmarks/README.md,
 * rounds 20 and 22).
 */
public final class Features {
    private final double[] vector;
    private final List<String> names; // empty when unnamed, else names.size() == vector.length
    /** Bits of the absent features (index i at bit i % 64 of word i / 64); null when none is absent. */
    private final long[] absent;
    /** Whether nobody but these features holds the vector (see the class Javadoc). */
    private final boolean owned;

    private Features(double[] vector, List<String> names, long[] absent, boolean owned) {
        this.vector = vector;
        this.names = names;
        this.absent = absent;
        this.owned = owned;
    }

    /** An unnamed vector (images, embeddings). */
    public static Features of(double... vector) {
        Objects.requireNonNull(vector, "vector");
        return new Features(vector, List.of(), null, false);
    }

    /**
     * An unnamed vector handed over to Veil for good: neither the caller nor the model may change
     * the array afterwards (not even after {@code predict} returns: the audit log may read it
     * later), so that a Guard uses it without a copy. For a service that builds a fresh array per
     * request and a model that does not write to its input; when in doubt, use {@link #of}.
     */
    public static Features ofOwned(double... vector) {
        Objects.requireNonNull(vector, "vector");
        return new Features(vector, List.of(), null, true);
    }

    /**
     * Named features for tabular models, in the order of their names ({@link String#compareTo}),
     * whatever the map's order. A {@code null} value is the same as leaving the key out: the
     * feature is absent from the request, and a contract that requires it refuses the request. A
     * NaN value is a value, not an absence: validation refuses it as not finite.
     *
     * <p>Order and absence matter because the distribution check, the detectors and the audit log's
     * digest read the vector by position: in the map's own order, a caller who controls it (the key
     * order of a JSON object, which JSON decoders keep) would be compared feature by feature with the
     * wrong statistics, and could make its queries look far apart to the detectors by shuffling its
     * keys; and if a {@code null} kept a place that a left-out key does not, a caller alternating the
     * two would shift every later feature on every other query (a red-team review extracted a credit
     * model's boundary that way, unseen). For the distribution check, write the statistics of named
     * features in the order of their names ({@code veil stats --csv FILE --header} does, and names them so
     * that the bundle loader can check them against the contract's features).
     *
     * <p>Any {@link Number} is read with {@link Number#doubleValue()}, so a map decoded from JSON
     * ({@code Integer}, {@code Long}, {@code Double}, {@code BigDecimal} values) needs no conversion.
     *
     * @throws IllegalArgumentException when a value is not a number (a map that reached here through an
     *     unchecked cast), naming the feature and the value's type, never the value
     */
    public static Features named(Map<String, ? extends Number> named) {
        Objects.requireNonNull(named, "named");
        @SuppressWarnings("unchecked")
        Map.Entry<String, Object>[] entries = named.entrySet().toArray(new Map.Entry[0]);
        int present = 0;
        for (Map.Entry<String, Object> e : entries) {
            Objects.requireNonNull(e.getKey(), "feature name");
            Object value = e.getValue();
            if (value != null && !(value instanceof Number)) {
                throw new NotANumberException("feature '" + printable(e.getKey()) + "' is a "
                        + value.getClass().getName() + ", not a number");
            }
            if (value != null) {
                entries[present++] = e;
            }
        }
        entries = Arrays.copyOf(entries, present);
        Arrays.sort(entries, Map.Entry.comparingByKey());
        double[] v = new double[present];
        String[] n = new String[present];
        for (int i = 0; i < present; i++) {
            n[i] = entries[i].getKey();
            v[i] = ((Number) entries[i].getValue()).doubleValue();
        }
        return new Features(v, List.of(n), null, true); // its own array: nobody else holds it
    }

    /**
     * A feature name as a log line may quote it: a request's map keys are the caller's text, so control
     * characters (a line break would forge a log line) are escaped and the name is cut at 64 characters.
     */
    static String printable(String name) {
        return FeatureNames.printable(name);
    }

    /**
     * Named features from a fixed layout, every one present: pass the same {@code names} list on
     * every request (e.g. a constant) and validation resolves cross-field rules by identity, at no
     * cost per request. A NaN value is a value, which validation refuses as not finite; to mark
     * features absent use {@link #named(List, double[], BitSet)}. The values array is not copied.
     * The vector keeps the list's order; unlike {@link #named(Map)}, which puts features in name
     * order, it trusts the service to build it. Distribution statistics that name their features
     * ({@code veil stats --csv FILE --header}) are in name order, and validation refuses a request
     * whose names come in another order (checked once per distinct list) rather than score each
     * value against another feature's statistics: list the names in name order.
     *
     * @throws IllegalArgumentException when the lengths differ or a name repeats
     */
    public static Features named(List<String> names, double[] values) {
        return named(names, values, null);
    }

    /**
     * Named features from a fixed layout (see {@link #named(List, double[])}) of which those in
     * {@code absent} are absent from the request: their values are ignored (the vector holds NaN
     * there), and a contract that requires one of them refuses the request. The values array is not
     * copied, but the absent positions of it are set to NaN.
     *
     * @param absent indexes of the absent features, or {@code null} (or an empty set) when all are present
     * @throws IllegalArgumentException when the lengths differ, a name repeats, or {@code absent}
     *     holds an index outside the values
     */
    public static Features named(List<String> names, double[] values, BitSet absent) {
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
        long[] bits = null;
        if (absent != null && !absent.isEmpty()) {
            if (absent.length() > values.length) {
                throw new IllegalArgumentException("absent feature index " + (absent.length() - 1)
                        + " is outside the " + values.length + " values");
            }
            bits = Arrays.copyOf(absent.toLongArray(), (values.length + 63) >>> 6);
            for (int i = absent.nextSetBit(0); i >= 0; i = absent.nextSetBit(i + 1)) {
                values[i] = Double.NaN;
            }
        }
        return new Features(values, frozen == names ? names : frozen, bits, false);
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

    /**
     * These features with their own copy of the vector (names and absent features are immutable and
     * shared); the copy {@link #isOwned() is owned}.
     */
    public Features copy() {
        return new Features(vector.clone(), names, absent, true);
    }

    /**
     * Whether the vector is these features' alone ({@link #ofOwned}, {@link #named(Map)},
     * {@link #copy()}), so that a Guard uses it without a copy of its own.
     */
    public boolean isOwned() {
        return owned;
    }

    /** Whether some feature is marked absent (see the class Javadoc). */
    public boolean hasAbsent() {
        return absent != null;
    }

    /**
     * Whether the feature at {@code index} is marked absent (its value in {@link #vector()} is then
     * NaN). A NaN the request carries as a value is not absent.
     *
     * @throws IndexOutOfBoundsException when {@code index} is not a position of the vector
     */
    public boolean isAbsent(int index) {
        Objects.checkIndex(index, vector.length);
        return absent != null && (absent[index >>> 6] & (1L << index)) != 0;
    }

    /** Named view in order (absent features map to {@code null}); empty when unnamed. */
    public Map<String, Double> asMap() {
        if (names.isEmpty()) {
            return Collections.emptyMap();
        }
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < vector.length; i++) {
            m.put(names.get(i), isAbsent(i) ? null : vector[i]);
        }
        return m;
    }

    @Override
    public String toString() {
        return "Features[size=" + vector.length + (names.isEmpty() ? "" : ", names=" + names) + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Features f && Arrays.equals(vector, f.vector) && names.equals(f.names)
                && Arrays.equals(absent, f.absent);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(vector) + names.hashCode()) + Arrays.hashCode(absent);
    }
}
