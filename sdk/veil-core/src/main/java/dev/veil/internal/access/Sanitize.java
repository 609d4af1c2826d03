package dev.veil.internal.access;

import dev.veil.internal.text.ControlChars;

/**
 * Makes untrusted text (a claim value, a field name from a file) safe to put in an error message:
 * control, separator and format characters become {@code ?} and long text is cut. Stateless and thread-safe.
 */
final class Sanitize {
    static final int MAX = 80;

    private Sanitize() {}

    /**
     * Whether {@code s} starts or ends with whitespace (including no-break spaces and line breaks), as a
     * credential read from a file with its trailing newline does.
     */
    static boolean hasSurroundingSpace(String s) {
        return s != null && !s.isEmpty() && (isSpace(s.charAt(0)) || isSpace(s.charAt(s.length() - 1)));
    }

    static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    /**
     * Whether {@code c} must not reach a message as it is: a character that hides or reorders text
     * ({@link ControlChars#hidden}: control characters, line and paragraph separators U+2028 and
     * U+2029, where a logged message would break into lines the attacker chose, format characters such
     * as the bidi override U+202E and zero-width characters), the characters that render as nothing
     * ({@link ControlChars#invisible}: Hangul fillers, variation selectors), and every surrogate, paired
     * or not.
     *
     * <p>Deliberately wider than {@link ControlChars#escaped}, which keeps a visible character outside
     * the BMP (an emoji): {@link #text} cuts at {@value #MAX} UTF-16 units, and a cut between the two
     * halves of a pair would leave a lone surrogate; looking at one unit at a time, a pair's half is
     * unsafe, so a supplementary format character (the tag characters U+E0001, U+E0020 to U+E007F)
     * is replaced too. The replacement is {@code ?}, not an escape: these messages quote a token's
     * claims or a file's field, where a readable stand-in serves as well and is shorter.
     */
    static boolean unsafe(char c) {
        // a surrogate on its own is LONE_SURROGATE; invisible: a Hangul filler, a variation selector...
        return ControlChars.hidden(c) != null || ControlChars.invisible(c);
    }

    /**
     * {@code s} with {@link #unsafe} characters (control, surrogate, line and paragraph separator,
     * format) replaced by {@code ?} and at most {@value #MAX} characters kept.
     */
    static String text(String s) {
        if (s == null) {
            return "null";
        }
        int n = Math.min(s.length(), MAX);
        StringBuilder b = new StringBuilder(n + 3);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            b.append(unsafe(c) ? '?' : c);
        }
        if (s.length() > MAX) {
            b.append("...");
        }
        return b.toString();
    }
}
