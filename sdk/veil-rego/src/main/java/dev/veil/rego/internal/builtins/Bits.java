package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.Value;
import java.math.BigInteger;
import java.util.List;
import java.util.function.BinaryOperator;

/**
 * Bitwise builtins as OPA's {@code topdown/bits.go}: {@code bits.or}, {@code bits.and},
 * {@code bits.negate}, {@code bits.xor}, {@code bits.lsh}, {@code bits.rsh} on integers of any size,
 * two's complement for negatives (as Go's {@code big.Int}).
 */
public final class Bits {
    /** Shifts beyond this many bits are refused: the result would not fit in memory usefully. */
    static final long MAX_SHIFT = 1 << 20;

    /** Every builtin of this topic. */
    public static final List<Builtin> ALL = List.of(
            Builtin.of("bits.or", 2, (a, c) -> binary("bits.or", a, BigInteger::or)),
            Builtin.of("bits.and", 2, (a, c) -> binary("bits.and", a, BigInteger::and)),
            Builtin.of("bits.xor", 2, (a, c) -> binary("bits.xor", a, BigInteger::xor)),
            Builtin.of("bits.negate", 1, (a, c) -> NumberValue.of(Operands.bigInt("bits.negate", a[0], 1).not())),
            Builtin.of("bits.lsh", 2, (a, c) -> shift("bits.lsh", a, true)),
            Builtin.of("bits.rsh", 2, (a, c) -> shift("bits.rsh", a, false)));

    private Bits() {
    }

    private static Value binary(String name, Value[] a, BinaryOperator<BigInteger> op) {
        BigInteger x = Operands.bigInt(name, a[0], 1);
        BigInteger y = Operands.bigInt(name, a[1], 2);
        return NumberValue.of(op.apply(x, y));
    }

    private static Value shift(String name, Value[] a, boolean left) {
        BigInteger x = Operands.bigInt(name, a[0], 1);
        long n = Operands.integer(name, a[1], 2);
        if (n < 0) {
            throw RegoTypeError.operandDetail(2, "must be an unsigned integer number but got a negative integer")
                    .withBuiltin(name);
        }
        if (n > MAX_SHIFT) {
            if (!left) {
                return NumberValue.of(x.signum() < 0 ? -1 : 0);
            }
            throw new BuiltinError(name, "shift by " + n + " bits is beyond the limit of " + MAX_SHIFT
                    + ": use a smaller shift");
        }
        return NumberValue.of(left ? x.shiftLeft((int) n) : x.shiftRight((int) n));
    }
}
