package dev.veil.rego.internal.ast;

import java.util.Objects;

/**
 * A {@code #} comment as the parser keeps it (OPA's {@code ast.Comment}): where its {@code #} is and the text
 * after the {@code #} up to the end of the line (a trailing carriage return removed). The compiler reads
 * {@code # METADATA} blocks from these.
 *
 * @param location where the {@code #} is
 * @param text     the text after the {@code #}
 */
public record Comment(Location location, String text) {
    public Comment {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(text, "text");
    }

    @Override
    public String toString() {
        return "#" + text;
    }
}
