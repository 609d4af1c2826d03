package dev.veil.rego.internal.ast;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/** An array literal {@code [a, b]}. */
public record ArrayTerm(Location location, List<Term> elements) implements Term {
    public ArrayTerm {
        Objects.requireNonNull(location, "location");
        elements = List.copyOf(elements);
    }

    @Override
    public boolean isGround() {
        return elements.stream().allMatch(Term::isGround);
    }

    @Override
    public String toString() {
        return elements.stream().map(Term::toString).collect(Collectors.joining(", ", "[", "]"));
    }
}
