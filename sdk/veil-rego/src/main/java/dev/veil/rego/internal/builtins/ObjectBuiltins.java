package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Object builtins as OPA's {@code topdown/object.go}, {@code subset.go} and {@code json.go}:
 * {@code object.get} (a key, or a path array), {@code object.remove}, {@code object.union},
 * {@code object.union_n}, {@code object.filter}, {@code object.keys}, {@code object.subset},
 * {@code json.filter}, {@code json.remove} and {@code json.patch} (RFC 6902; a patch that cannot be
 * applied makes the call undefined, as in OPA).
 */
public final class ObjectBuiltins {
    /** Every builtin of this topic. */
    public static final List<Builtin> ALL = List.of(
            Builtin.of("object.get", 3, (a, c) -> get(a)),
            Builtin.of("object.remove", 2, (a, c) -> remove(a)),
            Builtin.of("object.union", 2, (a, c) -> union(Operands.object("object.union", a[0], 1),
                    Operands.object("object.union", a[1], 2))),
            Builtin.of("object.union_n", 1, (a, c) -> unionN(a[0])),
            Builtin.of("object.filter", 2, (a, c) -> filter(a)),
            Builtin.of("object.keys", 1, (a, c) -> SetValue.of(Operands.object("object.keys", a[0], 1).keys())),
            Builtin.of("object.subset", 2, (a, c) -> subset(a[0], a[1])),
            Builtin.of("json.filter", 2, (a, c) -> jsonFilter(a)),
            Builtin.of("json.remove", 2, (a, c) -> jsonRemove(a)),
            Builtin.of("json.patch", 2, (a, c) -> JsonPatch.apply(a[0], Operands.array("json.patch", a[1], 2))));

    private ObjectBuiltins() {
    }

    // ---------------------------------------------------------------- object.get

    private static Value get(Value[] a) {
        ObjectValue obj = Operands.object("object.get", a[0], 1);
        if (!(a[1] instanceof ArrayValue path)) {
            Value v = obj.get(a[1]);
            return v != null ? v : a[2];
        }
        Value v = find(obj, path.asList(), 0);
        return v != null ? v : a[2];
    }

    /** OPA's {@code Value.Find}: follows a path of keys, indices and set members; null when absent. */
    static Value find(Value v, List<Value> path, int from) {
        for (int i = from; i < path.size(); i++) {
            Value k = path.get(i);
            if (v instanceof ObjectValue o) {
                v = o.get(k);
            } else if (v instanceof ArrayValue arr) {
                v = isIntLiteral(k) ? index(arr, ((NumberValue) k).longValueExact()) : null;
            } else if (v instanceof SetValue s) {
                v = s.contains(k) ? k : null;
            } else {
                return null;
            }
            if (v == null) {
                return null;
            }
        }
        return v;
    }

    private static boolean isIntLiteral(Value k) {
        if (!(k instanceof NumberValue n) || !n.isLong()) {
            return false;
        }
        String t = n.text();
        return t == null || t.chars().allMatch(ch -> ch == '-' || ch >= '0' && ch <= '9');
    }

    private static Value index(ArrayValue arr, long i) {
        return i >= 0 && i < arr.size() ? arr.get((int) i) : null;
    }

    // ---------------------------------------------------------------- remove, filter, keys

    /** OPA's getObjectKeysParam: the keys of an array, set or object operand 2. */
    private static SetValue keysParam(String name, Value v) {
        if (v instanceof ArrayValue arr) {
            return SetValue.of(arr.asList());
        }
        if (v instanceof SetValue s) {
            return s;
        }
        if (v instanceof ObjectValue o) {
            return SetValue.of(o.keys());
        }
        throw RegoTypeError.operand(2, v, "object", "set", "array").withBuiltin(name);
    }

    private static Value remove(Value[] a) {
        ObjectValue obj = Operands.object("object.remove", a[0], 1);
        SetValue keys = keysParam("object.remove", a[1]);
        ObjectValue.Builder b = ObjectValue.builder();
        for (Value k : obj.keys()) {
            if (!keys.contains(k)) {
                b.put(k, obj.get(k));
            }
        }
        return b.build();
    }

    private static Value filter(Value[] a) {
        ObjectValue obj = Operands.object("object.filter", a[0], 1);
        SetValue keys = keysParam("object.filter", a[1]);
        ObjectValue.Builder b = ObjectValue.builder();
        for (Value k : keys.elements()) {
            Value v = obj.get(k);
            if (v != null) {
                b.put(k, v);
            }
        }
        return b.build();
    }

    // ---------------------------------------------------------------- union

    /** Recursive merge, {@code b} winning where the two do not both hold objects. */
    static ObjectValue union(ObjectValue a, ObjectValue b) {
        if (a.equals(b)) {
            return a;
        }
        ObjectValue.Builder out = ObjectValue.builder();
        for (Value k : a.keys()) {
            Value va = a.get(k);
            Value vb = b.get(k);
            if (vb == null) {
                out.put(k, va);
            } else if (va instanceof ObjectValue oa && vb instanceof ObjectValue ob) {
                out.put(k, union(oa, ob));
            } else {
                out.put(k, vb);
            }
        }
        for (Value k : b.keys()) {
            if (a.get(k) == null) {
                out.put(k, b.get(k));
            }
        }
        return out.build();
    }

    private static Value unionN(Value v) {
        ArrayValue arr = Operands.array("object.union_n", v, 1);
        ObjectValue result = ObjectValue.EMPTY;
        for (Value e : arr.asList()) {
            if (!(e instanceof ObjectValue o)) {
                throw RegoTypeError.operandElement(1, arr, e, "object").withBuiltin("object.union_n");
            }
        }
        for (Value e : arr.asList()) {
            result = union(result, (ObjectValue) e);
        }
        return result;
    }

    // ---------------------------------------------------------------- subset

    private static Value subset(Value sup, Value sub) {
        if (sup instanceof ObjectValue a && sub instanceof ObjectValue b) {
            return BooleanValue.of(objectSubset(a, b));
        }
        if (sup instanceof SetValue a && sub instanceof SetValue b) {
            return BooleanValue.of(setSubset(a, b));
        }
        if (sup instanceof ArrayValue a && sub instanceof ArrayValue b) {
            return BooleanValue.of(arraySubset(a, b));
        }
        if (sup instanceof ArrayValue a && sub instanceof SetValue b) {
            return BooleanValue.of(arraySetSubset(a, b));
        }
        throw new RegoTypeError("object.subset",
                "both arguments object.subset must be of the same type or array and set");
    }

    private static boolean objectSubset(ObjectValue sup, ObjectValue sub) {
        for (Value k : sub.keys()) {
            Value a = sup.get(k);
            Value b = sub.get(k);
            if (a == null) {
                return false;
            }
            if (a.equals(b)) {
                continue;
            }
            boolean ok;
            if (a instanceof ObjectValue oa && b instanceof ObjectValue ob) {
                ok = objectSubset(oa, ob);
            } else if (a instanceof SetValue sa && b instanceof SetValue sb) {
                ok = setSubset(sa, sb);
            } else if (a instanceof ArrayValue aa && b instanceof ArrayValue ab) {
                ok = arraySubset(aa, ab);
            } else {
                ok = false;
            }
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean setSubset(SetValue sup, SetValue sub) {
        for (Value e : sub.elements()) {
            if (!sup.contains(e)) {
                return false;
            }
        }
        return true;
    }

    /** The whole of {@code sub} appears contiguously in {@code sup}. */
    private static boolean arraySubset(ArrayValue sup, ArrayValue sub) {
        if (sub.size() > sup.size()) {
            return false;
        }
        for (int start = 0; start + sub.size() <= sup.size(); start++) {
            int i = 0;
            while (i < sub.size() && sup.get(start + i).compareTo(sub.get(i)) == 0) {
                i++;
            }
            if (i == sub.size()) {
                return true;
            }
        }
        return false;
    }

    /** Every set member appears in the array (false for an empty array, as OPA's loop gives). */
    private static boolean arraySetSubset(ArrayValue sup, SetValue sub) {
        int unmatched = sub.size();
        for (int i = 0; i < sup.size(); i++) {
            if (sub.contains(sup.get(i))) {
                unmatched--;
            }
            if (unmatched <= 0) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- json.filter, json.remove

    private static List<List<Value>> jsonPaths(String name, Value v) {
        List<Value> items;
        if (v instanceof ArrayValue arr) {
            items = arr.asList();
        } else if (v instanceof SetValue s) {
            items = s.elements();
        } else {
            throw RegoTypeError.operand(2, v, "set", "array").withBuiltin(name);
        }
        List<List<Value>> paths = new ArrayList<>(items.size());
        for (Value p : items) {
            paths.add(parsePath(name, p));
        }
        return paths;
    }

    /** A JSON pointer string ({@code /a/b~1c}) or an array of segments. */
    static List<Value> parsePath(String name, Value p) {
        if (p instanceof StringValue s) {
            List<Value> segs = new ArrayList<>();
            if (s.value().isEmpty()) {
                return segs;
            }
            String trimmed = s.value().replaceFirst("^/+", "");
            for (String part : trimmed.split("/", -1)) {
                segs.add(StringValue.of(part.replace("~1", "/").replace("~0", "~")));
            }
            return segs;
        }
        if (p instanceof ArrayValue arr) {
            return arr.asList();
        }
        throw RegoTypeError.operandDetail(2, "must be one of {set, array} containing string paths or array of path "
                + "segments but got " + p.typeName()).withBuiltin(name);
    }

    /** OPA's pathsToObject: a tree of objects whose leaves are null. */
    private static ObjectValue pathsToObject(List<List<Value>> paths) {
        Node root = new Node();
        for (List<Value> path : paths) {
            if (path.isEmpty()) {
                continue;
            }
            Node node = root;
            boolean done = false;
            for (int i = 0; i < path.size() - 1 && !done; i++) {
                Value k = path.get(i);
                if (!node.children.containsKey(k)) {
                    Node child = new Node();
                    node.children.put(k, child);
                    node = child;
                } else if (node.children.get(k) == null) {
                    done = true;
                } else {
                    node = node.children.get(k);
                }
            }
            if (!done) {
                node.children.put(path.get(path.size() - 1), null);
            }
        }
        return root.toValue();
    }

    private static final class Node {
        final java.util.LinkedHashMap<Value, Node> children = new java.util.LinkedHashMap<>();

        ObjectValue toValue() {
            ObjectValue.Builder b = ObjectValue.builder();
            children.forEach((k, n) -> b.put(k, n == null ? NullValue.NULL : n.toValue()));
            return b.build();
        }
    }

    private static Value jsonFilter(Value[] a) {
        ObjectValue obj = Operands.object("json.filter", a[0], 1);
        return filterValue(obj, pathsToObject(jsonPaths("json.filter", a[1])));
    }

    /** OPA's filterObject: keeps what the filter tree names; a null leaf keeps the whole value. */
    private static Value filterValue(Value v, Value filter) {
        if (filter instanceof NullValue) {
            return v;
        }
        ObjectValue f = (ObjectValue) filter;
        if (v instanceof ArrayValue arr) {
            List<Value> out = new ArrayList<>();
            for (int i = 0; i < arr.size(); i++) {
                Value sub = f.get(StringValue.of(Integer.toString(i)));
                if (sub != null) {
                    out.add(filterValue(arr.get(i), sub));
                }
            }
            return ArrayValue.of(out);
        }
        if (v instanceof SetValue s) {
            SetValue.Builder b = SetValue.builder();
            for (Value e : s.elements()) {
                Value sub = f.get(e);
                if (sub != null) {
                    b.add(filterValue(e, sub));
                }
            }
            return b.build();
        }
        if (v instanceof ObjectValue o) {
            ObjectValue.Builder b = ObjectValue.builder();
            for (Value k : o.keys()) {
                Value sub = f.get(k);
                if (sub != null) {
                    b.put(k, filterValue(o.get(k), sub));
                }
            }
            return b.build();
        }
        return v;
    }

    private static Value jsonRemove(Value[] a) {
        Operands.object("json.remove", a[0], 1);
        return removeValue(a[0], pathsToObject(jsonPaths("json.remove", a[1])));
    }

    /** OPA's jsonRemove: drops what the removal tree's null leaves name; null means "removed". */
    private static Value removeValue(Value v, Value b) {
        if (b == null) {
            return v;
        }
        if (b instanceof NullValue) {
            return null;
        }
        if (!(b instanceof ObjectValue bo)) {
            return v;
        }
        if (v instanceof ObjectValue o) {
            ObjectValue.Builder out = ObjectValue.builder();
            for (Value k : o.keys()) {
                Value r = removeValue(o.get(k), bo.get(k));
                if (r != null) {
                    out.put(k, r);
                }
            }
            return out.build();
        }
        if (v instanceof SetValue s) {
            SetValue.Builder out = SetValue.builder();
            for (Value e : s.elements()) {
                Value r = removeValue(e, bo.get(e));
                if (r != null) {
                    out.add(r);
                }
            }
            return out.build();
        }
        if (v instanceof ArrayValue arr) {
            List<Value> out = new ArrayList<>();
            for (int i = 0; i < arr.size(); i++) {
                Value r = removeValue(arr.get(i), bo.get(StringValue.of(Integer.toString(i))));
                if (r != null) {
                    out.add(r);
                }
            }
            return ArrayValue.of(out);
        }
        return v;
    }
}
