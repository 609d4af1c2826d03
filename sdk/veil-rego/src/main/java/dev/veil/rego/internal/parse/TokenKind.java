package dev.veil.rego.internal.parse;

import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The kinds of Rego token, each with the name OPA prints for it in parse errors. */
enum TokenKind {
    ILLEGAL("illegal"), EOF("eof"), IDENT("ident"), NUMBER("number"), STRING("string"),
    TEMPLATE_PART("template-string part"), TEMPLATE_END("template-string end"),
    RAW_TEMPLATE_PART("raw template-string part"), RAW_TEMPLATE_END("raw template-string end"),
    LBRACE("{"), RBRACE("}"), LBRACK("["), RBRACK("]"), LPAREN("("), RPAREN(")"),
    DOT("."), COMMA(","), SEMICOLON(";"), COLON(":"),
    // operators print with their builtin names, as OPA's tokens do ("unexpected assign token")
    ASSIGN("assign"), UNIFY("eq"), EQUAL("equal"), NEQ("neq"), LT("lt"), LTE("lte"), GT("gt"), GTE("gte"),
    ADD("plus"), SUB("minus"), MUL("mul"), QUO("div"), REM("rem"), OR("or"), AND("and"),
    // keywords
    PACKAGE("package", true), IMPORT("import", true), AS("as", true), DEFAULT("default", true),
    ELSE("else", true), NOT("not", true), WITH("with", true), SOME("some", true), EVERY("every", true),
    IN("in", true), IF("if", true), CONTAINS("contains", true), NULL("null", true), TRUE("true", true),
    FALSE("false", true);

    private static final Map<String, TokenKind> KEYWORDS = Stream.of(values()).filter(k -> k.keyword)
            .collect(Collectors.toUnmodifiableMap(k -> k.display, Function.identity()));

    private final String display;
    private final boolean keyword;

    TokenKind(String display) {
        this(display, false);
    }

    TokenKind(String display, boolean keyword) {
        this.display = display;
        this.keyword = keyword;
    }

    /** The name in error messages, e.g. {@code eof}, {@code ident}, {@code :=}, {@code if}. */
    String display() {
        return display;
    }

    boolean isKeyword() {
        return keyword;
    }

    /** The keyword spelled {@code word}, or IDENT. */
    static TokenKind keywordOrIdent(String word) {
        return KEYWORDS.getOrDefault(word, IDENT);
    }
}
