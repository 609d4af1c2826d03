package dev.veil.internal.validation;

import dev.veil.internal.text.ControlChars;

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
            ControlChars.append(b, name.charAt(i));
        }
        return i < name.length() ? b + "..." : b.toString();
    }
}
