package dev.veil.spi;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The raw contents of a policy bundle in OPA's layout, as handed to a {@link PolicyEngine}: the
 * files, the manifest and the merged data document. Immutable.
 */
public interface Bundle {
    /** Where the bundle came from (a path, {@code classpath:...}), for messages. */
    String source();

    /** The manifest's {@code revision}, or {@code ""}. */
    String revision();

    /** The manifest's {@code roots}; {@code [""]} when the manifest names none. */
    List<String> roots();

    /**
     * Whether a slash path of the data document ({@code veil/access} for {@code data.veil.access})
     * lies inside one of the {@link #roots()}, as OPA decides it: a root owns itself and what lies
     * below it ({@code veil} owns {@code veil/keys}, not {@code veilx}); {@code ""} owns everything.
     * A policy engine checks its modules' packages with it.
     */
    default boolean owns(String slashPath) {
        return dev.veil.internal.bundle.Roots.contains(roots(), slashPath);
    }

    /** Bundle-relative paths of every file, with {@code /} separators. */
    Set<String> files();

    /** The bytes of one file; throws IllegalArgumentException for a path not in {@link #files()}. */
    byte[] read(String path);

    /**
     * The data document: every {@code data.json}/{@code data.yaml} merged at the path of its
     * directory, as maps, lists, strings, numbers ({@code Long}, {@code Double} or
     * {@code BigInteger}) and booleans.
     */
    Map<String, Object> data();

    /**
     * The value at a dotted path of the data document ({@code training.stats}), or {@code null}.
     */
    default Object data(String dottedPath) {
        Object cur = data();
        if (dottedPath.isEmpty()) {
            return cur;
        }
        for (String part : dottedPath.split("\\.")) {
            if (!(cur instanceof Map<?, ?> m)) {
                return null;
            }
            cur = m.get(part);
        }
        return cur;
    }
}
