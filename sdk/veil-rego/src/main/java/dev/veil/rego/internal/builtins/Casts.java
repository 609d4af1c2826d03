package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Casts as OPA's {@code topdown/casts.go}: {@code to_number} (null and false are 0, true is 1, a
 * string is parsed as Go's {@code strconv.ParseFloat} would accept it, except NaN and infinities).
 * The {@code cast_*} builtins are deprecated in OPA and rejected in Rego v1 modules, so they are in
 * {@link #DEPRECATED}, not {@link #ALL}.
 */
public final class Casts {
    /** Decimal numbers as ParseFloat accepts them: optional sign, digits with an optional point, exponent. */
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final BigDecimal MAX_FLOAT64 = new BigDecimal(Double.MAX_VALUE);

    /** Every builtin of this topic that Rego v1 accepts. */
    public static final List<Builtin> ALL = List.of(Builtin.of("to_number", 1, (a, c) -> toNumber(a[0])));

    /** The deprecated casts, kept for a v0 mode: OPA rejects them in v1 modules. */
    public static final List<Builtin> DEPRECATED = List.of(
            Builtin.of("cast_array", 1, (a, c) -> castArray(a[0])),
            Builtin.of("cast_set", 1, (a, c) -> castSet(a[0])),
            Builtin.of("cast_string", 1, (a, c) -> cast("cast_string", a[0], Value.Kind.STRING)),
            Builtin.of("cast_boolean", 1, (a, c) -> cast("cast_boolean", a[0], Value.Kind.BOOLEAN)),
            Builtin.of("cast_null", 1, (a, c) -> cast("cast_null", a[0], Value.Kind.NULL)),
            Builtin.of("cast_object", 1, (a, c) -> cast("cast_object", a[0], Value.Kind.OBJECT)));

    private Casts() {
    }

    /** {@code to_number(x)}. */
    public static NumberValue toNumber(Value v) {
        if (v instanceof NullValue) {
            return NumberValue.ZERO;
        }
        if (v instanceof BooleanValue b) {
            return b.value() ? NumberValue.ONE : NumberValue.ZERO;
        }
        if (v instanceof NumberValue n) {
            return n;
        }
        if (v instanceof StringValue s) {
            return parse(s);
        }
        throw RegoTypeError.operand(1, v, "null", "boolean", "number", "string").withBuiltin("to_number");
    }

    private static NumberValue parse(StringValue sv) {
        String s = sv.value();
        String lower = s.replaceFirst("^[+-]+", "").toLowerCase(Locale.ROOT);
        if (lower.equals("inf") || lower.equals("infinity") || lower.equals("nan")) {
            throw RegoTypeError.operand(1, sv, "valid number string").withBuiltin("to_number");
        }
        if (!DECIMAL.matcher(s).matches() || s.length() > 10_000) {
            throw new BuiltinError("to_number", "strconv.ParseFloat: parsing " + goQuote(s) + ": invalid syntax");
        }
        BigDecimal d;
        try {
            d = new BigDecimal(s.startsWith("+") ? s.substring(1) : s);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new BuiltinError("to_number", "strconv.ParseFloat: parsing " + goQuote(s) + ": value out of range");
        }
        if (d.abs().compareTo(MAX_FLOAT64) > 0) {
            throw new BuiltinError("to_number", "strconv.ParseFloat: parsing " + goQuote(s) + ": value out of range");
        }
        try {
            return NumberValue.parse(s);
        } catch (NumberFormatException e) {
            return NumberValue.of(d);
        }
    }

    private static String goQuote(String s) {
        StringBuilder b = new StringBuilder();
        dev.veil.rego.internal.value.Values.appendGoQuoted(b, s);
        return b.toString();
    }

    private static Value castArray(Value v) {
        if (v instanceof ArrayValue) {
            return v;
        }
        if (v instanceof SetValue s) {
            return ArrayValue.of(s.elements());
        }
        throw RegoTypeError.operand(1, v, "array", "set").withBuiltin("cast_array");
    }

    private static Value castSet(Value v) {
        if (v instanceof ArrayValue a) {
            return SetValue.of(a.asList());
        }
        if (v instanceof SetValue) {
            return v;
        }
        throw RegoTypeError.operand(1, v, "array", "set").withBuiltin("cast_set");
    }

    private static Value cast(String name, Value v, Value.Kind kind) {
        if (v.kind() == kind) {
            return v;
        }
        throw RegoTypeError.operand(1, v, kind.typeName()).withBuiltin(name);
    }
}
