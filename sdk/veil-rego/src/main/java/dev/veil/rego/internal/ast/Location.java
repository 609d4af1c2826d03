package dev.veil.rego.internal.ast;

/**
 * Where a node starts in its source.
 *
 * @param file   the file name as given to the parser (may be empty for a query)
 * @param line   1-based line
 * @param column 1-based column, counted in characters (code points)
 */
public record Location(String file, int line, int column) {
    /** For generated nodes that have no place in any source. */
    public static final Location NONE = new Location("", 0, 0);

    /** {@code file:line:column}, as in error messages. */
    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}
