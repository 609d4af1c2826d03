package dev.veil.rego.internal.builtins;

import java.util.Objects;

/**
 * A builtin function as the compiler and evaluator see it.
 *
 * @param name     the full dotted name, e.g. {@code count} or {@code io.jwt.decode}; operators use
 *                 OPA's internal names ({@code plus}, {@code equal}, {@code internal.member_2}...)
 * @param arity    the number of arguments, not counting the output (so {@code count} is 1 and
 *                 {@code walk} is 1); {@link #VARIADIC} for builtins that take any number
 *                 ({@code print})
 * @param fn       the implementation; a {@link BuiltinRelation} when {@code relation} is true
 * @param relation true for multi-output builtins ({@code walk}) that the evaluator enumerates
 */
public record Builtin(String name, int arity, BuiltinFunction fn, boolean relation) {
    /** The arity of a builtin that takes any number of arguments. */
    public static final int VARIADIC = -1;

    public Builtin {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(fn, "fn");
        if (arity < VARIADIC) {
            throw new IllegalArgumentException("builtin " + name + " has arity " + arity
                    + ": use 0 or more, or Builtin.VARIADIC");
        }
        if (relation && !(fn instanceof BuiltinRelation)) {
            throw new IllegalArgumentException("builtin " + name + " is a relation, so its fn must be a "
                    + "BuiltinRelation");
        }
    }

    /** A single-output builtin. */
    public static Builtin of(String name, int arity, BuiltinFunction fn) {
        return new Builtin(name, arity, fn, false);
    }

    /** A multi-output builtin such as {@code walk}. */
    public static Builtin relation(String name, int arity, BuiltinRelation fn) {
        return new Builtin(name, arity, fn, true);
    }

    /** True when it takes any number of arguments. */
    public boolean variadic() {
        return arity == VARIADIC;
    }

    /** The implementation as a relation; only for {@link #relation()} builtins. */
    public BuiltinRelation asRelation() {
        return (BuiltinRelation) fn;
    }
}
