package dev.veil.rego.internal.value;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.IntFunction;

/**
 * An immutable Rego object: keys may be any value (Rego allows non-string keys), hash-based lookup,
 * iteration in sorted key order (sorted once, lazily). Objects are ordered as OPA orders them: over
 * the sorted keys pairwise, first the keys then the values at that key, then by size.
 */
public final class ObjectValue implements Value {
    /** The empty object. */
    public static final ObjectValue EMPTY = new ObjectValue(new HashMap<>(0));

    /** The entries; null while a lazy object or a view has not needed all of them (see {@link #lazy}). */
    private volatile HashMap<Value, Value> map;
    private volatile Value[] sortedKeys;
    private int hash;
    /**
     * A lazy object's {@link Shape} or a view's {@link ViewShape}, shared by every object of that shape (the
     * functions take {@link #source} as an argument, so that they need not capture it); null otherwise.
     */
    private final Object shape;
    /** What a lazy object's or a view's functions read; null otherwise. */
    private final Object source;
    /** A view's size. */
    private final int viewSize;
    /** A lazy object's values read so far, created on the first value read (not for a path, see {@link #getPath}). */
    private Value[] lazyMemo;

    /** The value at index {@code i} of a lazy object over {@code source}. */
    @FunctionalInterface
    public interface Values<S> {
        Value value(S source, int i);
    }

    /** The value at {@code key} of a view over {@code source}, or null when there is none. */
    @FunctionalInterface
    public interface Lookup<S> {
        Value get(S source, Value key);
    }

    /**
     * The value a path of keys leads to below a lazy object over {@code source}, without building the objects
     * on the way ({@code input.caller.attributes.status} in one step): exactly what indexing the object key
     * by key gives (null when undefined; indexing a string, number, boolean or null gives null), or
     * {@link #UNRESOLVED} for a path it leaves to indexing key by key.
     */
    @FunctionalInterface
    public interface Path<S> {
        Value at(S source, Value[] keys, int from);
    }

    /** What {@link #getPath} and a {@link Path} answer for a path that must be indexed key by key. */
    public static final Value UNRESOLVED = StringValue.of("\u0000unresolved path");

    private ObjectValue(HashMap<Value, Value> map) {
        this.map = map;
        this.shape = null;
        this.source = null;
        this.viewSize = 0;
    }

    private ObjectValue(Object shape, Object source, int viewSize) {
        this.shape = shape;
        this.source = source;
        this.viewSize = viewSize;
    }

    /** A view's functions: one constant shared by every view of that kind. */
    private record ViewShape(Lookup<Object> lookup, java.util.function.Function<Object, Map<Value, Value>> entries) {
    }

    /**
     * An object over a map held elsewhere: {@link #get} asks {@code lookup} (a pure function answering
     * null for a missing key), and the operations that need every entry ask {@code entries} once. For a
     * record's map that a policy reads one key of ({@code input.caller.attributes.status}).
     *
     * @param size    the number of entries
     * @param lookup  the value at a key, or null when there is none
     * @param entries every entry, the same as {@code lookup} gives
     */
    public static ObjectValue view(int size, java.util.function.Function<Value, Value> lookup,
                                   java.util.function.Supplier<Map<Value, Value>> entries) {
        Objects.requireNonNull(lookup, "object view lookup");
        Objects.requireNonNull(entries, "object view entries");
        return size == 0 ? EMPTY : new ObjectValue(FUNCTION_VIEW, new Object[] {lookup, entries}, size);
    }

    @SuppressWarnings("unchecked")
    private static final ViewShape FUNCTION_VIEW = new ViewShape(
            (fs, key) -> ((java.util.function.Function<Value, Value>) ((Object[]) fs)[0]).apply(key),
            fs -> ((java.util.function.Supplier<Map<Value, Value>>) ((Object[]) fs)[1]).get());

    /** The functions of views over one kind of source, built once and shared by every such view. */
    public static final class View<S> {
        private final ViewShape shape;

        /**
         * @param lookup  the value at a key of a source, or null when there is none
         * @param entries every entry of a source, the same as {@code lookup} gives
         */
        @SuppressWarnings("unchecked")
        public View(Lookup<S> lookup, java.util.function.Function<S, Map<Value, Value>> entries) {
            Objects.requireNonNull(lookup, "object view lookup");
            Objects.requireNonNull(entries, "object view entries");
            this.shape = new ViewShape((Lookup<Object>) lookup,
                    (java.util.function.Function<Object, Map<Value, Value>>) entries);
        }
    }

    /**
     * {@link #view(int, java.util.function.Function, java.util.function.Supplier)} over {@code source}, with
     * functions that take it as an argument (built once, rather than a new closure per object).
     */
    public static <S> ObjectValue view(int size, S source, View<S> view) {
        return size == 0 ? EMPTY : new ObjectValue(view.shape, source, size);
    }

    /**
     * An object whose keys are known and whose values are computed only when read: {@link #get} of one
     * key computes that value (once; {@code values} must be a pure function of the index, never returning
     * null), and the operations that need every entry (equality, hashing, ordering, iteration of values)
     * compute them all. Lets a large document that a policy reads a little of cost only what is read.
     *
     * @param keys   the distinct keys; the array is owned by the object and must not change
     * @param values the value at the key of each index
     */
    public static ObjectValue lazy(Value[] keys, IntFunction<Value> values) {
        Objects.requireNonNull(values, "lazy object values");
        return lazy(new Shape<>(new Keys(keys), INT_FUNCTION, null), values);
    }

    private static final Values<IntFunction<Value>> INT_FUNCTION = IntFunction::apply;

    /** The distinct keys of lazy objects, checked once (a constant shared by every object of that shape). */
    public static final class Keys {
        private final Value[] keys;

        /** The keys, which must not be null; the array is owned by this object and must not change. */
        public Keys(Value... keys) {
            for (Value k : keys) {
                Objects.requireNonNull(k, "object key");
            }
            this.keys = keys;
        }

        /** The keys without the last {@code n}. */
        public Keys dropLast(int n) {
            return new Keys(Arrays.copyOf(keys, keys.length - n));
        }

        /** The index of {@code key}, or -1 when it is not one of these keys. */
        public int indexOf(Value key) {
            Value[] ks = keys;
            for (int i = 0; i < ks.length; i++) {
                if (ks[i] == key) {
                    return i;
                }
            }
            int h = key.hashCode();
            for (int i = 0; i < ks.length; i++) {
                if (ks[i].hashCode() == h && ks[i].equals(key)) {
                    return i;
                }
            }
            return -1;
        }

        /** The number of keys. */
        public int size() {
            return keys.length;
        }
    }

    /**
     * The keys and functions of lazy objects over one kind of source, built once and shared by every such
     * object (see {@link #lazy(Shape, Object)}).
     */
    public static final class Shape<S> {
        private final Value[] keys;
        private final Keys checked;
        private final Values<Object> values;
        private final Path<Object> path;

        /**
         * @param keys   the distinct keys
         * @param values the value at the key of each index, a pure function of the source and the index
         * @param path   the value at a path of keys (see {@link Path}), or null to index key by key
         */
        @SuppressWarnings("unchecked")
        public Shape(Keys keys, Values<S> values, Path<S> path) {
            this.checked = keys;
            this.keys = keys.keys;
            this.values = (Values<Object>) Objects.requireNonNull(values, "lazy object values");
            this.path = (Path<Object>) path;
        }

        /** The same functions over other keys (which their value function must still answer for). */
        public Shape<S> withKeys(Keys keys) {
            @SuppressWarnings("unchecked")
            Shape<S> s = new Shape<>(keys, (Values<S>) values, (Path<S>) path);
            return s;
        }
    }

    /**
     * {@link #lazy(Value[], IntFunction)} over {@code source}, with functions that take it as an argument
     * (built once, rather than a new closure per object).
     */
    public static <S> ObjectValue lazy(Shape<S> shape, S source) {
        return shape.keys.length == 0 ? EMPTY : new ObjectValue(shape, source, 0);
    }

    /**
     * The value at a path of keys ({@code keys[from]}, then {@code keys[from + 1]} in that value...), as
     * indexing key by key gives it (null when undefined), when this object resolves paths itself (a lazy
     * object whose {@link Shape} has a {@link Path}); {@link #UNRESOLVED} otherwise.
     */
    public Value getPath(Value[] keys, int from) {
        return shape instanceof Shape<?> s && s.path != null ? s.path.at(source, keys, from) : UNRESOLVED;
    }

    /** The entries, computing a lazy object's remaining values on first need. */
    private HashMap<Value, Value> map() {
        HashMap<Value, Value> m = map;
        if (m == null) {
            if (shape instanceof ViewShape v) {
                m = new HashMap<>(v.entries().apply(source));
            } else {
                Value[] keys = ((Shape<?>) shape).keys;
                m = new HashMap<>(keys.length * 2);
                for (int i = 0; i < keys.length; i++) {
                    m.put(keys[i], lazyValue(i));
                }
            }
            map = m;
        }
        return m;
    }

    private Value lazyValue(int i) {
        Value[] memo = lazyMemo;
        if (memo == null) {
            memo = new Value[((Shape<?>) shape).keys.length];
            lazyMemo = memo; // a benign race: another thread may compute its values again
        }
        Value v = memo[i];
        if (v == null) {
            v = Objects.requireNonNull(((Shape<?>) shape).values.value(source, i), "lazy object value");
            memo[i] = v; // a benign race: every thread computes an equal immutable value
        }
        return v;
    }

    /** A builder that collects entries without copying them again on {@link Builder#build()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** An object of the given entries (a later equal key replaces an earlier one). */
    public static ObjectValue of(Map<? extends Value, ? extends Value> entries) {
        Builder b = builder();
        entries.forEach(b::put);
        return b.build();
    }

    /** An object of alternating keys and values: {@code of(k1, v1, k2, v2...)}. */
    public static ObjectValue of(Value... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("ObjectValue.of needs key, value pairs but got "
                    + keysAndValues.length + " arguments");
        }
        Builder b = builder();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            b.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return b.build();
    }

    public int size() {
        HashMap<Value, Value> m = map;
        return m != null ? m.size() : shape instanceof Shape<?> sh ? sh.keys.length : viewSize;
    }

    public boolean isEmpty() {
        return size() == 0;
    }

    /** The value at {@code key}, or null when there is none. */
    public Value get(Value key) {
        HashMap<Value, Value> m = map;
        if (m != null) {
            return m.get(key);
        }
        if (shape instanceof ViewShape v) {
            return v.lookup().get(source, key);
        }
        int i = ((Shape<?>) shape).checked.indexOf(key);
        return i < 0 ? null : lazyValue(i);
    }

    /** The value at the string key {@code key}, or null when there is none. */
    public Value get(String key) {
        return get(StringValue.of(key));
    }

    public boolean containsKey(Value key) {
        HashMap<Value, Value> m = map;
        return m != null ? m.containsKey(key) : shape instanceof ViewShape v ? v.lookup().get(source, key) != null
                : ((Shape<?>) shape).checked.indexOf(key) >= 0;
    }

    /** The keys in sorted order, as an unmodifiable list. */
    public List<Value> keys() {
        return Collections.unmodifiableList(Arrays.asList(sortedKeyArray()));
    }

    /** Calls {@code action} for every entry in sorted key order. */
    public void forEach(BiConsumer<Value, Value> action) {
        for (Value k : sortedKeyArray()) {
            action.accept(k, get(k));
        }
    }

    /** An unmodifiable view of the entries in no particular order, for fast iteration. */
    public Map<Value, Value> asMap() {
        return Collections.unmodifiableMap(map());
    }

    private Value[] sortedKeyArray() {
        Value[] s = sortedKeys;
        if (s == null) {
            HashMap<Value, Value> m = map;
            s = m != null || !(shape instanceof Shape<?> sh) ? map().keySet().toArray(new Value[0]) : sh.keys.clone();
            Arrays.sort(s);
            sortedKeys = s;
        }
        return s;
    }

    @Override
    public Kind kind() {
        return Kind.OBJECT;
    }

    @Override
    public int compareSameKind(Value other) {
        ObjectValue o = (ObjectValue) other;
        Value[] a = sortedKeyArray();
        Value[] b = o.sortedKeyArray();
        int n = Math.min(a.length, b.length);
        for (int i = 0; i < n; i++) {
            int c = a[i].compareTo(b[i]);
            if (c != 0) {
                return c;
            }
            c = get(a[i]).compareTo(o.get(b[i]));
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
        return o instanceof ObjectValue ov && ov.size() == size() && ov.hashCode() == hashCode()
                && map().equals(ov.map());
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = map().hashCode() * 31 + 0x6f;
            hash = h;
        }
        return h;
    }

    /** {@code {"a": 1, "b": [2]}} in sorted key order, as OPA prints objects. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder().append('{');
        Value[] keys = sortedKeyArray();
        for (int i = 0; i < keys.length; i++) {
            if (i > 0) {
                b.append(", ");
            }
            b.append(keys[i]).append(": ").append(get(keys[i]));
        }
        return b.append('}').toString();
    }

    /** Collects object entries; single use. */
    public static final class Builder {
        private HashMap<Value, Value> map = new HashMap<>();

        private Builder() {
        }

        /** Puts an entry; returns the value it replaced, or null. */
        public Value put(Value key, Value value) {
            Objects.requireNonNull(key, "object key");
            Objects.requireNonNull(value, "object value");
            return live().put(key, value);
        }

        /** Puts a string-keyed entry; returns the value it replaced, or null. */
        public Value put(String key, Value value) {
            return put(StringValue.of(key), value);
        }

        /** The value already collected at {@code key}, or null. */
        public Value get(Value key) {
            return live().get(key);
        }

        public int size() {
            return live().size();
        }

        /** The object; the builder cannot be used afterwards. */
        public ObjectValue build() {
            HashMap<Value, Value> m = live();
            map = null;
            return m.isEmpty() ? EMPTY : new ObjectValue(m);
        }

        private HashMap<Value, Value> live() {
            if (map == null) {
                throw new IllegalStateException("this ObjectValue.Builder was already built: use a new builder");
            }
            return map;
        }
    }
}
