package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.Calls.builtinError;
import static dev.veil.rego.internal.builtins.Calls.json;
import static dev.veil.rego.internal.builtins.Calls.typeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.strings;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.StringValue;
import org.junit.jupiter.api.Test;

class RegexGlobTest {

    @Test
    void matchAndValidity() {
        assertThat(json("regex.match", "\"^[a-z]+\\\\[[0-9]+\\\\]$\"", "\"foo[1]\"")).isEqualTo("true");
        assertThat(json("regex.match", "\"^$\"", "\"x\"")).isEqualTo("false");
        assertThat(json("regex.match", "\"\"", "\"x\"")).isEqualTo("true");
        assertThat(json("regex.is_valid", "\".+\"")).isEqualTo("true");
        assertThat(json("regex.is_valid", "\"(\"")).isEqualTo("false");
        assertThat(json("regex.is_valid", "1")).isEqualTo("false");
        builtinError("regex.match: error parsing regexp: missing closing ]: `[[[`", "regex.match", "\"$^[[[\"",
                "\"x\"");
        typeError("regex.match: operand 2 must be string but got number", "regex.match", "\"a\"", "1");
        // RE2: no backreferences or lookaround
        assertThat(json("regex.is_valid", "\"(a)\\\\1\"")).isEqualTo("false");
        assertThat(json("regex.is_valid", "\"(?=a)\"")).isEqualTo("false");
    }

    @Test
    void findFollowsGoEmptyMatchRules() {
        assertThat(json("regex.find_n", "\"a.\"", "\"paranormal\"", "-1")).isEqualTo("[\"ar\",\"an\",\"al\"]");
        assertThat(json("regex.find_n", "\"a.\"", "\"paranormal\"", "2")).isEqualTo("[\"ar\",\"an\"]");
        assertThat(json("regex.find_n", "\"a.\"", "\"paranormal\"", "0")).isEqualTo("[]");
        assertThat(json("regex.find_n", "\"^a.\"", "\"abacadaeaf\"", "-1")).isEqualTo("[\"ab\"]");
        assertThat(json("regex.find_n", "\"a*\"", "\"baaab\"", "-1")).isEqualTo("[\"\",\"aaa\",\"\"]");
        assertThat(json("regex.find_all_string_submatch_n", "\"a(x*)b\"", "\"-axxb-ab-\"", "-1"))
                .isEqualTo("[[\"axxb\",\"xx\"],[\"ab\",\"\"]]");
        assertThat(json("regex.find_all_string_submatch_n", "\"a(x)?b\"", "\"ab\"", "-1"))
                .isEqualTo("[[\"ab\",\"\"]]");
        typeError("regex.find_n: operand 3 must be integer number but got floating-point number", "regex.find_n",
                "\"a\"", "\"a\"", "1.5");
    }

    @Test
    void splitAndReplace() {
        assertThat(json("regex.split", "\"a\"", "\"banana\"")).isEqualTo("[\"b\",\"n\",\"n\",\"\"]");
        assertThat(json("regex.split", "\"^[a-z]+\\\\[[0-9]+\\\\]$\"", "\"\"")).isEqualTo("[\"\"]");
        assertThat(json("regex.split", "\"[a-z]+$\"", "\"foobar baz\"")).isEqualTo("[\"foobar \",\"\"]");
        assertThat(json("regex.replace", "\"-wy-wxxy-\"", "\"w(x*)y\"", "\"0\"")).isEqualTo("\"-0-0-\"");
        assertThat(json("regex.replace", "\"foo\"", "\"(foo)\"", "\"$1$1\"")).isEqualTo("\"foofoo\"");
        assertThat(json("regex.replace", "\"foo\"", "\"^[a-z]\"", "\"F\"")).isEqualTo("\"Foo\"");
        assertThat(json("regex.replace", "\"foo barx\"", "\"[a-z]{2}\"", "\"_\"")).isEqualTo("\"_o __\"");
        assertThat(json("regex.replace", "\"abc\"", "\"(?P<x>b)\"", "\"[${x}$$]\"")).isEqualTo("\"a[b$]c\"");
        assertThat(json("regex.replace", "\"abc\"", "\"x*\"", "\"-\"")).isEqualTo("\"-a-b-c-\"");
        builtinError("regex.replace: error parsing regexp: missing closing ]: `[`", "regex.replace", "\"foo\"",
                "\"[\"", "\"$1\"");
    }

    @Test
    void templateMatch() {
        assertThat(json("regex.template_match", "\"urn:foo:{.*}\"", "\"urn:foo:bar:baz\"", "\"{\"", "\"}\""))
                .isEqualTo("true");
        assertThat(json("regex.template_match", "\"urn:foo.bar:<[0-9]+>\"", "\"urn:fooXbar:12\"", "\"<\"",
                "\">\"")).isEqualTo("false");
        builtinError("regex.template_match: start delimiter has to be exactly one character long but is 2 long",
                "regex.template_match", "\"a\"", "\"a\"", "\"<<\"", "\">\"");
        builtinError("regex.template_match: unbalanced braces in \"a{b\"", "regex.template_match", "\"a{b\"",
                "\"a\"", "\"{\"", "\"}\"");
    }

    @Test
    void globsMatchDecidesIntersection() {
        assertThat(json("regex.globs_match", "\"a.a.[0-9]+z\"", "\".b.b2359825792*594823z\"")).isEqualTo("true");
        assertThat(json("regex.globs_match", "\"[a-z]+\"", "\"[0-9]*\"")).isEqualTo("false");
        assertThat(json("regex.globs_match", "\"[a-z]+\\\\[[0-9]+\\\\]\"", "\"foo\\\\[1\\\\]\"")).isEqualTo("true");
        assertThat(json("regex.globs_match", "\"a*\"", "\"\"")).isEqualTo("true");
        assertThat(json("regex.globs_match", "\"a+\"", "\"\"")).isEqualTo("false");
        builtinError("regex.globs_match: input:pqrs], pos:5, set-close ']' with no preceding '[': "
                + "the input provided is invalid", "regex.globs_match", "\"pqrs]\"", "\"[a-b]+\"");
        builtinError("regex.globs_match: input:*a, pos:1, flag '*' must be preceded by a non-flag: "
                + "the input provided is invalid", "regex.globs_match", "\"*a\"", "\"a\"");
    }

    @Test
    void globMatchWithDelimiters() {
        assertThat(json("glob.match", "\"*.github.com\"", "[\".\"]", "\"api.github.com\"")).isEqualTo("true");
        assertThat(json("glob.match", "\"*.github.com\"", "[\".\"]", "\"api.cdn.github.com\"")).isEqualTo("false");
        assertThat(json("glob.match", "\"api.**.com\"", "[\".\"]", "\"api.cdn.github.com\"")).isEqualTo("true");
        assertThat(json("glob.match", "\"*\"", "[]", "\"foo.bar\"")).isEqualTo("false");
        assertThat(json("glob.match", "\"*\"", "null", "\"foo.bar\"")).isEqualTo("true");
        assertThat(json("glob.match", "\"?at\"", "[\"f\"]", "\"fat\"")).isEqualTo("false");
        assertThat(json("glob.match", "\"[!a-c]at\"", "[]", "\"fat\"")).isEqualTo("true");
        assertThat(json("glob.match", "\"{cat,bat,[fr]at}\"", "[]", "\"rat\"")).isEqualTo("true");
        assertThat(json("glob.match", "\"{cat,bat,[fr]at}\"", "[]", "\"at\"")).isEqualTo("false");
        assertThat(json("glob.match", "\"a\\\\*b\"", "[]", "\"a*b\"")).isEqualTo("true");
        assertThat(json("glob.match", "\"a\\\\*b\"", "[]", "\"axb\"")).isEqualTo("false");
        typeError("glob.match: operand 2 must be one of {array, null} but got string", "glob.match", "\"*\"",
                "\"x\"", "\"a\"");
        builtinError("glob.match: unexpected end of input", "glob.match", "\"[a\"", "[]", "\"a\"");
        typeError("glob.match: operand 2 must be array of runes but got array containing string", "glob.match",
                "\"*\"", "[\"ab\"]", "\"a\"");
        typeError("glob.match: operand 2 must be array of strings but got array containing number", "glob.match",
                "\"*\"", "[1]", "\"a\"");
        builtinError("glob.match: expected close range character", "glob.match", "\"[a-z0-9]\"", "[]", "\"a\"");
        builtinError("glob.match: unexpected end of input", "glob.match", "\"{a,b\"", "[]", "\"a\"");
        assertThat(json("glob.match", "\"[\\\\]a]\"", "[]", "\"]\"")).isEqualTo("true");
        assertThat(json("glob.match", "\"a]b,c}\"", "[]", "\"a]b,c}\"")).isEqualTo("true");
        assertThat(json("glob.match", "\"[!]\"", "[]", "\"x\"")).isEqualTo("true");
        assertThat(json("glob.match", "\"[]\"", "[]", "\"x\"")).isEqualTo("false");
    }

    @Test
    void quotedGlobMatchesItselfLiterally() {
        qt().forAll(strings().ascii().ofLengthBetween(0, 12)).checkAssert(s -> {
            String quoted = ((StringValue) Calls.call("glob.quote_meta", StringValue.of(s))).value();
            assertThat(Calls.call("glob.match", StringValue.of(quoted), NullValue.NULL, StringValue.of(s)))
                    .isEqualTo(BooleanValue.TRUE);
            assertThat(Calls.call("glob.match", StringValue.of(quoted), ArrayValue.EMPTY, StringValue.of(s + "x")))
                    .isEqualTo(BooleanValue.FALSE);
        });
        assertThat(json("glob.quote_meta", "\"*.github.com\"")).isEqualTo("\"\\\\*.github.com\"");
    }
}
