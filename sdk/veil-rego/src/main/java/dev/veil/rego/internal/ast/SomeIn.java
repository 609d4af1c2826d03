package dev.veil.rego.internal.ast;

import java.util.Objects;

/**
 * {@code some v in xs} or {@code some k, v in xs}: iterates a collection, declaring the variables in
 * {@code key} and {@code value} (which may also be patterns such as {@code [a, b]}).
 *
 * @param key        the key or index term, or null for the one-variable form
 * @param value      the element term
 * @param collection the array, object or set iterated
 */
public record SomeIn(Location location, Term key, Term value, Term collection) implements Statement {
    public SomeIn {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(collection, "collection");
    }

    @Override
    public String toString() {
        return "some " + (key == null ? "" : key + ", ") + value + " in " + collection;
    }
}
