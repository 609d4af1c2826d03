package dev.veil.internal.bundle;

import dev.veil.internal.text.ControlChars;
import java.util.List;

/**
 * Where a value sits in a parsed document, written for a message: {@code keys[2].roles},
 * {@code x["a b"]}, {@code (top level)}. A key that is not a plain identifier (letters, digits and
 * {@code _}, not starting with a digit) is quoted, with quotes, backslashes, characters that hide or
 * reorder text ({@link ControlChars}) and surrogates escaped as {@code \\uXXXX}; a key longer than {@value #MAX_KEY_CHARS} characters is
 * cut there ({@code ...}). Stateless.
 */
public final class DocPath {
    static final int MAX_KEY_CHARS = 80;

    private DocPath() {}

    /**
     * The path of {@code steps}, from the top: a {@link String} is an object key, a {@link Number}
     * or an {@code int[]} (a running index, its first element) an array index.
     */
    public static String render(List<?> steps) {
        if (steps.isEmpty()) {
            return "(top level)";
        }
        StringBuilder sb = new StringBuilder();
        for (Object step : steps) {
            if (step instanceof Number index) {
                sb.append('[').append(index).append(']');
            } else if (step instanceof int[] index) {
                sb.append('[').append(index[0]).append(']');
            } else {
                key(sb, (String) step);
            }
        }
        return sb.toString();
    }

    private static void key(StringBuilder sb, String key) {
        boolean plain = !key.isEmpty() && !Character.isDigit(key.charAt(0));
        StringBuilder escaped = new StringBuilder();
        for (int i = 0; i < key.length() && i < MAX_KEY_CHARS; i++) {
            char c = key.charAt(i);
            plain &= c == '_' || (c < 0x80 && Character.isLetterOrDigit(c));
            // every surrogate, paired or not: the key may be cut after any unit
            escaped.append(Character.isSurrogate(c) || ControlChars.escapedAt(key, i) || c == '"' || c == '\\'
                    ? ControlChars.escape(c) : String.valueOf(c));
        }
        boolean cut = key.length() > MAX_KEY_CHARS;
        if (plain && !cut) {
            sb.append(sb.length() == 0 ? "" : ".").append(key);
        } else {
            sb.append("[\"").append(escaped).append(cut ? "...\"]" : "\"]");
        }
    }
}
