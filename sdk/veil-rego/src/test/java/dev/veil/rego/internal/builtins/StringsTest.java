package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.Calls.builtinError;
import static dev.veil.rego.internal.builtins.Calls.json;
import static dev.veil.rego.internal.builtins.Calls.typeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

class StringsTest {

    @Test
    void concatJoinsArraysAndSortedSets() {
        assertThat(json("concat", "\",\"", "[\"a\",\"b\"]")).isEqualTo("\"a,b\"");
        assertThat(json("concat", "\"-\"", "[]")).isEqualTo("\"\"");
        assertThat(Calls.call("concat", Calls.s("/"), dev.veil.rego.internal.value.SetValue.of(Calls.s("b"),
                Calls.s("a")))).isEqualTo(Calls.s("a/b"));
        typeError("concat: operand 2 must be one of {set, array} but got string", "concat", "\",\"", "\"x\"");
        typeError("concat: operand 2 must be array of strings but got array containing number", "concat",
                "\",\"", "[\"a\",1]");
        typeError("concat: operand 1 must be string but got number", "concat", "1", "[]");
    }

    @Test
    void searchingBuiltins() {
        assertThat(json("contains", "\"abc\"", "\"bc\"")).isEqualTo("true");
        assertThat(json("contains", "\"abc\"", "\"\"")).isEqualTo("true");
        assertThat(json("startswith", "\"abc\"", "\"ab\"")).isEqualTo("true");
        assertThat(json("endswith", "\"abc\"", "\"ab\"")).isEqualTo("false");
        assertThat(json("indexof", "\"héllo\"", "\"l\"")).isEqualTo("2");
        assertThat(json("indexof", "\"abc\"", "\"z\"")).isEqualTo("-1");
        assertThat(json("indexof_n", "\"aaa\"", "\"aa\"")).isEqualTo("[0,1]");
        assertThat(json("indexof_n", "\"😀a😀\"", "\"😀\"")).isEqualTo("[0,2]");
        builtinError("indexof: empty search character", "indexof", "\"abc\"", "\"\"");
        builtinError("indexof_n: empty search character", "indexof_n", "\"abc\"", "\"\"");
        assertThat(json("strings.count", "\"cheese\"", "\"e\"")).isEqualTo("3");
        assertThat(json("strings.count", "\"five\"", "\"\"")).isEqualTo("5");
        assertThat(json("strings.any_prefix_match", "[\"a/b\",\"c\"]", "\"a/\"")).isEqualTo("true");
        assertThat(json("strings.any_suffix_match", "\"x.rego\"", "[\".yaml\",\".rego\"]")).isEqualTo("true");
        assertThat(json("strings.any_suffix_match", "[]", "\"x\"")).isEqualTo("false");
        typeError("strings.any_prefix_match: operand 2 must be one of {string, set, array} but got number",
                "strings.any_prefix_match", "\"a\"", "1");
        typeError("strings.any_prefix_match: operand 1 must be array of strings but got array containing number",
                "strings.any_prefix_match", "[1]", "\"a\"");
    }

    @Test
    void caseTrimAndReverseFollowGo() {
        assertThat(json("lower", "\"ÀBC\"")).isEqualTo("\"àbc\"");
        assertThat(json("upper", "\"straße\"")).isEqualTo("\"STRAßE\"");
        assertThat(json("trim", "\"  xx  \"", "\" \"")).isEqualTo("\"xx\"");
        assertThat(json("trim", "\"abcba\"", "\"ab\"")).isEqualTo("\"c\"");
        assertThat(json("trim_left", "\"aab\"", "\"a\"")).isEqualTo("\"b\"");
        assertThat(json("trim_right", "\"baa\"", "\"a\"")).isEqualTo("\"b\"");
        assertThat(json("trim_prefix", "\"foobar\"", "\"foo\"")).isEqualTo("\"bar\"");
        assertThat(json("trim_suffix", "\"foobar\"", "\"bar\"")).isEqualTo("\"foo\"");
        assertThat(json("trim_suffix", "\"foobar\"", "\"x\"")).isEqualTo("\"foobar\"");
        assertThat(json("trim_space", "\"\\t\\u00a0 x y \\n\"")).isEqualTo("\"x y\"");
        assertThat(json("strings.reverse", "\"a😀b\"")).isEqualTo("\"b😀a\"");
        typeError("strings.reverse: operand 1 must be string but got number", "strings.reverse", "1");
    }

    @Test
    void splitAndReplace() {
        assertThat(json("split", "\"a,b,,c\"", "\",\"")).isEqualTo("[\"a\",\"b\",\"\",\"c\"]");
        assertThat(json("split", "\"abc\"", "\"\"")).isEqualTo("[\"a\",\"b\",\"c\"]");
        assertThat(json("split", "\"abc\"", "\"x\"")).isEqualTo("[\"abc\"]");
        assertThat(json("strings.split_n", "\"a,b,c\"", "\",\"", "2")).isEqualTo("[\"a\",\"b\"]");
        assertThat(json("strings.split_n", "\"a,b,c\"", "\",\"", "0")).isEqualTo("[]");
        assertThat(json("strings.split_n", "\"a,b,c\"", "\",\"", "-1")).isEqualTo("[\"c\"]");
        assertThat(json("strings.split_n", "\"a,b,c\"", "\",\"", "-10")).isEqualTo("[\"a\",\"b\",\"c\"]");
        assertThat(json("strings.split_n", "\"abc\"", "\"\"", "-2")).isEqualTo("[\"b\",\"c\"]");
        typeError("strings.split_n: operand 3 must be integer number but got floating-point number",
                "strings.split_n", "\"a\"", "\".\"", "1.5");
        assertThat(json("replace", "\"aaa\"", "\"a\"", "\"b\"")).isEqualTo("\"bbb\"");
        assertThat(json("replace", "\"ab\"", "\"\"", "\"-\"")).isEqualTo("\"-a-b-\"");
        assertThat(json("strings.replace_n", "{\"a\":\"1\",\"ab\":\"2\"}", "\"abab\"")).isEqualTo("\"1b1b\"");
        assertThat(json("strings.replace_n", "{\"<\":\"&lt;\",\">\":\"&gt;\"}", "\"<x>\""))
                .isEqualTo("\"\\u0026lt;x\\u0026gt;\"");
        typeError("strings.replace_n: operand 2 must be string but got number", "strings.replace_n", "{}", "1");
        typeError("strings.replace_n: operand 1 non-string value found in pattern object", "strings.replace_n",
                "{\"a\":1}", "\"a\"");
    }

    @Test
    void substringCountsRunes() {
        assertThat(json("substring", "\"héllo\"", "1", "3")).isEqualTo("\"éll\"");
        assertThat(json("substring", "\"abc\"", "1", "-1")).isEqualTo("\"bc\"");
        assertThat(json("substring", "\"abc\"", "5", "1")).isEqualTo("\"\"");
        assertThat(json("substring", "\"abc\"", "1", "100")).isEqualTo("\"bc\"");
        builtinError("substring: negative offset", "substring", "\"abc\"", "-1", "1");
        typeError("substring: operand 2 must be integer number but got floating-point number", "substring",
                "\"abc\"", "1.5", "1");
        typeError("substring: operand 3 must be number but got string", "substring", "\"abc\"", "1", "\"1\"");
        // OPA's IntOperand reads the literal: 1.0 is "floating-point" there
        typeError("substring: operand 2 must be integer number but got floating-point number", "substring",
                "\"abc\"", "1.0", "1");
    }

    @Test
    void formatInt() {
        assertThat(json("format_int", "255", "16")).isEqualTo("\"ff\"");
        assertThat(json("format_int", "-5", "2")).isEqualTo("\"-101\"");
        assertThat(json("format_int", "10.9", "8")).isEqualTo("\"12\"");
        assertThat(json("format_int", "-10.9", "10")).isEqualTo("\"-10\"");
        typeError("format_int: operand 2 must be one of {2, 8, 10, 16}", "format_int", "1", "3");
    }

    @Test
    void sprintfVerbs() {
        assertThat(sprintf("%s/%d", "\"a\"", "5")).isEqualTo("a/5");
        assertThat(sprintf("%v %v %v", "1.5", "[1,\"a\"]", "{\"k\":true}")).isEqualTo("1.5 [1, \"a\"] {\"k\": true}");
        assertThat(sprintf("%v", "1000000.0")).isEqualTo("1e+06");
        assertThat(sprintf("%v", "123456.5")).isEqualTo("123456.5");
        assertThat(sprintf("%v", "0.00001")).isEqualTo("1e-05");
        assertThat(sprintf("%.2f|%f|%e|%g", "3.14159", "1.5", "1234.5", "0.5"))
                .isEqualTo("3.14|1.500000|1.234500e+03|0.5");
        assertThat(sprintf("%x %X %o %b %q", "255", "255", "8", "5", "\"a\\\"b\"")).isEqualTo("ff FF 10 101 \"a\\\"b\"");
        assertThat(sprintf("%05d|%-4d|%4s|%+d|%x", "42", "7", "\"ab\"", "3", "\"hi\"")).isEqualTo("00042|7   |  ab|+3|6869");
        assertThat(sprintf("%t %d", "true", "\"x\"")).isEqualTo("%!t(string=true) %!d(string=x)");
        assertThat(sprintf("%f", "5")).isEqualTo("%!f(int=5)");
        assertThat(sprintf("%d %d", "1")).isEqualTo("1 %!d(MISSING)");
        assertThat(sprintf("%d", "1", "\"x\"")).isEqualTo("1%!(EXTRA string=x)");
        assertThat(sprintf("100%%", new String[0])).isEqualTo("100%");
        assertThat(sprintf("%", new String[0])).isEqualTo("%!(NOVERB)");
        assertThat(sprintf("%[2]d %[1]s", "\"a\"", "2")).isEqualTo("2 a");
        assertThat(sprintf("%*d", "5", "1")).isEqualTo("    1");
        assertThat(sprintf("%s", "123456789123456789123")).isEqualTo("123456789123456789123");
        assertThat(sprintf("%x", "1208925819614629174706175")).isEqualTo("ffffffffffffffffffff");
        assertThat(sprintf("%v", "[]")).isEqualTo("[]");
        assertThat(sprintf("%.1f", "0.25")).isEqualTo("0.2");
        assertThat(sprintf("%.3s", "\"abcdef\"")).isEqualTo("abc");
        assertThat(sprintf("%6.2f", "-1.5")).isEqualTo(" -1.50");
        assertThat(sprintf("%06.2f", "-1.5")).isEqualTo("-01.50");
        typeError("sprintf: operand 2 must be array but got string", "sprintf", "\"%s\"", "\"x\"");
    }

    private static String sprintf(String format, String... args) {
        Value r = Calls.call("sprintf", StringValue.of(format), Calls.v("[" + String.join(",", args) + "]"));
        return ((StringValue) r).value();
    }

    @Test
    void renderTemplate() {
        assertThat(json("strings.render_template", "\"{{.test}}\"", "{\"test\":\"hello world\"}"))
                .isEqualTo("\"hello world\"");
        assertThat(json("strings.render_template",
                "\"{{range $i, $name := .names}}{{if $i}},{{end}}hello {{$name}}{{end}}\"",
                "{\"names\":[\"a\",\"b\"]}")).isEqualTo("\"hello a,hello b\"");
        assertThat(json("strings.render_template", "\"test {{.foo}} {{.baz}}\"", "{\"baz\":1}"))
                .isEqualTo("\"test \\u003cundefined\\u003e 1\"");
        assertThat(json("strings.render_template", "\"{{if eq .a 1}}one{{else}}other{{end}} {{- \\\" x\\\" -}} \"",
                "{\"a\":1}")).isEqualTo("\"one x\"");
        assertThat(json("strings.render_template", "\"{{.a}} {{.o}} {{.n}} {{with .o}}{{.k}}{{end}}\"",
                "{\"a\":[\"x\",1,true],\"o\":{\"k\":\"v\"},\"n\":null}")).isEqualTo("\"[x 1 true] map[k:v] \\u003cnil\\u003e v\"");
        builtinError("strings.render_template: template: unexpected EOF", "strings.render_template",
                "\"{{if .a}}\"", "{}");
    }

    @Test
    void sprintfDecimalOfALongIsLongToString() {
        qt().forAll(longs().all()).checkAssert(l -> assertThat(
                ((StringValue) Calls.call("sprintf", StringValue.of("%d"), Calls.arr(NumberValue.of(l)))).value())
                .isEqualTo(Long.toString(l)));
    }

    @Test
    void sprintfOfAFractionReadsBackAsTheSameDouble() {
        qt().forAll(org.quicktheories.generators.SourceDSL.integers().between(-30, 30),
                org.quicktheories.generators.SourceDSL.doubles().fromZeroToOne())
                .as((e, f) -> (f - 0.5) * Math.pow(10, e))
                .checkAssert(d -> {
                    if (d == Math.rint(d)) {
                        return; // integers are Go ints, not floats
                    }
                    NumberValue n = NumberValue.of(d);
                    for (String verb : List.of("%v", "%g", "%.17g", "%.17e")) {
                        String out = ((StringValue) Calls.call("sprintf", StringValue.of(verb), Calls.arr(n))).value();
                        assertThat(Double.parseDouble(out)).as("%s of %s gave %s", verb, d, out).isEqualTo(d);
                    }
                });
    }

    @Test
    void splitThenConcatRoundTrips() {
        qt().forAll(strings().basicLatinAlphabet().ofLengthBetween(0, 20),
                strings().basicLatinAlphabet().ofLengthBetween(1, 2)).checkAssert((s, sep) -> {
                    Value parts = Strings.split(s, sep, -1);
                    assertThat(Calls.call("concat", StringValue.of(sep), parts)).isEqualTo(StringValue.of(s));
                    assertThat(((dev.veil.rego.internal.value.ArrayValue) parts).size())
                            .isEqualTo(Strings.count(s, sep) + 1);
                });
    }

    @Test
    void everyTopicBuiltinIsRegistered() {
        assertThat(Builtins.names()).containsAll(Strings.ALL.stream().map(Builtin::name).toList());
        assertThat(List.of("sprintf", "strings.render_template")).allSatisfy(n -> assertThat(Builtins.lookup(n))
                .isNotNull());
    }
}
