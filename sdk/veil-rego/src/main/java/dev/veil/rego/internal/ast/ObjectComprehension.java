package dev.veil.rego.internal.ast;

import java.util.Objects;

/** {@code {key: value | body}}. */
public record ObjectComprehension(Location location, Term key, Term value, Body body) implements Term {
    public ObjectComprehension {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(body, "body");
    }

    @Override
    public boolean isGround() {
        return false;
    }

    @Override
    public String toString() {
        return "{" + key + ": " + value + " | " + body + "}";
    }
}
