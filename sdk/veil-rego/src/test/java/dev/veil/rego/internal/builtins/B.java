package dev.veil.rego.internal.builtins;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.util.Random;
import org.assertj.core.api.AbstractThrowableAssert;

/** Test shorthand: calling registered builtins with values written as JSON. */
final class B {
    private B() {
    }

    static BuiltinContext ctx() {
        return BuiltinContext.of(0L, true, new Random(42));
    }

    /** Calls the registered builtin {@code name}. */
    static Value call(String name, Value... args) {
        return call(ctx(), name, args);
    }

    static Value call(BuiltinContext ctx, String name, Value... args) {
        Builtin b = Builtins.lookup(name);
        if (b == null) {
            throw new AssertionError("builtin " + name + " is not registered");
        }
        if (!b.variadic() && b.arity() != args.length) {
            throw new AssertionError("builtin " + name + " takes " + b.arity() + " arguments");
        }
        return b.fn().call(args, ctx);
    }

    /** A value from JSON text. */
    static Value j(String json) {
        return Values.parseJson(json);
    }

    static NumberValue n(String text) {
        return NumberValue.parse(text);
    }

    static StringValue s(String s) {
        return StringValue.of(s);
    }

    static SetValue set(Value... vs) {
        return SetValue.of(vs);
    }

    /** The JSON of the result, or "undefined". */
    static String json(Value v) {
        return v == null ? "undefined" : Values.toJson(v);
    }

    static AbstractThrowableAssert<?, ? extends Throwable> typeError(String name, String message, Value... args) {
        return assertThatThrownBy(() -> call(name, args)).isInstanceOf(RegoTypeError.class).hasMessage(message);
    }

    static AbstractThrowableAssert<?, ? extends Throwable> builtinError(String name, String message, Value... args) {
        return assertThatThrownBy(() -> call(name, args)).isInstanceOf(BuiltinError.class).hasMessage(message);
    }
}
