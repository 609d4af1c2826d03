package dev.veil.internal.bundle;

/**
 * Control characters (U+0000 to U+001F and U+007F to U+009F: line breaks, tabs, the escape that
 * starts a terminal command) in strings that come from a bundle or a request and end up printed or
 * logged: found, and written as escapes so that such a string prints as one line of its own text.
 * Stateless.
 */
public final class ControlChars {
    private ControlChars() {}

    /** The index of the first control character in {@code s}, or -1. */
    public static int indexIn(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (isControl(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    /** Whether {@code c} is a control character (see the class comment). */
    public static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f);
    }

    /**
     * {@code s} with each control character written as an escape: {@code \0}, {@code \n}, {@code \r},
     * {@code \t}, else {@code \\u001b} and the like; {@code s} itself when it holds none.
     */
    public static String escaped(String s) {
        int first = indexIn(s);
        if (first < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length() + 16).append(s, 0, first);
        for (int i = first; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\0') {
                sb.append("\\0");
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (isControl(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** {@code U+001B} for the escape character. */
    public static String codePoint(char c) {
        return String.format("U+%04X", (int) c);
    }
}
