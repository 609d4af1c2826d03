package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.B.builtinError;
import static dev.veil.rego.internal.builtins.B.call;
import static dev.veil.rego.internal.builtins.B.j;
import static dev.veil.rego.internal.builtins.B.json;
import static dev.veil.rego.internal.builtins.B.n;
import static dev.veil.rego.internal.builtins.B.s;
import static dev.veil.rego.internal.builtins.B.set;
import static dev.veil.rego.internal.builtins.B.typeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class CastsAndEncodingTest {

    @Test
    void toNumber() {
        assertThat(json(call("to_number", s("-42.0")))).isEqualTo("-42.0");
        assertThat(call("to_number", s("-42.0"))).isEqualTo(n("-42"));
        assertThat(json(call("to_number", BooleanValue.FALSE))).isEqualTo("0");
        assertThat(json(call("to_number", BooleanValue.TRUE))).isEqualTo("1");
        assertThat(json(call("to_number", NullValue.NULL))).isEqualTo("0");
        assertThat(json(call("to_number", n("100.1")))).isEqualTo("100.1");
        assertThat(call("to_number", s("+5"))).isEqualTo(n("5"));
        assertThat(call("to_number", s(".5"))).isEqualTo(n("0.5"));
        for (String bad : new String[] {"nan", "inf", "-inf", "Infinity", "-Infinity", "-nan", "-NaN", "iNf"}) {
            typeError("to_number", "to_number: operand 1 must be valid number string but got string", s(bad));
        }
        builtinError("to_number", "to_number: strconv.ParseFloat: parsing \"abc\": invalid syntax", s("abc"));
        builtinError("to_number", "to_number: strconv.ParseFloat: parsing \"1e400\": value out of range", s("1e400"));
        typeError("to_number", "to_number: operand 1 must be one of {null, boolean, number, string} but got array",
                j("[]"));
        assertThat(Builtins.lookup("cast_array")).isNull();
        assertThat(Casts.DEPRECATED.get(0).fn().call(new Value[] {set(n("1"))}, B.ctx())).isEqualTo(j("[1]"));
    }

    @Test
    void base64() {
        assertThat(call("base64.encode", s("hello"))).isEqualTo(s("aGVsbG8="));
        assertThat(call("base64.decode", s("aGVsbG8="))).isEqualTo(s("hello"));
        assertThat(call("base64.decode", s("aGVs\nbG8="))).isEqualTo(s("hello"));
        assertThat(call("base64.is_valid", s("aGVsbG8="))).isEqualTo(BooleanValue.TRUE);
        assertThat(call("base64.is_valid", s("aGVsbG8"))).isEqualTo(BooleanValue.FALSE);
        assertThat(call("base64.is_valid", n("1"))).isEqualTo(BooleanValue.FALSE);
        builtinError("base64.decode", "base64.decode: illegal base64 data at input byte 4", s("aGVsbG8"));
        builtinError("base64.decode", "base64.decode: illegal base64 data at input byte 1", s("a!"));
        builtinError("base64.decode", "base64.decode: illegal base64 data at input byte 8", s("aGVsbG8=x"));
        assertThat(call("base64url.encode", s("\u00ff\u00fe?"))).isEqualTo(s("w7_Dvj8="));
        assertThat(call("base64url.encode_no_pad", s("\u00ff\u00fe?"))).isEqualTo(s("w7_Dvj8"));
        assertThat(call("base64url.decode", s("w7_Dvj8"))).isEqualTo(s("\u00ff\u00fe?"));
        assertThat(call("base64url.decode", s("w7_Dvj8="))).isEqualTo(s("\u00ff\u00fe?"));
        builtinError("base64url.decode", "base64url.decode: illegal base64url string: abcde", s("abcde"));
        typeError("base64.encode", "base64.encode: operand 1 must be string but got number", n("1"));
    }

    @Test
    void base64RoundTripsAndMatchesTheJdk() {
        qt().forAll(strings().allPossible().ofLengthBetween(0, 40)).checkAssert(str -> {
            String valid = new String(str.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    java.nio.charset.StandardCharsets.UTF_8);
            Value enc = call("base64.encode", s(valid));
            assertThat(((StringValue) enc).value()).isEqualTo(Base64.getEncoder().encodeToString(
                    valid.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertThat(call("base64.decode", enc)).isEqualTo(s(valid));
            assertThat(call("base64url.decode", call("base64url.encode_no_pad", s(valid)))).isEqualTo(s(valid));
        });
    }

    @Test
    void hex() {
        assertThat(call("hex.encode", s("lorem"))).isEqualTo(s("6c6f72656d"));
        assertThat(call("hex.decode", s("6C6f72656d"))).isEqualTo(s("lorem"));
        builtinError("hex.decode", "hex.decode: encoding/hex: invalid byte: U+0067 'g'", s("6g"));
        builtinError("hex.decode", "hex.decode: encoding/hex: odd length hex string", s("6c6"));
        builtinError("hex.decode", "hex.decode: encoding/hex: invalid byte: U+007A 'z'", s("6cz"));
    }

    @Test
    void jsonMarshalAndUnmarshal() {
        Value v = j("{\"b\": [1, 2.50, \"<x>\"], \"a\": null}");
        assertThat(call("json.marshal", v)).isEqualTo(s("{\"a\":null,\"b\":[1,2.50,\"\\u003cx\\u003e\"]}"));
        assertThat(call("json.marshal", set(s("b"), s("a")))).isEqualTo(s("[\"a\",\"b\"]"));
        assertThat(call("json.unmarshal", s("{\"a\": [1, true]}"))).isEqualTo(j("{\"a\": [1, true]}"));
        assertThat(call("json.is_valid", s("[1,"))).isEqualTo(BooleanValue.FALSE);
        assertThat(call("json.is_valid", n("1"))).isEqualTo(BooleanValue.FALSE);
        assertThat(call("json.is_valid", s("1"))).isEqualTo(BooleanValue.TRUE);
        builtinError("json.unmarshal", "json.unmarshal: unexpected end of JSON input", s("[1,"));
        builtinError("json.unmarshal", "json.unmarshal: invalid character 'x' looking for beginning of value",
                s("x"));
        builtinError("json.unmarshal", "json.unmarshal: invalid character '}' after array element", s("[1}"));
        builtinError("json.unmarshal", "json.unmarshal: invalid character '1' looking for beginning of object key "
                + "string", s("{1:2}"));
        builtinError("json.unmarshal", "json.unmarshal: invalid character '2' after object key", s("{\"a\" 2}"));
        builtinError("json.unmarshal", "json.unmarshal: invalid character ']' after object key:value pair",
                s("{\"a\": 2]"));
        builtinError("json.unmarshal", "json.unmarshal: invalid character '2' after top-level value", s("1 2"));
    }

    @Test
    void jsonMarshalUnmarshalRoundTrip() {
        qt().forAll(longs().all(), strings().basicLatinAlphabet().ofLengthBetween(0, 10)).checkAssert((l, str) -> {
            Value v = j("{\"n\": " + l + ", \"s\": " + Encoding.queryEscape(str).length() + ", \"t\": [null, true]}");
            Value doc = dev.veil.rego.internal.value.ObjectValue.of(s(str), v, s("k"), s(str));
            assertThat(call("json.unmarshal", call("json.marshal", doc))).isEqualTo(doc);
        });
    }

    @Test
    void jsonMarshalWithOptions() {
        Value v = j("[1, {\"b\": 2, \"a\": []}]");
        assertThat(call("json.marshal_with_options", v, j("{}"))).isEqualTo(s("[1,{\"a\":[],\"b\":2}]"));
        assertThat(((StringValue) call("json.marshal_with_options", v, j("{\"pretty\": true}"))).value())
                .isEqualTo("[\n\t1,\n\t{\n\t\t\"a\": [],\n\t\t\"b\": 2\n\t}\n]");
        Value opts = j("{\"prefix\": \"> \", \"indent\": \" \"}");
        assertThat(((StringValue) call("json.marshal_with_options", j("[1]"), opts)).value())
                .isEqualTo("> [\n>  1\n> ]");
        assertThat(call("json.marshal_with_options", j("[]"), j("{\"prefix\": \"---\"}"))).isEqualTo(s("---[]"));
        assertThat(call("json.marshal_with_options", v, j("{\"pretty\": false, \"indent\": \"x\"}")))
                .isEqualTo(s("[1,{\"a\":[],\"b\":2}]"));
        typeError("json.marshal_with_options", "json.marshal_with_options: operand 2 object contained unknown key "
                + "\"lottery\"", v, j("{\"lottery\": true}"));
        typeError("json.marshal_with_options", "json.marshal_with_options: operand 2 key \"pretty\" failed cast to "
                + "bool", v, j("{\"pretty\": 1}"));
        typeError("json.marshal_with_options", "json.marshal_with_options: operand 2 key \"prefix\" failed cast to "
                + "string: operand 1 must be string but got number", v, j("{\"indent\": \"\", \"prefix\": 1}"));
        typeError("json.marshal_with_options", "json.marshal_with_options: operand 2 failed to stringify key 1 at "
                + "index 0: operand 0 must be string but got number", v,
                dev.veil.rego.internal.value.ObjectValue.of(n("1"), s("x")));
    }

    @Test
    void urlQuery() {
        assertThat(call("urlquery.encode", s("a b&c=d/é~"))).isEqualTo(s("a+b%26c%3Dd%2F%C3%A9~"));
        assertThat(call("urlquery.decode", s("a+b%26c%3Dd%2F%C3%A9~"))).isEqualTo(s("a b&c=d/é~"));
        builtinError("urlquery.decode", "urlquery.decode: invalid URL escape \"%zz\"", s("a%zz"));
        builtinError("urlquery.decode", "urlquery.decode: invalid URL escape \"%2\"", s("a%2"));
        assertThat(call("urlquery.encode_object", j("{\"b\": [\"1\", \"2\"], \"a\": \"x y\"}")))
                .isEqualTo(s("a=x+y&b=1&b=2"));
        assertThat(call("urlquery.encode_object", dev.veil.rego.internal.value.ObjectValue.of(s("s"), set(s("v")))))
                .isEqualTo(s("s=v"));
        typeError("urlquery.encode_object", "urlquery.encode_object: operand 1 values must be string, array[string], "
                + "or set[string]", j("{\"a\": [1]}"));
        typeError("urlquery.encode_object", "urlquery.encode_object: operand 1 values must be string, array[string], "
                + "or set[string]", j("{\"a\": 1}"));
        assertThat(call("urlquery.decode_object", s("a=1&b=2&a=3&c"))).isEqualTo(
                j("{\"a\": [\"1\", \"3\"], \"b\": [\"2\"], \"c\": [\"\"]}"));
        builtinError("urlquery.decode_object", "urlquery.decode_object: invalid semicolon separator in query",
                s("a=1;b=2"));
    }

    private static final String[] TRICKY = {"", " x", "x ", "true", "y", "N", "off", "1e3", "0x1F", "1:20", "0777",
        "2001-12-14", "null", "~", "-", "- x", "a: b", "a #b", "#x", "@x", "`x", "!x", "&x", "*x", "[x]", "{x}",
        "x,y", "?", ":", ".5", ".inf", "multi\nline", "tail\n", "é€😀", "tab\tin", "quote\"s", "back\\slash",
        "<&>", "%x", "'x'"};

    @Test
    void yamlMarshalReadsBackAsTheSameValue() {
        qt().withExamples(400).forAll(longs().between(0, Long.MAX_VALUE)).checkAssert(seed -> {
            java.util.Random r = new java.util.Random(seed);
            Value v = randomDoc(r, 3);
            String yaml = ((StringValue) call("yaml.marshal", v)).value();
            assertThat(call("yaml.unmarshal", s(yaml))).as(yaml).isEqualTo(v);
        });
    }

    private static Value randomDoc(java.util.Random r, int depth) {
        int kind = depth == 0 ? r.nextInt(4) : r.nextInt(6);
        switch (kind) {
            case 0:
                return s(TRICKY[r.nextInt(TRICKY.length)]);
            case 1:
                return n(Long.toString(r.nextLong() >> r.nextInt(64)));
            case 2:
                return r.nextBoolean() ? BooleanValue.TRUE : NullValue.NULL;
            case 3:
                return n(r.nextInt(1000) + "." + (1 + r.nextInt(9)));
            case 4: {
                java.util.List<Value> l = new java.util.ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) {
                    l.add(randomDoc(r, depth - 1));
                }
                return dev.veil.rego.internal.value.ArrayValue.of(l);
            }
            default: {
                dev.veil.rego.internal.value.ObjectValue.Builder b = dev.veil.rego.internal.value.ObjectValue.builder();
                for (int i = r.nextInt(4); i > 0; i--) {
                    b.put(s(TRICKY[r.nextInt(TRICKY.length)]), randomDoc(r, depth - 1));
                }
                return b.build();
            }
        }
    }

    @Test
    void yaml() {
        assertThat(call("yaml.unmarshal", s("a: 1\nb: [x, 2.5, true, null]\n1: one\n")))
                .isEqualTo(j("{\"a\": 1, \"b\": [\"x\", 2.5, true, null], \"1\": \"one\"}"));
        assertThat(call("yaml.unmarshal", s(""))).isEqualTo(NullValue.NULL);
        assertThat(call("yaml.unmarshal", s("d: 2001-12-14\nf: 1e3\nt: 1:20\no: 0x1F\n")))
                .isEqualTo(j("{\"d\": \"2001-12-14\", \"f\": 1000, \"t\": \"1:20\", \"o\": 31}"));
        // go-yaml v2 (so OPA) reads y, Y, n and N as booleans too; yEs and quoted y stay strings
        assertThat(call("yaml.unmarshal", s("[y, Y, n, N, yes, No, on, OFF, True, yEs, 'y', \"n\", !!bool y]")))
                .isEqualTo(j("[true, true, false, false, true, false, true, false, true, \"yEs\", \"y\", \"n\","
                        + " true]"));
        assertThat(call("yaml.unmarshal", s("regions: [GB, NO, y, n]\n")))
                .isEqualTo(j("{\"regions\": [\"GB\", false, true, false]}"));
        assertThat(call("yaml.unmarshal", s("y: 1\n"))).isEqualTo(j("{\"true\": 1}"));
        assertThat(call("yaml.marshal", j("{\"d\": \"2001-12-14\", \"f\": \"1e3\"}")))
                .isEqualTo(s("d: \"2001-12-14\"\nf: \"1e3\"\n"));
        builtinError("yaml.unmarshal", "yaml.unmarshal: yaml: line 1: did not find expected ',' or ']'",
                s("[1,2,3"));
        assertThat(call("yaml.is_valid", s("a: [1"))).isEqualTo(BooleanValue.FALSE);
        assertThat(call("yaml.is_valid", s("a: 1"))).isEqualTo(BooleanValue.TRUE);
        assertThat(call("yaml.is_valid", n("1"))).isEqualTo(BooleanValue.FALSE);
        Value doc = j("{\"b\": [1, {\"y\": \"true\", \"x\": \"\"}, [2, 3]], \"a\": {\"c\": \"plain text\"},"
                + " \"e\": {}, \"d\": []}");
        String yaml = ((StringValue) call("yaml.marshal", doc)).value();
        assertThat(yaml).isEqualTo("a:\n  c: plain text\nb:\n- 1\n- x: \"\"\n  \"y\": \"true\"\n- - 2\n  - 3\n"
                + "d: []\ne: {}\n");
        assertThat(call("yaml.unmarshal", s(yaml))).isEqualTo(doc);
        assertThat(call("yaml.marshal", s("x"))).isEqualTo(s("x\n"));
        Value text = j("{\"a\": \"l1\\nl2\", \"b\": [\"x\\n\"], \"c\": {\"d\": \"p\\n\\nq\\n\\n\"}}");
        String block = ((StringValue) call("yaml.marshal", text)).value();
        assertThat(block).isEqualTo("a: |-\n  l1\n  l2\nb:\n- |\n  x\nc:\n  d: |+\n    p\n\n    q\n\n");
        assertThat(call("yaml.unmarshal", s(block))).isEqualTo(text);
    }
}
