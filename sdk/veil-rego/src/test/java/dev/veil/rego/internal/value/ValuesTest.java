package dev.veil.rego.internal.value;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ValuesTest {

    private static Value json(String s) {
        return Values.parseJson(s);
    }

    @Test
    void kindsAreOrderedAsInOpa() {
        List<Value> values = new ArrayList<>(List.of(SetValue.EMPTY, ObjectValue.EMPTY, ArrayValue.EMPTY,
                StringValue.EMPTY, NumberValue.ZERO, BooleanValue.FALSE, NullValue.NULL));
        values.sort(null);
        assertThat(values).extracting(Value::typeName)
                .containsExactly("null", "boolean", "number", "string", "array", "object", "set");
        assertThat(BooleanValue.FALSE).isLessThan(BooleanValue.TRUE);
    }

    @Test
    void numbersCompareNumericallyAcrossSpellings() {
        assertThat(NumberValue.parse("1")).isEqualTo(NumberValue.parse("1.0")).isEqualTo(NumberValue.parse("1e0"))
                .isEqualTo(NumberValue.parse("0.1e1")).isEqualTo(NumberValue.of(1));
        assertThat(NumberValue.parse("1.0").hashCode()).isEqualTo(NumberValue.of(1).hashCode());
        assertThat(NumberValue.parse("1.0").toJson()).as("the literal is kept").isEqualTo("1.0");
        assertThat(NumberValue.parse("-0")).isEqualTo(NumberValue.ZERO);
        assertThat(NumberValue.parse("2")).isGreaterThan(NumberValue.parse("1.5"));
        assertThat(NumberValue.parse("-10")).isLessThan(NumberValue.parse("-9.99"));
        assertThat(NumberValue.parse("1e2").isLong()).isTrue();
        assertThat(NumberValue.parse("1e2").longValueExact()).isEqualTo(100);
    }

    @Test
    void bigIntegersStayExact() {
        String big = "123456789012345678901234567890";
        NumberValue n = NumberValue.parse(big);
        assertThat(n.isInt()).isTrue();
        assertThat(n.isLong()).isFalse();
        assertThat(n.toBigIntegerExact()).isEqualTo(new BigInteger(big));
        assertThat(n).isEqualTo(NumberValue.of(new BigInteger(big))).isGreaterThan(NumberValue.of(Long.MAX_VALUE));
        assertThat(NumberValue.of(new BigInteger(big)).toJson()).isEqualTo(big);
        assertThat(NumberValue.of(new BigInteger("9223372036854775807")).isLong()).isTrue();
        assertThat(NumberValue.parse("9223372036854775808").isLong()).isFalse();
        assertThatThrownBy(n::longValueExact).isInstanceOf(ArithmeticException.class)
                .hasMessageContaining(big);
    }

    @Test
    void computedNumbersPrintCanonically() {
        assertThat(NumberValue.of(new BigDecimal("1.50")).toJson()).isEqualTo("1.5");
        assertThat(NumberValue.of(new BigDecimal("100.00")).toJson()).isEqualTo("100");
        assertThat(NumberValue.of(0.1).toJson()).isEqualTo("0.1");
        assertThat(NumberValue.of(new BigDecimal("1e100")).toJson()).isEqualTo("1e+100");
        assertThat(NumberValue.of(new BigDecimal("-1.25e-30")).toJson()).isEqualTo("-1.25e-30");
        assertThat(NumberValue.of(new BigDecimal("0.001")).toJson()).isEqualTo("0.001");
    }

    @Test
    void badNumbersAreRefusedWithTheReason() {
        for (String bad : List.of("", "-", "01", "1.", ".5", "1e", "1e+", "+1", "1x", "0x10", "NaN", "1.5.2")) {
            assertThatThrownBy(() -> NumberValue.parse(bad)).as(bad).isInstanceOf(NumberFormatException.class)
                    .hasMessageContaining("not a JSON number");
        }
        assertThatThrownBy(() -> NumberValue.parse("1e1000000")).isInstanceOf(NumberFormatException.class)
                .hasMessageContaining("exponent beyond 100000");
        assertThatThrownBy(() -> NumberValue.of(Double.NaN)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NaN");
    }

    @Test
    void stringsAreOrderedByCodePointNotUtf16() {
        StringValue privateUse = StringValue.of("\ue000");
        StringValue emoji = StringValue.of("\ud83d\ude00");
        assertThat("\ue000".compareTo("\ud83d\ude00")).as("Java's order differs").isPositive();
        assertThat(privateUse).isLessThan(emoji);
        assertThat(StringValue.of("a")).isLessThan(StringValue.of("ab")).isLessThan(StringValue.of("b"));
        assertThat(StringValue.of("Z")).isLessThan(StringValue.of("a"));
    }

    @Test
    void arraysCompareElementWiseThenByLength() {
        assertThat(json("[1, 2]")).isLessThan(json("[1, 3]")).isLessThan(json("[2]"));
        assertThat(json("[1]")).isLessThan(json("[1, 0]"));
        assertThat(json("[1, 2]")).isEqualTo(json("[1.0, 2e0]"));
    }

    @Test
    void objectsCompareKeysAndValuesPairwiseThenSize() {
        // OPA: keys sorted, then key_i vs key_i, then value_i vs value_i.
        assertThat(json("{\"a\": 2}")).isGreaterThan(json("{\"a\": 1, \"b\": 9}"));
        assertThat(json("{\"a\": 1}")).isLessThan(json("{\"a\": 1, \"b\": 0}"));
        assertThat(json("{\"a\": 1, \"c\": 0}")).isGreaterThan(json("{\"a\": 1, \"b\": 5}"));
        assertThat(json("{\"b\": 1, \"a\": 2}")).isEqualTo(json("{\"a\": 2, \"b\": 1}"));
    }

    @Test
    void setsCompareSortedElementsThenSize() {
        SetValue a = SetValue.of(NumberValue.of(3), NumberValue.of(1));
        SetValue b = SetValue.of(NumberValue.of(1), NumberValue.of(2), NumberValue.of(9));
        assertThat(a).isGreaterThan(b);
        assertThat(SetValue.of(NumberValue.of(1))).isLessThan(b);
        assertThat(SetValue.of(NumberValue.of(1), NumberValue.parse("1.0"))).hasToString("{1}");
        assertThat(a.elements()).containsExactly(NumberValue.of(1), NumberValue.of(3));
    }

    @Test
    void regoPrintingMatchesOpaTermStrings() {
        Value v = ObjectValue.of(StringValue.of("b"), SetValue.EMPTY, StringValue.of("a"),
                ArrayValue.of(NullValue.NULL, BooleanValue.TRUE, NumberValue.parse("1.0"),
                        SetValue.of(StringValue.of("x\n"))));
        assertThat(v).hasToString("{\"a\": [null, true, 1.0, {\"x\\n\"}], \"b\": set()}");
        assertThat(StringValue.of("\u0007\u00e9\u200b")).hasToString("\"\\a\u00e9\\u200b\"");
    }

    @Test
    void toJsonWritesWhatGoJsonMarshalWrites() {
        Value v = ObjectValue.of(StringValue.of("z"), SetValue.of(NumberValue.of(3), NumberValue.of(1)),
                NumberValue.of(1), StringValue.of("num key"),
                StringValue.of("s"), StringValue.of("<a href=\"x\">&\u2028\u0001\b\f\n\r\t\\/\ud83d\ude00"));
        assertThat(Values.toJson(v)).isEqualTo("{\"1\":\"num key\",\"s\":\"\\u003ca href=\\\"x\\\"\\u003e\\u0026"
                + "\\u2028\\u0001\\b\\f\\n\\r\\t\\\\/\ud83d\ude00\",\"z\":[1,3]}");
        assertThat(Values.toJson(StringValue.of("lone \ud800 surrogate"))).isEqualTo("\"lone \ufffd surrogate\"");
        assertThat(Values.toJson(ArrayValue.of(NumberValue.parse("1.50"), NullValue.NULL, BooleanValue.FALSE)))
                .isEqualTo("[1.50,null,false]");
    }

    @Test
    void parseJsonReadsEscapesAndKeepsTheLastDuplicateKey() {
        assertThat(json("\"\\u00e9\\ud83d\\ude00\\n\\/\"")).isEqualTo(StringValue.of("\u00e9\ud83d\ude00\n/"));
        assertThat(json("\"\\ud800x\"")).as("unpaired surrogate").isEqualTo(StringValue.of("\ufffdx"));
        assertThat(json("{\"a\": 1, \"a\": 2}")).isEqualTo(ObjectValue.of(StringValue.of("a"), NumberValue.of(2)));
        assertThat(json(" [ ] ")).isEqualTo(ArrayValue.EMPTY);
        assertThat(json("{}")).isEqualTo(ObjectValue.EMPTY);
        assertThat(((NumberValue) json("1.0")).toJson()).isEqualTo("1.0");
    }

    @Test
    void parseJsonRejectsWhatIsNotJsonSayingWhere() {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("", "offset 0: expected a value but found end of input");
        bad.put("[1,]", "offset 3: expected a value but found ']'");
        bad.put("[1 2]", "offset 3: expected ',' or ']' but found '2'");
        bad.put("{\"a\" 1}", "offset 5: expected ':' but found '1'");
        bad.put("{a: 1}", "offset 1: expected a string key but found 'a'");
        bad.put("\"abc", "expected '\"' to close the string but found end of input");
        bad.put("\"a\nb\"", "control characters must be escaped");
        bad.put("\"\\x\"", "expected a valid escape");
        bad.put("\"\\u12g4\"", "expected four hex digits after '\\u'");
        bad.put("tru", "offset 0: expected 'true'");
        bad.put("1 2", "offset 2: expected end of input but found '2'");
        bad.put("01", "not a JSON number");
        bad.put("[".repeat(1002), "nested deeper than 1000 levels");
        bad.forEach((text, message) -> assertThatThrownBy(() -> json(text)).as(text)
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message));
    }

    @Test
    void fromJavaAcceptsJavaJacksonAndYamlShapes() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("i", 1);
        m.put("l", 2L);
        m.put("d", 1.5);
        m.put("bi", new BigInteger("123456789012345678901234567890"));
        m.put("bd", new BigDecimal("0.25"));
        m.put("b", true);
        m.put("n", null);
        m.put("list", List.of("x", 'c'));
        m.put("set", Set.of(1));
        m.put("arr", new Object[] {1});
        Value v = Values.fromJava(m);
        assertThat(Values.toJson(v)).isEqualTo("{\"arr\":[1],\"b\":true,\"bd\":0.25,"
                + "\"bi\":123456789012345678901234567890,\"d\":1.5,\"i\":1,\"l\":2,\"list\":[\"x\",\"c\"],\"n\":null,"
                + "\"set\":[1]}");
        assertThat(((ObjectValue) v).get("set")).isInstanceOf(SetValue.class);

        Value fromJackson = Values.fromJava(new ObjectMapper().readTree("{\"a\": [1, 2.5, \"x\", null, false], "
                + "\"big\": 123456789012345678901234567890}"));
        assertThat(fromJackson).isEqualTo(json("{\"a\": [1, 2.5, \"x\", null, false], "
                + "\"big\": 123456789012345678901234567890}"));

        assertThatThrownBy(() -> Values.fromJava(new Object())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot convert a java.lang.Object");
        assertThatThrownBy(() -> Values.fromJava(Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Infinity");
    }

    @Test
    void toJavaGivesPlainJava() {
        Object plain = Values.toJava(json("{\"b\": [1, 1.5, \"s\", null, true], \"a\": 123456789012345678901234567890}"));
        assertThat(plain).isEqualTo(Map.of("a", new BigDecimal("123456789012345678901234567890"),
                "b", Arrays.asList(1L, new BigDecimal("1.5"), "s", null, true)));
        assertThat(List.copyOf(((Map<?, ?>) plain).keySet())).isEqualTo(List.of("a", "b"));
        assertThat(Values.toJava(SetValue.of(NumberValue.of(2), NumberValue.of(1)))).isEqualTo(List.of(1L, 2L));
        assertThat(Values.toJava(ObjectValue.of(NumberValue.of(1), NullValue.NULL))).isEqualTo(
                java.util.Collections.singletonMap("1", null));
    }

    @Test
    void buildersAreSingleUseAndReportReplacedEntries() {
        ObjectValue.Builder ob = ObjectValue.builder();
        assertThat(ob.put("a", NumberValue.ONE)).isNull();
        assertThat(ob.put(StringValue.of("a"), NumberValue.ZERO)).isEqualTo(NumberValue.ONE);
        ObjectValue o = ob.build();
        assertThat(o.get("a")).isEqualTo(NumberValue.ZERO);
        assertThat(o.get("missing")).isNull();
        assertThatThrownBy(() -> ob.put("b", NullValue.NULL)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already built");

        SetValue.Builder sb = SetValue.builder();
        assertThat(sb.add(NumberValue.ONE)).isTrue();
        assertThat(sb.add(NumberValue.parse("1.0"))).as("1.0 is 1").isFalse();
        sb.build();
        assertThatThrownBy(() -> sb.add(NullValue.NULL)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> ArrayValue.of((Value) null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void setAlgebra() {
        SetValue a = SetValue.of(NumberValue.of(1), NumberValue.of(2));
        SetValue b = SetValue.of(NumberValue.of(2), NumberValue.of(3));
        assertThat(a.union(b)).isEqualTo(SetValue.of(NumberValue.of(1), NumberValue.of(2), NumberValue.of(3)));
        assertThat(a.intersection(b)).isEqualTo(SetValue.of(NumberValue.of(2)));
        assertThat(a.difference(b)).isEqualTo(SetValue.of(NumberValue.of(1)));
        assertThat(a.difference(a)).isSameAs(SetValue.EMPTY);
    }

    @Test
    void sortedViewsCannotBeModified() {
        SetValue s = SetValue.of(NumberValue.of(1));
        assertThatThrownBy(() -> s.elements().set(0, NullValue.NULL)).isInstanceOf(UnsupportedOperationException.class);
        ObjectValue o = ObjectValue.of(StringValue.of("a"), NullValue.NULL);
        assertThatThrownBy(() -> o.keys().set(0, NullValue.NULL)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> ArrayValue.of(NullValue.NULL).asList().set(0, NullValue.NULL))
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
