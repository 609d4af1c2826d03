package dev.veil.rego.internal.ast;

import dev.veil.rego.internal.value.StringValue;
import java.util.List;
import java.util.Objects;

/**
 * A reference such as {@code data.a.b[x]}, {@code input.user}, {@code f(x)[0]} or {@code io.jwt.decode}
 * (as a call's operator). The first term is the head (usually a {@link Var}, e.g. {@code data}); the
 * others are the path: a {@code .name} step is a string {@link Scalar}, a {@code [t]} step any term.
 *
 * @param terms the head followed by the path, at least one term
 */
public record Ref(Location location, List<Term> terms) implements Term {
    public Ref {
        Objects.requireNonNull(location, "location");
        terms = List.copyOf(terms);
        if (terms.isEmpty()) {
            throw new IllegalArgumentException("a Ref needs at least a head term");
        }
    }

    /** A reference {@code head.a.b...} made of a variable and string steps. */
    public static Ref of(Location location, String head, String... path) {
        Term[] t = new Term[path.length + 1];
        t[0] = new Var(location, head);
        for (int i = 0; i < path.length; i++) {
            t[i + 1] = Scalar.string(location, path[i]);
        }
        return new Ref(location, List.of(t));
    }

    public Term head() {
        return terms.get(0);
    }

    public int size() {
        return terms.size();
    }

    public Term get(int i) {
        return terms.get(i);
    }

    /**
     * True when every step after the head is a constant (the head being a variable), so that the
     * reference names one fixed path such as {@code data.a.b}.
     */
    public boolean isGroundPath() {
        if (!(head() instanceof Var)) {
            return false;
        }
        for (int i = 1; i < terms.size(); i++) {
            if (!terms.get(i).isGround()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean isGround() {
        return false;
    }

    /**
     * The dotted name of a reference made of a variable and string steps that are identifiers
     * ({@code io.jwt.decode}), or null for any other reference.
     */
    public String dottedName() {
        if (!(head() instanceof Var v)) {
            return null;
        }
        StringBuilder b = new StringBuilder(v.name());
        for (int i = 1; i < terms.size(); i++) {
            if (!(terms.get(i) instanceof Scalar s) || !(s.value() instanceof StringValue str)) {
                return null;
            }
            b.append('.').append(str.value());
        }
        return b.toString();
    }

    /** Rego source: {@code data.a["b c"][x]}. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(head().toString());
        for (int i = 1; i < terms.size(); i++) {
            Term t = terms.get(i);
            if (t instanceof Scalar s && s.value() instanceof StringValue str && isIdentifier(str.value())) {
                b.append('.').append(str.value());
            } else {
                b.append('[').append(t).append(']');
            }
        }
        return b.toString();
    }

    /** True when {@code s} is a Rego identifier (letters, digits, underscore; not starting with a digit). */
    public static boolean isIdentifier(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
