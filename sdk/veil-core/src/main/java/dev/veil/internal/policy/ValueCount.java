package dev.veil.internal.policy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.internal.bundle.BundleLimits;
import dev.veil.internal.bundle.DocPath;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Counts the values of a bundle file that is parsed outside the bundle loader (the key file, the
 * JWKS file, the policy file) with a streaming parser, before a parser that builds the whole
 * document in memory (Jackson databind, nimbus) reads it: bytes alone do not bound memory
 * ({@code [{},{},...]} is one value per 3 bytes, each a hundred bytes or more once parsed), so such
 * a file is held to {@link BundleLimits#DEFAULT_MAX_DATA_VALUES} values, as a data file is.
 * Stateless and thread-safe.
 */
public final class ValueCount {
    /** The most values one such file may hold: {@link BundleLimits#DEFAULT_MAX_DATA_VALUES}. */
    public static final int MAX_VALUES = BundleLimits.DEFAULT_MAX_DATA_VALUES;

    private ValueCount() {}

    /**
     * Refuses a file of more than {@link #MAX_VALUES} values (objects, arrays, strings, numbers,
     * booleans, nulls). A file that does not parse is counted up to its error and not refused here:
     * its syntax error is for the caller's own parser to report, in its own words.
     *
     * @param factory the factory of the file's format (JSON or YAML)
     * @param bytes the file's bytes
     * @param file the bundle-relative file name, for the error
     * @param what what the file is, for the error ({@code "key file"})
     * @throws PolicyLoadException naming {@code file}, at the line and column of the value past the limit
     */
    public static void check(JsonFactory factory, byte[] bytes, String file, String what) {
        check(factory, bytes, file, what, MAX_VALUES);
    }

    static void check(JsonFactory factory, byte[] bytes, String file, String what, int max) {
        Deque<Object> path = new ArrayDeque<>(); // String[] {key} in an object, int[] {index} in an array
        JsonLocation at = null;
        try (JsonParser p = factory.createParser(bytes)) {
            long count = 0;
            for (JsonToken t; (t = p.nextToken()) != null; ) {
                if (t == JsonToken.FIELD_NAME) {
                    ((String[]) path.peek())[0] = p.currentName();
                    continue;
                }
                if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                    path.pop();
                    continue;
                }
                if (!path.isEmpty() && path.peek() instanceof int[] index) {
                    index[0]++;
                }
                if (++count > max) {
                    at = p.currentTokenLocation();
                    break;
                }
                if (t == JsonToken.START_OBJECT) {
                    path.push(new String[1]);
                } else if (t == JsonToken.START_ARRAY) {
                    path.push(new int[] {-1});
                }
            }
        } catch (IOException e) {
            return; // a syntax error (or a parser limit): the caller's parser reports it
        }
        if (at == null) {
            return;
        }
        throw new PolicyLoadException(new PolicyError(file, Math.max(0, at.getLineNr()), Math.max(0, at.getColumnNr()),
                String.format(Locale.ROOT, "the file holds more than %,d values (objects, arrays, strings, numbers,"
                        + " booleans and nulls counted together; the value at %s is past the limit). A bundle file is"
                        + " read within this limit, as the data files are together, so that many tiny values cannot"
                        + " exhaust memory; a %s needs far fewer: check what was put in it",
                        max, render(path), what)));
    }

    /** The path as {@link DocPath} writes it, from the top ({@code path} is innermost first). */
    private static String render(Deque<Object> path) {
        List<Object> steps = new ArrayList<>();
        for (Iterator<Object> it = path.descendingIterator(); it.hasNext(); ) {
            Object step = it.next();
            if (step instanceof String[] key) {
                if (key[0] != null) { // an object's first key not read yet: cannot be, the count is at a value
                    steps.add(key[0]);
                }
            } else {
                steps.add(step);
            }
        }
        return DocPath.render(steps);
    }
}
