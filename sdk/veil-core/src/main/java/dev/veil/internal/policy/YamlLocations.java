package dev.veil.internal.policy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Line and column of every value in a YAML document, by dotted path ({@code access.rules[2].when}),
 * so that errors found after mapping (a duplicate rule id, a data path that does not exist) still
 * point at the line that caused them. Indexes JSON the same way when given a JSON factory (the
 * bundle's key store and JWKS files); the path {@code ""} is the document's first token.
 */
public final class YamlLocations {
    private final Map<String, int[]> byPath;
    private final String firstNull;

    private YamlLocations(Map<String, int[]> byPath, String firstNull) {
        this.byPath = byPath;
        this.firstNull = firstNull;
    }

    /** Path of the first explicit null value in the document, or {@code null} when there is none. */
    String firstNull() {
        return firstNull;
    }

    /**
     * Indexes a document; never throws: a document that does not parse is indexed up to its error
     * (its syntax error is for the caller's own parser to report, with its location).
     */
    public static YamlLocations index(JsonFactory factory, byte[] yaml) {
        Map<String, int[]> out = new HashMap<>();
        String firstNull = null;
        try (JsonParser p = factory.createParser(yaml)) {
            Deque<Object> path = new ArrayDeque<>(); // String field or int[] index counter
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                switch (t) {
                    case FIELD_NAME -> {
                        if (!path.isEmpty() && path.peek() instanceof String) {
                            path.pop();
                        }
                        path.push(p.currentName());
                        JsonLocation l = p.currentTokenLocation();
                        out.put(render(path), new int[] {l.getLineNr(), l.getColumnNr()});
                    }
                    case START_OBJECT, START_ARRAY -> {
                        bumpIndex(path, p, out);
                        if (path.isEmpty()) {
                            JsonLocation l = p.currentTokenLocation();
                            out.putIfAbsent("", new int[] {l.getLineNr(), l.getColumnNr()});
                        }
                        path.push(t == JsonToken.START_ARRAY ? new int[] {-1} : new Object[0]);
                    }
                    case END_OBJECT, END_ARRAY -> {
                        if (!path.isEmpty() && path.peek() instanceof String) {
                            path.pop();
                        }
                        if (!path.isEmpty()) {
                            path.pop();
                        }
                    }
                    default -> {
                        bumpIndex(path, p, out);
                        if (t == JsonToken.VALUE_NULL && firstNull == null) {
                            firstNull = render(path);
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // Syntax errors are reported by the mapper with their own location.
        }
        return new YamlLocations(out, firstNull);
    }

    private static void bumpIndex(Deque<Object> path, JsonParser p, Map<String, int[]> out) {
        if (!path.isEmpty() && path.peek() instanceof int[] idx) {
            idx[0]++;
            JsonLocation l = p.currentTokenLocation();
            out.put(render(path), new int[] {l.getLineNr(), l.getColumnNr()});
        }
    }

    private static String render(Deque<Object> path) {
        StringBuilder sb = new StringBuilder();
        var it = path.descendingIterator();
        while (it.hasNext()) {
            Object o = it.next();
            if (o instanceof String s) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(s);
            } else if (o instanceof int[] idx) {
                sb.append('[').append(idx[0]).append(']');
            }
        }
        return sb.toString();
    }

    /** Whether the document holds a value (or key) at exactly this path. */
    boolean has(String path) {
        return byPath.containsKey(path);
    }

    /** {line, column} of the path, or of its nearest enclosing path that is known; {0, 0} if none. */
    public int[] find(String path) {
        String p = path;
        while (true) {
            int[] l = byPath.get(p);
            if (l != null) {
                return l;
            }
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            if (cut <= 0) {
                return new int[] {0, 0};
            }
            p = p.substring(0, cut);
        }
    }
}
