package dev.veil.rego.internal.value;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/** An immutable Rego array, ordered element-wise and then by length. */
public final class ArrayValue implements Value {
    /** The empty array. */
    public static final ArrayValue EMPTY = new ArrayValue(new Value[0]);

    /** The elements; null while a {@link #sortedStrings} array has not needed them. */
    private volatile Value[] elementsOrNull;
    /** A {@link #sortedStrings} array's strings; null otherwise. */
    private final java.util.Set<String> strings;
    private int hash;

    private ArrayValue(Value[] elements) {
        this.elementsOrNull = elements;
        this.strings = null;
    }

    private ArrayValue(java.util.Set<String> strings) {
        this.strings = strings;
    }

    /**
     * The strings of a set, sorted, as an array whose elements are made only when read: a membership test
     * ({@link #contains}) asks the set and makes none. For a record's set that a policy tests membership of
     * ({@code "analyst" in input.caller.roles}).
     *
     * @param strings the distinct strings; an unmodifiable set that must not change
     */
    public static ArrayValue sortedStrings(java.util.Set<String> strings) {
        return strings.isEmpty() ? EMPTY : new ArrayValue(strings);
    }

    /** The elements, sorting a {@link #sortedStrings} array's strings on first need. */
    private Value[] elements() {
        Value[] e = elementsOrNull;
        if (e == null) {
            String[] sorted = strings.toArray(new String[0]);
            Arrays.sort(sorted);
            e = new Value[sorted.length];
            for (int i = 0; i < e.length; i++) {
                e[i] = StringValue.of(sorted[i]);
            }
            elementsOrNull = e; // a benign race: every thread makes an equal array
        }
        return e;
    }

    /** Whether some element equals {@code x} (Rego's {@code x in array}). */
    public boolean contains(Value x) {
        if (strings != null && elementsOrNull == null) {
            return x instanceof StringValue s && strings.contains(s.value());
        }
        Value[] elements = elements();
        for (int i = 0; i < elements.length; i++) {
            if (elements[i].equals(x)) {
                return true;
            }
        }
        return false;
    }

    /** An array of the given elements (copied). */
    public static ArrayValue of(Value... elements) {
        return elements.length == 0 ? EMPTY : new ArrayValue(checked(elements.clone()));
    }

    /** An array of the given elements (copied). */
    public static ArrayValue of(List<? extends Value> elements) {
        return elements.isEmpty() ? EMPTY : new ArrayValue(checked(elements.toArray(new Value[0])));
    }

    /**
     * An array that takes ownership of {@code elements} without copying: the caller must not change
     * the array afterwards.
     */
    public static ArrayValue wrap(Value[] elements) {
        return elements.length == 0 ? EMPTY : new ArrayValue(checked(elements));
    }

    private static Value[] checked(Value[] elements) {
        for (int i = 0; i < elements.length; i++) {
            Objects.requireNonNull(elements[i], "array element");
        }
        return elements;
    }

    public int size() {
        return strings != null ? strings.size() : elementsOrNull.length;
    }

    public boolean isEmpty() {
        return size() == 0;
    }

    /** The element at {@code index}; throws IndexOutOfBoundsException when out of range. */
    public Value get(int index) {
        return elements()[index];
    }

    /** An unmodifiable list view of the elements. */
    public List<Value> asList() {
        return new ListView(elements());
    }

    /** A copy of the elements. */
    public Value[] toArray() {
        return elements().clone();
    }

    @Override
    public Kind kind() {
        return Kind.ARRAY;
    }

    @Override
    public int compareSameKind(Value other) {
        Value[] elements = elements();
        Value[] o = ((ArrayValue) other).elements();
        int n = Math.min(elements.length, o.length);
        for (int i = 0; i < n; i++) {
            int c = elements[i].compareTo(o[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(elements.length, o.length);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        return o instanceof ArrayValue a && a.hashCode() == hashCode() && Arrays.equals(elements(), a.elements());
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = Arrays.hashCode(elements()) * 31 + 0x61;
            hash = h;
        }
        return h;
    }

    @Override
    public String toString() {
        Value[] elements = elements();
        StringBuilder b = new StringBuilder().append('[');
        for (int i = 0; i < elements.length; i++) {
            if (i > 0) {
                b.append(", ");
            }
            b.append(elements[i]);
        }
        return b.append(']').toString();
    }

    private static final class ListView extends AbstractList<Value> implements RandomAccess {
        private final Value[] elements;

        ListView(Value[] elements) {
            this.elements = elements;
        }

        @Override
        public Value get(int index) {
            return elements[index];
        }

        @Override
        public int size() {
            return elements.length;
        }
    }
}
