package dev.veil.conformance;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Compares an expected decision document, possibly partial, with the one an engine produced.
 *
 * <ul>
 *   <li>a mapping matches a mapping that has every listed key with a matching value; keys the
 *       expectation leaves out are not compared;
 *   <li>a list matches a list of the same length whose elements match in order (elements that are
 *       mappings are again compared partially);
 *   <li>numbers match numbers of the same value, whatever their Java type ({@code 2} matches
 *       {@code 2.0}): decision documents are JSON, where {@code 2} and {@code 2.0} are one number;
 *   <li>strings and booleans match equal values; {@code null} matches only {@code null} (the key
 *       must be present).
 * </ul>
 */
final class DocumentMatch {
    private DocumentMatch() {}

    /** Every difference, as {@code path: expected X, was Y}; empty when {@code got} matches. */
    static List<String> mismatches(Object want, Object got) {
        List<String> out = new ArrayList<>();
        compare("", want, got, out);
        return out;
    }

    private static void compare(String path, Object want, Object got, List<String> out) {
        String at = path.isEmpty() ? "(document)" : path;
        if (want instanceof Map<?, ?> w) {
            if (!(got instanceof Map<?, ?> g)) {
                out.add(at + ": expected a mapping, was " + show(got));
                return;
            }
            for (Map.Entry<?, ?> e : w.entrySet()) {
                String key = String.valueOf(e.getKey());
                String sub = path.isEmpty() ? key : path + "." + key;
                if (!g.containsKey(key)) {
                    out.add(sub + ": expected " + show(e.getValue()) + ", but the decision has no such field");
                } else {
                    compare(sub, e.getValue(), g.get(key), out);
                }
            }
        } else if (want instanceof List<?> w) {
            if (!(got instanceof List<?> g)) {
                out.add(at + ": expected a list, was " + show(got));
                return;
            }
            if (w.size() != g.size()) {
                out.add(at + ": expected " + w.size() + " element(s), was " + g.size() + ": " + show(got));
                return;
            }
            for (int i = 0; i < w.size(); i++) {
                compare(path + "[" + i + "]", w.get(i), g.get(i), out);
            }
        } else if (want instanceof Number w) {
            if (!(got instanceof Number g) || !sameNumber(w, g)) {
                out.add(at + ": expected " + show(want) + ", was " + show(got));
            }
        } else if (want == null) {
            if (got != null) {
                out.add(at + ": expected null, was " + show(got));
            }
        } else if (!want.equals(got)) {
            out.add(at + ": expected " + show(want) + ", was " + show(got));
        }
    }

    private static boolean sameNumber(Number a, Number b) {
        BigDecimal x = decimal(a);
        BigDecimal y = decimal(b);
        return x != null && y != null ? x.compareTo(y) == 0 : a.doubleValue() == b.doubleValue();
    }

    private static BigDecimal decimal(Number n) {
        if (n instanceof Double d && !Double.isFinite(d) || n instanceof Float f && !Float.isFinite(f)) {
            return null;
        }
        return new BigDecimal(n.toString());
    }

    /** JSON-like rendering for messages. */
    static String show(Object o) {
        if (o == null) {
            return "null";
        }
        if (o instanceof String s) {
            return "'" + s + "'";
        }
        if (o instanceof Map<?, ?> m) {
            StringBuilder b = new StringBuilder("{");
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (b.length() > 1) {
                    b.append(", ");
                }
                b.append(e.getKey()).append(": ").append(show(e.getValue()));
            }
            return b.append('}').toString();
        }
        if (o instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            for (Object e : l) {
                if (b.length() > 1) {
                    b.append(", ");
                }
                b.append(show(e));
            }
            return b.append(']').toString();
        }
        return String.valueOf(o);
    }
}
