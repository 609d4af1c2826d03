package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * The builtins at the heart of the language: unification and assignment (handled by the evaluator,
 * registered here so the compiler knows their arity), comparison, membership ({@code in}),
 * {@code walk}, {@code print} and {@code trace}.
 */
public final class Core {
    /** {@code print}'s name: the evaluator handles it (undefined arguments print as {@code <undefined>}). */
    public static final String PRINT = "print";

    public static final List<Builtin> ALL = List.of(
            Builtin.of("eq", 2, (a, c) -> BooleanValue.of(a[0].equals(a[1]))),
            Builtin.of("assign", 2, (a, c) -> BooleanValue.of(a[0].equals(a[1]))),
            Builtin.of("equal", 2, (a, c) -> BooleanValue.of(a[0].equals(a[1]))),
            Builtin.of("neq", 2, (a, c) -> BooleanValue.of(!a[0].equals(a[1]))),
            Builtin.of("lt", 2, (a, c) -> BooleanValue.of(a[0].compareTo(a[1]) < 0)),
            Builtin.of("lte", 2, (a, c) -> BooleanValue.of(a[0].compareTo(a[1]) <= 0)),
            Builtin.of("gt", 2, (a, c) -> BooleanValue.of(a[0].compareTo(a[1]) > 0)),
            Builtin.of("gte", 2, (a, c) -> BooleanValue.of(a[0].compareTo(a[1]) >= 0)),
            Builtin.of("internal.member_2", 2, (a, c) -> BooleanValue.of(member(a[0], a[1]))),
            Builtin.of("internal.member_3", 3, (a, c) -> BooleanValue.of(member3(a[0], a[1], a[2]))),
            Builtin.of(PRINT, Builtin.VARIADIC, (a, c) -> BooleanValue.TRUE),
            Builtin.of("internal.print", 1, (a, c) -> BooleanValue.TRUE),
            Builtin.of("trace", 1, (a, c) -> BooleanValue.TRUE),
            Builtin.relation("walk", 1, Core::walk));

    private Core() {
    }

    /** {@code x in xs}: an element of an array or set, a value of an object; false for anything else. */
    public static boolean member(Value x, Value xs) {
        if (xs instanceof SetValue s) {
            return s.contains(x);
        }
        if (xs instanceof ArrayValue a) {
            return a.contains(x);
        }
        if (xs instanceof ObjectValue o) {
            for (Value k : o.keys()) {
                if (o.get(k).equals(x)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** {@code k, v in xs}: {@code xs[k] == v} for an array or object; false for anything else. */
    public static boolean member3(Value k, Value v, Value xs) {
        if (xs instanceof ArrayValue a) {
            if (k instanceof NumberValue n && n.isInt()) {
                try {
                    int i = n.intValueExact();
                    return i >= 0 && i < a.size() && a.get(i).equals(v);
                } catch (ArithmeticException e) {
                    return false;
                }
            }
            return false;
        }
        if (xs instanceof ObjectValue o) {
            Value got = o.get(k);
            return got != null && got.equals(v);
        }
        if (xs instanceof SetValue s) {
            return k.equals(v) && s.contains(v);
        }
        return false;
    }

    private static void walk(Value[] args, BuiltinContext ctx, BuiltinRelation.Sink out) {
        walk(new ArrayList<>(), args[0], out);
    }

    private static boolean walk(List<Value> path, Value v, BuiltinRelation.Sink out) {
        if (!out.accept(ArrayValue.of(ArrayValue.of(path), v))) {
            return false;
        }
        if (v instanceof ArrayValue a) {
            for (int i = 0; i < a.size(); i++) {
                path.add(NumberValue.of(i));
                boolean go = walk(path, a.get(i), out);
                path.remove(path.size() - 1);
                if (!go) {
                    return false;
                }
            }
        } else if (v instanceof ObjectValue o) {
            for (Value k : o.keys()) {
                path.add(k);
                boolean go = walk(path, o.get(k), out);
                path.remove(path.size() - 1);
                if (!go) {
                    return false;
                }
            }
        } else if (v instanceof SetValue s) {
            for (Value e : s.elements()) {
                path.add(e);
                boolean go = walk(path, e, out);
                path.remove(path.size() - 1);
                if (!go) {
                    return false;
                }
            }
        }
        return true;
    }
}
