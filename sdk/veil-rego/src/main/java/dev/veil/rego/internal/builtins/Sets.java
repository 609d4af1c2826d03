package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.Value;
import java.util.List;

/**
 * Set builtins as OPA's {@code topdown/sets.go}: the operators {@code and} ({@code &}) and {@code or}
 * ({@code |}), and {@code intersection} and {@code union} of a set of sets. Set difference is
 * {@code minus}, in {@link Arithmetic}.
 */
public final class Sets {
    /** Every builtin of this topic. */
    public static final List<Builtin> ALL = List.of(
            Builtin.of("and", 2, (a, c) -> Operands.set("and", a[0], 1).intersection(Operands.set("and", a[1], 2))),
            Builtin.of("or", 2, (a, c) -> Operands.set("or", a[0], 1).union(Operands.set("or", a[1], 2))),
            Builtin.of("intersection", 1, (a, c) -> intersection(a[0])),
            Builtin.of("union", 1, (a, c) -> union(a[0])));

    /** {@code set_diff}: deprecated in OPA (use {@code -}) and rejected in Rego v1 modules; kept for a v0 mode. */
    public static final List<Builtin> DEPRECATED = List.of(
            Builtin.of("set_diff", 2, (a, c) -> Operands.set("set_diff", a[0], 1)
                    .difference(Operands.set("set_diff", a[1], 2))));

    private Sets() {
    }

    private static Value intersection(Value v) {
        SetValue sets = Operands.set("intersection", v, 1);
        SetValue result = null;
        for (Value e : sets.elements()) {
            SetValue s = Operands.set("intersection", e, 1);
            result = result == null ? s : result.intersection(s);
        }
        return result == null ? SetValue.EMPTY : result;
    }

    private static Value union(Value v) {
        SetValue sets = Operands.set("union", v, 1);
        SetValue.Builder b = SetValue.builder();
        for (Value e : sets.elements()) {
            for (Value x : Operands.set("union", e, 1).elements()) {
                b.add(x);
            }
        }
        return b.build();
    }
}
