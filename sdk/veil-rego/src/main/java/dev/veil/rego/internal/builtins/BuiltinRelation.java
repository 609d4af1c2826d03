package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * A builtin that produces any number of outputs for one call, such as {@code walk}: the evaluator
 * tries every output in turn (backtracking), so {@code walk(x, [p, v])} enumerates. Registered with
 * {@link Builtin#relation()} true; the evaluator calls {@link #iterate}.
 */
@FunctionalInterface
public interface BuiltinRelation extends BuiltinFunction {

    /** Receives outputs; returns false to stop the enumeration early. */
    @FunctionalInterface
    interface Sink {
        boolean accept(Value output);
    }

    /**
     * Produces the outputs one by one into {@code out}, stopping when it returns false.
     *
     * @throws RegoTypeError on an operand of the wrong type
     * @throws BuiltinError  on any other failure
     */
    void iterate(Value[] args, BuiltinContext ctx, Sink out);

    /** All outputs collected into an array (for callers that do not enumerate). */
    @Override
    default Value call(Value[] args, BuiltinContext ctx) {
        List<Value> all = new ArrayList<>();
        iterate(args, ctx, v -> {
            all.add(v);
            return true;
        });
        return ArrayValue.of(all);
    }
}
