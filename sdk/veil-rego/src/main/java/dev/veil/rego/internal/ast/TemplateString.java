package dev.veil.rego.internal.ast;

import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Values;
import java.util.List;
import java.util.Objects;

/**
 * A template string {@code $"Hello {input.name}!"} (or raw, {@code $`...`}): literal text and
 * expressions whose values are printed in place ({@code <undefined>} when undefined).
 *
 * @param parts the pieces in order: a {@link Scalar} for text and for constant expressions, an
 *              {@link Expr} for anything else (an expression may carry {@code with} modifiers)
 * @param raw   true for the backtick form
 */
public record TemplateString(Location location, List<Node> parts, boolean raw) implements Term {
    public TemplateString {
        Objects.requireNonNull(location, "location");
        parts = List.copyOf(parts);
        for (Node p : parts) {
            if (!(p instanceof Scalar) && !(p instanceof Expr)) {
                throw new IllegalArgumentException("template string parts are Scalars or Exprs, not " + p);
            }
        }
    }

    @Override
    public boolean isGround() {
        return parts.stream().allMatch(p -> p instanceof Scalar);
    }

    /** Rego source, always in the quoted form ({@code $"..."}) with text escaped. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("$\"");
        for (Node p : parts) {
            if (p instanceof Scalar s && s.value() instanceof StringValue str) {
                String json = Values.toJson(str);
                b.append(json, 1, json.length() - 1).append("");
                int at = b.length() - (json.length() - 2);
                for (int i = at; i < b.length(); i++) {
                    if (b.charAt(i) == '{') {
                        b.insert(i, '\\');
                        i++;
                    }
                }
            } else {
                b.append('{').append(p).append('}');
            }
        }
        return b.append('"').toString();
    }
}
