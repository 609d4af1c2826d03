package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;

/**
 * Aggregates as OPA's {@code topdown/aggregates.go}: {@code count}, {@code sum}, {@code product},
 * {@code max}, {@code min} and {@code sort} (membership, {@code internal.member_2/3}, is in {@code Core}).
 *
 * <p>{@code sum} and {@code product} are exact on integers of any size; with a non-integer element
 * they run on OPA's binary floats ({@link GoFloat}). {@code all} and {@code any} are deprecated in OPA
 * and rejected in Rego v1, so they are in {@link #DEPRECATED}, not {@link #ALL}.
 */
public final class Aggregates {
    /** Every builtin of this topic that Rego v1 accepts. */
    public static final List<Builtin> ALL = List.of(
            Builtin.of("count", 1, (a, c) -> count(a[0])),
            Builtin.of("sum", 1, (a, c) -> sum(a[0])),
            Builtin.of("product", 1, (a, c) -> product(a[0])),
            Builtin.of("max", 1, (a, c) -> extreme("max", a[0], true)),
            Builtin.of("min", 1, (a, c) -> extreme("min", a[0], false)),
            Builtin.of("sort", 1, (a, c) -> sort(a[0])));

    /**
     * {@code all} and {@code any}: deprecated in OPA, which rejects them in Rego v1 modules
     * ({@code deprecated built-in function calls in expression: any}); kept for a v0 mode.
     */
    public static final List<Builtin> DEPRECATED = List.of(
            Builtin.of("all", 1, (a, c) -> all(a[0])),
            Builtin.of("any", 1, (a, c) -> any(a[0])));

    private Aggregates() {
    }

    private static Value count(Value v) {
        return switch (v.kind()) {
            case ARRAY -> NumberValue.of(((ArrayValue) v).size());
            case OBJECT -> NumberValue.of(((ObjectValue) v).size());
            case SET -> NumberValue.of(((SetValue) v).size());
            case STRING -> {
                String s = ((StringValue) v).value();
                yield NumberValue.of(s.codePointCount(0, s.length()));
            }
            default -> throw RegoTypeError.operand(1, v, "array", "object", "set", "string").withBuiltin("count");
        };
    }

    /** The elements of an array or set (in order), or a type error naming set and array as OPA does. */
    private static List<Value> elements(String name, Value v) {
        if (v instanceof ArrayValue a) {
            return a.asList();
        }
        if (v instanceof SetValue s) {
            return s.elements();
        }
        throw RegoTypeError.operand(1, v, "set", "array").withBuiltin(name);
    }

    private static Value sum(Value v) {
        List<Value> elems = elements("sum", v);
        long acc = 0;
        boolean fast = true;
        for (Value e : elems) {
            if (!(e instanceof NumberValue n) || !n.isLong()) {
                fast = false;
                break;
            }
            long x = n.longValueExact();
            long r = acc + x;
            if (((acc ^ r) & (x ^ r)) < 0) {
                fast = false;
                break;
            }
            acc = r;
        }
        if (fast) {
            return NumberValue.of(acc);
        }
        BigInteger exact = exactAccumulate(elems, BigInteger.ZERO, true);
        if (exact != null) {
            return NumberValue.of(exact);
        }
        GoFloat total = null;
        for (Value e : elems) {
            GoFloat f = GoFloat.of(numberElement("sum", v, e), GoFloat.PREC);
            total = total == null ? f : total.add(f);
        }
        return total.toNumber();
    }

    private static Value product(Value v) {
        List<Value> elems = elements("product", v);
        BigInteger exact = exactAccumulate(elems, BigInteger.ONE, false);
        if (exact != null) {
            return NumberValue.of(exact);
        }
        // OPA starts from big.NewFloat(1), a 53-bit float, and multiplies into it
        GoFloat total = GoFloat.of(NumberValue.ONE, 53);
        for (Value e : elems) {
            total = total.mul(GoFloat.of(numberElement("product", v, e), GoFloat.PREC), 53);
        }
        return total.toNumber();
    }

    private static NumberValue numberElement(String name, Value composite, Value e) {
        if (e instanceof NumberValue n) {
            return n;
        }
        throw RegoTypeError.operandElement(1, composite, e, "number").withBuiltin(name);
    }

    /** The exact sum or product when every element is an integer, else null. */
    private static BigInteger exactAccumulate(List<Value> elems, BigInteger init, boolean add) {
        BigInteger acc = init;
        for (Value e : elems) {
            if (!(e instanceof NumberValue n) || !n.isInt()) {
                return null;
            }
            acc = add ? acc.add(n.toBigIntegerExact()) : acc.multiply(n.toBigIntegerExact());
        }
        return acc;
    }

    private static Value extreme(String name, Value v, boolean max) {
        List<Value> elems = elements(name, v);
        if (elems.isEmpty()) {
            return null;
        }
        if (v instanceof SetValue) {
            return max ? elems.get(elems.size() - 1) : elems.get(0);
        }
        Value best = elems.get(0);
        for (Value e : elems) {
            int c = e.compareTo(best);
            if (max ? c >= 0 : c <= 0) { // the last of equal values, as OPA
                best = e;
            }
        }
        return best;
    }

    private static Value sort(Value v) {
        if (v instanceof ArrayValue a) {
            Value[] copy = a.toArray();
            Arrays.sort(copy);
            return ArrayValue.wrap(copy);
        }
        if (v instanceof SetValue s) {
            return ArrayValue.of(s.elements());
        }
        throw RegoTypeError.operand(1, v, "set", "array").withBuiltin("sort");
    }

    private static Value all(Value v) {
        if (!(v instanceof ArrayValue) && !(v instanceof SetValue)) {
            throw RegoTypeError.operand(1, v, "array", "set").withBuiltin("all");
        }
        for (Value e : elements("all", v)) {
            if (e != BooleanValue.TRUE && !BooleanValue.TRUE.equals(e)) {
                return BooleanValue.FALSE;
            }
        }
        return BooleanValue.TRUE;
    }

    private static Value any(Value v) {
        if (v instanceof SetValue s) {
            return BooleanValue.of(s.contains(BooleanValue.TRUE));
        }
        if (v instanceof ArrayValue a) {
            return BooleanValue.of(a.asList().contains(BooleanValue.TRUE));
        }
        throw RegoTypeError.operand(1, v, "array", "set").withBuiltin("any");
    }
}
