package dev.veil.rego.internal.ast;

import java.util.Objects;

/**
 * {@code package a.b}: the module's rules live under {@code data.a.b}.
 *
 * @param path the full path including the {@code data} head, e.g. {@code data.a.b}
 */
public record Package(Location location, Ref path) implements Node {
    public Package {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(path, "path");
    }

    @Override
    public String toString() {
        String full = path.toString();
        return "package " + (full.startsWith("data.") ? full.substring(5) : full);
    }
}
