package dev.veil.rego.internal.ast;

import java.util.List;
import java.util.Objects;

/**
 * One expression of a body: a {@link Statement}, possibly negated ({@code not ...}), with
 * {@code with} modifiers.
 *
 * @param negated   true for {@code not statement}
 * @param statement a term (most often a {@link Call}), {@link SomeDecl}, {@link SomeIn} or {@link Every}
 * @param withs     the {@code with} modifiers in source order (empty when none)
 */
public record Expr(Location location, boolean negated, Statement statement, List<With> withs) implements Node {
    public Expr {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(statement, "statement");
        withs = List.copyOf(withs);
    }

    /** A plain expression: not negated, no modifiers. */
    public static Expr of(Statement statement) {
        return new Expr(statement.location(), false, statement, List.of());
    }

    /** The call when the statement is one (an operator or a function call), else null. */
    public Call call() {
        return statement instanceof Call c ? c : null;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        if (negated) {
            b.append("not ");
        }
        b.append(statement);
        for (With w : withs) {
            b.append(' ').append(w);
        }
        return b.toString();
    }
}
