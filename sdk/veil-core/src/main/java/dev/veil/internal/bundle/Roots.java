package dev.veil.internal.bundle;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * OPA's bundle roots: slash-separated paths into the data document ({@code "veil"},
 * {@code "veil/keys"}) that a bundle owns. {@code ""} owns everything. A path is inside a root
 * when the root's segments are a prefix of the path's segments ({@code veil} contains
 * {@code veil/keys} but not {@code veilx}).
 *
 * <p>The data document's keys are compared with the roots segment by segment ({@link Tree}): a
 * key is one segment whatever it holds, so a key {@code "veil/keys"} or {@code ""} is not inside
 * root {@code veil/keys}.
 *
 * <p>Policy engines reach {@link #contains} through {@code Bundle.owns} to check that a Rego
 * module's package lies inside the bundle's roots, as OPA does. Stateless and thread-safe.
 */
public final class Roots {
    /** The most roots a manifest may name; OPA bundles name a handful. */
    static final int MAX_ROOTS = 1000;

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

    /**
     * The message for a pair of overlapping roots (one containing the other, or the same root
     * twice), or {@code null} when none overlap. Linear in the roots' length.
     */
    static String findOverlap(List<String> roots) {
        Tree tree = new Tree();
        for (String root : roots) {
            String other = tree.add(root);
            if (other != null) {
                String outer = rootContains(other, root) ? other : root;
                String inner = outer.equals(other) ? root : other;
                return "'roots' overlap: '" + outer + "' and '" + inner + "'; each part of the data may belong to"
                        + " only one root";
            }
        }
        return null;
    }

    /**
     * The roots as a tree of segments, so that a data path is checked against all roots in one step
     * per segment. Not thread-safe while roots are added.
     */
    static final class Tree {
        private final Map<String, Tree> children = new HashMap<>();
        /** The root that ends here, or {@code null}. */
        private String root;
        /** Some root below or at this node, or {@code null}. */
        private String anyRoot;

        /** A tree of the normalised roots. */
        static Tree of(List<String> roots) {
            Tree tree = new Tree();
            for (String root : roots) {
                tree.add(root);
            }
            return tree;
        }

        /**
         * Adds a normalised root; returns a root already added that overlaps it (contains it, lies
         * inside it or equals it), or {@code null}.
         */
        String add(String normalised) {
            Tree node = this;
            String overlap = null;
            if (!normalised.isEmpty()) {
                for (String segment : normalised.split("/", -1)) {
                    if (node.root != null && overlap == null) {
                        overlap = node.root;
                    }
                    if (node.anyRoot == null) {
                        node.anyRoot = normalised;
                    }
                    node = node.children.computeIfAbsent(segment, s -> new Tree());
                }
            }
            if (overlap == null) {
                overlap = node.root != null ? node.root : node.anyRoot;
            }
            if (node.anyRoot == null) {
                node.anyRoot = normalised;
            }
            if (node.root == null) {
                node.root = normalised;
            }
            return overlap;
        }

        /** Whether a root covers this node (the path leading here). */
        boolean covered() {
            return root != null;
        }

        /** The node one key further down, or {@code null} when the key leads towards no root. */
        Tree child(String key) {
            return children.get(key);
        }
    }
}
