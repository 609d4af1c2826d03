package dev.veil.rego.internal.ast;

import java.util.Objects;

/**
 * A variable. The parser renames each wildcard {@code _} to a unique {@code $N} name, so that two
 * wildcards never unify with each other.
 */
public record Var(Location location, String name) implements Term {
    /** Prefix of the names the parser gives wildcards. */
    public static final String WILDCARD_PREFIX = "$";

    public Var {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(name, "name");
    }

    /** True for a renamed {@code _}. */
    public boolean isWildcard() {
        return name.startsWith(WILDCARD_PREFIX);
    }

    @Override
    public boolean isGround() {
        return false;
    }

    @Override
    public String toString() {
        return isWildcard() ? "_" : name;
    }
}
