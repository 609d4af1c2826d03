package dev.veil.internal.validation;

import dev.veil.internal.text.ControlChars;
import java.text.Normalizer;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/** Feature names of a request as messages may quote them. */
public final class FeatureNames {
    /** Longest part of a name a message quotes. */
    static final int MAX_QUOTED = 64;

    private FeatureNames() {}

    /**
     * A feature name as a log line may quote it: a request's map keys are the caller's text, so the
     * characters that hide or reorder text ({@link ControlChars}: control characters, a line break
     * would forge a log line; format characters, U+200B is invisible and U+202E reverses the rest of
     * the line on screen; line separators; lone surrogates) are escaped, and the name is cut at 64
     * characters (followed by {@code ...}), never between the two halves of a surrogate pair.
     */
    public static String printable(String name) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        for (; i < name.length() && (b.length() < MAX_QUOTED
                || Character.isLowSurrogate(name.charAt(i)) && Character.isHighSurrogate(name.charAt(i - 1))); i++) {
            ControlChars.appendAt(b, name, i);
        }
        return i < name.length() ? b + "..." : b.toString();
    }

    /**
     * Two of a contract's feature names that are one name in two Unicode forms (NFC "caf&eacute;"
     * and NFD "cafe" followed by U+0301), said as a load error, or {@code null}. They print alike, so a
     * policy author cannot see that they are two features, and a request's key matches only the
     * form it is written in.
     */
    private static String unicodeFormClash(Collection<String> names) {
        Map<String, String> seen = new HashMap<>();
        for (String name : names) {
            String nfc = Normalizer.normalize(name, Normalizer.Form.NFC);
            String other = seen.putIfAbsent(nfc, name);
            if (other != null) {
                return "features '" + escaped(other) + "' and '" + escaped(name) + "' are one name in two Unicode forms"
                        + " (they print alike, and a request's key matches only the form it is written in); list the"
                        + " feature once, in one form (NFC: '" + escaped(nfc) + "')";
            }
        }
        return null;
    }

    /**
     * For names of the statistics that the contract lacks ({@code extra}) and contract features
     * without statistics ({@code missing}), the first pair that is one name in two Unicode forms, said
     * as the end of an error ({@code "; 'x' in the statistics and 'y' in the contract are ..."}), or
     * {@code ""}: printed as they are, the two would look the same.
     */
    static String unicodeFormsOf(Collection<?> extra, Collection<String> missing) {
        for (Object e : extra) {
            String nfc = Normalizer.normalize(String.valueOf(e), Normalizer.Form.NFC);
            for (String m : missing) {
                if (Normalizer.normalize(m, Normalizer.Form.NFC).equals(nfc)) {
                    return "; '" + escaped(String.valueOf(e)) + "' in the statistics and '" + escaped(m)
                            + "' in the contract are one name in two Unicode forms: write both in one form (NFC)";
                }
            }
        }
        return "";
    }

    /**
     * A name with every character outside printable ASCII as a backslash-u escape of four hex digits.
     * Deliberately wider than {@link ControlChars#escaped}: it quotes two names that are one name in
     * two Unicode forms, whose difference is a visible character (an accent, a combining mark) that
     * only an escape shows.
     */
    private static String escaped(String name) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                b.append(c);
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        return b.toString();
    }

    /**
     * Why a contract cannot list these feature names, or {@code null}: the first name, in the order
     * given, that {@link #contractNameProblem} refuses, else two names that are one name in two
     * Unicode forms ({@link #unicodeFormClash}). The one check of a contract's names: the
     * {@link dev.veil.spi.InputContract} constructor runs it on every contract (sorted names, so its
     * message does not depend on a map's hashing), and the YAML compiler first, in the file's order,
     * at the contract's {@code features} and before it reads anything that would quote a name.
     */
    public static String contractNamesProblem(Collection<String> names) {
        for (String name : names) {
            String problem = contractNameProblem(name);
            if (problem != null) {
                return problem;
            }
        }
        return unicodeFormClash(names);
    }

    /**
     * Why a contract cannot list this feature name, or {@code null}: blank (no-break spaces
     * included), or a name that reads as another ({@link dev.veil.internal.access.ApiKeyStore#nameProblem}:
     * surrounding white space, an invisible format character, a control character...). Such a name
     * matches no request's feature of the name it reads as, so that feature would go unchecked
     * where other features are allowed.
     */
    public static String contractNameProblem(String name) {
        if (dev.veil.internal.policy.Names.isBlank(name)) {
            return "feature names must be non-blank (white space alone, no-break spaces included, is blank), was '"
                    + escapedControls(name) + "'";
        }
        String problem = dev.veil.internal.access.ApiKeyStore.nameProblem(name);
        return problem == null ? null : "feature name " + problem;
    }

    /**
     * A blank name with every character outside printable ASCII as a space: deliberately wider than
     * {@link ControlChars#escaped}, as the name is blank (only white space), so what it shows is its
     * length, and nothing it holds can print otherwise.
     */
    private static String escapedControls(String name) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            b.append(c == ' ' || c >= 0x20 && c < 0x7f ? String.valueOf(c) : " ");
        }
        return b.toString();
    }
}
