package dev.veil.policies;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The demo API keys of a shipped bundle, read from its DEMO-KEYS.md: caller id to plaintext key. */
final class DemoKeys {
    private static final Pattern ROW =
            Pattern.compile("^\\| ([a-z0-9-]+) \\|.*\\| `(veil_[a-z0-9]+_[A-Za-z0-9_-]+)` \\|$");

    private DemoKeys() {}

    static Map<String, String> of(String bundle) {
        Path file = Path.of("bundles", bundle, "DEMO-KEYS.md");
        Map<String, String> keys = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file)) {
                Matcher m = ROW.matcher(line);
                if (m.matches()) {
                    keys.put(m.group(1), m.group(2));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the demo keys in " + file.toAbsolutePath(), e);
        }
        if (keys.isEmpty()) {
            throw new IllegalStateException(file + " lists no demo keys; rerun DemoCredentials (policies/README.md)");
        }
        return keys;
    }

    /** The key of one demo caller. */
    static String key(String bundle, String caller) {
        String k = of(bundle).get(caller);
        if (k == null) {
            throw new IllegalStateException("no demo key for '" + caller + "' in bundles/" + bundle + "/DEMO-KEYS.md");
        }
        return k;
    }
}
