package dev.veil.internal.access;

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
     * Whether {@code c} must not reach a message as it is: control characters, surrogates, line and
     * paragraph separators (U+2028, U+2029: a logged message would break into lines the attacker
     * chose) and format characters (bidi overrides such as U+202E, zero-width characters).
     */
    static boolean unsafe(char c) {
        if (Character.isISOControl(c) || Character.isSurrogate(c)) {
            return true;
        }
        int type = Character.getType(c);
        return type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR || type == Character.FORMAT;
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
