package dev.veil.rego.internal.parse;

/**
 * One token.
 *
 * @param kind        what it is
 * @param text        the source text (for STRING and template parts: the decoded value; for
 *                    ILLEGAL: the error message)
 * @param line        1-based line
 * @param column      1-based column in code points
 * @param spaceBefore white space or a comment separates it from the previous token
 * @param newlineBefore a line break separates it from the previous token
 */
record Token(TokenKind kind, String text, int line, int column, boolean spaceBefore, boolean newlineBefore) {

    boolean is(TokenKind k) {
        return kind == k;
    }
}
