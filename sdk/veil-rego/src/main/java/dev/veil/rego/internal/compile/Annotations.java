package dev.veil.rego.internal.compile;

import dev.veil.rego.RegoError;
import dev.veil.rego.internal.ast.Comment;
import dev.veil.rego.internal.ast.Import;
import dev.veil.rego.internal.ast.Location;
import dev.veil.rego.internal.ast.Module;
import dev.veil.rego.internal.ast.Node;
import dev.veil.rego.internal.ast.Package;
import dev.veil.rego.internal.ast.Ref;
import dev.veil.rego.internal.ast.Rule;
import dev.veil.rego.internal.ast.Scalar;
import dev.veil.rego.internal.ast.Term;
import dev.veil.rego.internal.ast.Var;
import dev.veil.rego.internal.builtins.Yaml;
import dev.veil.rego.internal.parse.Parser;
import dev.veil.rego.internal.parse.RegoParseException;
import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * OPA's {@code # METADATA} annotations: YAML comment blocks before a package or a rule, read from the
 * comments the parser keeps, validated as OPA validates them (same messages, {@code rego_parse_error}
 * for a malformed block, {@code rego_type_error} for a redeclared one) and indexed for
 * {@code rego.metadata.chain()} and {@code rego.metadata.rule()}.
 *
 * <p>A block starts with a comment in column 1 whose text starts with {@code METADATA} and takes the
 * comments on the following lines that also start in column 1. Its YAML may set {@code scope}
 * ({@code rule}, {@code document}, {@code package}, {@code subpackages}), {@code title},
 * {@code description}, {@code related_resources}, {@code authors}, {@code organizations},
 * {@code schemas}, {@code entrypoint} and {@code custom}. It applies to the first package, import or
 * rule after it.
 */
public final class Annotations {
    private static final String RULE = "rule";
    private static final String DOCUMENT = "document";
    private static final String PACKAGE = "package";
    private static final String SUBPACKAGES = "subpackages";

    /**
     * One parsed block.
     *
     * @param location   where the block (its {@code # METADATA} line) is
     * @param scope      the scope, defaulted from the node it applies to
     * @param entrypoint the {@code entrypoint} flag
     * @param fields     every other field as OPA's {@code rego.metadata.rule()} shows it
     * @param node       the package, import or rule it applies to, or null
     * @param module     the module it is in
     */
    record Annotation(Location location, String scope, boolean entrypoint, ObjectValue fields, Node node,
                      Module module) {
        /** The object {@code rego.metadata.rule()} returns. */
        ObjectValue toObject() {
            ObjectValue.Builder b = ObjectValue.builder();
            for (Value k : fields.keys()) {
                b.put(k, fields.get(k));
            }
            if (!scope.isEmpty()) {
                b.put(StringValue.of("scope"), StringValue.of(scope));
            }
            if (entrypoint) {
                b.put(StringValue.of("entrypoint"), BooleanValue.TRUE);
            }
            return b.build();
        }
    }

    private final Map<Rule, List<Annotation>> byRule = new IdentityHashMap<>();
    private final Map<List<Value>, Annotation> byPackage = new HashMap<>();
    private final Tree byPath = new Tree();

    private static final class Tree {
        Annotation value;
        final Map<Value, Tree> children = new HashMap<>();

        Tree get(List<Value> path) {
            Tree t = this;
            for (Value v : path) {
                t = t.children.get(v);
                if (t == null) {
                    return null;
                }
            }
            return t;
        }

        void insert(List<Value> path, Annotation a) {
            Tree t = this;
            for (Value v : path) {
                t = t.children.computeIfAbsent(v, k -> new Tree());
            }
            t.value = a;
        }

        List<Annotation> ancestors(List<Value> path) {
            List<Annotation> out = new ArrayList<>();
            Tree t = this;
            for (Value v : path) {
                t = t.children.get(v);
                if (t == null) {
                    break;
                }
                if (t.value != null) {
                    out.add(t.value);
                }
            }
            return out;
        }
    }

    private Annotations() {
    }

    /**
     * Reads the annotations of every module (in file-name order, as OPA's compiler does) and indexes them.
     *
     * @param errors where malformed, misplaced and redeclared annotations are reported
     */
    static Annotations build(List<Module> modules, List<RegoError> errors) {
        Annotations set = new Annotations();
        List<Module> sorted = new ArrayList<>(modules);
        sorted.sort(Comparator.comparing(Module::file));
        for (Module m : sorted) {
            List<RegoError> moduleErrors = new ArrayList<>();
            List<Annotation> parsed = parse(m, moduleErrors);
            if (!moduleErrors.isEmpty()) {
                errors.addAll(moduleErrors);
                continue;
            }
            for (Annotation a : parsed) {
                set.add(a, errors);
            }
        }
        return set;
    }

    private void add(Annotation a, List<RegoError> errors) {
        switch (a.scope()) {
            case RULE -> {
                if (a.node() instanceof Rule r) {
                    byRule.computeIfAbsent(r, k -> new ArrayList<>()).add(a);
                }
            }
            case PACKAGE -> {
                if (a.node() instanceof Package p) {
                    List<Value> path = packagePath(p);
                    Annotation prev = byPackage.putIfAbsent(path, a);
                    if (prev != null) {
                        errors.add(redeclared(a, prev));
                    }
                }
            }
            case DOCUMENT -> {
                if (a.node() instanceof Rule r) {
                    List<Value> path = rulePath(a.module(), r);
                    Tree t = byPath.get(path);
                    if (t != null && t.value != null) {
                        errors.add(redeclared(a, t.value));
                    } else {
                        byPath.insert(path, a);
                    }
                }
            }
            case SUBPACKAGES -> {
                if (a.node() instanceof Package p) {
                    List<Value> path = packagePath(p);
                    Tree t = byPath.get(path);
                    if (t != null && t.value != null) {
                        errors.add(redeclared(a, t.value));
                    } else {
                        byPath.insert(path, a);
                    }
                }
            }
            default -> {
                // invalid scopes were reported when parsing
            }
        }
    }

    private static RegoError redeclared(Annotation a, Annotation prev) {
        Location p = prev.location();
        return error("rego_type_error", a.scope() + " annotation redeclared: " + p.file() + ":" + p.line(),
                a.location());
    }

    /**
     * The value of {@code rego.metadata.chain()} in {@code branch} of {@code rule}: the rule's own
     * annotations (closest first; an entry with the path alone when it has none), then its document's,
     * its package's and its ancestors' {@code subpackages} annotations. An {@code else} branch has no
     * annotations of its own.
     */
    ArrayValue chain(Module module, Rule rule, boolean elseBranch) {
        List<Value> out = new ArrayList<>();
        List<Value> path = rulePath(module, rule);
        List<Annotation> own = elseBranch ? List.of() : sortedRuleAnnotations(rule);
        if (own.isEmpty()) {
            out.add(obj("path", pathArray(path)));
        }
        for (Annotation a : own) {
            out.add(link(path, a));
        }
        Tree doc = byPath.get(path);
        if (doc != null && doc.value != null) {
            out.add(link(path, doc.value));
        }
        List<Value> pkg = packagePath(module.pkg());
        Annotation pa = byPackage.get(pkg);
        if (pa != null) {
            out.add(link(pkg, pa));
        }
        List<Annotation> sub = byPath.ancestors(pkg);
        for (int i = sub.size() - 1; i >= 0; i--) {
            Annotation a = sub.get(i);
            out.add(link(a.node() instanceof Package p ? packagePath(p) : rulePath(a.module(), (Rule) a.node()), a));
        }
        return ArrayValue.of(out);
    }

    /** The value of {@code rego.metadata.rule()}: the rule's closest rule-scope annotation, or {@code {}}. */
    ObjectValue rule(Rule rule, boolean elseBranch) {
        List<Annotation> own = elseBranch ? List.of() : sortedRuleAnnotations(rule);
        return own.isEmpty() ? ObjectValue.EMPTY : own.get(0).toObject();
    }

    private List<Annotation> sortedRuleAnnotations(Rule rule) {
        List<Annotation> own = new ArrayList<>(byRule.getOrDefault(rule, List.of()));
        own.sort(Comparator.comparing((Annotation a) -> a.location().file())
                .thenComparingInt(a -> a.location().line()).thenComparingInt(a -> a.location().column())
                .reversed());
        return own;
    }

    private static Value link(List<Value> path, Annotation a) {
        return obj("path", pathArray(path), "annotations", a.toObject());
    }

    private static ObjectValue obj(Object... kv) {
        ObjectValue.Builder b = ObjectValue.builder();
        for (int i = 0; i < kv.length; i += 2) {
            b.put((String) kv[i], (Value) kv[i + 1]);
        }
        return b.build();
    }

    /** A path without its {@code data} head, its elements as strings (OPA's {@code Ref.toArray}). */
    private static ArrayValue pathArray(List<Value> path) {
        List<Value> out = new ArrayList<>(path.size());
        for (Value v : path) {
            out.add(v instanceof StringValue ? v : StringValue.of(v.toString()));
        }
        return ArrayValue.of(out);
    }

    private static List<Value> packagePath(Package p) {
        List<Value> out = new ArrayList<>();
        Ref ref = p.path();
        for (int i = 1; i < ref.size(); i++) {
            if (ref.get(i) instanceof Scalar s) {
                out.add(s.value());
            }
        }
        return out;
    }

    /** The rule's path below {@code data} up to its first non-constant head term (OPA's ground prefix). */
    static List<Value> rulePath(Module m, Rule r) {
        List<Value> out = packagePath(m.pkg());
        out.add(StringValue.of(r.name()));
        for (int i = 1; i < r.head().size(); i++) {
            if (!(r.head().get(i) instanceof Scalar s)) {
                break;
            }
            out.add(s.value());
        }
        return out;
    }

    // ---------------------------------------------------------------- parsing one module

    /** True for a comment that starts a block: in column 1, its text starting with METADATA. */
    static boolean isMetadata(Comment c) {
        return c.location().column() == 1 && goTrimSpace(c.text()).startsWith("METADATA");
    }

    /** The module's annotations, attached to their nodes; problems go to {@code errors}. */
    static List<Annotation> parse(Module m, List<RegoError> errors) {
        List<Annotation> out = new ArrayList<>();
        List<Comment> cs = m.comments();
        for (int i = 0; i < cs.size(); i++) {
            if (!isMetadata(cs.get(i))) {
                continue;
            }
            Comment head = cs.get(i);
            List<Comment> block = new ArrayList<>();
            for (i++; i < cs.size(); i++) {
                Comment cur = cs.get(i);
                Comment prev = cs.get(i - 1);
                if (cur.location().column() != 1 || cur.location().line() - 1 != prev.location().line()
                        || isMetadata(cur)) {
                    break;
                }
                block.add(cur);
            }
            i--;
            Annotation a = parseBlock(m, head, block, errors);
            if (a != null) {
                out.add(a);
            }
        }
        if (!errors.isEmpty()) {
            return out;
        }
        List<Node> stmts = new ArrayList<>();
        stmts.add(m.pkg());
        stmts.addAll(m.imports());
        stmts.addAll(m.rules());
        stmts.sort(Comparator.comparingInt((Node n) -> n.location().line())
                .thenComparingInt(n -> n.location().column()));
        List<Annotation> attached = new ArrayList<>();
        for (Annotation a : out) {
            Node node = null;
            for (Node s : stmts) {
                if (s.location().line() > a.location().line()) {
                    node = s;
                    break;
                }
            }
            String scope = a.scope();
            if (scope.isEmpty()) {
                if (node instanceof Rule) {
                    scope = a.entrypoint() ? DOCUMENT : RULE;
                } else if (node instanceof Package) {
                    scope = PACKAGE;
                } else if (node instanceof Import) {
                    scope = "import";
                }
            }
            Annotation b = new Annotation(a.location(), scope, a.entrypoint(), a.fields(), node, m);
            validate(b, errors);
            attached.add(b);
        }
        return attached;
    }

    private static void validate(Annotation a, List<RegoError> errors) {
        String scope = a.scope();
        switch (scope) {
            case RULE, DOCUMENT -> {
                if (!(a.node() instanceof Rule)) {
                    errors.add(scopeAttachment(a, "rule"));
                }
            }
            case PACKAGE, SUBPACKAGES -> {
                if (!(a.node() instanceof Package)) {
                    errors.add(scopeAttachment(a, "package"));
                }
            }
            default -> errors.add(error("rego_parse_error", "invalid annotation scope '" + scope
                    + "'. Use one of 'rule', 'document', 'package', or 'subpackages'", a.location()));
        }
        if (a.entrypoint() && !(scope.equals(DOCUMENT) || scope.equals(PACKAGE))) {
            errors.add(error("rego_parse_error", "annotation entrypoint applied to non-document or package scope '"
                    + scope + "'", a.location()));
        }
    }

    private static RegoError scopeAttachment(Annotation a, String want) {
        String have = a.node() == null ? "" : " (have " + typeName(a.node()) + ")";
        return error("rego_parse_error", "annotation scope '" + a.scope() + "' must be applied to " + want + have,
                a.location());
    }

    private static String typeName(Node n) {
        return n instanceof Rule ? "rule" : n instanceof Package ? "package" : "import";
    }

    private static RegoError error(String code, String message, Location at) {
        return new RegoError(code, message, at.file(), at.line(), at.column());
    }

    /** A Go-style unmarshal error, collected per block. */
    private static final class TypeErrors {
        final List<String> lines = new ArrayList<>();

        void add(org.yaml.snakeyaml.nodes.Node n, String into) {
            String tag = shortTag(n);
            String value = "";
            if (n instanceof ScalarNode s) {
                String v = s.getValue();
                value = v.length() > 10 ? " `" + v.substring(0, 7) + "...`" : " `" + v + "`";
            }
            lines.add("  line " + (n.getStartMark().getLine() + 1) + ": cannot unmarshal " + tag + value + " into "
                    + into);
        }
    }

    private static String shortTag(org.yaml.snakeyaml.nodes.Node n) {
        if (n instanceof MappingNode) {
            return "!!map";
        }
        if (n instanceof SequenceNode) {
            return "!!seq";
        }
        Tag t = n.getTag();
        if (t.equals(Tag.STR)) {
            return "!!str";
        }
        if (t.equals(Tag.INT)) {
            return "!!int";
        }
        if (t.equals(Tag.FLOAT)) {
            return "!!float";
        }
        if (t.equals(Tag.BOOL)) {
            return "!!bool";
        }
        if (t.equals(Tag.NULL)) {
            return "!!null";
        }
        return t.getValue();
    }

    private static Annotation parseBlock(Module m, Comment head, List<Comment> block, List<RegoError> errors) {
        StringBuilder buf = new StringBuilder();
        for (Comment c : block) {
            String t = c.text();
            buf.append(t.startsWith(" ") ? t.substring(1) : t).append('\n');
        }
        String yaml = buf.toString();
        if (goTrimSpace(yaml).isEmpty()) {
            errors.add(error("rego_parse_error", "expected METADATA block, found whitespace", head.location()));
            return null;
        }
        org.yaml.snakeyaml.Yaml loader = Yaml.goLoader();
        org.yaml.snakeyaml.nodes.Node root;
        Object raw;
        try {
            root = loader.compose(new StringReader(yaml));
            raw = loader.load(yaml);
        } catch (MarkedYAMLException e) {
            String msg = Yaml.goMessage(e);
            return yamlError(msg, head, block, errors);
        } catch (YAMLException e) {
            return yamlError("yaml: " + e.getMessage(), head, block, errors);
        }
        if (root == null || raw == null) {
            return new Annotation(head.location(), "", false, ObjectValue.EMPTY, null, m);
        }
        TypeErrors te = new TypeErrors();
        if (!(root instanceof MappingNode map) || !(raw instanceof Map<?, ?> values)) {
            te.add(root, "ast.rawAnnotation");
            return yamlError("yaml: unmarshal errors:\n" + String.join("\n", te.lines), head, block, errors);
        }
        String scope = "";
        boolean entrypoint = false;
        Map<String, Object> fieldValues = new LinkedHashMap<>();
        for (NodeTuple t : map.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) {
                continue;
            }
            String key = k.getValue();
            org.yaml.snakeyaml.nodes.Node v = t.getValueNode();
            Object value = values.get(key);
            switch (key) {
                case "scope", "title", "description" -> {
                    if (v instanceof ScalarNode s) {
                        String str = isNull(s) ? "" : s.getValue();
                        if (key.equals("scope")) {
                            scope = str;
                        } else if (!str.isEmpty()) {
                            fieldValues.put(key, str);
                        }
                    } else {
                        te.add(v, "string");
                    }
                }
                case "entrypoint" -> {
                    if (v instanceof ScalarNode s && !isNull(s)) {
                        Boolean b = goBool(s.getValue());
                        if (b == null) {
                            te.add(v, "bool");
                        } else {
                            entrypoint = b;
                        }
                    } else if (!(v instanceof ScalarNode)) {
                        te.add(v, "bool");
                    }
                }
                case "organizations" -> {
                    if (v instanceof SequenceNode seq) {
                        List<Object> orgs = new ArrayList<>();
                        for (org.yaml.snakeyaml.nodes.Node e : seq.getValue()) {
                            if (e instanceof ScalarNode s) {
                                orgs.add(isNull(s) ? "" : s.getValue());
                            } else {
                                te.add(e, "string");
                            }
                        }
                        if (!orgs.isEmpty()) {
                            fieldValues.put(key, orgs);
                        }
                    } else if (!(v instanceof ScalarNode s && isNull(s))) {
                        te.add(v, "[]string");
                    }
                }
                case "related_resources", "authors" -> {
                    if (v instanceof SequenceNode) {
                        fieldValues.put(key, value);
                    } else if (!(v instanceof ScalarNode s && isNull(s))) {
                        te.add(v, "[]interface {}");
                    }
                }
                case "schemas" -> {
                    if (v instanceof SequenceNode seq) {
                        for (org.yaml.snakeyaml.nodes.Node e : seq.getValue()) {
                            if (!(e instanceof MappingNode) && !(e instanceof ScalarNode s && isNull(s))) {
                                te.add(e, "map[string]interface {}");
                            }
                        }
                        fieldValues.put(key, value);
                    } else if (!(v instanceof ScalarNode s && isNull(s))) {
                        te.add(v, "[]map[string]interface {}");
                    }
                }
                case "custom", "compile", "labels" -> {
                    if (v instanceof MappingNode) {
                        if (key.equals("custom")) {
                            fieldValues.put(key, value);
                        }
                    } else if (!(v instanceof ScalarNode s && isNull(s))) {
                        te.add(v, "map[string]interface {}");
                    }
                }
                default -> {
                    // unknown keys are ignored, as go-yaml does for struct fields it does not know
                }
            }
        }
        if (!te.lines.isEmpty()) {
            return yamlError("yaml: unmarshal errors:\n" + String.join("\n", te.lines), head, block, errors);
        }
        try {
            ObjectValue fields = fields(fieldValues);
            return new Annotation(head.location(), scope, entrypoint, fields, null, m);
        } catch (IllegalArgumentException e) {
            errors.add(error("rego_parse_error", e.getMessage(), head.location()));
            return null;
        }
    }

    private static boolean isNull(ScalarNode s) {
        return s.getTag().equals(Tag.NULL);
    }

    /** go-yaml v3's reading of a scalar into a bool, YAML 1.1 spellings included; null when it is not one. */
    private static Boolean goBool(String s) {
        return switch (s) {
            case "true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON" -> Boolean.TRUE;
            case "false", "False", "FALSE", "n", "N", "no", "No", "NO", "off", "Off", "OFF" -> Boolean.FALSE;
            default -> null;
        };
    }

    private static Annotation yamlError(String message, Comment head, List<Comment> block, List<RegoError> errors) {
        Location at = head.location();
        java.util.regex.Matcher mt = java.util.regex.Pattern.compile("^yaml:(?: unmarshal errors:[\\n\\s]*)? line "
                + "([0-9]+):").matcher(message);
        if (mt.find() && !block.isEmpty()) {
            int index = Integer.parseInt(mt.group(1));
            at = block.get(Math.min(index, block.size() - 1)).location();
        } else if (!block.isEmpty()) {
            at = block.get(0).location();
        }
        errors.add(error("rego_parse_error", augment(message, block), at));
        return null;
    }

    /** OPA's hint when a key/value {@code :} is not followed by a YAML space. */
    private static String augment(String message, List<Comment> block) {
        String out = message;
        for (Comment c : block) {
            String text = c.text();
            if (text.indexOf(':') < 0) {
                continue;
            }
            String[] parts = text.split(":", -1);
            List<String> invalid = new ArrayList<>();
            for (int p = 1; p < parts.length; p++) {
                String part = parts[p];
                if (part.isEmpty() && p == parts.length - 1) {
                    break;
                }
                int r = part.isEmpty() ? 0xFFFD : part.codePointAt(0);
                if (r == ' ' || r == '\t') {
                    break;
                }
                invalid.add(goQuoteRune(r));
            }
            if (!invalid.isEmpty()) {
                out = out + "\n  Hint: on line " + c.location().line() + ", symbol(s) [" + String.join(" ", invalid)
                        + "] immediately following a key/value separator ':' is not a legal yaml space character";
            }
        }
        return out;
    }

    /** Go's {@code %+q} of a rune: ASCII as is, others as escapes. */
    private static String goQuoteRune(int r) {
        if (r == '\'') {
            return "'\\''";
        }
        if (r == '\\') {
            return "'\\\\'";
        }
        if (r >= 0x20 && r < 0x7f) {
            return "'" + (char) r + "'";
        }
        if (r == '\n') {
            return "'\\n'";
        }
        if (r == '\r') {
            return "'\\r'";
        }
        if (r < 0x10000) {
            return String.format("'\\u%04x'", r);
        }
        return String.format("'\\U%08x'", r);
    }

    private static String goTrimSpace(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && Character.isWhitespace(s.charAt(a))) {
            a++;
        }
        while (b > a && Character.isWhitespace(s.charAt(b - 1))) {
            b--;
        }
        return s.substring(a, b);
    }

    // ---------------------------------------------------------------- fields as Rego values

    private static ObjectValue fields(Map<String, Object> raw) {
        ObjectValue.Builder b = ObjectValue.builder();
        for (Map.Entry<String, Object> e : raw.entrySet()) {
            String k = e.getKey();
            Object v = e.getValue();
            switch (k) {
                case "title", "description" -> b.put(StringValue.of(k), StringValue.of((String) v));
                case "organizations" -> b.put(StringValue.of(k), Values.fromJava(v));
                case "related_resources" -> {
                    List<Value> out = new ArrayList<>();
                    for (Object x : (List<?>) v) {
                        out.add(relatedResource(x));
                    }
                    if (!out.isEmpty()) {
                        b.put(StringValue.of(k), ArrayValue.of(out));
                    }
                }
                case "authors" -> {
                    List<Value> out = new ArrayList<>();
                    for (Object x : (List<?>) v) {
                        out.add(author(x));
                    }
                    if (!out.isEmpty()) {
                        b.put(StringValue.of(k), ArrayValue.of(out));
                    }
                }
                case "schemas" -> {
                    List<Value> out = new ArrayList<>();
                    for (Object x : (List<?>) v) {
                        out.add(schema(x));
                    }
                    if (!out.isEmpty()) {
                        b.put(StringValue.of(k), ArrayValue.of(out));
                    }
                }
                case "custom" -> {
                    Map<?, ?> m = (Map<?, ?>) v;
                    ObjectValue.Builder c = ObjectValue.builder();
                    for (Map.Entry<?, ?> ce : m.entrySet()) {
                        c.put(StringValue.of(String.valueOf(ce.getKey())),
                                Values.fromJava(stringKeys(ce.getValue(), new ArrayList<>())));
                    }
                    ObjectValue cv = c.build();
                    if (cv.size() > 0) {
                        b.put(StringValue.of(k), cv);
                    }
                }
                default -> {
                }
            }
        }
        return b.build();
    }

    /** OPA's {@code convertYAMLMapKeyTypes}: nested maps must have string keys. */
    private static Object stringKeys(Object x, List<String> path) {
        if (x instanceof Map<?, ?> m) {
            Map<String, Object> out = new TreeMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException("invalid map key type(s): " + String.join("/", path));
                }
                List<String> p = new ArrayList<>(path);
                p.add(key);
                out.put(key, stringKeys(e.getValue(), p));
            }
            return out;
        }
        if (x instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < l.size(); i++) {
                List<String> p = new ArrayList<>(path);
                p.add(String.valueOf(i));
                out.add(stringKeys(l.get(i), p));
            }
            return out;
        }
        return x;
    }

    private static Value relatedResource(Object x) {
        Object v = stringKeys(x, new ArrayList<>());
        String reason;
        if (v instanceof String s) {
            if (!s.isEmpty()) {
                return obj("ref", StringValue.of(url(s, x)));
            }
            reason = "ref URL may not be empty string";
        } else if (v instanceof Map<?, ?> m) {
            String description = goTrimSpace(safeString(m, "description"));
            String ref = goTrimSpace(safeString(m, "ref"));
            if (!ref.isEmpty()) {
                ObjectValue.Builder b = ObjectValue.builder();
                b.put("ref", StringValue.of(url(ref, x)));
                if (!description.isEmpty()) {
                    b.put(StringValue.of("description"), StringValue.of(description));
                }
                return b.build();
            }
            reason = "'ref' value required in object";
        } else {
            reason = "invalid value type, must be string or map";
        }
        throw new IllegalArgumentException("invalid related-resource definition " + goString(x) + ": " + reason);
    }

    /** Checks a URL as Go's {@code url.Parse} would reject it (bad escapes, control characters). */
    private static String url(String s, Object def) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException("invalid related-resource definition " + goString(def)
                        + ": parse \"" + s + "\": net/url: invalid control character in URL");
            }
            if (c == '%' && (i + 2 >= s.length() || hex(s.charAt(i + 1)) < 0 || hex(s.charAt(i + 2)) < 0)) {
                String esc = s.substring(i, Math.min(s.length(), i + 3));
                throw new IllegalArgumentException("invalid related-resource definition " + goString(def)
                        + ": parse \"" + s + "\": invalid URL escape \"" + esc + "\"");
            }
        }
        return s;
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }

    private static Value author(Object x) {
        Object v = stringKeys(x, new ArrayList<>());
        String reason;
        if (v instanceof String s) {
            String[] parts = goTrimSpace(s).isEmpty() ? new String[0] : goTrimSpace(s).split("\\s+");
            if (parts.length > 0) {
                int nameParts = parts.length;
                String email = "";
                String trailing = parts[nameParts - 1];
                if (trailing.length() >= 2 && trailing.startsWith("<") && trailing.endsWith(">")) {
                    email = trailing.substring(1, trailing.length() - 1);
                    nameParts--;
                }
                String name = String.join(" ", java.util.Arrays.copyOf(parts, nameParts));
                return authorValue(name, email);
            }
            reason = "author is an empty string";
        } else if (v instanceof Map<?, ?> m) {
            String name = goTrimSpace(safeString(m, "name"));
            String email = goTrimSpace(safeString(m, "email"));
            if (!name.isEmpty() || !email.isEmpty()) {
                return authorValue(name, email);
            }
            reason = "'name' and/or 'email' values required in object";
        } else {
            reason = "invalid value type, must be string or map";
        }
        throw new IllegalArgumentException("invalid author definition " + goString(x) + ": " + reason);
    }

    private static Value authorValue(String name, String email) {
        ObjectValue.Builder b = ObjectValue.builder();
        if (!name.isEmpty()) {
            b.put(StringValue.of("name"), StringValue.of(name));
        }
        if (!email.isEmpty()) {
            b.put(StringValue.of("email"), StringValue.of(email));
        }
        return b.build();
    }

    private static Value schema(Object x) {
        if (!(x instanceof Map<?, ?> m) || m.isEmpty()) {
            throw new IllegalArgumentException("invalid document reference");
        }
        Map.Entry<?, ?> e = m.entrySet().iterator().next();
        String k = String.valueOf(e.getKey());
        ArrayValue path;
        try {
            path = refArray(Parser.parseTerm(k), false);
        } catch (RegoParseException | IllegalArgumentException ex) {
            throw new IllegalArgumentException("invalid document reference");
        }
        if (path == null) {
            throw new IllegalArgumentException("invalid document reference");
        }
        ObjectValue.Builder b = ObjectValue.builder();
        b.put("path", path);
        Object v = e.getValue();
        if (v instanceof String s) {
            ArrayValue schema;
            try {
                schema = refArray(Parser.parseTerm(s), true);
            } catch (RegoParseException ex) {
                schema = null;
            }
            if (schema == null) {
                throw new IllegalArgumentException("invalid schema reference");
            }
            b.put(StringValue.of("schema"), schema);
        } else if (v instanceof Map<?, ?>) {
            Object def;
            try {
                def = stringKeys(v, new ArrayList<>());
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("invalid schema definition: " + ex.getMessage());
            }
            b.put(StringValue.of("definition"), Values.fromJava(def));
        } else {
            throw new IllegalArgumentException("invalid schema declaration for path \"" + k + "\"");
        }
        return b.build();
    }

    /**
     * A reference term as an array of strings (OPA's {@code Ref.toArray}); null when it is not a reference,
     * or, for a schema reference, not {@code schema} or below it.
     */
    private static ArrayValue refArray(Term t, boolean schema) {
        List<Term> terms;
        if (t instanceof Var v) {
            terms = List.of(v);
        } else if (t instanceof Ref r && r.head() instanceof Var) {
            terms = r.terms();
        } else {
            return null;
        }
        if (schema && !((Var) terms.get(0)).name().equals("schema")) {
            return null;
        }
        List<Value> out = new ArrayList<>();
        for (Term x : terms) {
            if (x instanceof Var v) {
                out.add(StringValue.of(v.name()));
            } else if (x instanceof Scalar s) {
                out.add(s.value() instanceof StringValue ? s.value() : StringValue.of(s.value().toString()));
            } else {
                out.add(StringValue.of(x.toString()));
            }
        }
        return ArrayValue.of(out);
    }

    private static String safeString(Map<?, ?> m, String k) {
        return m.get(k) instanceof String s ? s : "";
    }

    /** Go's {@code %v}/{@code %s} of a YAML value: {@code map[k:v]} with sorted keys, {@code [a b]}, {@code <nil>}. */
    private static String goString(Object x) {
        if (x == null) {
            return "<nil>";
        }
        if (x instanceof Map<?, ?> m) {
            Map<String, String> sorted = new TreeMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sorted.put(goString(e.getKey()), goString(e.getValue()));
            }
            StringBuilder b = new StringBuilder("map[");
            boolean first = true;
            for (Map.Entry<String, String> e : sorted.entrySet()) {
                b.append(first ? "" : " ").append(e.getKey()).append(':').append(e.getValue());
                first = false;
            }
            return b.append(']').toString();
        }
        if (x instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                b.append(i > 0 ? " " : "").append(goString(l.get(i)));
            }
            return b.append(']').toString();
        }
        if (x instanceof Boolean || x instanceof Number || x instanceof String) {
            return String.valueOf(x);
        }
        return String.valueOf(x);
    }
}
