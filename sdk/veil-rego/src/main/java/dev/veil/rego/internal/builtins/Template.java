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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code strings.render_template}: the commonly used part of Go's {@code text/template} over Rego values: text,
 * {@code {{.a.b}}}, {@code {{.}}}, {@code {{$}}}, variables, {@code if}/{@code else if}/{@code else},
 * {@code range} (with {@code $i, $v :=}), {@code with}, comments, trim markers {@code {{- -}}}, string, number
 * and boolean literals, and the functions {@code eq ne lt le gt ge and or not len index}. A missing key prints
 * {@code <undefined>} as OPA does.
 */
final class Template {
    private static final String NAME = "strings.render_template";
    private static final Object UNDEFINED = new Object();

    private Template() {
    }

    static Value render(Value[] a, BuiltinContext ctx) {
        String tpl = Operands.string(NAME, a, 1);
        if (!(a[1] instanceof ObjectValue vars)) {
            throw Operands.typeError(NAME, 2, a[1], "object");
        }
        List<Node> nodes = new Parser(tpl).parseList(true);
        StringBuilder out = new StringBuilder();
        Map<String, Value> scope = new HashMap<>();
        scope.put("$", vars);
        exec(nodes, vars, scope, out);
        return StringValue.of(out.toString());
    }

    // ------------------------------------------------------------------ AST

    private sealed interface Node permits Text, Action, If, Range, With {
    }

    private record Text(String text) implements Node {
    }

    /** A pipeline: optional variable declarations, then one command (function or operand). */
    private record Pipe(List<String> decls, List<String> words) {
    }

    private record Action(Pipe pipe) implements Node {
    }

    private record If(Pipe cond, List<Node> then, List<Node> otherwise) implements Node {
    }

    private record Range(Pipe pipe, List<Node> body, List<Node> otherwise) implements Node {
    }

    private record With(Pipe pipe, List<Node> body, List<Node> otherwise) implements Node {
    }

    private static BuiltinError fail(String reason) {
        return new BuiltinError(NAME, "template: " + reason);
    }

    private static final class Parser {
        private final String s;
        private int pos;
        private String endKeyword;
        private String elseTail;

        Parser(String s) {
            this.s = s;
        }

        List<Node> parseList(boolean top) {
            List<Node> nodes = new ArrayList<>();
            while (pos < s.length()) {
                int open = s.indexOf("{{", pos);
                String text = open < 0 ? s.substring(pos) : s.substring(pos, open);
                if (open >= 0 && s.startsWith("{{-", open) && open + 3 < s.length()
                        && Strings.isGoSpace(s.charAt(open + 3))) {
                    text = stripTrailingSpace(text);
                }
                if (!text.isEmpty()) {
                    nodes.add(new Text(text));
                }
                if (open < 0) {
                    pos = s.length();
                    break;
                }
                int start = open + 2;
                if (s.startsWith("-", start) && start + 1 < s.length() && Strings.isGoSpace(s.charAt(start + 1))) {
                    start++;
                }
                int close = findClose(start);
                if (close < 0) {
                    throw fail("unclosed action");
                }
                int endInner = close;
                boolean trimRight = false;
                if (close >= 2 && s.charAt(close - 1) == '-' && Strings.isGoSpace(s.charAt(close - 2))) {
                    endInner = close - 1;
                    trimRight = true;
                }
                String inner = s.substring(start, endInner).trim();
                pos = close + 2;
                if (trimRight) {
                    while (pos < s.length() && Strings.isGoSpace(s.charAt(pos))) {
                        pos++;
                    }
                }
                if (inner.startsWith("/*")) {
                    continue;
                }
                List<String> words = tokenize(inner);
                if (words.isEmpty()) {
                    throw fail("missing value for command");
                }
                String kw = words.get(0);
                switch (kw) {
                    case "end", "else" -> {
                        if (top) {
                            throw fail("unexpected {{" + kw + "}}");
                        }
                        endKeyword = kw;
                        elseTail = kw.equals("else") ? inner.substring(4).trim() : null;
                        return nodes;
                    }
                    case "if", "range", "with" -> nodes.add(block(kw, pipe(words.subList(1, words.size()))));
                    default -> nodes.add(new Action(pipe(words)));
                }
            }
            if (!top) {
                throw fail("unexpected EOF");
            }
            return nodes;
        }

        private static String stripTrailingSpace(String t) {
            int e = t.length();
            while (e > 0 && Strings.isGoSpace(t.charAt(e - 1))) {
                e--;
            }
            return t.substring(0, e);
        }

        private Node block(String kw, Pipe p) {
            List<Node> body = parseList(false);
            List<Node> otherwise = List.of();
            if ("else".equals(endKeyword)) {
                String tail = elseTail;
                if (tail != null && tail.startsWith("if ") && kw.equals("if")) {
                    Pipe cond = pipe(tokenize(tail.substring(3)));
                    otherwise = List.of(block("if", cond));
                } else {
                    otherwise = parseList(false);
                    if (!"end".equals(endKeyword)) {
                        throw fail("expected end; found else");
                    }
                }
            }
            return switch (kw) {
                case "if" -> new If(p, body, otherwise);
                case "range" -> new Range(p, body, otherwise);
                default -> new With(p, body, otherwise);
            };
        }

        private int findClose(int from) {
            boolean inStr = false;
            char q = 0;
            for (int i = from; i < s.length() - 1; i++) {
                char c = s.charAt(i);
                if (inStr) {
                    if (c == '\\' && q == '"') {
                        i++;
                    } else if (c == q) {
                        inStr = false;
                    }
                } else if (c == '"' || c == '`') {
                    inStr = true;
                    q = c;
                } else if (c == '}' && s.charAt(i + 1) == '}') {
                    return i;
                }
            }
            return -1;
        }

        private static Pipe pipe(List<String> words) {
            List<String> decls = new ArrayList<>();
            int i = 0;
            int assign = words.indexOf(":=");
            if (assign < 0) {
                assign = words.indexOf("=");
            }
            if (assign > 0) {
                for (; i < assign; i++) {
                    String w = words.get(i);
                    if (!w.equals(",")) {
                        decls.add(w);
                    }
                }
                i = assign + 1;
            }
            return new Pipe(decls, new ArrayList<>(words.subList(i, words.size())));
        }

        private static List<String> tokenize(String in) {
            List<String> out = new ArrayList<>();
            int i = 0;
            while (i < in.length()) {
                char c = in.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                } else if (c == '"' || c == '`') {
                    int j = i + 1;
                    while (j < in.length() && in.charAt(j) != c) {
                        if (c == '"' && in.charAt(j) == '\\') {
                            j++;
                        }
                        j++;
                    }
                    out.add(in.substring(i, Math.min(j + 1, in.length())));
                    i = j + 1;
                } else if (c == ',') {
                    out.add(",");
                    i++;
                } else if (c == '(' || c == ')' || c == '|') {
                    throw fail("parentheses and pipes are not supported in strings.render_template");
                } else {
                    int j = i;
                    while (j < in.length() && !Character.isWhitespace(in.charAt(j)) && in.charAt(j) != ',') {
                        j++;
                    }
                    out.add(in.substring(i, j));
                    i = j;
                }
            }
            return out;
        }
    }

    // ------------------------------------------------------------------ execution

    private static void exec(List<Node> nodes, Value dot, Map<String, Value> scope, StringBuilder out) {
        for (Node n : nodes) {
            if (n instanceof Text t) {
                out.append(t.text());
            } else if (n instanceof Action act) {
                Object v = eval(act.pipe(), dot, scope);
                if (act.pipe().decls().isEmpty()) {
                    print(v, out);
                }
            } else if (n instanceof If i) {
                Object v = eval(i.cond(), dot, scope);
                exec(truth(v) ? i.then() : i.otherwise(), dot, scope, out);
            } else if (n instanceof With w) {
                Object v = eval(w.pipe(), dot, scope);
                if (truth(v)) {
                    exec(w.body(), (Value) v, scope, out);
                } else {
                    exec(w.otherwise(), dot, scope, out);
                }
            } else if (n instanceof Range r) {
                Object v = evalWords(r.pipe().words(), dot, scope);
                List<Value[]> items = new ArrayList<>();
                if (v instanceof ArrayValue arr) {
                    for (int k = 0; k < arr.size(); k++) {
                        items.add(new Value[] {NumberValue.of(k), arr.get(k)});
                    }
                } else if (v instanceof SetValue set) {
                    int k = 0;
                    for (Value e : set.elements()) {
                        items.add(new Value[] {NumberValue.of(k++), e});
                    }
                } else if (v instanceof ObjectValue obj) {
                    for (Value key : obj.keys()) {
                        items.add(new Value[] {key, obj.get(key)});
                    }
                } else if (v instanceof NumberValue num && num.isLong()) {
                    for (long k = 0; k < num.longValueExact(); k++) {
                        items.add(new Value[] {NumberValue.of(k), NumberValue.of(k)});
                    }
                } else if (v != UNDEFINED && !(v instanceof NullValue)) {
                    throw fail("range can't iterate over " + v);
                }
                if (items.isEmpty()) {
                    exec(r.otherwise(), dot, scope, out);
                }
                List<String> decls = r.pipe().decls();
                for (Value[] item : items) {
                    Map<String, Value> inner = new HashMap<>(scope);
                    if (decls.size() == 1) {
                        inner.put(decls.get(0), item[1]);
                    } else if (decls.size() >= 2) {
                        inner.put(decls.get(0), item[0]);
                        inner.put(decls.get(1), item[1]);
                    }
                    exec(r.body(), item[1], inner, out);
                }
            }
        }
    }

    private static Object eval(Pipe p, Value dot, Map<String, Value> scope) {
        Object v = evalWords(p.words(), dot, scope);
        for (String d : p.decls()) {
            scope.put(d, v instanceof Value val ? val : NullValue.NULL);
        }
        return v;
    }

    private static Object evalWords(List<String> words, Value dot, Map<String, Value> scope) {
        if (words.isEmpty()) {
            throw fail("missing value for command");
        }
        String first = words.get(0);
        List<Object> args = new ArrayList<>();
        for (int i = 1; i < words.size(); i++) {
            args.add(operand(words.get(i), dot, scope));
        }
        switch (first) {
            case "eq", "ne", "lt", "le", "gt", "ge" -> {
                if (args.size() < 2) {
                    throw fail("wrong number of args for " + first);
                }
                Value x = val(args.get(0));
                boolean r = false;
                for (int i = 1; i < args.size(); i++) {
                    int c = x.compareTo(val(args.get(i)));
                    r = switch (first) {
                        case "eq" -> c == 0;
                        case "ne" -> c != 0;
                        case "lt" -> c < 0;
                        case "le" -> c <= 0;
                        case "gt" -> c > 0;
                        default -> c >= 0;
                    };
                    if (first.equals("eq") ? r : true) {
                        break;
                    }
                }
                return BooleanValue.of(r);
            }
            case "not" -> {
                return BooleanValue.of(!truth(args.get(0)));
            }
            case "and" -> {
                Object last = null;
                for (Object o : args) {
                    last = o;
                    if (!truth(o)) {
                        return o;
                    }
                }
                return last;
            }
            case "or" -> {
                Object last = null;
                for (Object o : args) {
                    last = o;
                    if (truth(o)) {
                        return o;
                    }
                }
                return last;
            }
            case "len" -> {
                Value x = val(args.get(0));
                if (x instanceof StringValue s) {
                    return NumberValue.of(s.value().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
                }
                if (x instanceof ArrayValue arr) {
                    return NumberValue.of(arr.size());
                }
                if (x instanceof ObjectValue o) {
                    return NumberValue.of(o.size());
                }
                if (x instanceof SetValue st) {
                    return NumberValue.of(st.size());
                }
                throw fail("len of " + x);
            }
            case "index" -> {
                Object x = args.get(0);
                for (int i = 1; i < args.size() && x != UNDEFINED; i++) {
                    x = get(val(x), val(args.get(i)));
                }
                return x;
            }
            default -> {
                if (words.size() > 1) {
                    throw fail("function \"" + first + "\" not defined");
                }
                return operand(first, dot, scope);
            }
        }
    }

    private static Value val(Object o) {
        return o instanceof Value v ? v : NullValue.NULL;
    }

    private static Object get(Value x, Value key) {
        if (x instanceof ObjectValue o) {
            Value v = o.get(key);
            return v == null ? UNDEFINED : v;
        }
        if (x instanceof ArrayValue a && key instanceof NumberValue n && n.isLong()) {
            long i = n.longValueExact();
            return i >= 0 && i < a.size() ? a.get((int) i) : UNDEFINED;
        }
        return UNDEFINED;
    }

    private static Object operand(String w, Value dot, Map<String, Value> scope) {
        if (w.equals(".")) {
            return dot;
        }
        if (w.startsWith("\"") || w.startsWith("`")) {
            String body = w.substring(1, Math.max(1, w.length() - 1));
            if (w.startsWith("\"")) {
                body = body.replace("\\\"", "\"").replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\");
            }
            return StringValue.of(body);
        }
        if (w.equals("true") || w.equals("false")) {
            return BooleanValue.of(w.equals("true"));
        }
        if (w.equals("nil")) {
            return NullValue.NULL;
        }
        if (!w.isEmpty() && (Character.isDigit(w.charAt(0)) || w.charAt(0) == '-')) {
            try {
                return NumberValue.parse(w);
            } catch (NumberFormatException e) {
                throw fail("bad number syntax: \"" + w + "\"");
            }
        }
        Object base;
        String rest;
        if (w.startsWith("$")) {
            int dotAt = w.indexOf('.');
            String var = dotAt < 0 ? w : w.substring(0, dotAt);
            Value v = scope.get(var);
            if (v == null) {
                throw fail("undefined variable \"" + var + "\"");
            }
            base = v;
            rest = dotAt < 0 ? "" : w.substring(dotAt);
        } else if (w.startsWith(".")) {
            base = dot;
            rest = w;
        } else {
            throw fail("function \"" + w + "\" not defined");
        }
        for (String field : rest.split("\\.")) {
            if (field.isEmpty()) {
                continue;
            }
            if (base == UNDEFINED) {
                return UNDEFINED;
            }
            base = get((Value) base, StringValue.of(field));
        }
        return base;
    }

    private static boolean truth(Object o) {
        if (o == UNDEFINED || o instanceof NullValue) {
            return false;
        }
        if (o instanceof BooleanValue b) {
            return b.value();
        }
        if (o instanceof NumberValue n) {
            return n.signum() != 0;
        }
        if (o instanceof StringValue s) {
            return !s.value().isEmpty();
        }
        if (o instanceof ArrayValue a) {
            return a.size() > 0;
        }
        if (o instanceof ObjectValue ob) {
            return ob.size() > 0;
        }
        if (o instanceof SetValue st) {
            return st.size() > 0;
        }
        return true;
    }

    /** Prints as Go's {@code fmt} prints the JSON-decoded value OPA hands to text/template. */
    private static void print(Object v, StringBuilder out) {
        if (v == UNDEFINED) {
            out.append("<undefined>");
        } else {
            goValue((Value) v, out);
        }
    }

    private static void goValue(Value v, StringBuilder out) {
        if (v instanceof StringValue s) {
            out.append(s.value());
        } else if (v instanceof NumberValue n) {
            out.append(n.toJson());
        } else if (v instanceof NullValue) {
            out.append("<nil>");
        } else if (v instanceof BooleanValue b) {
            out.append(b.value());
        } else if (v instanceof ArrayValue || v instanceof SetValue) {
            List<Value> elems = v instanceof ArrayValue a ? a.asList() : ((SetValue) v).elements();
            out.append('[');
            for (int i = 0; i < elems.size(); i++) {
                if (i > 0) {
                    out.append(' ');
                }
                goValue(elems.get(i), out);
            }
            out.append(']');
        } else {
            ObjectValue o = (ObjectValue) v;
            out.append("map[");
            boolean first = true;
            for (Value k : o.keys()) {
                if (!first) {
                    out.append(' ');
                }
                first = false;
                goValue(k, out);
                out.append(':');
                goValue(o.get(k), out);
            }
            out.append(']');
        }
    }
}
