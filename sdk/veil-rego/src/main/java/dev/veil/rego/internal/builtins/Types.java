package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.util.List;

/**
 * Type builtins as OPA's {@code topdown/type.go} and {@code type_name.go}: {@code is_number},
 * {@code is_string}, {@code is_boolean}, {@code is_array}, {@code is_set}, {@code is_object},
 * {@code is_null} (true or false, never undefined) and {@code type_name}.
 */
public final class Types {
    /** Every builtin of this topic. */
    public static final List<Builtin> ALL = List.of(
            is("is_number", Value.Kind.NUMBER),
            is("is_string", Value.Kind.STRING),
            is("is_boolean", Value.Kind.BOOLEAN),
            is("is_array", Value.Kind.ARRAY),
            is("is_set", Value.Kind.SET),
            is("is_object", Value.Kind.OBJECT),
            is("is_null", Value.Kind.NULL),
            Builtin.of("type_name", 1, (a, c) -> StringValue.of(a[0].typeName())));

    private Types() {
    }

    private static Builtin is(String name, Value.Kind kind) {
        return Builtin.of(name, 1, (a, c) -> BooleanValue.of(a[0].kind() == kind));
    }
}
