package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.math.BigInteger;
import java.util.List;

/**
 * Arithmetic as OPA does it ({@code topdown/arithmetic.go}, {@code numbers.go}): the operators under
 * their internal names ({@code plus}, {@code minus}, {@code mul}, {@code div}, {@code rem}), {@code abs},
 * {@code round}, {@code ceil}, {@code floor}, {@code numbers.range}, {@code numbers.range_step} and
 * {@code rand.intn}.
 *
 * <p>Integers are exact at any size. Division is exact when the divisor divides a non-zero small
 * dividend; everything else that is not an integer runs on OPA's 64-bit binary floats
 * ({@link GoFloat}) and prints as OPA prints it. {@code minus} on two sets is set difference.
 */
public final class Arithmetic {
    private static final long MIN_SMALL = Integer.MIN_VALUE;
    private static final long MAX_SMALL = Integer.MAX_VALUE;

    /** Every builtin of this topic. */
    public static final List<Builtin> ALL = List.of(
            Builtin.of("plus", 2, (a, c) -> plus(num("plus", a[0], 1), num("plus", a[1], 2))),
            Builtin.of("minus", 2, (a, c) -> minus(a[0], a[1])),
            Builtin.of("mul", 2, (a, c) -> mul(num("mul", a[0], 1), num("mul", a[1], 2))),
            Builtin.of("div", 2, (a, c) -> div(num("div", a[0], 1), num("div", a[1], 2))),
            Builtin.of("rem", 2, (a, c) -> rem(num("rem", a[0], 1), num("rem", a[1], 2))),
            Builtin.of("abs", 1, (a, c) -> unary(num("abs", a[0], 1), Op.ABS)),
            Builtin.of("round", 1, (a, c) -> unary(num("round", a[0], 1), Op.ROUND)),
            Builtin.of("ceil", 1, (a, c) -> unary(num("ceil", a[0], 1), Op.CEIL)),
            Builtin.of("floor", 1, (a, c) -> unary(num("floor", a[0], 1), Op.FLOOR)),
            Builtin.of("numbers.range", 2, (a, c) -> range("numbers.range", a[0], a[1], BigInteger.ONE)),
            Builtin.of("numbers.range_step", 3, (a, c) -> rangeStep(a)),
            Builtin.of("rand.intn", 2, Arithmetic::randIntn));

    /**
     * Ranges longer than this are refused rather than exhausting memory (the evaluator also counts
     * every range's numbers against its limit of values built, Evaluator.MAX_BUILT).
     */
    static final long MAX_RANGE = 1_000_000;

    private enum Op { ABS, ROUND, CEIL, FLOOR }

    private Arithmetic() {
    }

    private static NumberValue num(String name, Value v, int pos) {
        return Operands.number(name, v, pos);
    }

    private static boolean small(NumberValue n) {
        if (!n.isLong()) {
            return false;
        }
        long l = n.longValueExact();
        return l >= MIN_SMALL && l <= MAX_SMALL;
    }

    /** {@code x + y}. */
    public static NumberValue plus(NumberValue x, NumberValue y) {
        if (x.isLong() && y.isLong()) {
            long a = x.longValueExact();
            long b = y.longValueExact();
            long r = a + b;
            if (((a ^ r) & (b ^ r)) >= 0) {
                return NumberValue.of(r);
            }
        }
        if (x.isInt() && y.isInt()) {
            return NumberValue.of(x.toBigIntegerExact().add(y.toBigIntegerExact()));
        }
        return GoFloat.of(x, GoFloat.PREC).add(GoFloat.of(y, GoFloat.PREC)).toNumber();
    }

    /** {@code x - y} on numbers. */
    public static NumberValue minus(NumberValue x, NumberValue y) {
        if (x.isLong() && y.isLong()) {
            long a = x.longValueExact();
            long b = y.longValueExact();
            long r = a - b;
            if (((a ^ b) & (a ^ r)) >= 0) {
                return NumberValue.of(r);
            }
        }
        if (x.isInt() && y.isInt()) {
            return NumberValue.of(x.toBigIntegerExact().subtract(y.toBigIntegerExact()));
        }
        return GoFloat.of(x, GoFloat.PREC).sub(GoFloat.of(y, GoFloat.PREC)).toNumber();
    }

    private static Value minus(Value x, Value y) {
        if (x instanceof NumberValue a && y instanceof NumberValue b) {
            return minus(a, b);
        }
        if (x instanceof SetValue a && y instanceof SetValue b) {
            return a.difference(b);
        }
        if (!(x instanceof NumberValue) && !(x instanceof SetValue)) {
            throw RegoTypeError.operand(1, x, "number", "set").withBuiltin("minus");
        }
        // as OPA: a number second operand asks for a set, anything else for a number
        throw RegoTypeError.operand(2, y, y instanceof NumberValue ? "set" : "number").withBuiltin("minus");
    }

    /** {@code x * y}. */
    public static NumberValue mul(NumberValue x, NumberValue y) {
        if (small(x) && small(y)) {
            return NumberValue.of(x.longValueExact() * y.longValueExact());
        }
        if (x.isInt() && y.isInt()) {
            return NumberValue.of(x.toBigIntegerExact().multiply(y.toBigIntegerExact()));
        }
        return GoFloat.of(x, GoFloat.PREC).mul(GoFloat.of(y, GoFloat.PREC), GoFloat.PREC).toNumber();
    }

    /**
     * {@code x / y}.
     *
     * @throws BuiltinError {@code div: divide by zero}
     */
    public static NumberValue div(NumberValue x, NumberValue y) {
        if (small(x) && small(y)) {
            long a = x.longValueExact();
            long b = y.longValueExact();
            if (b == 0) {
                throw new BuiltinError("div", "divide by zero");
            }
            if (a != 0 && a % b == 0) {
                return NumberValue.of(a / b);
            }
        }
        GoFloat fy = GoFloat.of(y, GoFloat.PREC);
        if (fy.signum() == 0) {
            throw new BuiltinError("div", "divide by zero");
        }
        return GoFloat.of(x, GoFloat.PREC).quo(fy).toNumber();
    }

    /**
     * {@code x % y}: integers only, the sign of the dividend.
     *
     * @throws BuiltinError {@code rem: modulo by zero}, {@code rem: modulo on floating-point number}
     */
    public static NumberValue rem(NumberValue x, NumberValue y) {
        if (x.isLong() && y.isLong()) {
            long b = y.longValueExact();
            if (b == 0) {
                throw new BuiltinError("rem", "modulo by zero");
            }
            if (b == -1) {
                return NumberValue.ZERO;
            }
            return NumberValue.of(x.longValueExact() % b);
        }
        if (x.isInt() && y.isInt()) {
            BigInteger b = y.toBigIntegerExact();
            if (b.signum() == 0) {
                throw new BuiltinError("rem", "modulo by zero");
            }
            return NumberValue.of(x.toBigIntegerExact().remainder(b));
        }
        throw new BuiltinError("rem", "modulo on floating-point number");
    }

    private static NumberValue unary(NumberValue n, Op op) {
        if (n.isLong()) {
            long l = n.longValueExact();
            if (op != Op.ABS) {
                return n.text() == null ? n : NumberValue.of(l);
            }
            if (l >= 0) {
                return n.text() == null ? n : NumberValue.of(l);
            }
            return l == Long.MIN_VALUE ? NumberValue.of(BigInteger.valueOf(l).negate()) : NumberValue.of(-l);
        }
        GoFloat f = GoFloat.of(n, GoFloat.PREC);
        GoFloat r = switch (op) {
            case ABS -> f.abs();
            case ROUND -> f.round();
            case CEIL -> f.ceil();
            case FLOOR -> f.floor();
        };
        return r.toNumber();
    }

    // ---------------------------------------------------------------- numbers.range

    private static BigInteger bigIntOperand(String name, Value v, int pos) {
        return Operands.bigInt(name, v, pos);
    }

    private static Value rangeStep(Value[] a) {
        BigInteger x = bigIntOperand("numbers.range_step", a[0], 1);
        BigInteger y = bigIntOperand("numbers.range_step", a[1], 2);
        BigInteger step = bigIntOperand("numbers.range_step", a[2], 3);
        if (step.signum() <= 0) {
            throw new BuiltinError("numbers.range_step", "step must be a positive integer");
        }
        return range("numbers.range_step", x, y, step);
    }

    private static Value range(String name, Value a, Value b, BigInteger step) {
        return range(name, bigIntOperand(name, a, 1), bigIntOperand(name, b, 2), step);
    }

    private static Value range(String name, BigInteger x, BigInteger y, BigInteger step) {
        BigInteger count = x.subtract(y).abs().divide(step).add(BigInteger.ONE);
        if (count.compareTo(BigInteger.valueOf(MAX_RANGE)) > 0) {
            throw new BuiltinError(name, "range of " + count + " numbers is beyond the limit of " + MAX_RANGE
                    + ": use a smaller range or a larger step");
        }
        int n = count.intValueExact();
        Value[] out = new Value[n];
        boolean down = x.compareTo(y) > 0;
        if (x.bitLength() < 63 && y.bitLength() < 63 && step.bitLength() < 62) {
            long i = x.longValue();
            long s = down ? -step.longValue() : step.longValue();
            for (int k = 0; k < n; k++, i += s) {
                out[k] = NumberValue.of(i);
            }
        } else {
            BigInteger i = x;
            BigInteger s = down ? step.negate() : step;
            for (int k = 0; k < n; k++, i = i.add(s)) {
                out[k] = NumberValue.of(i);
            }
        }
        return ArrayValue.wrap(out);
    }

    // ---------------------------------------------------------------- rand.intn

    private static Value randIntn(Value[] a, BuiltinContext ctx) {
        if (!(a[0] instanceof StringValue s)) {
            throw RegoTypeError.operand(1, a[0], "string").withBuiltin("rand.intn");
        }
        long bound = Math.abs(Operands.integer("rand.intn", a[1], 2));
        if (bound == 0) {
            return NumberValue.ZERO;
        }
        if (bound < 0) {
            bound = Long.MAX_VALUE;
        }
        String key = "rand.intn:" + s.value() + "-" + bound;
        Object cached = ctx.cache().get(key);
        if (cached instanceof NumberValue v) {
            return v;
        }
        long r = ctx.random().nextLong(bound);
        NumberValue v = NumberValue.of(r);
        ctx.cache().put(key, v);
        return v;
    }
}
