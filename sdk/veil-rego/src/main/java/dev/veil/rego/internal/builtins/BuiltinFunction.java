package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.Value;

/**
 * A builtin's implementation: a pure function of its arguments (and the evaluation's
 * {@link BuiltinContext}). Must be thread-safe and must not keep state between calls.
 */
@FunctionalInterface
public interface BuiltinFunction {
    /**
     * Calls the builtin.
     *
     * @param args the arguments, exactly {@link Builtin#arity()} of them (any number for a variadic
     *             builtin); never null elements
     * @param ctx  the evaluation's context
     * @return the result, or null for "undefined"
     * @throws RegoTypeError on an operand of the wrong type (halts evaluation)
     * @throws BuiltinError  on any other failure (undefined, or halts in strict mode)
     */
    Value call(Value[] args, BuiltinContext ctx);
}
