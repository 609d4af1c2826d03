package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code json.patch}: RFC 6902 operations ({@code add}, {@code remove}, {@code replace}, {@code move},
 * {@code copy}, {@code test}) applied in order to an immutable value, as OPA's edit tree does. Paths
 * are JSON pointers or arrays of segments; {@code -} appends to an array; a set member is addressed
 * by its value. Any operation that cannot be applied makes the whole call undefined (null), as OPA.
 */
final class JsonPatch {
    private static final StringValue OP = StringValue.of("op");
    private static final StringValue PATH = StringValue.of("path");
    private static final StringValue FROM = StringValue.of("from");
    private static final StringValue VALUE = StringValue.of("value");

    /** Signals an operation that cannot be applied; no stack trace. */
    private static final class Failed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Failed() {
            super(null, null, false, false);
        }
    }

    private JsonPatch() {
    }

    static Value apply(Value doc, ArrayValue operations) {
        try {
            for (Value opv : operations.asList()) {
                doc = applyOne(doc, opv);
            }
            return doc;
        } catch (Failed | RegoTypeError e) {
            return null;
        }
    }

    private static Value attr(ObjectValue o, StringValue name) {
        Value v = o.get(name);
        if (v == null) {
            throw new Failed();
        }
        return v;
    }

    private static Value applyOne(Value doc, Value opv) {
        if (!(opv instanceof ObjectValue o) || !(attr(o, OP) instanceof StringValue op)) {
            throw new Failed();
        }
        String name = op.value();
        if (!List.of("add", "remove", "replace", "move", "copy", "test").contains(name)) {
            throw new Failed();
        }
        List<Value> path = ObjectBuiltins.parsePath("json.patch", attr(o, PATH));
        switch (name) {
            case "add":
                return insert(doc, path, 0, attr(o, VALUE));
            case "remove":
                return delete(doc, path, 0);
            case "replace":
                if (path.isEmpty()) {
                    return attr(o, VALUE); // the whole document
                }
                return insert(delete(doc, path, 0), path, 0, attr(o, VALUE));
            case "move": {
                List<Value> from = ObjectBuiltins.parsePath("json.patch", attr(o, FROM));
                Value chunk = render(doc, from);
                return insert(delete(doc, from, 0), path, 0, chunk);
            }
            case "copy": {
                List<Value> from = ObjectBuiltins.parsePath("json.patch", attr(o, FROM));
                return insert(doc, path, 0, render(doc, from));
            }
            default: {
                Value want = attr(o, VALUE);
                if (!render(doc, path).equals(want)) {
                    throw new Failed();
                }
                return doc;
            }
        }
    }

    private static Value render(Value doc, List<Value> path) {
        Value v = doc;
        for (Value k : path) {
            v = child(v, k);
        }
        return v;
    }

    private static Value child(Value node, Value key) {
        Value c = null;
        if (node instanceof ObjectValue o) {
            c = o.get(key);
        } else if (node instanceof ArrayValue a) {
            int i = index(key, a.size() - 1);
            c = a.get(i);
        } else if (node instanceof SetValue s && s.contains(key)) {
            c = key;
        }
        if (c == null) {
            throw new Failed();
        }
        return c;
    }

    /** An array index from a number or a decimal string, in [0, max]. */
    private static int index(Value key, int max) {
        long i;
        if (key instanceof NumberValue n && n.isLong()) {
            i = n.longValueExact();
        } else if (key instanceof StringValue s && !s.value().isEmpty() && s.value().length() < 10
                && s.value().chars().allMatch(ch -> ch >= '0' && ch <= '9')
                && (s.value().length() == 1 || s.value().charAt(0) != '0')) { // RFC 6901: no leading zeros
            i = Long.parseLong(s.value());
        } else {
            throw new Failed();
        }
        if (i < 0 || i > max) {
            throw new Failed();
        }
        return (int) i;
    }

    private static Value insert(Value node, List<Value> path, int i, Value value) {
        if (i == path.size()) {
            return value;
        }
        Value key = path.get(i);
        boolean last = i == path.size() - 1;
        if (node instanceof ObjectValue o) {
            Value next = last ? value : insert(child(o, key), path, i + 1, value);
            return with(o, key, next);
        }
        if (node instanceof ArrayValue a) {
            List<Value> l = new ArrayList<>(a.asList());
            if (last) {
                if (key instanceof StringValue s && s.value().equals("-")) {
                    l.add(value);
                } else {
                    l.add(index(key, a.size()), value);
                }
            } else {
                int at = index(key, a.size() - 1);
                l.set(at, insert(a.get(at), path, i + 1, value));
            }
            return ArrayValue.of(l);
        }
        if (node instanceof SetValue s) {
            if (!last) {
                Value c = child(s, key);
                SetValue.Builder b = SetValue.builder();
                for (Value e : s.elements()) {
                    b.add(e.equals(c) ? insert(c, path, i + 1, value) : e);
                }
                return b.build();
            }
            SetValue.Builder b = SetValue.builder();
            s.elements().forEach(b::add);
            b.add(value);
            return b.build();
        }
        throw new Failed();
    }

    private static Value delete(Value node, List<Value> path, int i) {
        if (path.isEmpty()) {
            throw new Failed();
        }
        Value key = path.get(i);
        boolean last = i == path.size() - 1;
        if (node instanceof ObjectValue o) {
            Value c = child(o, key);
            ObjectValue.Builder b = ObjectValue.builder();
            for (Value k : o.keys()) {
                if (!k.equals(key)) {
                    b.put(k, o.get(k));
                } else if (!last) {
                    b.put(k, delete(c, path, i + 1));
                }
            }
            return b.build();
        }
        if (node instanceof ArrayValue a) {
            int at = index(key, a.size() - 1);
            List<Value> l = new ArrayList<>(a.asList());
            if (last) {
                l.remove(at);
            } else {
                l.set(at, delete(a.get(at), path, i + 1));
            }
            return ArrayValue.of(l);
        }
        if (node instanceof SetValue s) {
            Value c = child(s, key);
            SetValue.Builder b = SetValue.builder();
            for (Value e : s.elements()) {
                if (!e.equals(c)) {
                    b.add(e);
                } else if (!last) {
                    b.add(delete(c, path, i + 1));
                }
            }
            return b.build();
        }
        throw new Failed();
    }

    private static ObjectValue with(ObjectValue o, Value key, Value value) {
        ObjectValue.Builder b = ObjectValue.builder();
        for (Value k : o.keys()) {
            if (!k.equals(key)) {
                b.put(k, o.get(k));
            }
        }
        b.put(key, value);
        return b.build();
    }
}
