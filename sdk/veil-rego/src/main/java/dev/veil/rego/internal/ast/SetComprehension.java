package dev.veil.rego.internal.ast;

import java.util.Objects;

/** {@code {head | body}}. */
public record SetComprehension(Location location, Term head, Body body) implements Term {
    public SetComprehension {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(head, "head");
        Objects.requireNonNull(body, "body");
    }

    @Override
    public boolean isGround() {
        return false;
    }

    @Override
    public String toString() {
        return "{" + head + " | " + body + "}";
    }
}
