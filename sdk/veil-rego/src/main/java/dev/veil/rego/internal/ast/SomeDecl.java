package dev.veil.rego.internal.ast;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/** {@code some x, y}: declares local variables. */
public record SomeDecl(Location location, List<Var> vars) implements Statement {
    public SomeDecl {
        Objects.requireNonNull(location, "location");
        vars = List.copyOf(vars);
    }

    @Override
    public String toString() {
        return vars.stream().map(Var::toString).collect(Collectors.joining(", ", "some ", ""));
    }
}
