package dev.veil.rego.internal.parse;

import static dev.veil.rego.internal.parse.TokenKind.ADD;
import static dev.veil.rego.internal.parse.TokenKind.AND;
import static dev.veil.rego.internal.parse.TokenKind.AS;
import static dev.veil.rego.internal.parse.TokenKind.ASSIGN;
import static dev.veil.rego.internal.parse.TokenKind.COLON;
import static dev.veil.rego.internal.parse.TokenKind.COMMA;
import static dev.veil.rego.internal.parse.TokenKind.CONTAINS;
import static dev.veil.rego.internal.parse.TokenKind.DEFAULT;
import static dev.veil.rego.internal.parse.TokenKind.DOT;
import static dev.veil.rego.internal.parse.TokenKind.ELSE;
import static dev.veil.rego.internal.parse.TokenKind.EOF;
import static dev.veil.rego.internal.parse.TokenKind.EQUAL;
import static dev.veil.rego.internal.parse.TokenKind.EVERY;
import static dev.veil.rego.internal.parse.TokenKind.FALSE;
import static dev.veil.rego.internal.parse.TokenKind.GT;
import static dev.veil.rego.internal.parse.TokenKind.GTE;
import static dev.veil.rego.internal.parse.TokenKind.IDENT;
import static dev.veil.rego.internal.parse.TokenKind.IF;
import static dev.veil.rego.internal.parse.TokenKind.ILLEGAL;
import static dev.veil.rego.internal.parse.TokenKind.IMPORT;
import static dev.veil.rego.internal.parse.TokenKind.IN;
import static dev.veil.rego.internal.parse.TokenKind.LBRACE;
import static dev.veil.rego.internal.parse.TokenKind.LBRACK;
import static dev.veil.rego.internal.parse.TokenKind.LPAREN;
import static dev.veil.rego.internal.parse.TokenKind.LT;
import static dev.veil.rego.internal.parse.TokenKind.LTE;
import static dev.veil.rego.internal.parse.TokenKind.MUL;
import static dev.veil.rego.internal.parse.TokenKind.NEQ;
import static dev.veil.rego.internal.parse.TokenKind.NOT;
import static dev.veil.rego.internal.parse.TokenKind.NULL;
import static dev.veil.rego.internal.parse.TokenKind.NUMBER;
import static dev.veil.rego.internal.parse.TokenKind.OR;
import static dev.veil.rego.internal.parse.TokenKind.PACKAGE;
import static dev.veil.rego.internal.parse.TokenKind.QUO;
import static dev.veil.rego.internal.parse.TokenKind.RAW_TEMPLATE_END;
import static dev.veil.rego.internal.parse.TokenKind.RAW_TEMPLATE_PART;
import static dev.veil.rego.internal.parse.TokenKind.RBRACE;
import static dev.veil.rego.internal.parse.TokenKind.RBRACK;
import static dev.veil.rego.internal.parse.TokenKind.REM;
import static dev.veil.rego.internal.parse.TokenKind.RPAREN;
import static dev.veil.rego.internal.parse.TokenKind.SEMICOLON;
import static dev.veil.rego.internal.parse.TokenKind.SOME;
import static dev.veil.rego.internal.parse.TokenKind.STRING;
import static dev.veil.rego.internal.parse.TokenKind.SUB;
import static dev.veil.rego.internal.parse.TokenKind.TEMPLATE_END;
import static dev.veil.rego.internal.parse.TokenKind.TEMPLATE_PART;
import static dev.veil.rego.internal.parse.TokenKind.TRUE;
import static dev.veil.rego.internal.parse.TokenKind.UNIFY;
import static dev.veil.rego.internal.parse.TokenKind.WITH;

import dev.veil.rego.RegoError;
import dev.veil.rego.internal.ast.ArrayComprehension;
import dev.veil.rego.internal.ast.ArrayTerm;
import dev.veil.rego.internal.ast.Body;
import dev.veil.rego.internal.ast.Call;
import dev.veil.rego.internal.ast.Comment;
import dev.veil.rego.internal.ast.Every;
import dev.veil.rego.internal.ast.Expr;
import dev.veil.rego.internal.ast.Import;
import dev.veil.rego.internal.ast.Location;
import dev.veil.rego.internal.ast.Module;
import dev.veil.rego.internal.ast.Node;
import dev.veil.rego.internal.ast.ObjectComprehension;
import dev.veil.rego.internal.ast.ObjectTerm;
import dev.veil.rego.internal.ast.Package;
import dev.veil.rego.internal.ast.Ref;
import dev.veil.rego.internal.ast.Rule;
import dev.veil.rego.internal.ast.Scalar;
import dev.veil.rego.internal.ast.SetComprehension;
import dev.veil.rego.internal.ast.SetTerm;
import dev.veil.rego.internal.ast.SomeDecl;
import dev.veil.rego.internal.ast.SomeIn;
import dev.veil.rego.internal.ast.Statement;
import dev.veil.rego.internal.ast.TemplateString;
import dev.veil.rego.internal.ast.Term;
import dev.veil.rego.internal.ast.Var;
import dev.veil.rego.internal.ast.With;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.StringValue;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A recursive-descent parser for Rego v1, following OPA's parser ({@code v1/ast/parser.go}) in what it
 * accepts, in operator precedence ({@code in}, then {@code == != < <= > >=}, {@code |}, {@code &},
 * {@code + -}, {@code * / %}, all left-associative) and in its error messages.
 *
 * <p>Every failure is a {@link RegoParseException} with file, line, column and OPA's message, e.g.
 * {@code p.rego:3:9: rego_parse_error: unexpected } token: expected term}. Nesting deeper than
 * {@link #MAX_DEPTH} is refused with a parse error, so that no input overflows the stack (here or in
 * the compiler and evaluator, which walk the tree recursively); as in OPA, each operator of a chain
 * such as {@code 1 + 1 + 1} counts as one level, since {@code ((1 + 1) + 1)} nests; terms are
 * memoised by position, so backtracking (comprehension or not, {@code some x in xs} or
 * {@code some x}) never repeats work.
 *
 * <p>Not thread-safe; use one instance per parse (the static methods do).
 */
public final class Parser {
    /**
     * The deepest nesting accepted: of terms (arrays, objects, calls, comprehensions, parentheses...)
     * and of the calls an operator chain builds ({@code a + b + c} is {@code plus(plus(a, b), c)}).
     */
    public static final int MAX_DEPTH = 200;

    private static final Set<TokenKind> RELATION = EnumSet.of(EQUAL, NEQ, LT, GT, LTE, GTE);
    private static final Set<TokenKind> INFIX = EnumSet.of(ADD, SUB, MUL, QUO, REM, AND, OR, EQUAL, NEQ, GT, GTE,
            LT, LTE);
    private static final Set<String> FUTURE_KEYWORDS = Set.of("contains", "every", "if", "in");
    private static final String MEMBER_2 = "internal.member_2";
    private static final String MEMBER_3 = "internal.member_3";

    private final String file;
    private final List<Token> toks;
    private final List<Comment> comments;
    private int pos;
    private int depth;
    private int wildcards;
    /** A keyword token at the start of an expression that heads a ref ({@code null.x := 1}), read as a var. */
    private int identAt = -1;
    private final Map<Integer, Memo> memo = new HashMap<>();
    /** Errors that do not stop parsing (v1 keyword requirements), reported together at the end. */
    private final List<RegoError> deferred = new ArrayList<>();

    private record Memo(Term term, Failure failure, int end) {
    }

    /** A parse error while parsing; caught where the grammar has alternatives, else reported. */
    private static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient RegoError error;
        private final int at;
        private final boolean tooDeep;

        Failure(RegoError error, int at, boolean tooDeep) {
            super(error.message(), null, false, false);
            this.error = error;
            this.at = at;
            this.tooDeep = tooDeep;
        }
    }

    private Parser(String file, String source) {
        this.file = file == null ? "" : file;
        Lexer.Scanned scanned = Lexer.scan(source, this.file);
        this.toks = scanned.tokens();
        this.comments = scanned.comments();
    }

    /**
     * Parses one {@code .rego} module.
     *
     * @param file   the file name used in locations and messages
     * @param source the module's text
     * @throws RegoParseException if it is not a valid Rego v1 module
     */
    public static Module parseModule(String file, String source) {
        Parser p = new Parser(file, source);
        try {
            return p.module();
        } catch (Failure f) {
            throw p.exception(f);
        } catch (StackOverflowError e) {
            throw p.stackOverflow();
        }
    }

    /**
     * Parses a query: one or more expressions separated by {@code ;} or new lines, e.g.
     * {@code data.test.p = x}.
     *
     * @throws RegoParseException if it is not a valid query
     */
    public static Body parseQuery(String source) {
        Parser p = new Parser("", source);
        try {
            Body b = p.queryBody(false, EOF);
            p.finish();
            return b;
        } catch (Failure f) {
            throw p.exception(f);
        } catch (StackOverflowError e) {
            throw p.stackOverflow();
        }
    }

    /**
     * Parses a single term with operators, e.g. {@code {"a": [1, 2]}} (OPA's {@code input_term}).
     *
     * @throws RegoParseException if it is not one term
     */
    public static Term parseTerm(String source) {
        Parser p = new Parser("", source);
        try {
            Term t = p.termInfixCall(true);
            if (p.kind() != EOF) {
                throw p.illegal("expected end of term");
            }
            p.finish();
            return t;
        } catch (Failure f) {
            throw p.exception(f);
        } catch (StackOverflowError e) {
            throw p.stackOverflow();
        }
    }

    private RegoParseException exception(Failure f) {
        List<RegoError> all = new ArrayList<>(deferred);
        all.add(f.error);
        all.sort((a, b) -> a.line() != b.line() ? Integer.compare(a.line(), b.line())
                : Integer.compare(a.column(), b.column()));
        return new RegoParseException(all);
    }

    private RegoParseException stackOverflow() {
        Token t = tok();
        return new RegoParseException(List.of(new RegoError(RegoParseException.CODE,
                "max parsing recursion depth exceeded", file, t.line(), t.column())));
    }

    private void finish() {
        if (!deferred.isEmpty()) {
            throw new RegoParseException(deferred);
        }
    }

    // ------------------------------------------------------------------ tokens and errors

    private Token tok() {
        return toks.get(pos);
    }

    private TokenKind kind() {
        return toks.get(pos).kind();
    }

    private void next() {
        if (pos < toks.size() - 1) {
            pos++;
        }
    }

    private Location loc(Token t) {
        return new Location(file, t.line(), t.column());
    }

    private Location loc() {
        return loc(tok());
    }

    /** True when token {@code i} is directly followed (no space) by {@code .} or {@code [}. */
    private boolean refFollows(int i) {
        if (i + 1 >= toks.size()) {
            return false;
        }
        Token n = toks.get(i + 1);
        return !n.spaceBefore() && (n.kind() == DOT || n.kind() == LBRACK);
    }

    /** True when the current token is {@code k} used as a keyword, not as the head of a ref like {@code if.x}. */
    private boolean at(TokenKind k) {
        return kind() == k && !refFollows(pos);
    }

    private Failure error(Location at, String message) {
        Token t = tok();
        String msg = t.kind() == ILLEGAL && t.line() == at.line() && t.column() == at.column() ? t.text() : message;
        return new Failure(new RegoError(RegoParseException.CODE, msg, file, at.line(), at.column()), pos, false);
    }

    private Failure errorHere(String message) {
        return error(loc(), message);
    }

    /** OPA's {@code unexpected <token> token[: note]} at the current token (or the lexer's message). */
    private Failure illegal(String note) {
        Token t = tok();
        if (t.kind() == ILLEGAL) {
            return errorHere(t.text());
        }
        String msg = "unexpected " + t.kind().display() + (t.kind().isKeyword() ? " keyword" : " token");
        return errorHere(note.isEmpty() ? msg : msg + ": " + note);
    }

    private void defer(Location at, String message) {
        deferred.add(new RegoError(RegoParseException.CODE, message, file, at.line(), at.column()));
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            depth--;
            Token t = tok();
            throw new Failure(new RegoError(RegoParseException.CODE, "max parsing recursion depth exceeded (more than "
                    + MAX_DEPTH + " levels of nested terms and chained operators): split the expression, e.g. into"
                    + " several variables or rules", file, t.line(), t.column()), pos, true);
        }
    }

    private void leave() {
        depth--;
    }

    private Var var(Token t) {
        if (t.text().equals("_")) {
            return new Var(loc(t), Var.WILDCARD_PREFIX + wildcards++);
        }
        return new Var(loc(t), t.text());
    }

    private Term freshWildcards(Term t) {
        if (t instanceof Var v && v.isWildcard()) {
            return new Var(v.location(), Var.WILDCARD_PREFIX + wildcards++);
        }
        return t;
    }

    // ------------------------------------------------------------------ module, package, import

    private Module module() {
        Token first = tok();
        if (first.kind() == EOF) {
            throw errorHere("empty module");
        }
        if (first.kind() != PACKAGE || refFollows(pos)) {
            if (first.kind() == ILLEGAL) {
                throw illegal("");
            }
            throw errorHere("package expected");
        }
        Package pkg = packageDecl();
        List<Import> imports = new ArrayList<>();
        List<Rule> rules = new ArrayList<>();
        while (kind() != EOF) {
            if (kind() == PACKAGE && !refFollows(pos)) {
                throw errorHere("unexpected package");
            }
            if (kind() == IMPORT && !refFollows(pos)) {
                imports.add(importDecl());
                continue;
            }
            List<Rule> parsed = rules();
            if (parsed == null) {
                throw notARule();
            }
            rules.addAll(parsed);
        }
        finish();
        return new Module(loc(first), file, pkg, imports, rules, comments);
    }

    /** Names the term kind as OPA's {@code ast.TypeName}/{@code ValueName} do. */
    private static String typeName(Term t) {
        if (t instanceof Scalar s) {
            return s.value().typeName();
        }
        if (t instanceof Var) {
            return "var";
        }
        if (t instanceof Ref) {
            return "ref";
        }
        if (t instanceof ArrayTerm) {
            return "array";
        }
        if (t instanceof ObjectTerm) {
            return "object";
        }
        if (t instanceof SetTerm) {
            return "set";
        }
        if (t instanceof ArrayComprehension) {
            return "arraycomprehension";
        }
        if (t instanceof SetComprehension) {
            return "setcomprehension";
        }
        if (t instanceof ObjectComprehension) {
            return "objectcomprehension";
        }
        if (t instanceof Call) {
            return "call";
        }
        return "templatestring";
    }

    private Package packageDecl() {
        Token kw = tok();
        next();
        if (kind() != IDENT && !kind().isKeyword()) {
            throw illegal("expected ident");
        }
        Term t = identTerm();
        List<Term> path = new ArrayList<>();
        if (t instanceof Var v) {
            path.add(new Var(v.location(), "data"));
            path.add(Scalar.string(v.location(), v.name()));
        } else if (t instanceof Ref r) {
            if (!(r.head() instanceof Var head)) {
                throw error(r.head().location(), "unexpected " + typeName(r.head()) + " token: expecting var");
            }
            path.add(new Var(head.location(), "data"));
            path.add(Scalar.string(head.location(), head.name()));
            for (int i = 1; i < r.size(); i++) {
                Term step = r.get(i);
                if (!(step instanceof Scalar s) || !(s.value() instanceof StringValue)) {
                    throw error(step.location(), "unexpected " + typeName(step) + " token: expecting string");
                }
                path.add(step);
            }
        } else {
            throw error(t.location(), "unexpected " + typeName(t) + " token: expected package path");
        }
        return new Package(loc(kw), new Ref(path.get(0).location(), path));
    }

    private Import importDecl() {
        Token kw = tok();
        next();
        if (kind() != IDENT && !kind().isKeyword()) {
            throw illegal("expected ident");
        }
        Term t = identTerm();
        Ref path;
        if (t instanceof Var v) {
            path = new Ref(v.location(), List.of(v));
        } else if (t instanceof Ref r && r.head() instanceof Var) {
            for (int i = 1; i < r.size(); i++) {
                Term step = r.get(i);
                if (!(step instanceof Scalar s) || !(s.value() instanceof StringValue)) {
                    throw error(step.location(), "unexpected " + typeName(step) + " token: expecting string");
                }
            }
            path = r;
        } else {
            throw error(t.location(), "expected path");
        }
        String root = ((Var) path.head()).name();
        if (!Set.of("data", "input", "future", "rego").contains(root)) {
            throw error(path.location(), "unexpected import path, must begin with one of: {data, future, input, rego},"
                    + " got: " + root);
        }
        String alias = null;
        if (at(AS)) {
            next();
            if (kind() != IDENT) {
                throw illegal("expected var");
            }
            Term a = term();
            if (!(a instanceof Var av) || av.isWildcard()) {
                throw error(a.location(), "unexpected " + typeName(a) + " token: expected var");
            }
            alias = av.name();
        }
        if (alias == null && !root.equals("future")) {
            String last = path.size() == 1 ? root : ((StringValue) ((Scalar) path.get(path.size() - 1)).value()).value();
            if (TokenKind.keywordOrIdent(last) != IDENT) {
                Term lt = path.get(path.size() - 1);
                throw error(lt.location(), "unexpected import path, must not end with a keyword, got: " + last
                        + " (hint: import a different path or use an alias)");
            }
        }
        if (root.equals("rego")) {
            if (!"rego.v1".equals(path.dottedName())) {
                throw error(path.location(), "invalid import `" + path + "`, must be `rego.v1`");
            }
            if (alias != null) {
                throw error(path.location(), "`rego` imports cannot be aliased");
            }
        } else if (root.equals("future")) {
            futureImport(path, alias);
        }
        return new Import(loc(kw), path, alias);
    }

    private void futureImport(Ref path, String alias) {
        if (path.size() == 1 || !(path.get(1) instanceof Scalar s) || !StringValue.of("keywords").equals(s.value())) {
            throw error(path.location(), "invalid import, must be `future.keywords`");
        }
        if (alias != null) {
            throw error(path.location(), "`future` imports cannot be aliased");
        }
        if (path.size() == 3) {
            String kw = ((StringValue) ((Scalar) path.get(2)).value()).value();
            if (!FUTURE_KEYWORDS.contains(kw)) {
                throw error(path.location(), "unexpected keyword, must be one of [contains every if in]");
            }
        } else if (path.size() > 3) {
            throw error(path.location(), "invalid import, must be `future.keywords.x`, e.g. `import future.keywords.in`");
        }
    }

    /** A variable from the current identifier or keyword (as in {@code package a.if}), then its ref steps. */
    private Term identTerm() {
        Token t = tok();
        Var v = var(t);
        next();
        return termFinish(v);
    }

    // ------------------------------------------------------------------ rules

    /** What a rule head says. */
    private static final class Head {
        Ref ref;
        List<Term> args;
        Term key;
        Term value;
        boolean assign;
        boolean contains;
        boolean explicitValue;
    }

    /** The rules of one statement (several for {@code p if { a } { b }}), or null if it is not a rule. */
    private List<Rule> rules() {
        Token first = tok();
        Location ruleLoc = loc(first);
        boolean isDefault = false;
        if (kind() == DEFAULT && !refFollows(pos)) {
            next();
            isDefault = true;
        }
        if (kind() != IDENT && !(kind().isKeyword() && refFollows(pos))) {
            if (isDefault) {
                throw illegal("expected rule head name");
            }
            return null;
        }
        Head h = head(isDefault);
        if (isDefault) {
            return List.of(defaultRule(ruleLoc, h));
        }
        boolean hasIf = at(IF);
        Term key = h.key;
        boolean v0PartialSet = false;
        if (hasIf && !h.contains && h.ref.size() == 2) {
            Term v = h.ref.get(1);
            if ((!v.isGround() || v instanceof Ref) && h.args == null) {
                key = v;
            }
            if (h.value == null) {
                h.value = Scalar.trueAt(h.ref.location());
            }
        }
        if (!hasIf && !h.contains && h.args == null && h.ref.size() == 2 && h.value == null) {
            // OPA v0's `p[x] { ... }`: a partial set, which v1 writes `p contains x if { ... }`
            key = h.ref.get(1);
            h.ref = new Ref(h.ref.location(), List.of(h.ref.head()));
            v0PartialSet = true;
        }
        if (!hasIf && kind() == LBRACE) {
            defer(ruleLoc, h.args != null ? "`if` keyword is required before function body"
                    : "`if` keyword is required before rule body");
        }
        if (v0PartialSet) {
            defer(ruleLoc, "`contains` keyword is required for partial set rules");
        }
        Body body;
        if (hasIf) {
            next();
            body = ifBody();
        } else if (kind() == LBRACE) {
            next();
            body = braceBody();
        } else if (h.contains || v0PartialSet || h.explicitValue || h.args != null) {
            // no body: `p contains 1`, `p := 1`, `f(x) := 1`, `f(x)` (true)
            return List.of(rule(ruleLoc, false, h, key, Body.trueAt(ruleLoc), null, v0PartialSet));
        } else if (h.ref.size() == 1) {
            throw error(ruleLoc, "var cannot be used for rule name");
        } else {
            throw error(ruleLoc, "refs cannot be used for rule");
        }
        Rule elseRule = null;
        if (at(ELSE)) {
            if (h.ref.size() > 1 && !groundSteps(h.ref)) {
                throw errorHere("else keyword cannot be used on rules with variables in head");
            }
            if (key != null || h.contains || v0PartialSet) {
                throw errorHere("else keyword cannot be used on multi-value rules");
            }
            elseRule = elseRule(h);
        }
        List<Rule> out = new ArrayList<>();
        out.add(rule(ruleLoc, false, h, key, body, elseRule, v0PartialSet));
        while (kind() == LBRACE) {
            if (elseRule != null) {
                throw errorHere("expected else keyword");
            }
            Location chained = loc();
            next();
            Body more = braceBody();
            Head copy = copyWithFreshWildcards(h);
            out.add(rule(chained, false, copy, key, more, null, v0PartialSet));
        }
        return out;
    }

    private static boolean groundSteps(Ref r) {
        for (int i = 1; i < r.size(); i++) {
            if (!r.get(i).isGround()) {
                return false;
            }
        }
        return true;
    }

    private Head copyWithFreshWildcards(Head h) {
        Head c = new Head();
        c.ref = h.ref;
        c.args = h.args == null ? null : h.args.stream().map(this::freshWildcards).toList();
        c.key = h.key;
        c.value = h.value;
        c.assign = h.assign;
        c.contains = h.contains;
        c.explicitValue = h.explicitValue;
        return c;
    }

    private Rule rule(Location loc, boolean isDefault, Head h, Term key, Body body, Rule elseRule,
                      boolean partialSet) {
        Rule.Kind kind;
        Term value = h.value;
        if (h.contains || partialSet) {
            kind = Rule.Kind.PARTIAL_SET;
            value = null;
        } else if (h.args != null) {
            kind = Rule.Kind.FUNCTION;
        } else if (h.ref.isGroundPath()) {
            kind = Rule.Kind.COMPLETE;
            key = null;
        } else {
            kind = Rule.Kind.PARTIAL_OBJECT;
            if (key == null) {
                key = h.ref.get(h.ref.size() - 1);
            }
        }
        if (kind == Rule.Kind.FUNCTION) {
            key = null;
        }
        if (value == null && kind != Rule.Kind.PARTIAL_SET) {
            value = Scalar.trueAt(h.ref.location());
        }
        return new Rule(loc, kind, isDefault, h.ref, h.args, key, value, h.assign, body, elseRule);
    }

    private Head head(boolean isDefault) {
        Token nameTok = tok();
        Var name = var(nameTok);
        next();
        Term term = name;
        if (!tok().spaceBefore() && (kind() == LPAREN || kind() == DOT || kind() == LBRACK)) {
            term = ref(name);
        } else if (name.name().equals("data") || name.name().equals("input")) {
            term = new Ref(name.location(), List.of(name));
        }
        if (INFIX.contains(kind())) {
            throw illegal("");
        }
        Head h = new Head();
        if (term instanceof Var v) {
            h.ref = new Ref(v.location(), List.of(v));
        } else if (term instanceof Ref r) {
            h.ref = r;
        } else if (term instanceof Call c) {
            h.ref = c.operator();
            h.args = c.args();
        } else {
            throw error(term.location(), "rule head " + term + " invalid: expected a name, a reference or a "
                    + "function signature");
        }
        if (!(h.ref.head() instanceof Var)) {
            throw error(term.location(), "rule head ref " + h.ref + " invalid");
        }
        for (int i = 1; i < h.ref.size(); i++) {
            if (h.ref.get(i) instanceof Call) {
                throw error(term.location(), "rule head ref " + h.ref + " invalid");
            }
        }
        String name2 = h.ref.toString();
        switch (refFollows(pos) ? IDENT : kind()) {
            case CONTAINS -> {
                if (h.args != null) {
                    throw illegal("the contains keyword can only be used with multi-value rule definitions (e.g., "
                            + name2 + " contains <VALUE> { ... })");
                }
                next();
                h.key = termInfixCall(true);
                h.contains = true;
                return h;
            }
            case UNIFY -> {
                next();
                h.value = termInfixCall(true);
                h.explicitValue = true;
            }
            case ASSIGN -> {
                next();
                h.assign = true;
                h.value = termInfixCall(true);
                h.explicitValue = true;
            }
            default -> {
                // no value: `p if ...`, `f(x) if ...`, `p[x] if ...`
            }
        }
        if (h.value == null && (h.ref.size() != 2 || h.args != null)) {
            h.value = Scalar.trueAt(h.ref.location());
        }
        if (isDefault && h.value == null) {
            throw error(loc(nameTok), "illegal default rule (must have a value)");
        }
        return h;
    }

    private Rule defaultRule(Location loc, Head h) {
        if (h.contains || h.value == null) {
            throw error(loc, "illegal default rule (must have a value)");
        }
        String bad = firstNonConstant(h.value);
        if (bad != null) {
            throw error(loc, "illegal default rule (value cannot contain " + bad + ")");
        }
        if (h.args != null) {
            Set<String> seen = new HashSet<>();
            for (Term a : h.args) {
                if (!(a instanceof Var v)) {
                    throw error(loc, "illegal default rule (arguments cannot contain " + typeName(a) + ")");
                }
                if (!v.isWildcard() && !seen.add(v.name())) {
                    throw error(loc, "illegal default rule (arguments cannot be repeated " + v.name() + ")");
                }
            }
        }
        return rule(loc, true, h, null, Body.trueAt(loc), null, false);
    }

    /** "var", "ref" or "call" for the first such term outside comprehensions, or null. */
    private static String firstNonConstant(Term t) {
        if (t instanceof Var) {
            return "var";
        }
        if (t instanceof Ref) {
            return "ref";
        }
        if (t instanceof Call) {
            return "call";
        }
        if (t instanceof TemplateString s) {
            return s.isGround() ? null : "call";
        }
        List<Term> inner = new ArrayList<>();
        if (t instanceof ArrayTerm a) {
            inner.addAll(a.elements());
        } else if (t instanceof SetTerm st) {
            inner.addAll(st.elements());
        } else if (t instanceof ObjectTerm o) {
            for (ObjectTerm.Entry e : o.entries()) {
                inner.add(e.key());
                inner.add(e.value());
            }
        }
        for (Term x : inner) {
            String bad = firstNonConstant(x);
            if (bad != null) {
                return bad;
            }
        }
        return null;
    }

    /** After {@code if}: one expression, or a braced body. */
    private Body ifBody() {
        int save = pos;
        Failure literalFailure = null;
        try {
            Expr e = literal();
            boolean setLiteral = e.statement() instanceof SetTerm && !e.negated() && e.withs().isEmpty();
            if (!setLiteral) {
                return new Body(e.location(), List.of(e));
            }
        } catch (Failure f) {
            if (f.tooDeep) {
                throw f;
            }
            literalFailure = f;
        }
        pos = save;
        if (kind() != LBRACE) {
            throw literalFailure != null ? literalFailure : illegal("expected rule body");
        }
        next();
        return braceBody();
    }

    /** A body up to and including {@code }} (the {@code {} already consumed). */
    private Body braceBody() {
        Body b = body(RBRACE);
        next();
        return b;
    }

    private Rule elseRule(Head h) {
        Token elseTok = tok();
        Location loc = loc(elseTok);
        next();
        Head eh = copyWithFreshWildcards(h);
        eh.assign = false;
        switch (kind()) {
            case LBRACE, IF -> eh.value = Scalar.trueAt(loc);
            case ASSIGN, UNIFY -> {
                eh.assign = kind() == ASSIGN;
                next();
                eh.value = termInfixCall(true);
            }
            default -> throw illegal("expected else value term or rule body");
        }
        Body body;
        if (kind() == IF) {
            next();
            if (kind() == EOF) {
                throw illegal("rule body expected");
            }
            body = ifBody();
        } else if (kind() == LBRACE) {
            defer(loc, "`if` keyword is required before rule body");
            next();
            body = braceBody();
        } else {
            body = Body.trueAt(loc);
        }
        Rule next = null;
        if (at(ELSE)) {
            next = elseRule(h);
        }
        return rule(loc, false, eh, null, body, next, false);
    }

    /** The error for a statement that is not a rule, as OPA's {@code ParseRuleFromExpr} words it. */
    private Failure notARule() {
        Expr e = literal();
        Location at = e.location();
        if (!e.withs().isEmpty()) {
            return error(at, "expressions using with keyword cannot be used for rule head");
        }
        if (e.negated()) {
            return error(at, "negated expressions cannot be used for rule head");
        }
        Statement st = e.statement();
        if (st instanceof SomeDecl || st instanceof SomeIn) {
            return error(at, "some declarations cannot be used for rule head");
        }
        if (st instanceof Every) {
            return error(at, "every expressions cannot be used for rule head");
        }
        if (st instanceof Call) {
            return error(at, "rule name conflicts with built-in function");
        }
        return error(at, typeName((Term) st) + " cannot be used for rule name");
    }

    // ------------------------------------------------------------------ bodies and expressions

    private Body body(TokenKind end) {
        enter();
        try {
            return queryBody(false, end);
        } finally {
            leave();
        }
    }

    private Body queryBody(boolean requireSemi, TokenKind end) {
        Location start = loc();
        if (kind() == end) {
            throw errorHere("found empty body");
        }
        List<Expr> exprs = new ArrayList<>();
        while (true) {
            exprs.add(literal());
            if (kind() == SEMICOLON) {
                next();
                continue;
            }
            if (kind() == end || requireSemi) {
                return new Body(start, exprs);
            }
            if (!tok().newlineBefore()) {
                throw illegal("expected \\n or ; or " + end.display());
            }
        }
    }

    private Expr literal() {
        Token start = tok();
        if (kind().isKeyword() && refFollows(pos)) {
            identAt = pos;
            return literalExpr(false, start);
        }
        boolean negated = false;
        if (kind() == NOT) {
            next();
            negated = true;
        }
        if (kind() == SOME) {
            if (negated) {
                throw illegal("illegal negation of 'some'");
            }
            return some();
        }
        if (kind() == EVERY) {
            if (negated) {
                throw illegal("illegal negation of 'every'");
            }
            return every();
        }
        return literalExpr(negated, start);
    }

    private Expr literalExpr(boolean negated, Token start) {
        Statement s = expr();
        List<With> withs = at(WITH) ? withs() : List.of();
        return new Expr(loc(start), negated, s, withs);
    }

    private List<With> withs() {
        List<With> out = new ArrayList<>();
        do {
            Token w = tok();
            next();
            if (kind() != IDENT && !(kind().isKeyword() && refFollows(pos))) {
                throw illegal("expected ident");
            }
            Term target = term();
            if (!(target instanceof Ref) && !(target instanceof Var)) {
                throw error(target.location(), "unexpected " + typeName(target) + " token: expected with target path");
            }
            if (kind() != AS) {
                throw illegal("expected as keyword");
            }
            next();
            Term value = termInfixCall(true);
            out.add(new With(loc(w), target, value));
        } while (at(WITH));
        return out;
    }

    private Expr some() {
        Token s = tok();
        int save = pos;
        next();
        Term t = null;
        try {
            t = termInfixCall(true);
        } catch (Failure f) {
            if (f.tooDeep) {
                throw f;
            }
        }
        if (t instanceof Call c) {
            String name = c.name();
            SomeIn in;
            if (MEMBER_2.equals(name)) {
                in = new SomeIn(loc(s), null, c.args().get(0), c.args().get(1));
            } else if (MEMBER_3.equals(name)) {
                in = new SomeIn(loc(s), c.args().get(0), c.args().get(1), c.args().get(2));
            } else {
                throw illegal("expected `x in xs` or `x, y in xs` expression");
            }
            List<With> withs = at(WITH) ? withs() : List.of();
            return new Expr(loc(s), false, in, withs);
        }
        pos = save;
        List<Var> vars = new ArrayList<>();
        do {
            next();
            if (kind() != IDENT) {
                throw illegal("expected var");
            }
            vars.add(var(tok()));
            next();
        } while (kind() == COMMA);
        return new Expr(loc(s), false, new SomeDecl(loc(s), vars), List.of());
    }

    private Expr every() {
        Token e = tok();
        next();
        Term t = termInfixCall(true);
        if (!(t instanceof Call c) || !(MEMBER_2.equals(c.name()) || MEMBER_3.equals(c.name()))) {
            throw illegal("expected `x[, y] in xs { ... }` expression");
        }
        Term key = null;
        Term value;
        Term domain;
        if (MEMBER_2.equals(c.name())) {
            value = c.args().get(0);
            domain = c.args().get(1);
        } else {
            key = c.args().get(0);
            value = c.args().get(1);
            domain = c.args().get(2);
            if (!(key instanceof Var)) {
                throw error(key.location(), "unexpected " + typeName(key) + " token: expected key to be a variable");
            }
        }
        if (!(value instanceof Var)) {
            throw error(value.location(), "unexpected " + typeName(value) + " token: expected value to be a variable");
        }
        if (kind() != LBRACE) {
            throw illegal("missing body");
        }
        next();
        Body body = braceBody();
        List<With> withs = at(WITH) ? withs() : List.of();
        return new Expr(loc(e), false, new Every(loc(e), key, value, domain, body), withs);
    }

    private Statement expr() {
        Term lhs = termInfixCall(true);
        if (kind() == ASSIGN || kind() == UNIFY) {
            Token op = tok();
            next();
            Term rhs = termInfixCall(true);
            return new Call(lhs.location(), Ref.of(loc(op), op.kind() == ASSIGN ? "assign" : "eq"), List.of(lhs, rhs));
        }
        return lhs;
    }

    // ------------------------------------------------------------------ infix operators

    private Call call(Term lhs, Token op, String name, Term... args) {
        return new Call(lhs.location(), Ref.of(loc(op), name), List.of(args));
    }

    private Call member(Term lhs, Token op, Term... args) {
        String name = args.length == 2 ? "member_2" : "member_3";
        return new Call(lhs.location(), Ref.of(loc(op), "internal", name), List.of(args));
    }

    /** {@code in} (lowest precedence) and, when {@code keyVal}, the {@code k, v in xs} form. */
    private Term termInfixCall(boolean keyVal) {
        Term lhs = relation();
        int chained = 0; // each operator nests the calls so far one level deeper (see enter)
        try {
            while (true) {
                if (keyVal && kind() == COMMA) {
                    int save = pos;
                    int saveChained = chained;
                    try {
                        next();
                        Term mhs = relation();
                        if (at(IN)) {
                            Token op = chainedOperator();
                            chained++;
                            Term rhs = relation();
                            lhs = member(lhs, op, lhs, mhs, rhs);
                            if (at(IN)) {
                                continue;
                            }
                            return lhs;
                        }
                    } catch (Failure f) {
                        if (f.tooDeep) {
                            throw f;
                        }
                    }
                    pos = save;
                    depth -= chained - saveChained;
                    chained = saveChained;
                }
                if (at(IN)) {
                    Token op = chainedOperator();
                    chained++;
                    Term rhs = relation();
                    lhs = member(lhs, op, lhs, rhs);
                    continue;
                }
                return lhs;
            }
        } finally {
            depth -= chained;
        }
    }

    private Term relation() {
        return chain(this::or, RELATION::contains, op -> op.kind().display());
    }

    private Term or() {
        return chain(this::and, k -> k == OR, op -> "or");
    }

    private Term and() {
        return chain(this::arith, k -> k == AND, op -> "and");
    }

    private Term arith() {
        return chain(this::factor, k -> k == ADD || k == SUB, op -> op.kind().display());
    }

    private Term factor() {
        return chain(this::term, k -> k == MUL || k == QUO || k == REM, op -> op.kind().display());
    }

    /**
     * Takes the operator at the cursor of a chain: one nesting level deeper (see enter; the caller
     * counts it, and gives the levels back when the chain ends) and the token after it.
     */
    private Token chainedOperator() {
        Token op = tok();
        enter();
        next();
        return op;
    }

    /**
     * A left-associative chain {@code operand (op operand)*} of the operators {@code isOperator}
     * accepts, each a call of the built-in {@code name} gives it; each operator nests the calls so far
     * one level deeper (see enter), so that a long chain meets the depth limit instead of overflowing
     * the compiler's stack.
     */
    private Term chain(java.util.function.Supplier<Term> operand, java.util.function.Predicate<TokenKind> isOperator,
            java.util.function.Function<Token, String> name) {
        Term lhs = operand.get();
        int chained = 0;
        try {
            while (isOperator.test(kind())) {
                Token op = chainedOperator();
                chained++;
                lhs = call(lhs, op, name.apply(op), lhs, operand.get());
            }
            return lhs;
        } finally {
            depth -= chained;
        }
    }

    // ------------------------------------------------------------------ terms

    private Term term() {
        int start = pos;
        int key = start * 2 + (start == identAt ? 1 : 0);
        Memo m = memo.get(key);
        if (m != null) {
            if (m.failure != null) {
                throw m.failure;
            }
            pos = m.end;
            return m.term;
        }
        enter();
        try {
            Term t = termFinish(termStart());
            memo.put(key, new Memo(t, null, pos));
            return t;
        } catch (Failure f) {
            if (!f.tooDeep) {
                memo.put(key, new Memo(null, f, 0));
            }
            throw f;
        } finally {
            leave();
        }
    }

    private Term termStart() {
        Token t = tok();
        if (pos == identAt) {
            next();
            return var(t);
        }
        switch (t.kind()) {
            case NULL -> {
                next();
                return new Scalar(loc(t), NullValue.NULL);
            }
            case TRUE, FALSE -> {
                next();
                return new Scalar(loc(t), BooleanValue.of(t.kind() == TRUE));
            }
            case SUB, DOT, NUMBER -> {
                return number();
            }
            case STRING -> {
                next();
                return Scalar.string(loc(t), t.text());
            }
            case TEMPLATE_PART, TEMPLATE_END, RAW_TEMPLATE_PART, RAW_TEMPLATE_END -> {
                return templateString();
            }
            case IDENT, CONTAINS -> {
                next();
                return var(t);
            }
            case LBRACK -> {
                return array();
            }
            case LBRACE -> {
                return setOrObject();
            }
            case LPAREN -> {
                next();
                Term r = termInfixCall(true);
                if (kind() != RPAREN) {
                    throw errorHere("non-terminated expression");
                }
                next();
                return r;
            }
            default -> {
                if (t.kind().isKeyword() && refFollows(pos)) {
                    next();
                    return var(t);
                }
                throw illegal("expected term");
            }
        }
    }

    /** Continues a term with {@code .x}, {@code [x]} or {@code (args)} written directly after it. */
    private Term termFinish(Term head) {
        if (!tok().spaceBefore() && (kind() == LPAREN || kind() == DOT || kind() == LBRACK)) {
            return ref(head);
        }
        if (head instanceof Var v && (v.name().equals("data") || v.name().equals("input"))) {
            return new Ref(v.location(), List.of(v));
        }
        return head;
    }

    private Term ref(Term head) {
        enter();
        try {
            Location loc = head.location();
            if (head instanceof Scalar || head instanceof Ref || head instanceof TemplateString) {
                throw error(loc, "illegal ref (head cannot be " + typeName(head) + ")");
            }
            List<Term> terms = new ArrayList<>();
            terms.add(head);
            while (!tok().spaceBefore()) {
                switch (kind()) {
                    case DOT -> {
                        Token dot = tok();
                        next();
                        if (tok().spaceBefore()) {
                            throw error(new Location(file, dot.line(), dot.column() + 1),
                                    "unexpected whitespace token: expected ident");
                        }
                        if (kind() != IDENT && !kind().isKeyword()) {
                            throw illegal("expected ident");
                        }
                        terms.add(Scalar.string(loc(), tok().text()));
                        next();
                    }
                    case LBRACK -> {
                        next();
                        Term t = termInfixCall(true);
                        if (kind() != RBRACK) {
                            throw illegal("expected ]");
                        }
                        terms.add(t);
                        next();
                    }
                    case LPAREN -> {
                        Term c = call(new Ref(loc, terms), loc);
                        if (!tok().spaceBefore() && (kind() == DOT || kind() == LBRACK)) {
                            return ref(c);
                        }
                        return c;
                    }
                    default -> {
                        return new Ref(loc, terms);
                    }
                }
            }
            return new Ref(loc, terms);
        } finally {
            leave();
        }
    }

    private Term call(Ref operator, Location loc) {
        next(); // (
        if (kind() == RPAREN) {
            next();
            if (operator.size() == 1 && operator.head() instanceof Var v && v.name().equals("set")) {
                return new SetTerm(loc, List.of());
            }
            return new Call(loc, operator, List.of());
        }
        List<Term> args = termList(RPAREN, new ArrayList<>());
        next();
        return new Call(loc, operator, args);
    }

    private List<Term> termList(TokenKind end, List<Term> r) {
        if (kind() == end) {
            return r;
        }
        while (true) {
            r.add(termInfixCall(false));
            if (kind() == end) {
                return r;
            }
            if (kind() == COMMA) {
                next();
                if (kind() == end) {
                    return r;
                }
                continue;
            }
            throw illegal("expected \",\" or \"" + end.display() + "\"");
        }
    }

    private Term array() {
        Location loc = loc();
        next(); // [
        if (kind() == RBRACK) {
            next();
            return new ArrayTerm(loc, List.of());
        }
        boolean maybeComprehension = true;
        if (kind() == COMMA) { // [, x] is accepted, as OPA does
            maybeComprehension = false;
            next();
        }
        int s = pos;
        Term head = term();
        switch (kind()) {
            case RBRACK -> {
                next();
                return new ArrayTerm(loc, List.of(head));
            }
            case COMMA -> {
                next();
                List<Term> list = termList(RBRACK, new ArrayList<>(List.of(head)));
                next();
                return new ArrayTerm(loc, list);
            }
            case OR -> {
                if (maybeComprehension) {
                    next();
                    try {
                        Body b = body(RBRACK);
                        next();
                        return new ArrayComprehension(loc, head, b);
                    } catch (Failure f) {
                        if (f.tooDeep || toks.get(f.at).kind() != COMMA) {
                            throw f;
                        }
                    }
                }
            }
            default -> {
            }
        }
        pos = s;
        List<Term> list = termList(RBRACK, new ArrayList<>());
        if (kind() != RBRACK) {
            throw illegal("expected \"]\"");
        }
        next();
        return new ArrayTerm(loc, list);
    }

    private Term setOrObject() {
        Location loc = loc();
        next(); // {
        if (kind() == RBRACE) {
            next();
            return new ObjectTerm(loc, List.of());
        }
        boolean maybeComprehension = true;
        if (kind() == COMMA) {
            maybeComprehension = false;
            next();
        }
        int s = pos;
        Term head = term();
        switch (kind()) {
            case OR -> {
                if (maybeComprehension) {
                    return set(loc, s, head, true);
                }
            }
            case RBRACE, COMMA -> {
                return set(loc, s, head, maybeComprehension);
            }
            case COLON -> {
                return object(loc, head, maybeComprehension);
            }
            default -> {
            }
        }
        pos = s;
        head = termInfixCall(false);
        switch (kind()) {
            case RBRACE, COMMA -> {
                return set(loc, s, head, false);
            }
            case COLON -> {
                return object(loc, head, maybeComprehension);
            }
            default -> throw illegal("non-terminated set");
        }
    }

    private Term set(Location loc, int s, Term head, boolean maybeComprehension) {
        switch (kind()) {
            case RBRACE -> {
                next();
                return new SetTerm(loc, List.of(head));
            }
            case COMMA -> {
                next();
                List<Term> list = termList(RBRACE, new ArrayList<>(List.of(head)));
                next();
                return new SetTerm(loc, list);
            }
            default -> { // OR
                if (maybeComprehension) {
                    next();
                    try {
                        Body b = body(RBRACE);
                        next();
                        return new SetComprehension(loc, head, b);
                    } catch (Failure f) {
                        if (f.tooDeep || toks.get(f.at).kind() != COMMA) {
                            throw f;
                        }
                    }
                }
                pos = s;
                List<Term> list = termList(RBRACE, new ArrayList<>());
                if (kind() != RBRACE) {
                    throw illegal("expected \"}\"");
                }
                next();
                return new SetTerm(loc, list);
            }
        }
    }

    private Term object(Location loc, Term key, boolean maybeComprehension) {
        next(); // :
        int s = pos;
        Term v = term();
        boolean maybeRelation = true;
        Failure comprehensionFailure = null;
        if (maybeComprehension) {
            switch (kind()) {
                case RBRACE, COMMA -> {
                    return objectFinish(loc, key, v, true);
                }
                case OR -> {
                    try {
                        return objectFinish(loc, key, v, true);
                    } catch (Failure f) {
                        if (f.tooDeep) {
                            throw f;
                        }
                        comprehensionFailure = f;
                    }
                }
                default -> {
                }
            }
        } else if (kind() == RBRACE || kind() == COMMA) {
            return objectFinish(loc, key, v, false);
        }
        pos = s;
        try {
            Term v2 = termInfixCall(false);
            if (kind() == RBRACE || kind() == COMMA) {
                return objectFinish(loc, key, v2, false);
            }
        } catch (Failure f) {
            throw comprehensionFailure != null ? comprehensionFailure : f;
        }
        if (comprehensionFailure != null) {
            throw comprehensionFailure;
        }
        throw illegal("non-terminated object");
    }

    private Term objectFinish(Location loc, Term key, Term value, boolean maybeComprehension) {
        switch (kind()) {
            case RBRACE -> {
                next();
                return new ObjectTerm(loc, List.of(new ObjectTerm.Entry(key, value)));
            }
            case OR -> {
                if (!maybeComprehension) {
                    throw illegal("non-terminated object");
                }
                next();
                Body b = body(RBRACE);
                next();
                return new ObjectComprehension(loc, key, value, b);
            }
            case COMMA -> {
                next();
                List<ObjectTerm.Entry> entries = new ArrayList<>();
                entries.add(new ObjectTerm.Entry(key, value));
                pairList(entries);
                next();
                return new ObjectTerm(loc, entries);
            }
            default -> throw illegal("non-terminated object");
        }
    }

    private void pairList(List<ObjectTerm.Entry> r) {
        if (kind() == RBRACE) {
            return;
        }
        while (true) {
            Term key = termInfixCall(false);
            if (kind() != COLON) {
                throw illegal("expected \":\"");
            }
            next();
            Term value = termInfixCall(false);
            r.add(new ObjectTerm.Entry(key, value));
            if (kind() == RBRACE) {
                return;
            }
            if (kind() == COMMA) {
                next();
                if (kind() == RBRACE) {
                    return;
                }
                continue;
            }
            throw illegal("expected \",\" or \"}\"");
        }
    }

    private Term number() {
        Token start = tok();
        String prefix = "";
        if (kind() == SUB) {
            prefix = "-";
            next();
            if (kind() != NUMBER && kind() != DOT) {
                throw illegal("expected number");
            }
        }
        if (kind() == DOT) {
            prefix += ".";
            next();
            if (kind() != NUMBER) {
                throw illegal("expected number");
            }
        }
        String lit = tok().text();
        boolean fractionOnly = prefix.endsWith(".");
        if (!fractionOnly && lit.length() > 1 && lit.charAt(0) == '0') {
            boolean decimal = lit.charAt(1) == '.';
            boolean scientific = lit.length() > 2 && (lit.charAt(1) == 'e' || lit.charAt(1) == 'E');
            if (!decimal && !scientific) {
                throw illegal("expected number without leading zero");
            }
        }
        String text = prefix + lit;
        NumberValue n;
        try {
            BigDecimal d = new BigDecimal(fractionOnly ? prefix.replace(".", "0.") + lit : text);
            long exponent = (long) d.precision() - d.scale();
            if (d.signum() != 0 && Math.abs(exponent) > 30_000) {
                throw errorHere("number too big");
            }
            n = fractionOnly ? NumberValue.of(d) : NumberValue.parse(text);
        } catch (NumberFormatException e) {
            throw errorHere("number too big");
        }
        next();
        return new Scalar(loc(start), n);
    }

    private Term templateString() {
        Token start = tok();
        boolean raw = start.kind() == RAW_TEMPLATE_PART || start.kind() == RAW_TEMPLATE_END;
        List<Node> parts = new ArrayList<>();
        while (true) {
            Token part = tok();
            if (!part.text().isEmpty()) {
                parts.add(Scalar.string(loc(part), part.text()));
            }
            if (part.kind() == TEMPLATE_END || part.kind() == RAW_TEMPLATE_END) {
                next();
                break;
            }
            next();
            Expr e = literal();
            if (e.negated()) {
                throw error(e.location(), "unexpected negation ('not') in template-string expression");
            }
            if (e.statement() instanceof Call c && "eq".equals(c.name())) {
                throw error(e.location(), "unexpected unification ('=') in template-string expression");
            }
            if (e.statement() instanceof Call c && "assign".equals(c.name())) {
                throw error(e.location(), "unexpected assignment (':=') in template-string expression");
            }
            if (e.statement() instanceof Every) {
                throw error(e.location(), "unexpected 'every' in template-string expression");
            }
            if (e.statement() instanceof SomeDecl || e.statement() instanceof SomeIn) {
                throw error(e.location(), "unexpected 'some' in template-string expression");
            }
            if (e.statement() instanceof Scalar sc && e.withs().isEmpty()) {
                parts.add(sc);
            } else {
                parts.add(e);
            }
            if (kind() != RBRACE) {
                throw errorHere("expected } to end template string expression");
            }
            next();
            TokenKind k = kind();
            if (k != TEMPLATE_PART && k != TEMPLATE_END && k != RAW_TEMPLATE_PART && k != RAW_TEMPLATE_END) {
                throw illegal("expected the rest of the template string");
            }
        }
        return new TemplateString(loc(start), parts, raw);
    }
}
