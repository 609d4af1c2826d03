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

    /** The entries; null while a lazy object has not needed all of them (see {@link #lazy}). */
    private volatile HashMap<Value, Value> map;
    private volatile Value[] sortedKeys;
    private int hash;
    /**
     * A lazy object's distinct keys, its value function and the values read so far; null otherwise. The
     * functions of lazy objects and views take {@link #source} as an argument, so that they need not
     * capture it (one shared function object rather than one per object).
     */
    private final Value[] lazyKeys;
    private final Value[] lazyMemo;
    /** A lazy object's {@link Values} or a view's {@link Lookup} (one field: the object is one or the other). */
    private final Object fn;
    /** A view's size and entries (see {@link #view}); null otherwise. */
    private final int viewSize;
    private final java.util.function.Function<Object, Map<Value, Value>> viewEntries;
    /** What a lazy object's or a view's functions read; null otherwise. */
    private final Object source;

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

    private ObjectValue(HashMap<Value, Value> map) {
        this.map = map;
        this.lazyKeys = null;
        this.fn = null;
        this.lazyMemo = null;
        this.viewSize = 0;
        this.viewEntries = null;
        this.source = null;
    }

    private ObjectValue(Value[] keys, Object source, Values<?> values) {
        this.lazyKeys = keys;
        this.fn = values;
        this.lazyMemo = new Value[keys.length];
        this.viewSize = 0;
        this.viewEntries = null;
        this.source = source;
    }

    @SuppressWarnings("unchecked")
    private ObjectValue(int size, Object source, Lookup<?> lookup,
                        java.util.function.Function<?, Map<Value, Value>> entries) {
        this.lazyKeys = null;
        this.fn = lookup;
        this.lazyMemo = null;
        this.viewSize = size;
        this.viewEntries = (java.util.function.Function<Object, Map<Value, Value>>) entries;
        this.source = source;
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
        return size == 0 ? EMPTY : new ObjectValue(size, new Object[] {lookup, entries}, FUNCTION_LOOKUP,
                FUNCTION_ENTRIES);
    }

    @SuppressWarnings("unchecked")
    private static final Lookup<Object[]> FUNCTION_LOOKUP =
            (fs, key) -> ((java.util.function.Function<Value, Value>) fs[0]).apply(key);
    @SuppressWarnings("unchecked")
    private static final java.util.function.Function<Object[], Map<Value, Value>> FUNCTION_ENTRIES =
            fs -> ((java.util.function.Supplier<Map<Value, Value>>) fs[1]).get();

    /**
     * {@link #view(int, java.util.function.Function, java.util.function.Supplier)} over {@code source}, with
     * functions that take it as an argument (and so can be shared constants rather than a new closure per
     * object).
     */
    public static <S> ObjectValue view(int size, S source, Lookup<S> lookup,
                                       java.util.function.Function<S, Map<Value, Value>> entries) {
        Objects.requireNonNull(lookup, "object view lookup");
        Objects.requireNonNull(entries, "object view entries");
        return size == 0 ? EMPTY : new ObjectValue(size, source, lookup, entries);
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
        return lazy(new Keys(keys), values, INT_FUNCTION);
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
    }

    /**
     * {@link #lazy(Value[], IntFunction)} over {@code source}, with a function that takes it as an argument
     * (and so can be a shared constant rather than a new closure per object).
     */
    public static <S> ObjectValue lazy(Keys keys, S source, Values<S> values) {
        Objects.requireNonNull(values, "lazy object values");
        return keys.keys.length == 0 ? EMPTY : new ObjectValue(keys.keys, source, values);
    }

    /** The entries, computing a lazy object's remaining values on first need. */
    private HashMap<Value, Value> map() {
        HashMap<Value, Value> m = map;
        if (m == null) {
            if (lazyKeys == null) {
                m = new HashMap<>(viewEntries.apply(source));
            } else {
                m = new HashMap<>(lazyKeys.length * 2);
                for (int i = 0; i < lazyKeys.length; i++) {
                    m.put(lazyKeys[i], lazyValue(i));
                }
            }
            map = m;
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    private Value lazyValue(int i) {
        Value v = lazyMemo[i];
        if (v == null) {
            v = Objects.requireNonNull(((Values<Object>) fn).value(source, i), "lazy object value");
            lazyMemo[i] = v; // a benign race: every thread computes an equal immutable value
        }
        return v;
    }

    private int lazyIndex(Value key) {
        Value[] ks = lazyKeys;
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
        return m != null ? m.size() : lazyKeys == null ? viewSize : lazyKeys.length;
    }

    public boolean isEmpty() {
        return size() == 0;
    }

    /** The value at {@code key}, or null when there is none. */
    @SuppressWarnings("unchecked")
    public Value get(Value key) {
        HashMap<Value, Value> m = map;
        if (m != null) {
            return m.get(key);
        }
        if (lazyKeys == null) {
            return ((Lookup<Object>) fn).get(source, key);
        }
        int i = lazyIndex(key);
        return i < 0 ? null : lazyValue(i);
    }

    /** The value at the string key {@code key}, or null when there is none. */
    public Value get(String key) {
        return get(StringValue.of(key));
    }

    @SuppressWarnings("unchecked")
    public boolean containsKey(Value key) {
        HashMap<Value, Value> m = map;
        return m != null ? m.containsKey(key) : lazyKeys == null ? ((Lookup<Object>) fn).get(source, key) != null
                : lazyIndex(key) >= 0;
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
            s = m != null || lazyKeys == null ? map().keySet().toArray(new Value[0]) : lazyKeys.clone();
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
