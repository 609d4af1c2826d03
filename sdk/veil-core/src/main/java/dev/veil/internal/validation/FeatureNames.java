package dev.veil.internal.validation;

/** Feature names of a request as messages may quote them. */
public final class FeatureNames {
    /** Longest part of a name a message quotes. */
    static final int MAX_QUOTED = 64;

    private FeatureNames() {}

    /**
     * A feature name as a log line may quote it: a request's map keys are the caller's text, so control
     * characters (a line break would forge a log line) are escaped and the name is cut at 64 characters
     * (followed by {@code ...}).
     */
    public static String printable(String name) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        for (; i < name.length() && b.length() < MAX_QUOTED; i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029') {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return i < name.length() ? b + "..." : b.toString();
    }
}
