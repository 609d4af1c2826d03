package dev.veil.internal.policy;

import dev.veil.spi.Bundle;
import java.util.Map;
import java.util.TreeSet;

/** The load error of a data path that holds nothing, with what the data does hold near it. */
public final class DataPaths {
    private static final int MAX_KEYS = 20;

    private DataPaths() {}

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
