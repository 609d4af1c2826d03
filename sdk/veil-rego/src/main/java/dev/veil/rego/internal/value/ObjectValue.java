package dev.veil.rego.internal.value;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * An immutable Rego object: keys may be any value (Rego allows non-string keys), hash-based lookup,
 * iteration in sorted key order (sorted once, lazily). Objects are ordered as OPA orders them: over
 * the sorted keys pairwise, first the keys then the values at that key, then by size.
 */
public final class ObjectValue implements Value {
    /** The empty object. */
    public static final ObjectValue EMPTY = new ObjectValue(new HashMap<>(0));

    private final HashMap<Value, Value> map;
    private volatile Value[] sortedKeys;
    private int hash;

    private ObjectValue(HashMap<Value, Value> map) {
        this.map = map;
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
        return map.size();
    }

    public boolean isEmpty() {
        return map.isEmpty();
    }

    /** The value at {@code key}, or null when there is none. */
    public Value get(Value key) {
        return map.get(key);
    }

    /** The value at the string key {@code key}, or null when there is none. */
    public Value get(String key) {
        return map.get(StringValue.of(key));
    }

    public boolean containsKey(Value key) {
        return map.containsKey(key);
    }

    /** The keys in sorted order, as an unmodifiable list. */
    public List<Value> keys() {
        return Collections.unmodifiableList(Arrays.asList(sortedKeyArray()));
    }

    /** Calls {@code action} for every entry in sorted key order. */
    public void forEach(BiConsumer<Value, Value> action) {
        for (Value k : sortedKeyArray()) {
            action.accept(k, map.get(k));
        }
    }

    /** An unmodifiable view of the entries in no particular order, for fast iteration. */
    public Map<Value, Value> asMap() {
        return Collections.unmodifiableMap(map);
    }

    private Value[] sortedKeyArray() {
        Value[] s = sortedKeys;
        if (s == null) {
            s = map.keySet().toArray(new Value[0]);
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
            c = map.get(a[i]).compareTo(o.map.get(b[i]));
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
        return o instanceof ObjectValue ov && ov.map.size() == map.size() && ov.hashCode() == hashCode()
                && map.equals(ov.map);
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = map.hashCode() * 31 + 0x6f;
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
            b.append(keys[i]).append(": ").append(map.get(keys[i]));
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
