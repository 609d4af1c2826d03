package dev.veil.rego.internal.compile;

import dev.veil.rego.internal.ast.Expr;
import dev.veil.rego.internal.ast.Node;
import dev.veil.rego.internal.ast.Scalar;
import dev.veil.rego.internal.ast.TemplateString;
import dev.veil.rego.internal.ast.Term;
import dev.veil.rego.internal.value.StringValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Template strings ({@code $"...{x}..."}), compiled into {@link Plan.Tmpl}: each embedded expression
 * becomes a closure whose value is printed in place ({@code <undefined>} when it has none).
 */
final class TemplateSupport {
    private TemplateSupport() {
    }

    static void collectVars(Term t, Set<String> out) {
        // Template expressions are closures: their variables are resolved when they are compiled.
    }

    static Plan.T compile(Compiler c, Term t, Compiler.Scope scope) {
        if (!(t instanceof TemplateString ts)) {
            throw new IllegalStateException("cannot compile term " + t + " (" + t.getClass().getSimpleName() + ")");
        }
        List<String> parts = new ArrayList<>();
        List<Plan.T> terms = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (Node p : ts.parts()) {
            if (p instanceof Scalar s) {
                cur.append(s.value() instanceof StringValue str ? str.value() : s.value().toString());
            } else {
                parts.add(cur.toString());
                cur.setLength(0);
                terms.add(c.templateExpr((Expr) p, scope));
            }
        }
        parts.add(cur.toString());
        return new Plan.Tmpl(t.location(), parts.toArray(new String[0]), terms.toArray(new Plan.T[0]));
    }
}
