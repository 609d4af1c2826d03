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
        return parsed == 0 && text.split("[eE]", 2)[0].matches(".*[1-9].*");
    }
}
