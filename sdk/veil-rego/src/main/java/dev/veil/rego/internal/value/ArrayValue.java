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

    private final Value[] elements;
    private int hash;

    private ArrayValue(Value[] elements) {
        this.elements = elements;
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
        return elements.length;
    }

    public boolean isEmpty() {
        return elements.length == 0;
    }

    /** The element at {@code index}; throws IndexOutOfBoundsException when out of range. */
    public Value get(int index) {
        return elements[index];
    }

    /** An unmodifiable list view of the elements. */
    public List<Value> asList() {
        return new ListView(elements);
    }

    /** A copy of the elements. */
    public Value[] toArray() {
        return elements.clone();
    }

    @Override
    public Kind kind() {
        return Kind.ARRAY;
    }

    @Override
    public int compareSameKind(Value other) {
        Value[] o = ((ArrayValue) other).elements;
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
        return o instanceof ArrayValue a && a.hashCode() == hashCode() && Arrays.equals(elements, a.elements);
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = Arrays.hashCode(elements) * 31 + 0x61;
            hash = h;
        }
        return h;
    }

    @Override
    public String toString() {
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
