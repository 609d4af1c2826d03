package dev.veil.rego.internal.ast;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/** A conjunction of expressions: a rule body, a query, a comprehension body or an {@code every} body. */
public record Body(Location location, List<Expr> exprs) implements Node {
    public Body {
        Objects.requireNonNull(location, "location");
        exprs = List.copyOf(exprs);
    }

    /** The body {@code true}, for rules written without one ({@code p := 1}). */
    public static Body trueAt(Location location) {
        return new Body(location, List.of(Expr.of(Scalar.trueAt(location))));
    }

    public int size() {
        return exprs.size();
    }

    public Expr get(int i) {
        return exprs.get(i);
    }

    /** The expressions joined with {@code ; }. */
    @Override
    public String toString() {
        return exprs.stream().map(Expr::toString).collect(Collectors.joining("; "));
    }
}
