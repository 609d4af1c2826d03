package dev.veil.internal.bundle;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Deep, order-preserving, unmodifiable copies and views of parsed documents. Stateless. */
final class Immutables {
    private Immutables() {}

    /**
     * Copies maps into unmodifiable {@link LinkedHashMap}s and lists into unmodifiable
     * {@link ArrayList}s, recursively; other values (strings, numbers, booleans, null) are shared.
     * {@code null} values inside maps and lists are kept.
     */
    static Object deepCopy(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>(Math.max(4, (int) (map.size() / 0.75f) + 1));
            for (Map.Entry<?, ?> e : map.entrySet()) {
                copy.put((String) e.getKey(), deepCopy(e.getValue()));
            }
            return Collections.unmodifiableMap(copy);
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            for (Object o : list) {
                copy.add(deepCopy(o));
            }
            return Collections.unmodifiableList(copy);
        }
        return value;
    }

    /**
     * Makes a document built of {@link LinkedHashMap}s and {@link ArrayList}s (as the parser and
     * the data merger build them) unmodifiable in place, wrapping each collection instead of copying
     * it, so that a large document is not held twice; any other collection is {@link #deepCopy
     * deep-copied}. The caller hands the document over: nothing else may keep a reference to its
     * collections.
     */
    @SuppressWarnings("unchecked")
    static Object freeze(Object value) {
        if (value instanceof LinkedHashMap<?, ?> map) {
            for (Map.Entry<String, Object> e : ((Map<String, Object>) map).entrySet()) {
                e.setValue(freeze(e.getValue()));
            }
            return Collections.unmodifiableMap(map);
        }
        if (value instanceof ArrayList<?> list) {
            ((List<Object>) list).replaceAll(Immutables::freeze);
            return Collections.unmodifiableList(list);
        }
        return deepCopy(value);
    }
}
