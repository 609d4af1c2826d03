package dev.veil.internal.bundle;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Deep, order-preserving, unmodifiable copies of parsed documents. Stateless. */
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
}
