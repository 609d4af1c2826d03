package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * A GraphQL lexer and parser that follows OPA's vendored gqlparser token by token, so that documents
 * come out as the objects OPA returns (gqlparser's AST as JSON, with {@code Position} and empty or
 * null members pruned) and syntax errors read exactly as OPA's ({@code Expected Name, found <EOF>}
 * at line:column).
 */
final class GqlParser {

    /** A syntax error at a 1-based line and column. */
    static final class SyntaxError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int line;
        final int column;

        SyntaxError(String message, int line, int column) {
            super(message, null, false, false);
            this.line = line;
            this.column = column;
        }
    }

    private enum Kind {
        INVALID("<Invalid>"), EOF("<EOF>"), BANG("!"), DOLLAR("$"), AMP("&"), PAREN_L("("), PAREN_R(")"),
        SPREAD("..."), COLON(":"), EQUALS("="), AT("@"), BRACKET_L("["), BRACKET_R("]"), BRACE_L("{"), PIPE("|"),
        BRACE_R("}"), NAME("Name"), INT("Int"), FLOAT("Float"), STRING("String"), BLOCK_STRING("BlockString");

        final String text;

        Kind(String text) {
            this.text = text;
        }
    }

    private record Token(Kind kind, String value, int line, int column) {
        String describe() {
            return switch (kind) {
                case NAME, INT, FLOAT, STRING, BLOCK_STRING -> kind.text + " " + goQuote(value);
                default -> kind.text;
            };
        }
    }

    private final String src;
    private int pos;
    private int line = 1;
    private int lineStart;
    private Token peeked;
    private Token prev;

    private GqlParser(String src) {
        this.src = src;
    }

    /** gqlparser's ParseQuery, as OPA's pruned AST object. */
    static ObjectValue parseQuery(String source) {
        return new GqlParser(source).queryDocument();
    }

    /** gqlparser's ParseSchema, as OPA's pruned AST object. */
    static ObjectValue parseSchema(String source) {
        return new GqlParser(source).schemaDocument();
    }

    // ------------------------------------------------------------------ lexer

    private int column(int at) {
        return src.codePointCount(lineStart, at) + 1;
    }

    private Token readToken() {
        // skip ignored tokens: white space, commas, line terminators, comments, BOM
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == ' ' || c == '\t' || c == ',' || c == '\uFEFF') {
                pos++;
            } else if (c == '\n') {
                pos++;
                newLine();
            } else if (c == '\r') {
                pos++;
                if (pos < src.length() && src.charAt(pos) == '\n') {
                    pos++;
                }
                newLine();
            } else if (c == '#') {
                while (pos < src.length() && src.charAt(pos) != '\n' && src.charAt(pos) != '\r') {
                    pos++;
                }
            } else {
                break;
            }
        }
        int start = pos;
        int startLine = line;
        int startCol = column(start);
        if (pos >= src.length()) {
            return new Token(Kind.EOF, "", startLine, startCol);
        }
        char c = src.charAt(pos);
        Kind punct = switch (c) {
            case '!' -> Kind.BANG;
            case '$' -> Kind.DOLLAR;
            case '&' -> Kind.AMP;
            case '(' -> Kind.PAREN_L;
            case ')' -> Kind.PAREN_R;
            case ':' -> Kind.COLON;
            case '=' -> Kind.EQUALS;
            case '@' -> Kind.AT;
            case '[' -> Kind.BRACKET_L;
            case ']' -> Kind.BRACKET_R;
            case '{' -> Kind.BRACE_L;
            case '|' -> Kind.PIPE;
            case '}' -> Kind.BRACE_R;
            default -> null;
        };
        if (punct != null) {
            pos++;
            return new Token(punct, String.valueOf(c), startLine, startCol);
        }
        if (c == '.') {
            if (src.startsWith("...", pos)) {
                pos += 3;
                return new Token(Kind.SPREAD, "...", startLine, startCol);
            }
            return invalid();
        }
        if (c == '_' || Character.isLetter(c) && c < 128) {
            while (pos < src.length() && isNameChar(src.charAt(pos))) {
                pos++;
            }
            return new Token(Kind.NAME, src.substring(start, pos), startLine, startCol);
        }
        if (c == '-' || c >= '0' && c <= '9') {
            return number(start, startLine, startCol);
        }
        if (c == '"') {
            // gqlparser positions string tokens after their opening quotes.
            if (src.startsWith("\"\"\"", pos)) {
                return blockString(startLine, startCol + 3);
            }
            return string(startLine, startCol + 1);
        }
        return invalid();
    }

    private static boolean isNameChar(char c) {
        return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9';
    }

    private void newLine() {
        line++;
        lineStart = pos;
    }

    /** A lexing error: an invalid token where the scan stopped. */
    private Token invalid() {
        return new Token(Kind.INVALID, "", line, column(Math.min(pos, src.length())));
    }

    private Token number(int start, int startLine, int startCol) {
        boolean isFloat = false;
        if (src.charAt(pos) == '-') {
            pos++;
        }
        if (pos < src.length() && src.charAt(pos) == '0') {
            pos++;
            if (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                return invalid();
            }
        } else if (!digits()) {
            return invalid();
        }
        if (pos < src.length() && src.charAt(pos) == '.') {
            isFloat = true;
            pos++;
            if (!digits()) {
                return invalid();
            }
        }
        if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            isFloat = true;
            pos++;
            if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) {
                pos++;
            }
            if (!digits()) {
                return invalid();
            }
        }
        if (pos < src.length()
                && (src.charAt(pos) == '.' || src.charAt(pos) == '_' || Character.isLetter(src.charAt(pos)))) {
            return invalid();
        }
        return new Token(isFloat ? Kind.FLOAT : Kind.INT, src.substring(start, pos), startLine, startCol);
    }

    private boolean digits() {
        int s = pos;
        while (pos < src.length() && src.charAt(pos) >= '0' && src.charAt(pos) <= '9') {
            pos++;
        }
        return pos > s;
    }

    private Token string(int startLine, int startCol) {
        pos++;
        StringBuilder b = new StringBuilder();
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == '"') {
                pos++;
                return new Token(Kind.STRING, b.toString(), startLine, startCol);
            }
            if (c == '\n' || c == '\r') {
                return invalid();
            }
            if (c == '\\') {
                if (pos + 1 >= src.length()) {
                    pos++;
                    return invalid();
                }
                char e = src.charAt(pos + 1);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (pos + 6 > src.length()) {
                            return invalid();
                        }
                        try {
                            b.append((char) Integer.parseInt(src.substring(pos + 2, pos + 6), 16));
                        } catch (NumberFormatException x) {
                            return invalid();
                        }
                        pos += 4;
                    }
                    default -> {
                        return invalid();
                    }
                }
                pos += 2;
                continue;
            }
            if (c < 0x20 && c != '\t') {
                return invalid();
            }
            b.append(c);
            pos++;
        }
        return invalid();
    }

    private Token blockString(int startLine, int startCol) {
        pos += 3;
        StringBuilder raw = new StringBuilder();
        while (pos < src.length()) {
            if (src.startsWith("\"\"\"", pos)) {
                pos += 3;
                return new Token(Kind.BLOCK_STRING, blockStringValue(raw.toString()), startLine, startCol);
            }
            if (src.startsWith("\\\"\"\"", pos)) {
                raw.append("\"\"\"");
                pos += 4;
                continue;
            }
            char c = src.charAt(pos);
            if (c == '\n') {
                raw.append(c);
                pos++;
                newLine();
            } else if (c == '\r') {
                raw.append('\n');
                pos++;
                if (pos < src.length() && src.charAt(pos) == '\n') {
                    pos++;
                }
                newLine();
            } else {
                raw.append(c);
                pos++;
            }
        }
        return invalid();
    }

    /** The spec's BlockStringValue: common indentation removed, blank first and last lines dropped. */
    static String blockStringValue(String raw) {
        String[] lines = raw.split("\r\n|\n|\r", -1);
        int common = -1;
        for (int i = 1; i < lines.length; i++) {
            String l = lines[i];
            int indent = 0;
            while (indent < l.length() && (l.charAt(indent) == ' ' || l.charAt(indent) == '\t')) {
                indent++;
            }
            if (indent < l.length() && (common < 0 || indent < common)) {
                common = indent;
            }
        }
        List<String> out = new ArrayList<>(List.of(lines));
        if (common > 0) {
            for (int i = 1; i < out.size(); i++) {
                String l = out.get(i);
                out.set(i, l.length() < common ? "" : l.substring(common));
            }
        }
        while (!out.isEmpty() && out.get(0).isBlank()) {
            out.remove(0);
        }
        while (!out.isEmpty() && out.get(out.size() - 1).isBlank()) {
            out.remove(out.size() - 1);
        }
        return String.join("\n", out);
    }

    // ------------------------------------------------------------------ parser primitives

    private Token peek() {
        if (peeked == null) {
            peeked = readToken();
        }
        return peeked;
    }

    private Token next() {
        Token t = peek();
        peeked = null;
        prev = t;
        return t;
    }

    private SyntaxError error(Token t, String message) {
        return new SyntaxError(message, t.line(), t.column());
    }

    private SyntaxError unexpected(Token t) {
        return error(t, "Unexpected " + t.describe());
    }

    private Token expect(Kind k) {
        Token t = peek();
        if (t.kind() == k) {
            return next();
        }
        throw error(t, "Expected " + k.text + ", found " + t.kind().text);
    }

    private void expectKeyword(String value) {
        Token t = peek();
        if (t.kind() == Kind.NAME && t.value().equals(value)) {
            next();
            return;
        }
        throw error(t, "Expected " + goQuote(value) + ", found " + t.describe());
    }

    private boolean skip(Kind k) {
        if (peek().kind() == k) {
            next();
            return true;
        }
        return false;
    }

    private List<Value> many(Kind start, Kind end, java.util.function.Supplier<Value> item) {
        List<Value> out = new ArrayList<>();
        if (!skip(start)) {
            return out;
        }
        while (peek().kind() != end) {
            out.add(item.get());
        }
        next();
        return out;
    }

    private List<Value> some(Kind start, Kind end, java.util.function.Supplier<Value> item) {
        List<Value> out = new ArrayList<>();
        if (!skip(start)) {
            return out;
        }
        while (peek().kind() != end) {
            out.add(item.get());
        }
        if (out.isEmpty()) {
            throw error(peek(), "expected at least one definition, found " + peek().kind().text);
        }
        next();
        return out;
    }

    private String name() {
        return expect(Kind.NAME).value();
    }

    // ------------------------------------------------------------------ pruned AST objects

    /** Builds an AST object the way OPA prunes it: null, empty arrays and empty objects are dropped. */
    private static final class Node {
        private final ObjectValue.Builder b = ObjectValue.builder();

        Node str(String k, String v) {
            b.put(k, StringValue.of(v));
            return this;
        }

        Node bool(String k, boolean v) {
            b.put(k, BooleanValue.of(v));
            return this;
        }

        Node num(String k, long v) {
            b.put(k, NumberValue.of(v));
            return this;
        }

        Node list(String k, List<Value> v) {
            if (v != null && !v.isEmpty()) {
                b.put(k, ArrayValue.of(v));
            }
            return this;
        }

        Node strings(String k, List<String> v) {
            List<Value> l = new ArrayList<>();
            for (String s : v) {
                l.add(StringValue.of(s));
            }
            return list(k, l);
        }

        Node obj(String k, Value v) {
            if (v instanceof ObjectValue o && !o.isEmpty()) {
                b.put(k, o);
            }
            return this;
        }

        ObjectValue build() {
            return b.build();
        }
    }

    // ------------------------------------------------------------------ query documents

    private ObjectValue queryDocument() {
        List<Value> operations = new ArrayList<>();
        List<Value> fragments = new ArrayList<>();
        while (peek().kind() != Kind.EOF) {
            Token t = peek();
            if (t.kind() == Kind.NAME) {
                switch (t.value()) {
                    case "query", "mutation", "subscription" -> operations.add(operationDefinition());
                    case "fragment" -> fragments.add(fragmentDefinition());
                    default -> throw unexpected(t);
                }
            } else if (t.kind() == Kind.BRACE_L) {
                operations.add(operationDefinition());
            } else {
                throw unexpected(t);
            }
        }
        return new Node().list("Operations", operations).list("Fragments", fragments).build();
    }

    private Value operationDefinition() {
        if (peek().kind() == Kind.BRACE_L) {
            return new Node().str("Operation", "query").str("Name", "").list("SelectionSet", requiredSelectionSet())
                    .build();
        }
        Node n = new Node();
        n.str("Operation", operationType());
        n.str("Name", peek().kind() == Kind.NAME ? next().value() : "");
        n.list("VariableDefinitions", variableDefinitions());
        n.list("Directives", directives(false));
        n.list("SelectionSet", requiredSelectionSet());
        return n.build();
    }

    private String operationType() {
        Token t = next();
        return switch (t.value()) {
            case "query", "mutation", "subscription" -> t.value();
            default -> throw unexpected(t);
        };
    }

    private List<Value> variableDefinitions() {
        return many(Kind.PAREN_L, Kind.PAREN_R, () -> {
            Node n = new Node();
            n.str("Variable", variable());
            expect(Kind.COLON);
            n.obj("Type", typeReference());
            if (skip(Kind.EQUALS)) {
                n.obj("DefaultValue", valueLiteral(true));
            }
            n.list("Directives", directives(false));
            n.bool("Used", false);
            return n.build();
        });
    }

    private String variable() {
        expect(Kind.DOLLAR);
        return name();
    }

    private List<Value> requiredSelectionSet() {
        if (peek().kind() != Kind.BRACE_L) {
            throw error(peek(), "Expected {, found " + peek().kind().text);
        }
        return some(Kind.BRACE_L, Kind.BRACE_R, this::selection);
    }

    private Value selection() {
        if (peek().kind() == Kind.SPREAD) {
            return fragment();
        }
        Node n = new Node();
        String alias = name();
        String fieldName = skip(Kind.COLON) ? name() : alias;
        n.str("Alias", alias).str("Name", fieldName);
        n.list("Arguments", arguments(false));
        n.list("Directives", directives(false));
        if (peek().kind() == Kind.BRACE_L) {
            n.list("SelectionSet", some(Kind.BRACE_L, Kind.BRACE_R, this::selection));
        }
        return n.build();
    }

    private List<Value> arguments(boolean isConst) {
        return many(Kind.PAREN_L, Kind.PAREN_R, () -> {
            Node n = new Node();
            n.str("Name", name());
            expect(Kind.COLON);
            n.obj("Value", valueLiteral(isConst));
            return n.build();
        });
    }

    private Value fragment() {
        expect(Kind.SPREAD);
        Token t = peek();
        if (t.kind() == Kind.NAME && !t.value().equals("on")) {
            Node n = new Node();
            n.str("Name", fragmentName());
            n.list("Directives", directives(false));
            return n.build();
        }
        Node n = new Node();
        String typeCondition = "";
        if (peek().value().equals("on")) {
            next();
            typeCondition = name();
        }
        n.str("TypeCondition", typeCondition);
        n.list("Directives", directives(false));
        n.list("SelectionSet", requiredSelectionSet());
        return n.build();
    }

    private Value fragmentDefinition() {
        expectKeyword("fragment");
        Node n = new Node();
        n.str("Name", fragmentName());
        n.list("VariableDefinition", variableDefinitions());
        expectKeyword("on");
        n.str("TypeCondition", name());
        n.list("Directives", directives(false));
        n.list("SelectionSet", requiredSelectionSet());
        return n.build();
    }

    private String fragmentName() {
        if (peek().value().equals("on")) {
            throw unexpected(peek());
        }
        return name();
    }

    private Value valueLiteral(boolean isConst) {
        Token t = peek();
        int kind;
        switch (t.kind()) {
            case BRACKET_L: {
                List<Value> children = many(Kind.BRACKET_L, Kind.BRACKET_R, () -> new Node().str("Name", "")
                        .obj("Value", valueLiteral(isConst)).build());
                return value("", 8, children);
            }
            case BRACE_L: {
                List<Value> children = many(Kind.BRACE_L, Kind.BRACE_R, () -> {
                    Node n = new Node().str("Name", name());
                    expect(Kind.COLON);
                    return n.obj("Value", valueLiteral(isConst)).build();
                });
                return value("", 9, children);
            }
            case DOLLAR:
                if (isConst) {
                    throw unexpected(t);
                }
                return value(variable(), 0, null);
            case INT:
                kind = 1;
                break;
            case FLOAT:
                kind = 2;
                break;
            case STRING:
                kind = 3;
                break;
            case BLOCK_STRING:
                kind = 4;
                break;
            case NAME:
                kind = switch (t.value()) {
                    case "true", "false" -> 5;
                    case "null" -> 6;
                    default -> 7;
                };
                break;
            default:
                throw unexpected(t);
        }
        next();
        return value(t.value(), kind, null);
    }

    private static Value value(String raw, int kind, List<Value> children) {
        return new Node().str("Raw", raw).list("Children", children).num("Kind", kind)
                .bool("ExpectedTypeHasDefault", false).build();
    }

    private List<Value> directives(boolean isConst) {
        List<Value> out = new ArrayList<>();
        while (peek().kind() == Kind.AT) {
            expect(Kind.AT);
            Node n = new Node();
            n.str("Name", name());
            n.list("Arguments", arguments(isConst));
            n.str("Location", "");
            out.add(n.build());
        }
        return out;
    }

    private Value typeReference() {
        Node n = new Node();
        if (skip(Kind.BRACKET_L)) {
            n.obj("Elem", typeReference());
            expect(Kind.BRACKET_R);
            n.str("NamedType", "");
        } else {
            n.str("NamedType", name());
        }
        n.bool("NonNull", skip(Kind.BANG));
        return n.build();
    }

    // ------------------------------------------------------------------ schema documents

    private ObjectValue schemaDocument() {
        List<Value> schema = new ArrayList<>();
        List<Value> schemaExt = new ArrayList<>();
        List<Value> directiveDefs = new ArrayList<>();
        List<Value> definitions = new ArrayList<>();
        List<Value> extensions = new ArrayList<>();
        while (peek().kind() != Kind.EOF) {
            String description = "";
            boolean hasDescription = false;
            if (peek().kind() == Kind.BLOCK_STRING || peek().kind() == Kind.STRING) {
                description = next().value();
                hasDescription = true;
            }
            if (peek().kind() != Kind.NAME) {
                throw unexpected(peek());
            }
            switch (peek().value()) {
                case "scalar", "type", "interface", "union", "enum", "input" ->
                        definitions.add(typeDefinition(description));
                case "schema" -> {
                    expectKeyword("schema");
                    schema.add(schemaDefinition(description, false));
                }
                case "directive" -> directiveDefs.add(directiveDefinition(description));
                case "extend" -> {
                    if (hasDescription && !description.isEmpty()) {
                        throw unexpected(prev);
                    }
                    expectKeyword("extend");
                    String what = peek().value();
                    if (what.equals("schema")) {
                        expectKeyword("schema");
                        schemaExt.add(schemaDefinition("", true));
                    } else {
                        extensions.add(typeExtension(what));
                    }
                }
                default -> throw unexpected(peek());
            }
        }
        return new Node().list("Schema", schema).list("SchemaExtension", schemaExt).list("Directives", directiveDefs)
                .list("Definitions", definitions).list("Extensions", extensions).build();
    }

    private Value schemaDefinition(String description, boolean extension) {
        Node n = new Node().str("Description", description);
        List<Value> dirs = directives(true);
        n.list("Directives", dirs);
        List<Value> ops = some(Kind.BRACE_L, Kind.BRACE_R, () -> {
            Node op = new Node().str("Operation", operationType());
            expect(Kind.COLON);
            return op.str("Type", name()).build();
        });
        n.list("OperationTypes", ops);
        if (extension && dirs.isEmpty() && ops.isEmpty()) {
            throw unexpected(peek());
        }
        return n.build();
    }

    private Value typeDefinition(String description) {
        String keyword = peek().value();
        expectKeyword(keyword);
        Node n = new Node().bool("BuiltIn", false).str("Description", description);
        n.str("Kind", kindOf(keyword));
        n.str("Name", name());
        switch (keyword) {
            case "scalar" -> n.list("Directives", directives(true));
            case "type", "interface" -> {
                n.strings("Interfaces", implementsInterfaces());
                n.list("Directives", directives(true));
                n.list("Fields", fieldsDefinition());
            }
            case "union" -> {
                n.list("Directives", directives(true));
                n.strings("Types", unionMembers());
            }
            case "enum" -> {
                n.list("Directives", directives(true));
                n.list("EnumValues", enumValues());
            }
            default -> {
                n.list("Directives", directives(true));
                n.list("Fields", some(Kind.BRACE_L, Kind.BRACE_R, this::inputValueDefinition));
            }
        }
        return n.build();
    }

    private Value typeExtension(String keyword) {
        if (!List.of("scalar", "type", "interface", "union", "enum", "input").contains(keyword)) {
            throw unexpected(peek());
        }
        expectKeyword(keyword);
        Node n = new Node().bool("BuiltIn", false).str("Description", "");
        n.str("Kind", kindOf(keyword));
        n.str("Name", name());
        boolean empty;
        switch (keyword) {
            case "scalar" -> {
                List<Value> d = directives(true);
                n.list("Directives", d);
                empty = d.isEmpty();
            }
            case "type" -> {
                List<String> i = implementsInterfaces();
                List<Value> d = directives(true);
                List<Value> f = fieldsDefinition();
                n.strings("Interfaces", i).list("Directives", d).list("Fields", f);
                empty = i.isEmpty() && d.isEmpty() && f.isEmpty();
            }
            case "interface" -> {
                List<Value> d = directives(true);
                List<Value> f = fieldsDefinition();
                n.list("Directives", d).list("Fields", f);
                empty = d.isEmpty() && f.isEmpty();
            }
            case "union" -> {
                List<Value> d = directives(true);
                List<String> t = unionMembers();
                n.list("Directives", d).strings("Types", t);
                empty = d.isEmpty() && t.isEmpty();
            }
            case "enum" -> {
                List<Value> d = directives(true);
                List<Value> e = enumValues();
                n.list("Directives", d).list("EnumValues", e);
                empty = d.isEmpty() && e.isEmpty();
            }
            default -> {
                List<Value> d = directives(false);
                List<Value> f = some(Kind.BRACE_L, Kind.BRACE_R, this::inputValueDefinition);
                n.list("Directives", d).list("Fields", f);
                empty = d.isEmpty() && f.isEmpty();
            }
        }
        if (empty) {
            throw unexpected(peek());
        }
        return n.build();
    }

    private static String kindOf(String keyword) {
        return switch (keyword) {
            case "scalar" -> "SCALAR";
            case "type" -> "OBJECT";
            case "interface" -> "INTERFACE";
            case "union" -> "UNION";
            case "enum" -> "ENUM";
            default -> "INPUT_OBJECT";
        };
    }

    private List<String> implementsInterfaces() {
        List<String> out = new ArrayList<>();
        if (peek().value().equals("implements")) {
            next();
            skip(Kind.AMP);
            out.add(name());
            while (skip(Kind.AMP)) {
                out.add(name());
            }
        }
        return out;
    }

    private List<String> unionMembers() {
        List<String> out = new ArrayList<>();
        if (skip(Kind.EQUALS)) {
            skip(Kind.PIPE);
            out.add(name());
            while (skip(Kind.PIPE)) {
                out.add(name());
            }
        }
        return out;
    }

    private List<Value> fieldsDefinition() {
        return some(Kind.BRACE_L, Kind.BRACE_R, () -> {
            Node n = new Node().str("Description", description());
            n.str("Name", name());
            n.list("Arguments", argumentDefinitions());
            expect(Kind.COLON);
            n.obj("Type", typeReference());
            n.list("Directives", directives(true));
            return n.build();
        });
    }

    private List<Value> argumentDefinitions() {
        return some(Kind.PAREN_L, Kind.PAREN_R, this::inputValueDefinition);
    }

    private Value inputValueDefinition() {
        Node n = new Node().str("Description", description());
        n.str("Name", name());
        expect(Kind.COLON);
        n.obj("Type", typeReference());
        if (skip(Kind.EQUALS)) {
            n.obj("DefaultValue", valueLiteral(true));
        }
        n.list("Directives", directives(true));
        return n.build();
    }

    private String description() {
        Kind k = peek().kind();
        return k == Kind.STRING || k == Kind.BLOCK_STRING ? next().value() : "";
    }

    private List<Value> enumValues() {
        return some(Kind.BRACE_L, Kind.BRACE_R, () -> {
            Node n = new Node().str("Description", description());
            n.str("Name", name());
            n.list("Directives", directives(true));
            return n.build();
        });
    }

    private static final List<String> LOCATIONS = List.of("QUERY", "MUTATION", "SUBSCRIPTION", "FIELD",
            "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD", "INLINE_FRAGMENT", "VARIABLE_DEFINITION", "SCHEMA", "SCALAR",
            "OBJECT", "FIELD_DEFINITION", "ARGUMENT_DEFINITION", "INTERFACE", "UNION", "ENUM", "ENUM_VALUE",
            "INPUT_OBJECT", "INPUT_FIELD_DEFINITION");

    private Value directiveDefinition(String description) {
        expectKeyword("directive");
        expect(Kind.AT);
        Node n = new Node().str("Description", description);
        n.str("Name", name());
        n.list("Arguments", argumentDefinitions());
        boolean repeatable = false;
        if (peek().kind() == Kind.NAME && peek().value().equals("repeatable")) {
            repeatable = true;
            next();
        }
        n.bool("IsRepeatable", repeatable);
        expectKeyword("on");
        skip(Kind.PIPE);
        List<String> locations = new ArrayList<>();
        locations.add(directiveLocation());
        while (skip(Kind.PIPE)) {
            locations.add(directiveLocation());
        }
        n.strings("Locations", locations);
        return n.build();
    }

    private String directiveLocation() {
        Token t = expect(Kind.NAME);
        if (!LOCATIONS.contains(t.value())) {
            throw unexpected(t);
        }
        return t.value();
    }

    /** Go's strconv.Quote for the strings gqlparser puts in messages. */
    static String goQuote(String s) {
        StringBuilder b = new StringBuilder();
        dev.veil.rego.internal.value.Values.appendGoQuoted(b, s);
        return b.toString();
    }
}
