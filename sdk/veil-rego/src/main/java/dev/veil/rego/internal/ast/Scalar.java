package dev.veil.rego.internal.ast;

import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.util.Objects;

/**
 * A constant: null, a boolean, a number or a string.
 *
 * @param value a scalar value (never an array, object or set)
 */
public record Scalar(Location location, Value value) implements Term {
    public Scalar {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(value, "value");
        if (!value.isScalar()) {
            throw new IllegalArgumentException("a Scalar holds null, a boolean, a number or a string, not a "
                    + value.typeName() + ": use ArrayTerm, ObjectTerm or SetTerm");
        }
    }

    /** The string constant {@code s}. */
    public static Scalar string(Location location, String s) {
        return new Scalar(location, StringValue.of(s));
    }

    /** The boolean constant {@code true} (the value of rules written without one). */
    public static Scalar trueAt(Location location) {
        return new Scalar(location, BooleanValue.TRUE);
    }

    @Override
    public boolean isGround() {
        return true;
    }

    /** Rego source: JSON for strings (so that it parses back), the literal for numbers. */
    @Override
    public String toString() {
        return value instanceof StringValue ? Values.toJson(value) : value.toString();
    }
}
