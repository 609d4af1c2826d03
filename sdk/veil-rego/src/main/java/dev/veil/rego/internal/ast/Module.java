package dev.veil.rego.internal.ast;

import java.util.List;
import java.util.Objects;

/**
 * One parsed {@code .rego} file.
 *
 * @param file    the file name given to the parser (used in every location)
 * @param pkg     the package declaration
 * @param imports the imports in source order
 * @param rules   the rules in source order ({@code else} branches hang off their first rule)
 * @param comments every comment in source order (the compiler reads {@code # METADATA} annotations from them)
 */
public record Module(Location location, String file, Package pkg, List<Import> imports, List<Rule> rules,
                     List<Comment> comments) implements Node {
    public Module {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(pkg, "pkg");
        imports = List.copyOf(imports);
        rules = List.copyOf(rules);
        comments = List.copyOf(comments);
    }

    /** A module without comments. */
    public Module(Location location, String file, Package pkg, List<Import> imports, List<Rule> rules) {
        this(location, file, pkg, imports, rules, List.of());
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder().append(pkg).append('\n');
        for (Import i : imports) {
            b.append(i).append('\n');
        }
        for (Rule r : rules) {
            b.append(r).append('\n');
        }
        return b.toString();
    }
}
