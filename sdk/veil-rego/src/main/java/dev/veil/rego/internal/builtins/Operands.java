package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * Operand checks shared by the topic classes, with OPA's messages ({@code topdown/builtins}
 * {@code *Operand} functions); each failure names the builtin. (Merged from two helpers' versions: the
 * {@code Value[]} overloads take the argument array, the {@code Value} overloads one operand.)
 */
final class Operands {
    private Operands() {
    }

    /** Operand {@code pos} (1-based) as a Java string. */
    static String string(String name, Value[] args, int pos) {
        Value v = args[pos - 1];
        if (v instanceof StringValue s) {
            return s.value();
        }
        throw new RegoTypeError(name, RegoTypeError.operand(pos, v, "string").reason());
    }

    /** Operand {@code pos} as a number. */
    static NumberValue number(String name, Value[] args, int pos) {
        Value v = args[pos - 1];
        if (v instanceof NumberValue n) {
            return n;
        }
        throw new RegoTypeError(name, RegoTypeError.operand(pos, v, "number").reason());
    }

    /**
     * Operand {@code pos} as OPA's {@code builtins.IntOperand} ({@link #integer(String, Value, int)}), clamped to
     * the int range: Go's int has 64 bits, but every count, offset and date part here saturates long before.
     */
    static int integer(String name, Value[] args, int pos) {
        long l = integer(name, args[pos - 1], pos);
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, l));
    }

    /** Operand {@code pos} as an array. */
    static ArrayValue array(String name, Value[] args, int pos) {
        Value v = args[pos - 1];
        if (v instanceof ArrayValue a) {
            return a;
        }
        throw new RegoTypeError(name, RegoTypeError.operand(pos, v, "array").reason());
    }

    /** A string operand's elements of an array or set, as {@code builtins.StringSliceOperand}. */
    static List<String> stringSlice(String name, Value composite, int pos) {
        List<Value> elems = composite instanceof ArrayValue a ? a.asList() : ((SetValue) composite).elements();
        List<String> out = new ArrayList<>(elems.size());
        for (Value e : elems) {
            if (!(e instanceof StringValue s)) {
                throw typeError(name, RegoTypeError.operandElement(pos, composite, e, "string"));
            }
            out.add(s.value());
        }
        return out;
    }

    /** A type error attributed to {@code name}. */
    static RegoTypeError typeError(String name, RegoTypeError e) {
        return new RegoTypeError(name, e.reason());
    }

    static RegoTypeError typeError(String name, int pos, Value got, String... expected) {
        return new RegoTypeError(name, RegoTypeError.operand(pos, got, expected).reason());
    }

    static BuiltinError error(String name, String reason) {
        return new BuiltinError(name, reason);
    }

    static Value bool(boolean b) {
        return b ? BooleanValue.TRUE : BooleanValue.FALSE;
    }

    static Value str(String s) {
        return StringValue.of(s);
    }

    // ---- single-operand overloads


    static NumberValue number(String name, Value v, int pos) {
        if (v instanceof NumberValue n) {
            return n;
        }
        throw RegoTypeError.operand(pos, v, "number").withBuiltin(name);
    }

    static String string(String name, Value v, int pos) {
        if (v instanceof StringValue s) {
            return s.value();
        }
        throw RegoTypeError.operand(pos, v, "string").withBuiltin(name);
    }

    static ArrayValue array(String name, Value v, int pos) {
        if (v instanceof ArrayValue a) {
            return a;
        }
        throw RegoTypeError.operand(pos, v, "array").withBuiltin(name);
    }

    static ObjectValue object(String name, Value v, int pos) {
        if (v instanceof ObjectValue o) {
            return o;
        }
        throw RegoTypeError.operand(pos, v, "object").withBuiltin(name);
    }

    static SetValue set(String name, Value v, int pos) {
        if (v instanceof SetValue s) {
            return s;
        }
        throw RegoTypeError.operand(pos, v, "set").withBuiltin(name);
    }

    /**
     * OPA's {@code IntOperand}: a number whose literal is a 64-bit integer ({@code 1.0} and
     * {@code 1e3} are "floating-point" there, as Go's {@code strconv.ParseInt} refuses them).
     */
    static long integer(String name, Value v, int pos) {
        NumberValue n = number(name, v, pos);
        String text = n.text();
        boolean literalInt = text == null || text.chars().allMatch(c -> c == '-' || c >= '0' && c <= '9');
        if (!n.isLong() || !literalInt) {
            throw RegoTypeError.operandDetail(pos, "must be integer number but got floating-point number")
                    .withBuiltin(name);
        }
        return n.longValueExact();
    }

    /** {@link #integer} as an int; beyond int range it is refused with OPA's message too. */
    static int integer32(String name, Value v, int pos) {
        long l = integer(name, v, pos);
        if (l != (int) l) {
            throw new BuiltinError(name, "operand " + pos + " is " + l + ", beyond what can index a value");
        }
        return (int) l;
    }

    /** OPA's {@code BigIntOperand}: any integral number. */
    static BigInteger bigInt(String name, Value v, int pos) {
        if (!(v instanceof NumberValue n)) {
            throw RegoTypeError.operand(pos, v, "integer").withBuiltin(name);
        }
        if (!n.isInt()) {
            throw RegoTypeError.operandDetail(pos, "must be integer number but got floating-point number")
                    .withBuiltin(name);
        }
        return n.toBigIntegerExact();
    }
}
