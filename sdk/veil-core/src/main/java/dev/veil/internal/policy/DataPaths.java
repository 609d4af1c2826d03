package dev.veil.internal.policy;

import dev.veil.PolicyError;
import dev.veil.spi.Bundle;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The load error of a data path that holds nothing, with what the data does hold near it. */
public final class DataPaths {
    private static final int MAX_KEYS = 20;

    private static final Set<String> DATA_FILES = Set.of("data.json", "data.yaml", "data.yml");

    private static final int MAX_FILES = 5;

    private DataPaths() {}

    /**
     * What to say of a file a policy names that the bundle does not hold: how paths are written and
     * the bundle's files closest to the name, e.g. {@code paths are relative to the bundle's root,
     * with / separators and without ./, / or .. (write 'keys.json'); the bundle's files closest to
     * the name: [keys.json, policy.veil.yaml]}.
     *
     * @param bundle the bundle
     * @param path the path as the policy wrote it
     * @return the explanation, without a leading separator
     */
    public static String missingFile(Bundle bundle, String path) {
        StringBuilder sb = new StringBuilder("paths are relative to the bundle's root, with / separators and without "
                + "./, / or ..");
        String plain = path.replace('\\', '/');
        while (plain.startsWith("./") || plain.startsWith("/")) {
            plain = plain.substring(plain.startsWith("/") ? 1 : 2);
        }
        if (!plain.equals(path) && bundle.files().contains(plain)) {
            sb.append(" (write '").append(plain).append("')");
        }
        String target = plain;
        java.util.List<String> closest = bundle.files().stream()
                .sorted(java.util.Comparator.<String>comparingInt(f -> distance(f, target)).thenComparing(f -> f))
                .limit(MAX_FILES).toList();
        sb.append(closest.isEmpty() ? "; the bundle holds no files"
                : "; the bundle's files closest to the name: " + closest);
        return sb.toString();
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /**
     * An error in a value of the bundle's data, at the data file that holds it: the file whose
     * content reaches furthest along {@code dottedPath} then {@code inner}, with the line and column
     * of that value, or of its nearest enclosing value the file holds.
     *
     * @param dottedPath the value's data path ({@code training.stats})
     * @param inner a path inside the value ({@code std[0]}, {@code summary.mean}), {@code ""} for the
     *     value itself
     * @return the error, or {@code null} when no data file holds any part of the path
     */
    public static PolicyError locate(Bundle bundle, String dottedPath, String inner, String message) {
        String[] keys = dottedPath.isEmpty() ? new String[0] : dottedPath.split("\\.");
        PolicyError best = null;
        int bestReach = -1;
        for (String file : new TreeSet<>(bundle.files())) {
            int slash = file.lastIndexOf('/');
            if (!DATA_FILES.contains(file.substring(slash + 1))) {
                continue;
            }
            // a/b/data.json holds data.a.b
            String[] dir = slash < 0 ? new String[0] : file.substring(0, slash).split("/");
            if (dir.length > keys.length || !Arrays.equals(dir, Arrays.copyOf(keys, dir.length))) {
                continue;
            }
            String path = String.join(".", Arrays.copyOfRange(keys, dir.length, keys.length));
            if (!inner.isEmpty()) {
                path = path.isEmpty() ? inner : path + "." + inner;
            }
            YamlLocations locations = YamlLocations.index(file.endsWith(".json") ? YamlPolicyEngine.JSON.getFactory()
                    : YamlPolicyEngine.FACTORY, bundle.read(file));
            String held = path;
            while (held != null && !locations.has(held)) {
                held = held.isEmpty() ? null : enclosing(held);
            }
            if (held == null) {
                continue;
            }
            int reach = String.join(".", dir).length() + 1 + held.length();
            if (reach > bestReach) {
                int[] lc = locations.find(held);
                best = new PolicyError(file, lc[0], lc[1], message);
                bestReach = reach;
            }
        }
        return best;
    }

    /** {@code a.b[2]} for {@code a.b[2].c}, {@code a.b} for {@code a.b[2]}, {@code ""} for {@code a}. */
    private static String enclosing(String path) {
        int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
        return cut <= 0 ? "" : path.substring(0, cut);
    }

    /**
     * {@code no value at data path 'a.b.c' in the bundle's data (revision 'r')}, then the keys of
     * the longest part of the path that does hold an object ({@code data.a holds [x, y]}) and how
     * data files are placed, so that a file named or nested wrongly can be found.
     */
    public static String missing(Bundle bundle, String dottedPath) {
        StringBuilder sb = new StringBuilder("no value at data path '").append(dottedPath)
                .append("' in the bundle's data (revision '").append(bundle.revision()).append("')");
        String prefix = dottedPath;
        while (true) {
            int dot = prefix.lastIndexOf('.');
            prefix = dot < 0 ? "" : prefix.substring(0, dot);
            Object at = bundle.data(prefix);
            if (at instanceof Map<?, ?> m) {
                TreeSet<String> keys = new TreeSet<>();
                m.keySet().forEach(k -> keys.add(String.valueOf(k)));
                String shown = keys.size() <= MAX_KEYS ? keys.toString()
                        : String.join(", ", keys.stream().limit(MAX_KEYS).toList()) + ", ... (" + keys.size() + " keys)";
                sb.append("; ").append(prefix.isEmpty() ? "the data" : "data." + prefix).append(" holds ")
                        .append(keys.isEmpty() ? "nothing" : shown);
                break;
            }
            if (prefix.isEmpty()) {
                break;
            }
        }
        return sb.append(". Data comes from files named data.json or data.yaml, placed by their directory: "
                + "training/data.json holds data.training").toString();
    }
}
