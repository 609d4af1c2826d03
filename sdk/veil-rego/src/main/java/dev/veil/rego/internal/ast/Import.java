package dev.veil.rego.internal.ast;

import java.util.Objects;

/**
 * {@code import data.lib.x as y}, {@code import input.user}, {@code import rego.v1} or
 * {@code import future.keywords.in}.
 *
 * @param path  the imported reference, with its head ({@code data}, {@code input}, {@code rego},
 *              {@code future})
 * @param alias the {@code as} name, or null
 */
public record Import(Location location, Ref path, String alias) implements Node {
    public Import {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(path, "path");
    }

    /**
     * The name the import binds in the module: the alias, or else the last step of the path
     * ({@code import data.lib.x} binds {@code x}, {@code import input} binds {@code input}).
     */
    public String name() {
        if (alias != null) {
            return alias;
        }
        Term last = path.get(path.size() - 1);
        if (last instanceof Var v) {
            return v.name();
        }
        if (last instanceof Scalar s && s.value() instanceof dev.veil.rego.internal.value.StringValue str) {
            return str.value();
        }
        return null;
    }

    /** True for {@code rego.v1} and {@code future.keywords...}, which only enable syntax. */
    public boolean isKeywordImport() {
        String name = path.dottedName();
        return name != null && (name.equals("rego.v1") || name.equals("future.keywords")
                || name.startsWith("future.keywords."));
    }

    @Override
    public String toString() {
        return "import " + path + (alias == null ? "" : " as " + alias);
    }
}
