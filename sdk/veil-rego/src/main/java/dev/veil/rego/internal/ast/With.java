package dev.veil.rego.internal.ast;

import java.util.Objects;

/**
 * {@code with target as value}: replaces part of {@code input} or {@code data}, or a function or
 * builtin, while evaluating one expression.
 *
 * @param target a reference ({@code input.user}, {@code data.x}, {@code count}) or variable
 * @param value  the replacement
 */
public record With(Location location, Term target, Term value) implements Node {
    public With {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(value, "value");
    }

    @Override
    public String toString() {
        return "with " + target + " as " + value;
    }
}
