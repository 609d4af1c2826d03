package dev.veil.rego.internal.ast;

import java.util.List;
import java.util.Objects;

/**
 * A rule, as written in one module.
 *
 * <ul>
 *   <li>{@link Kind#COMPLETE}: {@code p := 1 if ...}, {@code a.b.c = x if ...}, {@code p if ...}
 *       (a ground reference head, one value).</li>
 *   <li>{@link Kind#PARTIAL_SET}: {@code p contains x if ...}, {@code a.b[c] contains x if ...}
 *       ({@link #key} is the element).</li>
 *   <li>{@link Kind#PARTIAL_OBJECT}: {@code p[x] := y if ...}, {@code a[x].b := 1 if ...} (a head
 *       reference with variables; {@link #key} is its last term).</li>
 *   <li>{@link Kind#FUNCTION}: {@code f(x, y) := z if ...} ({@link #args} non-null).</li>
 * </ul>
 *
 * @param kind      what the rule defines
 * @param isDefault true for {@code default p := v}
 * @param head      the head reference relative to the package, e.g. {@code p}, {@code a.b[c]}
 * @param args      a function's parameters, or null for other kinds
 * @param key       the set element (partial set), the last head term (partial object), else null
 * @param value     the value; {@code true} when the rule does not give one; null for partial sets
 * @param assign    true when written with {@code :=}, false with {@code =} or without a value
 * @param body      the body; {@code true} when the rule has none
 * @param elseRule  the next rule of an {@code else} chain, or null
 */
public record Rule(Location location, Kind kind, boolean isDefault, Ref head, List<Term> args, Term key,
                   Term value, boolean assign, Body body, Rule elseRule) implements Node {

    /** What a rule defines. */
    public enum Kind { COMPLETE, PARTIAL_SET, PARTIAL_OBJECT, FUNCTION }

    public Rule {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(head, "head");
        Objects.requireNonNull(body, "body");
        args = args == null ? null : List.copyOf(args);
        if ((kind == Kind.FUNCTION) != (args != null)) {
            throw new IllegalArgumentException("a rule has args exactly when it is a function");
        }
        if (kind == Kind.PARTIAL_SET ? key == null || value != null : value == null) {
            throw new IllegalArgumentException("a partial set rule has a key and no value; other rules have a value");
        }
    }

    /** The first name of the head: {@code p} for {@code p}, {@code a} for {@code a.b[c]}. */
    public String name() {
        return ((Var) head.head()).name();
    }

    /** Rego source for the head, e.g. {@code p[x] := y}, {@code f(a) := 1}, {@code s contains x}. */
    public String headString() {
        StringBuilder b = new StringBuilder();
        if (isDefault) {
            b.append("default ");
        }
        b.append(head);
        if (args != null) {
            b.append('(');
            for (int i = 0; i < args.size(); i++) {
                b.append(i > 0 ? ", " : "").append(args.get(i));
            }
            b.append(')');
        }
        if (kind == Kind.PARTIAL_SET) {
            b.append(" contains ").append(key);
        } else {
            b.append(assign ? " := " : " = ").append(value);
        }
        return b.toString();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(headString());
        if (!isDefault) {
            b.append(" if { ").append(body).append(" }");
        }
        for (Rule e = elseRule; e != null; e = e.elseRule) {
            b.append(" else ").append(e.assign ? ":= " : "= ").append(e.value).append(" if { ").append(e.body)
                    .append(" }");
        }
        return b.toString();
    }
}
