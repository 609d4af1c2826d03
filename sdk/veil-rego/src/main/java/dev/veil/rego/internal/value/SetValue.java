package dev.veil.rego.internal.value;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * An immutable Rego set: hash-based membership, iteration in sorted order (sorted once, lazily).
 * Sets are ordered by their sorted elements pairwise, then by size, as OPA does.
 */
public final class SetValue implements Value {
    /** The empty set. */
    public static final SetValue EMPTY = new SetValue(new HashSet<>(0));

    private final HashSet<Value> elements;
    private volatile Value[] sorted;
    private int hash;
    /** The elements of a set of at most {@link #SMALL}, for membership without hashing; null for larger sets. */
    private final Value[] small;

    /** The largest set whose membership test compares element by element. */
    private static final int SMALL = 4;

    private SetValue(HashSet<Value> elements) {
        this.elements = elements;
        this.small = elements.size() <= SMALL ? elements.toArray(new Value[0]) : null;
    }

    /** A set of the given elements. */
    public static SetValue of(Value... elements) {
        return of(Arrays.asList(elements));
    }

    /** A set of the given elements. */
    public static SetValue of(Collection<? extends Value> elements) {
        Builder b = builder();
        for (Value v : elements) {
            b.add(v);
        }
        return b.build();
    }

    /** A builder that collects elements without copying them again on {@link Builder#build()}. */
    public static Builder builder() {
        return new Builder();
    }

    public int size() {
        return elements.size();
    }

    public boolean isEmpty() {
        return elements.isEmpty();
    }

    public boolean contains(Value v) {
        Value[] s = small;
        if (s != null && v != null) {
            for (Value x : s) {
                if (x == v || v.equals(x)) {
                    return true;
                }
            }
            return false;
        }
        return elements.contains(v);
    }

    /** The elements in sorted order, as an unmodifiable list. */
    public List<Value> elements() {
        return java.util.Collections.unmodifiableList(Arrays.asList(sortedArray()));
    }

    /** An unmodifiable view of the elements in no particular order, for fast membership and iteration. */
    public Set<Value> asSet() {
        return java.util.Collections.unmodifiableSet(elements);
    }

    private Value[] sortedArray() {
        Value[] s = sorted;
        if (s == null) {
            s = elements.toArray(new Value[0]);
            Arrays.sort(s);
            sorted = s;
        }
        return s;
    }

    /** The union of this set and {@code other}. */
    public SetValue union(SetValue other) {
        if (other.isEmpty()) {
            return this;
        }
        if (isEmpty()) {
            return other;
        }
        HashSet<Value> u = new HashSet<>(elements);
        u.addAll(other.elements);
        return new SetValue(u);
    }

    /** The elements of this set that are also in {@code other}. */
    public SetValue intersection(SetValue other) {
        SetValue small = size() <= other.size() ? this : other;
        SetValue large = small == this ? other : this;
        HashSet<Value> r = new HashSet<>();
        for (Value v : small.elements) {
            if (large.elements.contains(v)) {
                r.add(v);
            }
        }
        return r.isEmpty() ? EMPTY : new SetValue(r);
    }

    /** The elements of this set that are not in {@code other}. */
    public SetValue difference(SetValue other) {
        HashSet<Value> r = new HashSet<>();
        for (Value v : elements) {
            if (!other.elements.contains(v)) {
                r.add(v);
            }
        }
        return r.isEmpty() ? EMPTY : new SetValue(r);
    }

    @Override
    public Kind kind() {
        return Kind.SET;
    }

    @Override
    public int compareSameKind(Value other) {
        Value[] a = sortedArray();
        Value[] b = ((SetValue) other).sortedArray();
        int n = Math.min(a.length, b.length);
        for (int i = 0; i < n; i++) {
            int c = a[i].compareTo(b[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.length, b.length);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        return o instanceof SetValue s && s.elements.size() == elements.size() && s.hashCode() == hashCode()
                && elements.equals(s.elements);
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = elements.hashCode() * 31 + 0x73;
            hash = h;
        }
        return h;
    }

    /** {@code {1, 2}} in sorted order, {@code set()} when empty, as OPA prints sets. */
    @Override
    public String toString() {
        if (elements.isEmpty()) {
            return "set()";
        }
        StringBuilder b = new StringBuilder().append('{');
        Value[] s = sortedArray();
        for (int i = 0; i < s.length; i++) {
            if (i > 0) {
                b.append(", ");
            }
            b.append(s[i]);
        }
        return b.append('}').toString();
    }

    /** Collects set elements; single use. */
    public static final class Builder {
        private HashSet<Value> elements = new HashSet<>();

        private Builder() {
        }

        /** Adds {@code v}; returns false when it was already there. */
        public boolean add(Value v) {
            Objects.requireNonNull(v, "set element");
            return live().add(v);
        }

        public boolean contains(Value v) {
            return live().contains(v);
        }

        public int size() {
            return live().size();
        }

        /** The set; the builder cannot be used afterwards. */
        public SetValue build() {
            HashSet<Value> e = live();
            elements = null;
            return e.isEmpty() ? EMPTY : new SetValue(e);
        }

        private HashSet<Value> live() {
            if (elements == null) {
                throw new IllegalStateException("this SetValue.Builder was already built: use a new builder");
            }
            return elements;
        }
    }
}
