package dev.veil.rego.internal.ast;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/** An object literal {@code {"a": 1, k: v}}; keys may be any term. Entries in source order. */
public record ObjectTerm(Location location, List<Entry> entries) implements Term {

    /** One {@code key: value} pair. */
    public record Entry(Term key, Term value) {
        public Entry {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    public ObjectTerm {
        Objects.requireNonNull(location, "location");
        entries = List.copyOf(entries);
    }

    @Override
    public boolean isGround() {
        return entries.stream().allMatch(e -> e.key().isGround() && e.value().isGround());
    }

    @Override
    public String toString() {
        return entries.stream().map(e -> e.key() + ": " + e.value()).collect(Collectors.joining(", ", "{", "}"));
    }
}
