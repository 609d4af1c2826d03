package dev.veil.internal.validation;

import dev.veil.internal.text.NumberText;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * A compiled cross-field rule: a condition over named features, e.g.
 * {@code loan_amount <= 10 * income and age >= 18}.
 *
 * <h2>Grammar</h2>
 *
 * <pre>
 * rule       = or-expr                          (must be a condition, not a number)
 * or-expr    = and-expr { "or" and-expr }
 * and-expr   = not-expr { "and" not-expr }
 * not-expr   = "not" not-expr | comparison
 * comparison = sum [ ( "&lt;" | "&lt;=" | "&gt;" | "&gt;=" | "==" | "!=" ) sum ]   (not chainable)
 * sum        = product { ( "+" | "-" ) product }
 * product    = unary { ( "*" | "/" ) unary }
 * unary      = "-" unary | primary
 * primary    = number | feature | function "(" args ")" | "(" or-expr ")"
 * function   = "abs" (1 argument) | "min" (2) | "max" (2)
 * number     = digits [ "." digits ] [ ("e" | "E") [ "+" | "-" ] digits ]  |  "." digits [ exponent ]
 * feature    = [A-Za-z_][A-Za-z0-9_.]*          (not "and", "or", "not")
 * </pre>
 *
 * <p>An expression nests at most {@value #MAX_DEPTH} levels deep (each parenthesis, function call,
 * {@code not} and unary minus is a level), and its tree of operations is at most
 * {@value #MAX_TREE_DEPTH} deep (a chain {@code a + b + c} adds one per operator: a sum of 999
 * features is fine, a longer one is grouped with parentheses). A deeper one is refused when it is
 * compiled, so that neither compiling nor evaluating it can exhaust the thread's stack.
 *
 * <p>Precedence, loosest first: {@code or}, {@code and}, {@code not}, comparisons, {@code + -},
 * {@code * /}, unary minus. Operators of one level associate to the left. Whitespace is free. The
 * operands of arithmetic and comparisons must be numbers; the operands of {@code and}, {@code or}
 * and {@code not} must be conditions; both are checked at compile time.
 *
 * <h2>Evaluation</h2>
 *
 * <p>{@code and} and {@code or} short-circuit from left to right, so a guard such as
 * {@code income == 0 or loan / income < 10} works. A rule <em>fails</em> (the request is refused)
 * when it evaluates to false, and also when it cannot be evaluated: a division by zero, or an
 * arithmetic result that overflows to infinity, anywhere in the part that is evaluated. Such an
 * error is never turned into "true" by {@code not} or {@code or}. A rule whose features are absent
 * from the request (not named, or named with a {@code null}/NaN value) fails before evaluation;
 * {@link CompiledContract} checks that.
 *
 * <p>Immutable and thread-safe. Evaluation allocates nothing.
 */
public final class CrossFieldExpression {
    static final int FALSE = 0;
    static final int TRUE = 1;
    static final int ERROR = 2;

    /** The deepest an expression may nest in parentheses, calls, {@code not} and unary minus; see the class comment. */
    public static final int MAX_DEPTH = 200;
    /** The deepest an expression's tree of operations may be; see the class comment. */
    public static final int MAX_TREE_DEPTH = 1000;

    private static final List<String> KEYWORDS = List.of("and", "or", "not");
    private static final List<String> FUNCTIONS = List.of("abs", "min", "max");

    private final String id;
    private final String source;
    private final Cond root;
    private final List<String> features;

    private CrossFieldExpression(String id, String source, Cond root, List<String> features) {
        this.id = id;
        this.source = source;
        this.root = root;
        this.features = features;
    }

    /**
     * Parses and type-checks one rule.
     *
     * @param id the rule id, named in every error
     * @param source the expression
     * @param knownFeatures the feature names the rule may use, or {@code null} for any name
     * @return the compiled rule
     * @throws IllegalArgumentException naming the rule id, the 1-based column and what was expected
     *     when the expression does not parse, mixes numbers and conditions, uses an unknown
     *     feature or function, or nests deeper than {@link #MAX_DEPTH} levels
     */
    public static CrossFieldExpression compile(String id, String source, Collection<String> knownFeatures) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(source, "source");
        Parser p = new Parser(id, source);
        Node n = p.parseOr();
        if (p.kind != Tok.END) {
            throw p.error("expected an operator or the end of the expression", p.tokStart);
        }
        if (!(n instanceof Cond c)) {
            throw p.error("expected a condition such as 'a <= b', but the expression is a number", n.start);
        }
        if (knownFeatures != null) {
            for (int i = 0; i < p.names.size(); i++) {
                if (!knownFeatures.contains(p.names.get(i))) {
                    throw p.error("unknown feature '" + p.names.get(i) + "'; a rule reads only the features the "
                            + "contract lists " + (knownFeatures.isEmpty() ? "(none)"
                                    : CompiledContract.listNames(knownFeatures.stream().sorted().toList()))
                            + ": list it under features or fix the name", p.nameColumns.get(i));
                }
            }
        }
        return new CrossFieldExpression(id, source, c, List.copyOf(p.names));
    }

    /** The rule id. */
    public String id() {
        return id;
    }

    /** The expression as written. */
    public String source() {
        return source;
    }

    /**
     * The distinct feature names the rule uses, in order of first appearance. Position {@code k}
     * of this list is the rule's slot {@code k}: {@link #test} reads feature {@code k} from
     * {@code values[positions[k]]}.
     */
    public List<String> features() {
        return features;
    }

    /**
     * Evaluates the rule without allocating.
     *
     * @param values the request's vector; every referenced value must be present and finite
     * @param positions slot to index in {@code values}, see {@link #features()}
     * @return {@link #TRUE}, {@link #FALSE}, or {@link #ERROR} when the rule could not be evaluated
     */
    int test(double[] values, int[] positions) {
        return root.test(values, positions);
    }

    /**
     * As {@link #explain}, without the request's values (nor a failed evaluation's detail, which may
     * hold them).
     *
     * @param outcome what {@link #test} returned: {@link #FALSE} or {@link #ERROR}
     */
    String explainRedacted(int outcome) {
        return outcome == ERROR ? "rule '" + id + "' could not be evaluated"
                : "rule '" + id + "' failed: " + source.strip();
    }

    /**
     * Why the rule did not hold, for a violation message (allocates; failure path only).
     *
     * @param values the request's vector, as given to {@link #test}
     * @param positions slot to index, as given to {@link #test}
     */
    String explain(double[] values, int[] positions) {
        StringBuilder vals = new StringBuilder();
        for (int k = 0; k < features.size() && k < 10; k++) {
            vals.append(k == 0 ? " (" : ", ").append(features.get(k)).append(" = ")
                    .append(CompiledContract.num(values[positions[k]]));
        }
        if (features.size() > 10) {
            vals.append(", ...");
        }
        if (!features.isEmpty()) {
            vals.append(')');
        }
        String err = root.error(values, positions, source);
        if (err != null) {
            return "rule '" + id + "' could not be evaluated: " + err + vals;
        }
        return "rule '" + id + "' failed: " + source.strip() + vals;
    }

    // ---------------------------------------------------------------- tree

    private abstract static class Node {
        final int start;
        final int end;
        /** Levels of nodes from this one down to its deepest leaf, this one included. */
        final int depth;

        Node(int start, int end, int depth) {
            this.start = start;
            this.end = end;
            this.depth = depth;
        }

        String text(String src) {
            return src.substring(start, end);
        }
    }

    /** A numeric node: evaluates to a finite double or NaN ("could not be evaluated"). */
    private abstract static class Num extends Node {
        Num(int start, int end, int depth) {
            super(start, end, depth);
        }

        abstract double eval(double[] v, int[] pos);

        /** The first evaluation error in evaluation order, or null. */
        String error(double[] v, int[] pos, String src) {
            return null;
        }
    }

    /** A condition node: TRUE, FALSE or ERROR. */
    private abstract static class Cond extends Node {
        Cond(int start, int end, int depth) {
            super(start, end, depth);
        }

        abstract int test(double[] v, int[] pos);

        abstract String error(double[] v, int[] pos, String src);
    }

    private static final class Const extends Num {
        private final double value;

        Const(int start, int end, double value) {
            super(start, end, 1);
            this.value = value;
        }

        @Override
        double eval(double[] v, int[] pos) {
            return value;
        }
    }

    private static final class Feature extends Num {
        private final int slot;

        Feature(int start, int end, int slot) {
            super(start, end, 1);
            this.slot = slot;
        }

        @Override
        double eval(double[] v, int[] pos) {
            return v[pos[slot]];
        }
    }

    private static final class Neg extends Num {
        private final Num operand;

        Neg(int start, Num operand) {
            super(start, operand.end, operand.depth + 1);
            this.operand = operand;
        }

        @Override
        double eval(double[] v, int[] pos) {
            return -operand.eval(v, pos);
        }

        @Override
        String error(double[] v, int[] pos, String src) {
            return operand.error(v, pos, src);
        }
    }

    private static final class Binary extends Num {
        private final char op;
        private final Num left;
        private final Num right;

        Binary(char op, Num left, Num right) {
            super(left.start, right.end, Math.max(left.depth, right.depth) + 1);
            this.op = op;
            this.left = left;
            this.right = right;
        }

        @Override
        double eval(double[] v, int[] pos) {
            double a = left.eval(v, pos);
            double b = right.eval(v, pos);
            double r;
            switch (op) {
                case '+':
                    r = a + b;
                    break;
                case '-':
                    r = a - b;
                    break;
                case '*':
                    r = a * b;
                    break;
                default:
                    if (b == 0) {
                        return Double.NaN;
                    }
                    r = a / b;
                    break;
            }
            return Double.isFinite(r) ? r : Double.NaN;
        }

        @Override
        String error(double[] v, int[] pos, String src) {
            String e = left.error(v, pos, src);
            if (e != null) {
                return e;
            }
            e = right.error(v, pos, src);
            if (e != null) {
                return e;
            }
            if (!Double.isNaN(eval(v, pos))) {
                return null;
            }
            if (op == '/' && right.eval(v, pos) == 0) {
                return "division by zero in '" + text(src) + "' ('" + right.text(src) + "' is 0)";
            }
            return "'" + text(src) + "' overflows (its result is not a finite number)";
        }
    }

    private static final class Call extends Num {
        private final int fn; // index in FUNCTIONS
        private final Num a;
        private final Num b; // null for abs

        Call(int start, int end, String fn, Num a, Num b) {
            super(start, end, Math.max(a.depth, b == null ? 0 : b.depth) + 1);
            this.fn = FUNCTIONS.indexOf(fn);
            this.a = a;
            this.b = b;
        }

        @Override
        double eval(double[] v, int[] pos) {
            double x = a.eval(v, pos);
            switch (fn) {
                case 0:
                    return Math.abs(x);
                case 1:
                    return Math.min(x, b.eval(v, pos));
                default:
                    return Math.max(x, b.eval(v, pos));
            }
        }

        @Override
        String error(double[] v, int[] pos, String src) {
            String e = a.error(v, pos, src);
            return e != null || b == null ? e : b.error(v, pos, src);
        }
    }

    private static final class Compare extends Cond {
        private static final List<String> OPS = List.of("<", "<=", ">", ">=", "==", "!=");
        private final int op; // index in OPS
        private final Num left;
        private final Num right;

        Compare(String op, Num left, Num right) {
            super(left.start, right.end, Math.max(left.depth, right.depth) + 1);
            this.op = OPS.indexOf(op);
            this.left = left;
            this.right = right;
        }

        @Override
        int test(double[] v, int[] pos) {
            double a = left.eval(v, pos);
            double b = right.eval(v, pos);
            if (!Double.isFinite(a) || !Double.isFinite(b)) {
                return ERROR;
            }
            boolean r;
            switch (op) {
                case 0:
                    r = a < b;
                    break;
                case 1:
                    r = a <= b;
                    break;
                case 2:
                    r = a > b;
                    break;
                case 3:
                    r = a >= b;
                    break;
                case 4:
                    r = a == b;
                    break;
                default:
                    r = a != b;
                    break;
            }
            return r ? TRUE : FALSE;
        }

        @Override
        String error(double[] v, int[] pos, String src) {
            String e = left.error(v, pos, src);
            return e != null ? e : right.error(v, pos, src);
        }
    }

    private static final class Logic extends Cond {
        private final boolean isAnd;
        private final Cond left;
        private final Cond right;

        Logic(boolean isAnd, Cond left, Cond right) {
            super(left.start, right.end, Math.max(left.depth, right.depth) + 1);
            this.isAnd = isAnd;
            this.left = left;
            this.right = right;
        }

        @Override
        int test(double[] v, int[] pos) {
            int a = left.test(v, pos);
            // and: FALSE or ERROR decide; or: TRUE or ERROR decide
            if (a == ERROR || a == (isAnd ? FALSE : TRUE)) {
                return a;
            }
            return right.test(v, pos);
        }

        @Override
        String error(double[] v, int[] pos, String src) {
            int a = left.test(v, pos);
            if (a == ERROR) {
                return left.error(v, pos, src);
            }
            if (a == (isAnd ? FALSE : TRUE)) {
                return null;
            }
            return right.error(v, pos, src);
        }
    }

    private static final class Not extends Cond {
        private final Cond operand;

        Not(int start, Cond operand) {
            super(start, operand.end, operand.depth + 1);
            this.operand = operand;
        }

        @Override
        int test(double[] v, int[] pos) {
            int a = operand.test(v, pos);
            return a == ERROR ? ERROR : TRUE - a;
        }

        @Override
        String error(double[] v, int[] pos, String src) {
            return operand.error(v, pos, src);
        }
    }

    // ---------------------------------------------------------------- parser

    private enum Tok { NUMBER, NAME, OP, END }

    private static final class Parser {
        private final String id;
        private final String src;
        private int at; // next unread char
        Tok kind;
        String text; // token text (operator, name or number literal)
        int tokStart;
        int tokEnd;
        final List<String> names = new ArrayList<>();
        final List<Integer> nameColumns = new ArrayList<>();
        private int nesting; // open parentheses, calls, 'not's and unary '-'s around the next token

        Parser(String id, String src) {
            this.id = id;
            this.src = src;
            advance();
        }

        IllegalArgumentException error(String what, int offset) {
            return new IllegalArgumentException("cross_field rule '" + id + "': " + what + " at column "
                    + (offset + 1) + " of '" + src + "'");
        }

        /** Enters one level of nesting at {@code offset}; refuses a level past {@link #MAX_DEPTH}. */
        private void nest(int offset) {
            if (++nesting > MAX_DEPTH) {
                throw tooDeep(offset);
            }
        }

        /** A node built from parts; refused when it is deeper than {@link #MAX_TREE_DEPTH}. */
        private <T extends Node> T deep(T n, int offset) {
            if (n.depth > MAX_TREE_DEPTH) {
                throw error("the expression is more than " + MAX_TREE_DEPTH + " operations deep (a chain such as "
                        + "a + b + c counts one per operator); group a long chain with parentheses, e.g. (a + b + "
                        + "...) + (c + d + ...), or split it into several rules (a request must pass all of them)",
                        offset);
            }
            return n;
        }

        private IllegalArgumentException tooDeep(int offset) {
            return error("the expression nests more than " + MAX_DEPTH + " levels deep (each parenthesis, "
                    + "function call, 'not' and unary '-' adds one); split it into several rules (a request must "
                    + "pass all of them) or simplify it", offset);
        }

        private String found() {
            return kind == Tok.END ? "the end of the expression" : "'" + text + "'";
        }

        void advance() {
            while (at < src.length() && Character.isWhitespace(src.charAt(at))) {
                at++;
            }
            tokStart = at;
            if (at >= src.length()) {
                kind = Tok.END;
                text = "";
                tokEnd = at;
                return;
            }
            char c = src.charAt(at);
            if (isDigit(c) || (c == '.' && at + 1 < src.length() && isDigit(src.charAt(at + 1)))) {
                lexNumber();
            } else if (isNameStart(c)) {
                int e = at + 1;
                while (e < src.length() && isNamePart(src.charAt(e))) {
                    e++;
                }
                set(Tok.NAME, e);
            } else if ("+-*/(),".indexOf(c) >= 0) {
                set(Tok.OP, at + 1);
            } else if (c == '<' || c == '>' || c == '=' || c == '!') {
                boolean eq = at + 1 < src.length() && src.charAt(at + 1) == '=';
                if (!eq && c == '=') {
                    throw error("expected '==' (a single '=' is not an operator)", at);
                }
                if (!eq && c == '!') {
                    throw error("expected '!=' (write 'not' for negation)", at);
                }
                set(Tok.OP, at + (eq ? 2 : 1));
            } else if (c == '&' || c == '|') {
                throw error("unexpected '" + c + "' (write 'and' / 'or')", at);
            } else {
                throw error("unexpected character '" + c + "'", at);
            }
        }

        private void set(Tok k, int end) {
            kind = k;
            text = src.substring(at, end);
            tokEnd = end;
            at = end;
        }

        private void lexNumber() {
            int e = at;
            while (e < src.length() && isDigit(src.charAt(e))) {
                e++;
            }
            if (e < src.length() && src.charAt(e) == '.') {
                e++;
                if (e >= src.length() || !isDigit(src.charAt(e))) {
                    throw error("expected a digit after the decimal point", e);
                }
                while (e < src.length() && isDigit(src.charAt(e))) {
                    e++;
                }
            }
            if (e < src.length() && (src.charAt(e) == 'e' || src.charAt(e) == 'E')) {
                int x = e + 1;
                if (x < src.length() && (src.charAt(x) == '+' || src.charAt(x) == '-')) {
                    x++;
                }
                if (x >= src.length() || !isDigit(src.charAt(x))) {
                    throw error("expected the digits of an exponent", x);
                }
                while (x < src.length() && isDigit(src.charAt(x))) {
                    x++;
                }
                e = x;
            }
            if (e < src.length() && isNameStart(src.charAt(e))) {
                throw error("expected an operator after the number '" + src.substring(at, e) + "'", e);
            }
            set(Tok.NUMBER, e);
        }

        private boolean isOp(String op) {
            return kind == Tok.OP && text.equals(op);
        }

        private boolean isKeyword(String k) {
            return kind == Tok.NAME && text.equals(k);
        }

        private boolean isComparison() {
            return kind == Tok.OP && (text.equals("<") || text.equals("<=") || text.equals(">")
                    || text.equals(">=") || text.equals("==") || text.equals("!="));
        }

        private Num num(Node n, String context) {
            if (n instanceof Num x) {
                return x;
            }
            throw error("expected a number " + context + ", found the condition '" + n.text(src) + "'", n.start);
        }

        private Cond cond(Node n, String context) {
            if (n instanceof Cond x) {
                return x;
            }
            throw error("expected a condition such as 'a <= b' " + context + ", found the number '"
                    + n.text(src) + "'", n.start);
        }

        Node parseOr() {
            Node left = parseAnd();
            while (isKeyword("or")) {
                int at = tokStart;
                advance();
                Node right = parseAnd();
                left = deep(new Logic(false, cond(left, "before 'or'"), cond(right, "after 'or'")), at);
            }
            return left;
        }

        private Node parseAnd() {
            Node left = parseNot();
            while (isKeyword("and")) {
                int at = tokStart;
                advance();
                Node right = parseNot();
                left = deep(new Logic(true, cond(left, "before 'and'"), cond(right, "after 'and'")), at);
            }
            return left;
        }

        private Node parseNot() {
            if (isKeyword("not")) {
                int start = tokStart;
                nest(start);
                advance();
                Not n = deep(new Not(start, cond(parseNot(), "after 'not'")), start);
                nesting--;
                return n;
            }
            return parseComparison();
        }

        private Node parseComparison() {
            Node left = parseSum();
            if (!isComparison()) {
                return left;
            }
            String op = text;
            int at = tokStart;
            advance();
            Node right = parseSum();
            Compare c = deep(new Compare(op, num(left, "before '" + op + "'"), num(right, "after '" + op + "'")), at);
            if (isComparison()) {
                throw error("comparisons cannot be chained; join them with 'and'", tokStart);
            }
            return c;
        }

        private Node parseSum() {
            Node left = parseProduct();
            while (isOp("+") || isOp("-")) {
                char op = text.charAt(0);
                int at = tokStart;
                advance();
                Node right = parseProduct();
                left = deep(new Binary(op, num(left, "before '" + op + "'"), num(right, "after '" + op + "'")), at);
            }
            return left;
        }

        private Node parseProduct() {
            Node left = parseUnary();
            while (isOp("*") || isOp("/")) {
                char op = text.charAt(0);
                int at = tokStart;
                advance();
                Node right = parseUnary();
                left = deep(new Binary(op, num(left, "before '" + op + "'"), num(right, "after '" + op + "'")), at);
            }
            return left;
        }

        private Node parseUnary() {
            if (isOp("-")) {
                int start = tokStart;
                nest(start);
                advance();
                Neg n = deep(new Neg(start, num(parseUnary(), "after unary '-'")), start);
                nesting--;
                return n;
            }
            return parsePrimary();
        }

        private Node parsePrimary() {
            int start = tokStart;
            if (kind == Tok.NUMBER) {
                double v = Double.parseDouble(text);
                if (!Double.isFinite(v)) {
                    throw error("number '" + text + "' is too large", start);
                }
                if (NumberText.underflows(v, text)) {
                    // a >= 1e-400 would be a >= 0
                    throw error("number '" + text + "' is too close to 0 for a 64-bit floating point number and would"
                            + " read as 0; write a larger number, or 0", start);
                }
                int end = tokEnd;
                advance();
                return new Const(start, end, v);
            }
            if (isOp("(")) {
                nest(start);
                advance();
                Node inner = parseOr();
                if (!isOp(")")) {
                    throw error("expected ')' to close the '(' at column " + (start + 1) + ", found " + found(),
                            tokStart);
                }
                int end = tokEnd;
                advance();
                nesting--;
                return deep(reframe(inner, start, end), start);
            }
            if (kind == Tok.NAME && !KEYWORDS.contains(text)) {
                String name = text;
                int end = tokEnd;
                advance();
                if (isOp("(")) {
                    return parseCall(name, start);
                }
                int slot = names.indexOf(name);
                if (slot < 0) {
                    slot = names.size();
                    names.add(name);
                    nameColumns.add(start);
                }
                return new Feature(start, end, slot);
            }
            throw error("expected a number, a feature name, a function or '(', found " + found(), start);
        }

        private Node parseCall(String fn, int start) {
            if (!FUNCTIONS.contains(fn)) {
                throw error("unknown function '" + fn + "'; the functions are abs(x), min(a, b), max(a, b)", start);
            }
            nest(start);
            advance(); // '('
            Num a = num(parseOr(), "as the argument of " + fn);
            Num b = null;
            if (!fn.equals("abs")) {
                if (!isOp(",")) {
                    throw error("expected ',' and a second argument of " + fn + ", found " + found(), tokStart);
                }
                advance();
                b = num(parseOr(), "as the argument of " + fn);
            }
            if (!isOp(")")) {
                throw error("expected ')' after the " + (b == null ? "argument" : "arguments") + " of " + fn
                        + ", found " + found(), tokStart);
            }
            int end = tokEnd;
            advance();
            nesting--;
            return deep(new Call(start, end, fn, a, b), start);
        }

        /** A parenthesised node quotes with its parentheses, so messages point at what was written. */
        private static Node reframe(Node inner, int start, int end) {
            if (inner instanceof Num n) {
                return new Paren(start, end, n);
            }
            return new ParenCond(start, end, (Cond) inner);
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private static boolean isNameStart(char c) {
            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        }

        private static boolean isNamePart(char c) {
            return isNameStart(c) || isDigit(c) || c == '.';
        }
    }

    private static final class Paren extends Num {
        private final Num inner;

        Paren(int start, int end, Num inner) {
            super(start, end, inner.depth + 1);
            this.inner = inner;
        }

        @Override
        double eval(double[] v, int[] pos) {
            return inner.eval(v, pos);
        }

        @Override
        String error(double[] v, int[] pos, String src) {
            return inner.error(v, pos, src);
        }
    }

    private static final class ParenCond extends Cond {
        private final Cond inner;

        ParenCond(int start, int end, Cond inner) {
            super(start, end, inner.depth + 1);
            this.inner = inner;
        }

        @Override
        int test(double[] v, int[] pos) {
            return inner.test(v, pos);
        }

        @Override
        String error(double[] v, int[] pos, String src) {
            return inner.error(v, pos, src);
        }
    }
}
