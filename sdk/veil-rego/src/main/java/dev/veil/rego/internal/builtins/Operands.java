package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.math.BigInteger;

/**
 * Operand checks shared by the topic classes, with OPA's messages ({@code topdown/builtins}
 * {@code *Operand} functions): each throws {@link RegoTypeError} naming the builtin.
 */
final class Operands {
    private Operands() {
    }

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
