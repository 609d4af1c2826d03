package dev.veil.internal.text;

/**
 * Characters that hide or reorder text on a terminal or in a log viewer, in strings that come from
 * outside (a request's feature names, caller ids, key names, bundle entry names, a manifest's
 * revision, data keys) and end up printed or logged. One definition, shared by every check and
 * escape that means this class ({@link #hiddenAt}):
 *
 * <ul>
 *   <li>{@link Hidden#CONTROL}: C0 controls U+0000 to U+001F, DEL U+007F, C1 controls U+0080 to
 *       U+009F (line breaks, tabs, the escape that starts a terminal command);
 *   <li>{@link Hidden#SEPARATOR}: the line and paragraph separators U+2028 and U+2029 (a log viewer
 *       breaks the line there);
 *   <li>{@link Hidden#FORMAT}: format characters (Unicode category Cf): the bidi controls U+061C,
 *       U+200E, U+200F, U+202A to U+202E (U+202E reverses the rest of the line on screen), U+2066 to
 *       U+2069; zero-width characters U+200B to U+200D, U+2060, U+FEFF; the soft hyphen U+00AD; the
 *       tag characters U+E0001, U+E0020 to U+E007F (outside the BMP: a surrogate pair);
 *   <li>{@link Hidden#LONE_SURROGATE}: a UTF-16 surrogate that is not half of a pair (not text: an
 *       encoder writes it as {@code ?} or U+FFFD, so two strings that differ only there print alike).
 * </ul>
 *
 * <p>Printed text also escapes the {@link #invisible} characters: letters, marks and a symbol that
 * render as nothing (the Hangul fillers, the braille blank, variation selectors). They are not in
 * {@link #hidden}, which also says what names refuse, so a bundle, key store or request that holds
 * them is accepted as before; only how they are shown changes.
 *
 * <p>{@link #escaped} writes each UTF-16 unit of such a character as a JSON-style escape
 * ({@code \\u000a}, {@code \\u202e}, {@code \\udb40\\udc01}), so that the string prints as one line of
 * its own text, in its own order. Other characters, a surrogate pair of a visible character
 * included, are left as they are. Stateless.
 */
public final class ControlChars {
    private ControlChars() {}

    /** Why a character hides or reorders text; see the class comment. */
    public enum Hidden {
        /** C0, DEL or C1 control character. */
        CONTROL,
        /** Line or paragraph separator (U+2028, U+2029). */
        SEPARATOR,
        /** Format character (category Cf): bidi control, zero-width character, tag character... */
        FORMAT,
        /** A UTF-16 surrogate that is not half of a pair. */
        LONE_SURROGATE
    }

    /**
     * Why the code point {@code cp} hides or reorders text, or {@code null} when it does not. A
     * surrogate code point on its own is {@link Hidden#LONE_SURROGATE} (use {@link #hiddenAt} for a
     * string, where a pair is one character).
     */
    public static Hidden hidden(int cp) {
        if (Character.isISOControl(cp)) {
            return Hidden.CONTROL;
        }
        int type = Character.getType(cp);
        if (type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
            return Hidden.SEPARATOR;
        }
        if (type == Character.FORMAT) {
            return Hidden.FORMAT;
        }
        return type == Character.SURROGATE ? Hidden.LONE_SURROGATE : null;
    }

    /**
     * Whether the code point {@code cp} renders as nothing although it is not a control, separator
     * or format character ({@link #hidden} is {@code null} for it): the Hangul fillers U+115F, U+1160,
     * U+3164 and U+FFA0 (letters, category Lo), the braille pattern blank U+2800 (a symbol, So), the
     * combining grapheme joiner U+034F, and the variation selectors U+180B to U+180D, U+180F,
     * U+FE00 to U+FE0F and U+E0100 to U+E01EF (marks, Mn). A name that holds one prints like the name
     * without it, so printed text escapes them ({@link #escaped}); names do not refuse them (that
     * would change what a bundle or key store accepts).
     */
    public static boolean invisible(int cp) {
        return cp == 0x115F || cp == 0x1160 || cp == 0x3164 || cp == 0xFFA0 || cp == 0x2800 || cp == 0x034F
                || (cp >= 0x180B && cp <= 0x180D) || cp == 0x180F || (cp >= 0xFE00 && cp <= 0xFE0F)
                || (cp >= 0xE0100 && cp <= 0xE01EF);
    }

    /**
     * Whether {@link #escaped} escapes the UTF-16 unit at {@code i} of {@code s}: it belongs to a
     * character that hides or reorders text ({@link #hiddenAt}) or renders as nothing
     * ({@link #invisible}); a pair's two halves alike.
     */
    public static boolean escapedAt(String s, int i) {
        int cp = codePointAround(s, i);
        return hidden(cp) != null || invisible(cp);
    }

    /**
     * Why the character at {@code i} of {@code s} hides or reorders text, or {@code null} when it
     * does not. A surrogate pair is one character, from either of its halves.
     */
    public static Hidden hiddenAt(String s, int i) {
        return hidden(codePointAround(s, i));
    }

    /**
     * The index of the first character of {@code s} that hides or reorders text ({@link #hiddenAt}),
     * or -1.
     */
    public static int hiddenIndexIn(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (hiddenAt(s, i) != null) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Whether {@code c} is a control character or a line or paragraph separator: C0, DEL, C1,
     * U+2028, U+2029, the characters that break a line or start a terminal command. What a bundle
     * refuses in its entry names, manifest revision and roots ({@link #indexIn}). Format characters and
     * lone surrogates are not refused there (a bundle's file may be named with them) but are
     * escaped wherever such a name is printed ({@link #escaped}).
     */
    public static boolean isControl(char c) {
        Hidden h = hidden(c);
        return h == Hidden.CONTROL || h == Hidden.SEPARATOR;
    }

    /** The index of the first {@link #isControl} character in {@code s}, or -1. */
    public static int indexIn(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (isControl(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    /**
     * {@code s} with each character that hides or reorders text ({@link #hiddenAt}) or renders as
     * nothing ({@link #invisible}) escaped; {@code s} itself when it holds none.
     */
    public static String escaped(String s) {
        int first = -1;
        for (int i = 0; i < s.length() && first < 0; i++) {
            first = escapedAt(s, i) ? i : -1;
        }
        if (first < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length() + 16).append(s, 0, first);
        for (int i = first; i < s.length(); i++) {
            appendAt(sb, s, i);
        }
        return sb.toString();
    }

    /**
     * Appends the UTF-16 unit at {@code i} of {@code s} to {@code sb}, escaped when {@link #escapedAt}
     * (a character that hides or reorders text, or renders as nothing: a pair's two halves alike).
     */
    public static void appendAt(StringBuilder sb, String s, int i) {
        char c = s.charAt(i);
        if (escapedAt(s, i)) {
            sb.append(escape(c));
        } else {
            sb.append(c);
        }
    }

    /** {@code \\u202e} for U+202E: the escape {@link #escaped} writes for one UTF-16 unit. */
    public static String escape(char c) {
        return String.format("\\u%04x", (int) c);
    }

    /** {@code U+001B} for the escape character. */
    public static String codePoint(char c) {
        return codePoint((int) c);
    }

    /** {@code U+202E}, {@code U+E0001}: a code point as messages name it. */
    public static String codePoint(int cp) {
        return String.format(java.util.Locale.ROOT, "U+%04X", cp);
    }

    /** The code point whose UTF-16 unit is at {@code i} of {@code s}: a pair's from either half. */
    private static int codePointAround(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
            return Character.toCodePoint(c, s.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1))) {
            return Character.toCodePoint(s.charAt(i - 1), c);
        }
        return c;
    }
}
