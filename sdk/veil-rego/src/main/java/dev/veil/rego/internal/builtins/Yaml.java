package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * {@code yaml.marshal}, {@code yaml.unmarshal} and {@code yaml.is_valid}, as OPA does them through
 * JSON ({@code sigs.k8s.io/yaml}): unmarshalling reads the first YAML document (SnakeYAML, safe
 * constructor, implicit types as go-yaml v2: dates stay strings, {@code 1e3} is a number, {@code y}
 * and {@code n} are booleans) with object keys turned into strings; marshalling writes
 * block YAML as go-yaml v2 does (sorted keys, sequences inside mappings not indented, strings that
 * would read back as another type double-quoted). Parse errors read like go-yaml's
 * ({@code yaml: line 1: did not find expected ',' or ']'}).
 */
public final class Yaml {
    private static final Resolver RESOLVER = new Resolver();
    private static final Resolver GO_RESOLVER = new GoResolver();

    /**
     * Implicit types as go-yaml v2 resolves them for {@code interface{}}: no timestamps (a date stays a
     * string), floats without a point ({@code 1e3}), no sexagesimal numbers, and {@code y}, {@code Y},
     * {@code n}, {@code N} booleans besides YAML 1.1's {@code yes}, {@code on}, {@code off}...
     */
    private static final class GoResolver extends Resolver {
        private static final Pattern BOOL = Pattern.compile(
                "^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$");
        private static final Pattern INT = Pattern.compile(
                "^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$");
        private static final Pattern FLOAT = Pattern.compile(
                "^(?:[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\\.(?:inf|Inf|INF)"
                        + "|\\.(?:nan|NaN|NAN))$");

        @Override
        protected void addImplicitResolvers() {
            addImplicitResolver(Tag.BOOL, BOOL, "yYnNtTfFoO");
            addImplicitResolver(Tag.INT, INT, "-+0123456789");
            addImplicitResolver(Tag.FLOAT, FLOAT, "-+0123456789.");
            addImplicitResolver(Tag.MERGE, MERGE, "<");
            addImplicitResolver(Tag.NULL, NULL, "~nN\0");
            addImplicitResolver(Tag.NULL, EMPTY, null);
        }
    }

    /** Every builtin of this topic. */
    public static final List<Builtin> ALL = List.of(
            Builtin.of("yaml.marshal", 1, (a, c) -> StringValue.of(marshal(a[0]))),
            Builtin.of("yaml.unmarshal", 1, (a, c) -> unmarshal(Operands.string("yaml.unmarshal", a[0], 1))),
            Builtin.of("yaml.is_valid", 1, (a, c) -> BooleanValue.of(a[0] instanceof StringValue s && isValid(s))));

    private Yaml() {
    }

    /**
     * A SnakeYAML instance that resolves implicit types as go-yaml does (no timestamps, {@code 1e3} a
     * number); also used for OPA's {@code # METADATA} annotations.
     */
    public static org.yaml.snakeyaml.Yaml goLoader() {
        return loader();
    }

    private static org.yaml.snakeyaml.Yaml loader() {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(50);
        options.setCodePointLimit(16 * 1024 * 1024);
        DumperOptions dumper = new DumperOptions();
        return new org.yaml.snakeyaml.Yaml(new GoConstructor(options), new Representer(dumper), dumper, options,
                new GoResolver());
    }

    /** SnakeYAML's safe constructor, with go-yaml v2's booleans ({@code y} and {@code n} too). */
    private static final class GoConstructor extends SafeConstructor {
        private static final Map<String, Boolean> BOOLEANS = Map.of("y", true, "yes", true, "true", true, "on", true,
                "n", false, "no", false, "false", false, "off", false);

        GoConstructor(LoaderOptions options) {
            super(options);
            yamlConstructors.put(Tag.BOOL, new AbstractConstruct() {
                @Override
                public Object construct(Node node) {
                    // an explicit !!bool of another word is null, as in SnakeYAML's own constructor
                    return BOOLEANS.get(constructScalar((ScalarNode) node).toLowerCase(Locale.ROOT));
                }
            });
        }
    }

    /** The first document as a value (null YAML, or no document, is null). */
    static Value unmarshal(String s) {
        try {
            Iterator<Object> docs = loader().loadAll(s).iterator();
            Object first = docs.hasNext() ? docs.next() : null;
            return Values.fromJava(stringKeys(first));
        } catch (MarkedYAMLException e) {
            throw new BuiltinError("yaml.unmarshal", goMessage(e));
        } catch (YAMLException | IllegalArgumentException | ClassCastException e) {
            throw new BuiltinError("yaml.unmarshal", "yaml: " + e.getMessage());
        }
    }

    private static boolean isValid(StringValue s) {
        try {
            unmarshal(s.value());
            return true;
        } catch (BuiltinError e) {
            return false;
        }
    }

    /** go-yaml's wording: {@code yaml: line N: did not find expected X}. */
    public static String goMessage(MarkedYAMLException e) {
        Mark mark = e.getContextMark() != null ? e.getContextMark() : e.getProblemMark();
        String problem = e.getProblem() == null ? "invalid YAML" : e.getProblem();
        int but = problem.indexOf(", but ");
        if (problem.startsWith("expected ") && but > 0) {
            problem = "did not find " + problem.substring(0, but);
        }
        return "yaml: line " + (mark == null ? 1 : mark.getLine() + 1) + ": " + problem;
    }

    /** Object keys as strings, as YAML-to-JSON conversion makes them. */
    private static Object stringKeys(Object o) {
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                Object k = e.getKey();
                String key = k instanceof String s ? s : k == null ? "null" : k.toString();
                out.put(key, stringKeys(e.getValue()));
            }
            return out;
        }
        if (o instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object x : l) {
                out.add(stringKeys(x));
            }
            return out;
        }
        if (o instanceof java.util.Set<?> set) {
            // YAML !!set: a mapping to nulls, which JSON sees as an object
            Map<String, Object> out = new LinkedHashMap<>();
            for (Object x : set) {
                out.put(String.valueOf(x), null);
            }
            return out;
        }
        if (o instanceof byte[] bytes) {
            return Encoding.encode(bytes, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                    .toCharArray(), true);
        }
        return o;
    }

    // ---------------------------------------------------------------- marshal

    /** Block YAML as go-yaml v2 writes it, ending with a newline. */
    static String marshal(Value v) {
        StringBuilder b = new StringBuilder();
        node(b, v, 0);
        return b.toString();
    }

    private static boolean isBlock(Value v) {
        return v instanceof ObjectValue o && !o.isEmpty() || v instanceof ArrayValue a && !a.isEmpty()
                || v instanceof SetValue s && !s.isEmpty();
    }

    private static List<Value> items(Value v) {
        return v instanceof ArrayValue a ? a.asList() : ((SetValue) v).elements();
    }

    /** Writes {@code v} at the current position (already indented); ends with a newline. */
    private static void node(StringBuilder b, Value v, int indent) {
        if (!isBlock(v)) {
            scalarLine(b, v, Math.max(indent, 2)); // a document's own block text is indented too
            return;
        }
        if (v instanceof ObjectValue o) {
            Map<String, Value> entries = new java.util.TreeMap<>(StringValue::compareCodePoints);
            for (Value k : o.keys()) {
                entries.putIfAbsent(k instanceof StringValue s ? s.value() : Values.toJson(k), o.get(k));
            }
            boolean first = true;
            for (Map.Entry<String, Value> e : entries.entrySet()) {
                if (!first) {
                    pad(b, indent);
                }
                first = false;
                b.append(string(e.getKey())).append(':');
                Value val = e.getValue();
                if (!isBlock(val)) {
                    b.append(' ');
                    scalarLine(b, val, indent + 2);
                } else if (val instanceof ObjectValue) {
                    b.append('\n');
                    pad(b, indent + 2);
                    node(b, val, indent + 2);
                } else {
                    b.append('\n');
                    pad(b, indent);
                    node(b, val, indent);
                }
            }
            return;
        }
        boolean first = true;
        for (Value item : items(v)) {
            if (!first) {
                pad(b, indent);
            }
            first = false;
            b.append("- ");
            node(b, item, indent + 2);
        }
    }

    /**
     * A scalar and its newline; a multi-line string as a literal block ({@code |-}, {@code |} or {@code |+}
     * by its trailing newlines) with its lines at {@code contentIndent}, as go-yaml v2 writes it.
     */
    private static void scalarLine(StringBuilder b, Value v, int contentIndent) {
        if (v instanceof StringValue sv && literal(sv.value())) {
            String str = sv.value();
            int end = str.length();
            while (end > 0 && str.charAt(end - 1) == '\n') {
                end--;
            }
            int trailing = str.length() - end;
            b.append(trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+").append('\n');
            String body = str.substring(0, end);
            for (String line : body.split("\n", -1)) {
                if (!line.isEmpty()) {
                    pad(b, contentIndent);
                    b.append(line);
                }
                b.append('\n');
            }
            for (int i = 1; i < trailing; i++) {
                b.append('\n');
            }
            return;
        }
        b.append(scalar(v)).append('\n');
    }

    /** Multi-line text that a literal block can carry as it is. */
    private static boolean literal(String s) {
        if (s.indexOf('\n') < 0 || s.startsWith(" ") || s.startsWith("\n") || s.startsWith("\t")) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\n' && c != '\t' || c == 0x7f || c == '\r' || c == '\u2028' || c == '\u2029'
                    || c == '\ufeff' || Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static void pad(StringBuilder b, int n) {
        for (int i = 0; i < n; i++) {
            b.append(' ');
        }
    }

    private static String scalar(Value v) {
        if (v instanceof NullValue) {
            return "null";
        }
        if (v instanceof BooleanValue || v instanceof NumberValue) {
            return v instanceof NumberValue n ? n.toJson() : v.toString();
        }
        if (v instanceof StringValue s) {
            return string(s.value());
        }
        return v instanceof ObjectValue ? "{}" : "[]";
    }

    /** Plain when it reads back as the same string, else double-quoted. */
    private static String string(String s) {
        if (plain(s)) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        Values.appendJsonString(b, s);
        return b.toString();
    }

    private static boolean plain(String s) {
        if (s.isEmpty() || s.charAt(0) == ' ' || s.charAt(s.length() - 1) == ' ') {
            return false;
        }
        if ("-?:,[]{}#&*!|>'\"%@`".indexOf(s.charAt(0)) >= 0) {
            return false;
        }
        if (s.contains(": ") || s.contains(" #") || s.endsWith(":") || s.matches("[yYnN]")) {
            // go-yaml v2 also reads y, Y, n and N as booleans
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' || c == '\ufeff') {
                return false;
            }
        }
        return RESOLVER.resolve(NodeId.scalar, s, true).equals(Tag.STR)
                && GO_RESOLVER.resolve(NodeId.scalar, s, true).equals(Tag.STR);
    }
}
