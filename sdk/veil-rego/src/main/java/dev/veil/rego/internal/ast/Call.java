package dev.veil.rego.internal.ast;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A call {@code f(a, b)}, {@code io.jwt.decode(t)}, or an operator: the parser writes infix
 * operators as calls with OPA's names ({@code x + 1} is {@code plus(x, 1)}, {@code x == y} is
 * {@code equal(x, y)}, {@code x = y} is {@code eq(x, y)}, {@code x := y} is {@code assign(x, y)},
 * {@code x in xs} is {@code internal.member_2(x, xs)}, {@code k, v in xs} is
 * {@code internal.member_3(k, v, xs)}).
 *
 * @param operator the function's name as a reference ({@code plus}, {@code data.lib.f}...)
 * @param args     the arguments; as an expression, one more than the function's arity means the
 *                 last one is the output ({@code count(xs, n)})
 */
public record Call(Location location, Ref operator, List<Term> args) implements Term {
    /** Infix operators: OPA's name for each symbol. */
    public static final Map<String, String> INFIX = Map.ofEntries(
            Map.entry("=", "eq"), Map.entry(":=", "assign"), Map.entry("==", "equal"), Map.entry("!=", "neq"),
            Map.entry("<", "lt"), Map.entry("<=", "lte"), Map.entry(">", "gt"), Map.entry(">=", "gte"),
            Map.entry("+", "plus"), Map.entry("-", "minus"), Map.entry("*", "mul"), Map.entry("/", "div"),
            Map.entry("%", "rem"), Map.entry("|", "or"), Map.entry("&", "and"));

    public Call {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(operator, "operator");
        args = List.copyOf(args);
    }

    /** The operator's dotted name ({@code plus}, {@code io.jwt.decode}, {@code data.lib.f}), or null. */
    public String name() {
        return operator.dottedName();
    }

    @Override
    public boolean isGround() {
        return false;
    }

    /** The infix symbol of this call ({@code +}, {@code in}...), or null when it is written as a call. */
    public String infixSymbol() {
        String name = name();
        if (name == null) {
            return null;
        }
        if (args.size() == 2) {
            for (Map.Entry<String, String> e : INFIX.entrySet()) {
                if (e.getValue().equals(name)) {
                    return e.getKey();
                }
            }
            if (name.equals("internal.member_2")) {
                return "in";
            }
        }
        return "internal.member_3".equals(name) && args.size() == 3 ? "in" : null;
    }

    /** Rego source; nested operator calls are parenthesised, so the text parses back to the same tree. */
    @Override
    public String toString() {
        String symbol = infixSymbol();
        if (symbol == null) {
            return args.stream().map(Term::toString).collect(Collectors.joining(", ", operator + "(", ")"));
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < args.size(); i++) {
            if (i > 0) {
                b.append(i == args.size() - 1 ? " " + symbol + " " : ", ");
            }
            Term a = args.get(i);
            boolean lowest = symbol.equals(":=") || symbol.equals("=");
            boolean paren = !lowest && a instanceof Call c && c.infixSymbol() != null;
            b.append(paren ? "(" : "").append(a).append(paren ? ")" : "");
        }
        return b.toString();
    }
}
