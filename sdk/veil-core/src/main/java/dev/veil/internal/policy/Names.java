package dev.veil.internal.policy;

/**
 * Blankness of the names a policy gives (its name, rule ids), as the schema's nonBlankString reads it;
 * also for the rule ids of decision documents ({@link dev.veil.spi.DecisionDocuments}).
 */
public final class Names {
    private Names() {}

    /**
     * Whether {@code s} is empty or holds only white space, Unicode spaces included (a no-break space
     * U+00A0, which {@link String#isBlank} does not count, looks blank in every log and message).
     */
    public static boolean isBlank(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!Character.isWhitespace(c) && !Character.isSpaceChar(c)) {
                return false;
            }
        }
        return true;
    }
}
