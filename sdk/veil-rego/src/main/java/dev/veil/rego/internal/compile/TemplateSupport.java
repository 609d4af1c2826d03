package dev.veil.rego.internal.compile;

import dev.veil.rego.internal.ast.Term;
import java.util.Set;

/** Template strings ({@code $"...{x}..."}), compiled into {@link Plan.Tmpl}. */
final class TemplateSupport {
    private TemplateSupport() {
    }

    static void collectVars(Term t, Set<String> out) {
        // Template expressions are closures: their variables are collected when compiled.
    }

    static Plan.T compile(Compiler c, Term t, Compiler.Scope scope) {
        throw new IllegalStateException("cannot compile term " + t + " (" + t.getClass().getSimpleName() + ")");
    }
}
