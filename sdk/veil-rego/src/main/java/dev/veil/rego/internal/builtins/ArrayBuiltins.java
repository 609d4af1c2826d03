package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.Value;
import java.util.List;

/**
 * Array builtins as OPA's {@code topdown/array.go}: {@code array.concat}, {@code array.slice}
 * (indices clamped, never an error for out-of-range bounds) and {@code array.reverse}.
 */
public final class ArrayBuiltins {
    /** Every builtin of this topic. */
    public static final List<Builtin> ALL = List.of(
            Builtin.of("array.concat", 2, (a, c) -> concat(a)),
            Builtin.of("array.slice", 3, (a, c) -> slice(a)),
            Builtin.of("array.reverse", 1, (a, c) -> reverse(a[0])));

    private ArrayBuiltins() {
    }

    private static Value concat(Value[] a) {
        ArrayValue x = Operands.array("array.concat", a[0], 1);
        ArrayValue y = Operands.array("array.concat", a[1], 2);
        if (y.isEmpty()) {
            return x;
        }
        if (x.isEmpty()) {
            return y;
        }
        Value[] out = new Value[x.size() + y.size()];
        for (int i = 0; i < x.size(); i++) {
            out[i] = x.get(i);
        }
        for (int i = 0; i < y.size(); i++) {
            out[x.size() + i] = y.get(i);
        }
        return ArrayValue.wrap(out);
    }

    private static Value slice(Value[] a) {
        ArrayValue arr = Operands.array("array.slice", a[0], 1);
        long start = Operands.integer("array.slice", a[1], 2);
        long stop = Operands.integer("array.slice", a[2], 3);
        stop = Math.max(0, Math.min(stop, arr.size()));
        start = Math.max(0, Math.min(start, stop));
        Value[] out = new Value[(int) (stop - start)];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get((int) start + i);
        }
        return ArrayValue.wrap(out);
    }

    private static Value reverse(Value v) {
        ArrayValue arr = Operands.array("array.reverse", v, 1);
        Value[] out = new Value[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(out.length - 1 - i);
        }
        return ArrayValue.wrap(out);
    }
}
