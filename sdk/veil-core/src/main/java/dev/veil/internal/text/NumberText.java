package dev.veil.internal.text;

/** What a number written as text reads as, where a double loses it. */
public final class NumberText {
    private NumberText() {}

    /**
     * Whether {@code text}, a decimal number that parsed to {@code parsed}, is a non-zero number too
     * close to 0 for a double ({@code 1e-400}): it reads as 0, which would turn a bound or a rounding
     * off. {@code 0.0e-400} and {@code 0} are 0 as written.
     */
    public static boolean underflows(double parsed, String text) {
        if (parsed != 0) {
            return false;
        }
        // a non-zero digit before the exponent (no regular expression: data files hold many zeros)
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 'e' || c == 'E') {
                return false;
            }
            if (c >= '1' && c <= '9') {
                return true;
            }
        }
        return false;
    }
}
