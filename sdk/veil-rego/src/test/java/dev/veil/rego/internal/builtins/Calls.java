package dev.veil.rego.internal.builtins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.util.Random;

/** Calls registered builtins with values written as JSON, for the topic tests. */
final class Calls {
    private Calls() {
    }

    static final long NOW = 1_700_000_000_123_456_789L;

    static BuiltinContext ctx() {
        return BuiltinContext.of(NOW, true, new Random(42));
    }

    static Value call(String name, Value... args) {
        return call(ctx(), name, args);
    }

    static Value call(BuiltinContext ctx, String name, Value... args) {
        Builtin b = Builtins.lookup(name);
        assertThat(b).as("builtin %s is registered", name).isNotNull();
        assertThat(args.length).as("arity of %s", name).isEqualTo(b.arity());
        return b.fn().call(args, ctx);
    }

    /** Parses each argument as JSON, calls, and returns the result as JSON (null for undefined). */
    static String json(String name, String... jsonArgs) {
        Value[] args = new Value[jsonArgs.length];
        for (int i = 0; i < args.length; i++) {
            args[i] = Values.parseJson(jsonArgs[i]);
        }
        Value r = call(name, args);
        return r == null ? null : Values.toJson(r);
    }

    static Value s(String s) {
        return StringValue.of(s);
    }

    static Value n(long n) {
        return NumberValue.of(n);
    }

    static Value arr(Value... vs) {
        return ArrayValue.of(vs);
    }

    static Value v(String json) {
        return Values.parseJson(json);
    }

    static void typeError(String message, String name, String... jsonArgs) {
        assertThatThrownBy(() -> json(name, jsonArgs)).isInstanceOf(RegoTypeError.class).hasMessage(message);
    }

    static void builtinError(String message, String name, String... jsonArgs) {
        assertThatThrownBy(() -> json(name, jsonArgs)).isInstanceOf(BuiltinError.class).hasMessage(message);
    }
}
