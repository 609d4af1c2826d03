package dev.veil.rego.internal.ast;

import java.util.Objects;

/**
 * {@code every v in xs { body }} or {@code every k, v in xs { body }}: true when the body holds for
 * every element (also when there is none).
 *
 * @param key    the key or index variable, or null for the one-variable form
 * @param value  the element variable
 * @param domain the collection
 * @param body   the condition
 */
public record Every(Location location, Term key, Term value, Term domain, Body body) implements Statement {
    public Every {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(body, "body");
    }

    @Override
    public String toString() {
        return "every " + (key == null ? "" : key + ", ") + value + " in " + domain + " { " + body + " }";
    }
}
