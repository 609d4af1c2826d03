package dev.veil.rego.internal.parse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.veil.rego.RegoError;
import dev.veil.rego.RegoException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Every class of parse error, with its message and position. Sources are written with {@code ⏎} for
 * a line break; every module starts with {@code package p⏎} unless the case is about the package.
 */
class ParseErrorTest {

    private static RegoParseException parseError(String source) {
        String src = source.replace("⏎", "\n");
        return catchThrowableOfType(RegoParseException.class, () -> Parser.parseModule("p.rego", src));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
            # lexer
            package p⏎x := "abc⏎y := 1          | 2 | 6  | non-terminated string
            package p⏎x := `abc                 | 2 | 6  | non-terminated string
            package p⏎x := "a\\qb"              | 2 | 6  | illegal escape sequence
            package p⏎x := "a\\u12"             | 2 | 6  | illegal string literal: "a\\u12"
            package p⏎x := 1.                   | 2 | 6  | expected fraction
            package p⏎x := 1e                   | 2 | 6  | expected exponent
            package p⏎x := 12ab                 | 2 | 6  | illegal number format
            package p⏎x := !y                   | 2 | 6  | illegal ! character
            package p⏎x := $y                   | 2 | 6  | illegal $ character
            package p⏎x := 1 ~ 2                | 2 | 8  | illegal token
            # module structure
            p := 1                              | 1 | 1  | package expected
            package p⏎package q                 | 2 | 1  | unexpected package
            package foo.                        | 1 | 13 | unexpected eof token: expected ident
            package a[x]                        | 1 | 11 | unexpected var token: expecting string
            # imports
            package p⏎import foo.bar            | 2 | 8  | unexpected import path, must begin with one of: {data, future, input, rego}, got: foo
            package p⏎import data.x as          | 2 | 17 | unexpected eof token: expected var
            package p⏎import data.x.if          | 2 | 15 | unexpected import path, must not end with a keyword, got: if (hint: import a different path or use an alias)
            package p⏎import rego.v2            | 2 | 8  | invalid import `rego.v2`, must be `rego.v1`
            package p⏎import rego.v1 as x       | 2 | 8  | `rego` imports cannot be aliased
            package p⏎import future.foo         | 2 | 8  | invalid import, must be `future.keywords`
            package p⏎import future.keywords.x  | 2 | 8  | unexpected keyword, must be one of [contains every if in]
            package p⏎import future.keywords as k | 2 | 8 | `future` imports cannot be aliased
            # rule heads and v1 keywords
            package p⏎⏎allow {⏎  true⏎}         | 3 | 1  | `if` keyword is required before rule body
            package p⏎f(x) {⏎  x⏎}              | 2 | 1  | `if` keyword is required before function body
            package p⏎p := 1 if { true } else = 2 { true } | 2 | 20 | `if` keyword is required before rule body
            package p⏎f(x) contains 1           | 2 | 6  | unexpected contains keyword: the contains keyword can only be used with multi-value rule definitions (e.g., f contains <VALUE> { ... })
            package p⏎p + 1 if true             | 2 | 3  | unexpected plus token
            package p⏎p                         | 2 | 1  | var cannot be used for rule name
            package p⏎a.b.c                     | 2 | 1  | refs cannot be used for rule
            package p⏎1 + 2                     | 2 | 1  | rule name conflicts with built-in function
            package p⏎"abc"                     | 2 | 1  | string cannot be used for rule name
            package p⏎not p                     | 2 | 1  | negated expressions cannot be used for rule head
            package p⏎p[x] := 1 if { x := 1 } else := 2    | 2 | 25 | else keyword cannot be used on rules with variables in head
            package p⏎p contains 1 if { true } else := 2   | 2 | 26 | else keyword cannot be used on multi-value rules
            package p⏎default p := x            | 2 | 1  | illegal default rule (value cannot contain var)
            package p⏎default p := [1, input.x] | 2 | 1  | illegal default rule (value cannot contain ref)
            package p⏎default f(x, x) := 1      | 2 | 1  | illegal default rule (arguments cannot be repeated x)
            package p⏎default f(1) := 1         | 2 | 1  | illegal default rule (arguments cannot contain number)
            # bodies and expressions
            package p⏎p { true }                | 2 | 1  | `if` keyword is required before rule body
            package p⏎p if { a b }              | 2 | 10 | unexpected ident token: expected \\n or ; or }
            package p⏎p if { x := 1;⏎}          | 3 | 1  | unexpected } token: expected term
            package p⏎p := }                    | 2 | 6  | unexpected } token: expected term
            package p⏎p := 1 +                  | 2 | 9  | unexpected eof token: expected term
            package p⏎p := 1 if                 | 2 | 10 | unexpected eof token: expected term
            package p⏎p := (1 + 2               | 2 | 12 | non-terminated expression
            package p⏎p := [1 2]                | 2 | 9  | unexpected number token: expected "," or "]"
            package p⏎p := f(1, 2               | 2 | 12 | unexpected eof token: expected "," or ")"
            package p⏎p := {"a" 1}              | 2 | 11 | unexpected number token: non-terminated set
            package p⏎p := {"a": 1 2}           | 2 | 14 | unexpected number token: non-terminated object
            package p⏎p := {"a": 1, 2}          | 2 | 16 | unexpected } token: expected ":"
            # numbers
            package p⏎p := -x                   | 2 | 7  | unexpected ident token: expected number
            package p⏎p := 01                   | 2 | 6  | unexpected number token: expected number without leading zero
            package p⏎p := 1e99999              | 2 | 6  | number too big
            # references
            package p⏎p if a. b                 | 2 | 8  | unexpected whitespace token: expected ident
            package p⏎p if a.1                  | 2 | 8  | unexpected number token: expected ident
            package p⏎p if "s".x                | 2 | 6  | illegal ref (head cannot be string)
            package p⏎p if a[1                  | 2 | 9  | unexpected eof token: expected ]
            # some, every, with
            package p⏎p if not some x           | 2 | 10 | unexpected some keyword: illegal negation of 'some'
            package p⏎p if not every x in y { x } | 2 | 10 | unexpected every keyword: illegal negation of 'every'
            package p⏎p if { some 1 }           | 2 | 13 | unexpected number token: expected var
            package p⏎p if { some x == 1 }      | 2 | 20 | unexpected } token: expected `x in xs` or `x, y in xs` expression
            package p⏎p if { every x in xs }    | 2 | 22 | unexpected } token: missing body
            package p⏎p if { every 1 in xs { true } } | 2 | 14 | unexpected number token: expected value to be a variable
            package p⏎p if { every x }          | 2 | 16 | unexpected } token: expected `x[, y] in xs { ... }` expression
            package p⏎p if { x with 1 as 2 }    | 2 | 15 | unexpected number token: expected ident
            package p⏎p if { x with y 1 }       | 2 | 17 | unexpected number token: expected as keyword
            # template strings
            package p⏎p := $"{x := 1}"          | 2 | 9  | unexpected assignment (':=') in template-string expression
            package p⏎p := $"{x = 1}"           | 2 | 9  | unexpected unification ('=') in template-string expression
            package p⏎p := $"{not x}"           | 2 | 9  | unexpected negation ('not') in template-string expression
            package p⏎p := $"{some x in y}"     | 2 | 9  | unexpected 'some' in template-string expression
            package p⏎p := $"{x y}"             | 2 | 11 | expected } to end template string expression
            package p⏎p := $"abc                | 2 | 6  | non-terminated string
            """)
    void reportsTheErrorWhereItIs(String source, int line, int column, String message) {
        RegoParseException e = parseError(source);
        assertThat(e).as("parse error for %s", source).isNotNull();
        assertThat(e.errors()).hasSize(1);
        RegoError err = e.errors().get(0);
        assertThat(err.code()).isEqualTo("rego_parse_error");
        assertThat(err.message()).isEqualTo(message.replace("\\\\", "\\"));
        assertThat(err.line()).as("line").isEqualTo(line);
        assertThat(err.column()).as("column").isEqualTo(column);
        assertThat(err.file()).isEqualTo("p.rego");
        assertThat(e).hasMessage("p.rego:" + line + ":" + column + ": rego_parse_error: " + err.message());
    }

    @Test
    void anEmptyModuleIsAnError() {
        assertThat(parseError("")).hasMessage("p.rego:1:1: rego_parse_error: empty module");
        assertThat(parseError("  # just a comment⏎").reason()).isEqualTo("empty module");
    }

    @Test
    void v0StyleRulesGetEveryV1ErrorAtOnce() {
        RegoParseException e = parseError("package p⏎⏎q[x] {⏎  x := 1⏎}⏎r { true }");
        assertThat(e.errors()).extracting(RegoError::message).containsExactly(
                "`if` keyword is required before rule body",
                "`contains` keyword is required for partial set rules",
                "`if` keyword is required before rule body");
        assertThat(e.errors()).extracting(RegoError::line).containsExactly(3, 3, 6);
        assertThat(e).hasMessageStartingWith("3 errors occurred:\np.rego:3:1: rego_parse_error: `if` keyword");
        assertThat(e).isInstanceOf(RegoException.class);
    }

    @Test
    void theConformanceSuitesParseErrorMessage() {
        // regoparsemodule/error expects exactly this text for "package foo."
        assertThat(catchThrowableOfType(RegoParseException.class, () -> Parser.parseModule("x.rego", "package foo.")))
                .hasMessageContaining("rego_parse_error: unexpected eof token: expected ident");
    }

    @Test
    void queriesAndTermsReportErrorsToo() {
        assertThatThrownBy(() -> Parser.parseQuery("x = "))
                .isInstanceOf(RegoParseException.class)
                .hasMessage("1:5: rego_parse_error: unexpected eof token: expected term");
        assertThatThrownBy(() -> Parser.parseQuery(""))
                .isInstanceOf(RegoParseException.class).hasMessageContaining("found empty body");
        assertThatThrownBy(() -> Parser.parseTerm("[1] x"))
                .isInstanceOf(RegoParseException.class).hasMessageContaining("unexpected ident token: expected end of term");
    }

    @Test
    void nestingBeyondTheLimitIsAParseErrorNotAStackOverflow() throws Exception {
        int n = Parser.MAX_DEPTH + 10;
        String[] deep = {
            "[".repeat(n) + "]".repeat(n),
            "{\"a\": ".repeat(n) + "1" + "}".repeat(n),
            "(".repeat(n) + "1" + ")".repeat(n),
            "f(".repeat(n) + "1" + ")".repeat(n),
            "a[".repeat(n) + "1" + "]".repeat(n),
            "[x | ".repeat(n) + "true" + "]".repeat(n),
            "$\"{".repeat(n) + "1" + "}\"".repeat(n),
            "a.b(1)".repeat(1) + ".c(2)".repeat(n),
        };
        for (String d : deep) {
            // a small stack: the bound must hold well below the JVM's default
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread t = new Thread(null, () -> {
                try {
                    Parser.parseModule("deep.rego", "package p\np := " + d);
                } catch (Throwable x) {
                    thrown.set(x);
                }
            }, "deep-parse", 512 * 1024);
            t.start();
            t.join();
            assertThat(thrown.get()).as(d.substring(0, 20)).isInstanceOf(RegoParseException.class)
                    .hasMessageContaining("max parsing recursion depth exceeded");
        }
        String ok = "[".repeat(Parser.MAX_DEPTH - 5) + "]".repeat(Parser.MAX_DEPTH - 5);
        assertThat(Parser.parseModule("ok.rego", "package p\np := " + ok).rules()).hasSize(1);
    }

    /** A module of millions of tiny terms is a parse error at its millionth token, not gigabytes of syntax. */
    @Test
    void aModuleOfMoreThanAMillionTokensIsAParseError() {
        String big = "package p\n\nx := [" + "{},".repeat(400_000) + "{}]\n";

        assertThatThrownBy(() -> Parser.parseModule("big.rego", big)).isInstanceOf(RegoParseException.class)
                .hasMessageStartingWith("big.rego:3:")
                .hasMessageContaining("rego_parse_error: the module has more than 1,000,000 tokens; a policy module is "
                        + "far smaller: move large data into the bundle's data files");
        String fits = "package p\n\nx := [" + "1,".repeat(100_000) + "1]\n";
        assertThat(Parser.parseModule("fits.rego", fits).rules()).hasSize(1);
    }

    /**
     * {@code 1 + 1 + 1} is {@code plus(plus(1, 1), 1)}: a chain nests as deep as it is long, and the
     * compiler walks it recursively, so (as in OPA) each chained operator counts as a level.
     */
    @Test
    void operatorChainsBeyondTheLimitAreAParseError() {
        int n = Parser.MAX_DEPTH + 1;
        for (String op : new String[] {" + ", " - ", " * ", " / ", " % ", " | ", " & ", " == ", " < ", " in "}) {
            String chain = "1" + (op + "1").repeat(n);
            assertThatThrownBy(() -> Parser.parseModule("chain.rego", "package p\n\np := " + chain))
                    .as(op).isInstanceOf(RegoParseException.class)
                    .hasMessage("chain.rego:3:" + (6 + (op.length() + 1) * Parser.MAX_DEPTH)
                            + ": rego_parse_error: max parsing recursion depth exceeded (more than 200 levels of"
                            + " nested terms and chained operators): split the expression, e.g. into several variables"
                            + " or rules");
        }
        // chains count together with the nesting they are in, and each chain for itself
        String nested = "[".repeat(100) + "1" + " + 1".repeat(99) + "]".repeat(100);
        assertThat(Parser.parseModule("ok.rego", "package p\np := " + nested).rules()).hasSize(1);
        assertThatThrownBy(() -> Parser.parseModule("deep.rego", "package p\np := " + "[".repeat(100) + "1"
                + " + 1".repeat(101) + "]".repeat(100))).hasMessageContaining("max parsing recursion depth exceeded");
        String sideBySide = "[" + ("1" + " + 1".repeat(150) + ", ").repeat(20) + "1]";
        assertThat(Parser.parseModule("ok.rego", "package p\np := " + sideBySide).rules()).hasSize(1);
    }

    @Test
    void backtrackingStaysLinear() {
        // Each of these makes a naive backtracking parser retry alternatives at every level.
        int n = Parser.MAX_DEPTH - 10;
        String[] slow = {
            "[" + "[x | ".repeat(n) + "]".repeat(n),
            "some " + "[y | some ".repeat(n / 2) + " x",
            "{1: " + "{a: b | ".repeat(n) + "c",
            "$\"{" + "{x | ".repeat(n) + "\"",
            "x := " + "f(a, b, ".repeat(n) + ")",
            "a, ".repeat(5000) + "b",
            "1 + ".repeat(20000) + "1",
        };
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (String s : slow) {
                try {
                    Parser.parseModule("slow.rego", "package p\np if {\n" + s + "\n}");
                } catch (RegoParseException expected) {
                    // most of these are not valid Rego; they must fail fast
                }
            }
        });
    }
}
