package dev.veil.internal.text;

/**
 * Control characters in strings that come from a bundle or a request and end up printed or logged
 * (feature names, bundle entry names, a manifest's revision, data keys): U+0000 to U+001F, U+007F
 * to U+009F (line breaks, tabs, the escape that starts a terminal command) and the line and
 * paragraph separators U+2028 and U+2029. Found, and written as JSON-style escapes
 * ({@code \\u000a}, {@code \\u001b}), so that such a string prints as one line of its own text.
 * Stateless.
 */
public final class ControlChars {
    private ControlChars() {}

    /** Whether {@code c} is a control character (see the class comment). */
    public static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
    }

    /** The index of the first control character in {@code s}, or -1. */
    public static int indexIn(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (isControl(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    /** {@code s} with each control character escaped; {@code s} itself when it holds none. */
    public static String escaped(String s) {
        int first = indexIn(s);
        if (first < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length() + 16).append(s, 0, first);
        for (int i = first; i < s.length(); i++) {
            append(sb, s.charAt(i));
        }
        return sb.toString();
    }

    /** Appends {@code c} to {@code sb}, escaped when it is a control character. */
    public static void append(StringBuilder sb, char c) {
        if (isControl(c)) {
            sb.append(String.format("\\u%04x", (int) c));
        } else {
            sb.append(c);
        }
    }

    /** {@code U+001B} for the escape character. */
    public static String codePoint(char c) {
        return String.format("U+%04X", (int) c);
    }
}
