package dev.veil.internal.bundle;

import dev.veil.PolicyError;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Builds the data document: each data file's value is placed at the path of its directory
 * ({@code a/b/data.json} at {@code data.a.b}) and objects are merged recursively. A key that two
 * files define, unless both define it as an object, is a conflict; the error names both files.
 * Then OPA's root check: every part of the data must lie inside one of the manifest's roots,
 * compared segment by segment (a key holding {@code /}, or the empty key, is one segment).
 *
 * <p>Remembers which file created every node so that errors can name it. Not thread-safe: one
 * merger per load.
 */
final class DataMerger {
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final Map<String, Object> root = new LinkedHashMap<>();
    private final Map<List<String>, String> owners = new HashMap<>();
    private final List<PolicyError> errors = new ArrayList<>();

    /** The directory segments of a data file path ({@code a/b/data.json} gives {@code [a, b]}). */
    static List<String> placement(String file) {
        int slash = file.lastIndexOf('/');
        if (slash < 0) {
            return List.of();
        }
        return List.of(file.substring(0, slash).split("/"));
    }

    /** Places one parsed data file; conflicts are recorded as errors. */
    @SuppressWarnings("unchecked")
    void add(String file, Object value) {
        List<String> at = placement(file);
        if (at.isEmpty()) {
            if (!(value instanceof Map)) {
                errors.add(PolicyError.of(file, "a top-level data file must hold an object, was "
                        + Manifest.typeName(value)));
                return;
            }
            mergeInto(root, (Map<String, Object>) value, List.of(), file);
            return;
        }
        Map<String, Object> cur = root;
        List<String> path = new ArrayList<>();
        for (int i = 0; i < at.size() - 1; i++) {
            String key = at.get(i);
            path.add(key);
            Object existing = cur.get(key);
            if (existing == null && !cur.containsKey(key)) {
                Map<String, Object> created = new LinkedHashMap<>();
                cur.put(key, created);
                owners.put(List.copyOf(path), file);
                cur = created;
            } else if (existing instanceof Map) {
                cur = (Map<String, Object>) existing;
            } else {
                conflict(path, file);
                return;
            }
        }
        String last = at.get(at.size() - 1);
        path.add(last);
        insert(cur, last, value, path, file);
    }

    @SuppressWarnings("unchecked")
    private void insert(Map<String, Object> target, String key, Object value, List<String> path, String file) {
        if (!target.containsKey(key)) {
            target.put(key, value);
            owners.put(List.copyOf(path), file);
            return;
        }
        Object existing = target.get(key);
        if (existing instanceof Map && value instanceof Map) {
            mergeInto((Map<String, Object>) existing, (Map<String, Object>) value, path, file);
        } else {
            conflict(path, file);
        }
    }

    private void mergeInto(Map<String, Object> target, Map<String, Object> source, List<String> path, String file) {
        for (Map.Entry<String, Object> e : source.entrySet()) {
            List<String> child = new ArrayList<>(path);
            child.add(e.getKey());
            insert(target, e.getKey(), e.getValue(), child, file);
        }
    }

    private void conflict(List<String> path, String file) {
        String other = ownerOf(path);
        errors.add(PolicyError.of(file, render(path) + " is defined both in " + other + " and in " + file
                + "; only objects can be merged, so define it in one file"));
    }

    /** The file that created the node at {@code path} or its nearest created ancestor. */
    String ownerOf(List<String> path) {
        for (int n = path.size(); n > 0; n--) {
            String owner = owners.get(path.subList(0, n));
            if (owner != null) {
                return owner;
            }
        }
        return EntryCollector.WHOLE_BUNDLE;
    }

    /** {@code data.a.b}, with keys that are not identifiers written as {@code ["x.y"]}. */
    static String render(List<String> path) {
        StringBuilder sb = new StringBuilder("data");
        for (String key : path) {
            if (IDENTIFIER.matcher(key).matches()) {
                sb.append('.').append(key);
            } else {
                sb.append("[\"").append(key.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"]");
            }
        }
        return sb.toString();
    }

    /**
     * OPA's check: walking the data from the top, a node inside a root is fine; an object whose path
     * leads towards a root is entered; anything else is outside every root. One error per offending
     * node, naming the file that put it there.
     */
    void checkRoots(List<String> roots) {
        Roots.Tree tree = Roots.Tree.of(roots);
        if (!tree.covered()) {
            checkRoots(roots, tree, List.of(), root);
        }
    }

    /**
     * Checks the children of an object at {@code path} that leads towards a root ({@code tree} is
     * the roots below it). Each key is one segment, compared whole: a key {@code "a/b"} or
     * {@code ""} matches no root segment but itself.
     */
    @SuppressWarnings("unchecked")
    private void checkRoots(List<String> roots, Roots.Tree tree, List<String> path, Map<String, Object> node) {
        for (Map.Entry<String, Object> e : node.entrySet()) {
            List<String> child = new ArrayList<>(path);
            child.add(e.getKey());
            Roots.Tree below = tree.child(e.getKey());
            if (below != null && below.covered()) {
                continue;
            }
            if (below != null && e.getValue() instanceof Map) {
                checkRoots(roots, below, child, (Map<String, Object>) e.getValue());
                continue;
            }
            errors.add(PolicyError.of(ownerOf(child), render(child) + " (path /" + String.join("/", child)
                    + ") is outside the manifest roots " + describeRoots(roots)
                    + "; move the file under a root or add a root to .manifest"));
        }
    }

    static String describeRoots(List<String> roots) {
        List<String> quoted = new ArrayList<>();
        for (String r : roots) {
            quoted.add("\"" + r + "\"");
        }
        return quoted.toString();
    }

    List<PolicyError> errors() {
        return errors;
    }

    Map<String, Object> data() {
        return root;
    }
}
