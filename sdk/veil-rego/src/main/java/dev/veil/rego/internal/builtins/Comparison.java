package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.BooleanValue;
import java.util.List;

/**
 * The comparison operators under OPA's internal names: {@code equal} ({@code ==}), {@code neq}
 * ({@code !=}), {@code lt}, {@code lte}, {@code gt}, {@code gte}. They compare any two values with
 * OPA's total order ({@code ast.Compare}), so {@code 1 == 1.0} and {@code "a" < 1} is false (numbers
 * sort before strings).
 */
public final class Comparison {
    /** Every builtin of this topic. */
    public static final List<Builtin> ALL = List.of(
            Builtin.of("equal", 2, (a, c) -> BooleanValue.of(a[0].equals(a[1]))),
            Builtin.of("neq", 2, (a, c) -> BooleanValue.of(!a[0].equals(a[1]))),
            Builtin.of("lt", 2, (a, c) -> BooleanValue.of(a[0].compareTo(a[1]) < 0)),
            Builtin.of("lte", 2, (a, c) -> BooleanValue.of(a[0].compareTo(a[1]) <= 0)),
            Builtin.of("gt", 2, (a, c) -> BooleanValue.of(a[0].compareTo(a[1]) > 0)),
            Builtin.of("gte", 2, (a, c) -> BooleanValue.of(a[0].compareTo(a[1]) >= 0)));

    private Comparison() {
    }
}
