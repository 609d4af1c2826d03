package dev.veil.internal.bundle;

import java.util.List;

/**
 * OPA's bundle roots: slash-separated paths into the data document ({@code "veil"},
 * {@code "veil/keys"}) that a bundle owns. {@code ""} owns everything. A path is inside a root
 * when the root's segments are a prefix of the path's segments ({@code veil} contains
 * {@code veil/keys} but not {@code veilx}).
 *
 * <p>Policy engines reach {@link #contains} through {@code Bundle.owns} to check that a Rego
 * module's package lies inside the bundle's roots, as OPA does. Stateless and thread-safe.
 */
public final class Roots {
    private Roots() {}

    /** Drops leading and trailing slashes, as OPA does. */
    public static String normalise(String root) {
        int start = 0;
        int end = root.length();
        while (start < end && root.charAt(start) == '/') {
            start++;
        }
        while (end > start && root.charAt(end - 1) == '/') {
            end--;
        }
        return root.substring(start, end);
    }

    /**
     * Whether a slash path (for example {@code veil/output} for {@code data.veil.output}) lies inside
     * one of the roots.
     *
     * @param roots normalised roots
     * @param path a slash path, leading and trailing slashes ignored
     */
    public static boolean contains(List<String> roots, String path) {
        String p = normalise(path);
        for (String root : roots) {
            if (rootContains(root, p)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code root} contains {@code path} (both normalised). */
    static boolean rootContains(String root, String path) {
        if (root.isEmpty()) {
            return true;
        }
        return path.equals(root) || path.startsWith(root + "/");
    }

    /** The message for the first pair of overlapping roots, or {@code null} when none overlap. */
    static String findOverlap(List<String> roots) {
        for (int i = 0; i < roots.size(); i++) {
            for (int j = i + 1; j < roots.size(); j++) {
                String a = roots.get(i);
                String b = roots.get(j);
                if (rootContains(a, b) || rootContains(b, a)) {
                    return "'roots' overlap: '" + a + "' and '" + b + "'; each part of the data may belong to"
                            + " only one root";
                }
            }
        }
        return null;
    }
}
