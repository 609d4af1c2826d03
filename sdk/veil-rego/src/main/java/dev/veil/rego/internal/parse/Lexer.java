package dev.veil.rego.internal.parse;

import dev.veil.rego.internal.ast.Comment;
import dev.veil.rego.internal.ast.Location;
import dev.veil.rego.internal.value.Values;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Turns Rego source into tokens, as OPA's scanner does: identifiers are ASCII letters, digits and
 * underscores; numbers are unsigned (the parser handles {@code -}); strings are JSON strings or raw
 * backtick strings; {@code #} starts a comment; template strings {@code $"...{expr}..."} become
 * TEMPLATE_PART tokens, the tokens of each expression and its closing {@code }}, and a TEMPLATE_END.
 *
 * <p>Scanning never fails: a malformed token becomes an ILLEGAL token carrying OPA's message
 * ({@code non-terminated string}, {@code illegal escape sequence}, {@code expected fraction}...),
 * which the parser reports when it reaches it. The last token is always EOF.
 */
final class Lexer {
    private static final char BOM = '\uFEFF';

    private final String src;
    private final int n;
    private int i;
    private int line = 1;
    private int col = 1;
    /**
     * The most tokens a module may have: a 16 MiB module of tiny terms ({@code [{},{},...]}) would
     * otherwise be millions of tokens and syntax nodes, gigabytes, within the bundle's byte limits.
     * Policies are a few thousand tokens; the next token is an error (a parse error where it is).
     */
    static final int MAX_TOKENS = 1_000_000;
    private final List<Token> out = new ArrayList<>();
    private final List<Comment> comments = new ArrayList<>();
    private final String file;
    /** Open template-string expressions: {raw ? 1 : 0, brace depth inside the expression}. */
    private final Deque<int[]> templates = new ArrayDeque<>();

    private Lexer(String src, String file) {
        this.src = src;
        this.file = file;
        this.n = src.length();
        if (n > 0 && src.charAt(0) == BOM) {
            i = 1;
        }
    }

    /** All tokens of {@code src}, ending with EOF. */
    static List<Token> tokenize(String src) {
        return scan(src, "").tokens();
    }

    /** The tokens of a source and its comments. */
    record Scanned(List<Token> tokens, List<Comment> comments) {
    }

    /** All tokens of {@code src}, ending with EOF, and its comments located in {@code file}. */
    static Scanned scan(String src, String file) {
        Lexer l = new Lexer(src, file);
        l.run();
        return new Scanned(l.out, l.comments);
    }

    private void run() {
        while (true) {
            boolean space = false;
            boolean newline = false;
            String commentError = null;
            int errLine = 0;
            int errCol = 0;
            while (i < n) {
                char c = src.charAt(i);
                if (c == ' ' || c == '\t' || c == '\r') {
                    advance();
                    space = true;
                } else if (c == '\n') {
                    advance();
                    space = true;
                    newline = true;
                } else if (c == '#') {
                    int cl = line;
                    int cc = col;
                    int textStart = i + 1;
                    while (i < n && src.charAt(i) != '\n') {
                        String bad = badChar(i);
                        if (bad != null && commentError == null) {
                            commentError = bad;
                            errLine = cl;
                            errCol = cc;
                        }
                        advance();
                    }
                    int textEnd = i;
                    while (textEnd > textStart + 1 && src.charAt(textEnd - 1) == '\r') {
                        textEnd--;
                    }
                    String text = src.substring(textStart, textEnd);
                    comments.add(new Comment(new Location(file, cl, cc), text.equals("\r") ? "" : text));
                    space = true;
                } else {
                    break;
                }
            }
            if (commentError != null) {
                out.add(new Token(TokenKind.ILLEGAL, commentError, errLine, errCol, space, newline));
            }
            int tl = line;
            int tc = col;
            if (i >= n) {
                out.add(new Token(TokenKind.EOF, "", tl, tc, space, newline));
                return;
            }
            if (out.size() >= MAX_TOKENS) {
                out.add(new Token(TokenKind.ILLEGAL, String.format(java.util.Locale.ROOT, "the module has more than "
                        + "%,d tokens; a policy module is far smaller: move large data into the bundle's data files",
                        MAX_TOKENS), tl, tc, space, newline));
                out.add(new Token(TokenKind.EOF, "", tl, tc, space, newline));
                return;
            }
            char c = src.charAt(i);
            if (isLetter(c)) {
                int start = i;
                while (i < n && (isLetter(src.charAt(i)) || isDigit(src.charAt(i)))) {
                    advance();
                }
                String word = src.substring(start, i);
                out.add(new Token(TokenKind.keywordOrIdent(word), word, tl, tc, space, newline));
                continue;
            }
            if (c >= '0' && c <= '9') {
                number(tl, tc, space, newline);
                continue;
            }
            String bad = badChar(i);
            if (bad != null) {
                advance();
                out.add(new Token(TokenKind.ILLEGAL, bad, tl, tc, space, newline));
                continue;
            }
            int tokenStart = i;
            advance();
            TokenKind k;
            switch (c) {
                case '"' -> {
                    string(tl, tc, space, newline);
                    continue;
                }
                case '`' -> {
                    rawString(tl, tc, space, newline);
                    continue;
                }
                case '$' -> {
                    if (i < n && (src.charAt(i) == '"' || src.charAt(i) == '`')) {
                        boolean raw = src.charAt(i) == '`';
                        advance();
                        templateText(raw, tl, tc, space, newline);
                    } else {
                        out.add(new Token(TokenKind.ILLEGAL, "illegal $ character", tl, tc, space, newline));
                    }
                    continue;
                }
                case '{' -> {
                    if (!templates.isEmpty()) {
                        templates.peek()[1]++;
                    }
                    k = TokenKind.LBRACE;
                }
                case '}' -> {
                    if (!templates.isEmpty() && templates.peek()[1] == 0) {
                        boolean raw = templates.pop()[0] == 1;
                        out.add(new Token(TokenKind.RBRACE, "}", tl, tc, space, newline));
                        templateText(raw, line, col, false, false);
                        continue;
                    }
                    if (!templates.isEmpty()) {
                        templates.peek()[1]--;
                    }
                    k = TokenKind.RBRACE;
                }
                case '[' -> k = TokenKind.LBRACK;
                case ']' -> k = TokenKind.RBRACK;
                case '(' -> k = TokenKind.LPAREN;
                case ')' -> k = TokenKind.RPAREN;
                case '.' -> k = TokenKind.DOT;
                case ',' -> k = TokenKind.COMMA;
                case ';' -> k = TokenKind.SEMICOLON;
                case ':' -> k = match('=') ? TokenKind.ASSIGN : TokenKind.COLON;
                case '=' -> k = match('=') ? TokenKind.EQUAL : TokenKind.UNIFY;
                case '<' -> k = match('=') ? TokenKind.LTE : TokenKind.LT;
                case '>' -> k = match('=') ? TokenKind.GTE : TokenKind.GT;
                case '!' -> {
                    if (!match('=')) {
                        out.add(new Token(TokenKind.ILLEGAL, "illegal ! character", tl, tc, space, newline));
                        continue;
                    }
                    k = TokenKind.NEQ;
                }
                case '+' -> k = TokenKind.ADD;
                case '-' -> k = TokenKind.SUB;
                case '*' -> k = TokenKind.MUL;
                case '/' -> k = TokenKind.QUO;
                case '%' -> k = TokenKind.REM;
                case '|' -> k = TokenKind.OR;
                case '&' -> k = TokenKind.AND;
                default -> {
                    if (Character.isHighSurrogate(c) && i < n && Character.isLowSurrogate(src.charAt(i))) {
                        advance(); // the second half of the code point
                    }
                    k = TokenKind.ILLEGAL;
                }
            }
            String text = k == TokenKind.ILLEGAL ? "illegal token" : src.substring(tokenStart, i);
            out.add(new Token(k, text, tl, tc, space, newline));
        }
    }

    /** OPA's message for a character that may appear nowhere, or null. */
    private String badChar(int at) {
        char c = src.charAt(at);
        if (c == 0) {
            return "illegal null character";
        }
        if (c == BOM) {
            return "illegal byte-order mark";
        }
        if (Character.isHighSurrogate(c)) {
            return at + 1 < n && Character.isLowSurrogate(src.charAt(at + 1)) ? null : "illegal utf-8 character";
        }
        if (Character.isLowSurrogate(c)) {
            return at > 0 && Character.isHighSurrogate(src.charAt(at - 1)) ? null : "illegal utf-8 character";
        }
        return null;
    }

    private void advance() {
        char c = src.charAt(i++);
        if (c == '\n') {
            line++;
            col = 1;
        } else if (!Character.isHighSurrogate(c) || i >= n || !Character.isLowSurrogate(src.charAt(i))) {
            col++;
        }
    }

    private boolean match(char c) {
        if (i < n && src.charAt(i) == c) {
            advance();
            return true;
        }
        return false;
    }

    private static boolean isLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }

    private static boolean isDigit(char c) {
        return (c >= '0' && c <= '9') || (c >= 0x80 && Character.isDigit(c));
    }

    private void number(int tl, int tc, boolean space, boolean newline) {
        int start = i;
        String error = null;
        while (i < n && src.charAt(i) >= '0' && src.charAt(i) <= '9') {
            advance();
        }
        if (i < n && src.charAt(i) == '.') {
            advance();
            boolean found = false;
            while (i < n && src.charAt(i) >= '0' && src.charAt(i) <= '9') {
                advance();
                found = true;
            }
            if (!found) {
                error = "expected fraction";
            }
        }
        if (error == null && i < n && (src.charAt(i) == 'e' || src.charAt(i) == 'E')) {
            advance();
            if (i < n && (src.charAt(i) == '+' || src.charAt(i) == '-')) {
                advance();
            }
            boolean found = false;
            while (i < n && src.charAt(i) >= '0' && src.charAt(i) <= '9') {
                advance();
                found = true;
            }
            if (!found) {
                error = "expected exponent";
            }
        }
        if (i < n && isLetter(src.charAt(i))) {
            if (error == null) {
                error = "illegal number format";
            }
            while (i < n && (isLetter(src.charAt(i)) || isDigit(src.charAt(i)))) {
                advance();
            }
        }
        if (error != null) {
            out.add(new Token(TokenKind.ILLEGAL, error, tl, tc, space, newline));
        } else {
            out.add(new Token(TokenKind.NUMBER, src.substring(start, i), tl, tc, space, newline));
        }
    }

    private void string(int tl, int tc, boolean space, boolean newline) {
        int start = i - 1;
        StringBuilder value = new StringBuilder();
        String error = null;
        while (true) {
            if (i >= n || src.charAt(i) == '\n') {
                out.add(new Token(TokenKind.ILLEGAL, "non-terminated string", tl, tc, space, newline));
                return;
            }
            if (error == null) {
                error = badChar(i);
            }
            char c = src.charAt(i);
            advance();
            if (c == '"') {
                break;
            }
            if (c == '\\') {
                if (i >= n || src.charAt(i) == '\n') {
                    continue; // reported as non-terminated on the next round
                }
                char e = src.charAt(i);
                if ("\\\"/bfnrtu".indexOf(e) < 0) {
                    if (error == null) {
                        error = "illegal escape sequence";
                    }
                    continue;
                }
                int escStart = i;
                try {
                    int after = Values.unescape(src, escStart, value, expected -> new IllegalArgumentException());
                    while (i < after) {
                        advance();
                    }
                } catch (IllegalArgumentException ex) {
                    if (error == null) {
                        error = "illegal string literal: ";
                    }
                    advance();
                }
                continue;
            }
            value.append(c);
        }
        if (error != null) {
            String msg = error.endsWith(": ") ? error + src.substring(start, i) : error;
            out.add(new Token(TokenKind.ILLEGAL, msg, tl, tc, space, newline));
        } else {
            out.add(new Token(TokenKind.STRING, value.toString(), tl, tc, space, newline));
        }
    }

    private void rawString(int tl, int tc, boolean space, boolean newline) {
        int start = i;
        String error = null;
        while (true) {
            if (i >= n) {
                out.add(new Token(TokenKind.ILLEGAL, "non-terminated string", tl, tc, space, newline));
                return;
            }
            if (error == null) {
                error = badChar(i);
            }
            char c = src.charAt(i);
            advance();
            if (c == '`') {
                break;
            }
        }
        if (error != null) {
            out.add(new Token(TokenKind.ILLEGAL, error, tl, tc, space, newline));
        } else {
            out.add(new Token(TokenKind.STRING, src.substring(start, i - 1), tl, tc, space, newline));
        }
    }

    /**
     * Scans template text up to an unescaped {@code {} (a TEMPLATE_PART; an expression follows) or the
     * closing quote (TEMPLATE_END).
     */
    private void templateText(boolean raw, int tl, int tc, boolean space, boolean newline) {
        char close = raw ? '`' : '"';
        StringBuilder value = new StringBuilder();
        String error = null;
        while (true) {
            if (i >= n || (!raw && src.charAt(i) == '\n')) {
                out.add(new Token(TokenKind.ILLEGAL, "non-terminated string", tl, tc, space, newline));
                return;
            }
            if (error == null) {
                error = badChar(i);
            }
            char c = src.charAt(i);
            advance();
            if (c == close) {
                add(error, raw ? TokenKind.RAW_TEMPLATE_END : TokenKind.TEMPLATE_END, value, tl, tc, space, newline);
                return;
            }
            if (c == '{') {
                templates.push(new int[] {raw ? 1 : 0, 0});
                add(error, raw ? TokenKind.RAW_TEMPLATE_PART : TokenKind.TEMPLATE_PART, value, tl, tc, space,
                        newline);
                return;
            }
            if (c == '\\') {
                if (i < n && src.charAt(i) == '{') {
                    value.append('{');
                    advance();
                    continue;
                }
                if (raw) {
                    value.append(c);
                    continue;
                }
                if (i >= n || src.charAt(i) == '\n') {
                    continue;
                }
                if ("\\\"/bfnrtu".indexOf(src.charAt(i)) < 0) {
                    if (error == null) {
                        error = "illegal escape sequence";
                    }
                    continue;
                }
                try {
                    int after = Values.unescape(src, i, value, expected -> new IllegalArgumentException());
                    while (i < after) {
                        advance();
                    }
                } catch (IllegalArgumentException ex) {
                    if (error == null) {
                        error = "illegal template-string part";
                    }
                    advance();
                }
                continue;
            }
            value.append(c);
        }
    }

    private void add(String error, TokenKind kind, StringBuilder value, int tl, int tc, boolean space,
                     boolean newline) {
        if (error != null) {
            out.add(new Token(TokenKind.ILLEGAL, error, tl, tc, space, newline));
        } else {
            out.add(new Token(kind, value.toString(), tl, tc, space, newline));
        }
    }
}
