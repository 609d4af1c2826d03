package dev.veil.rego.internal.ast;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/** A set literal {@code {a, b}}, or {@code set()} when empty. */
public record SetTerm(Location location, List<Term> elements) implements Term {
    public SetTerm {
        Objects.requireNonNull(location, "location");
        elements = List.copyOf(elements);
    }

    @Override
    public boolean isGround() {
        return elements.stream().allMatch(Term::isGround);
    }

    @Override
    public String toString() {
        if (elements.isEmpty()) {
            return "set()";
        }
        return elements.stream().map(Term::toString).collect(Collectors.joining(", ", "{", "}"));
    }
}
