package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.B.builtinError;
import static dev.veil.rego.internal.builtins.B.call;
import static dev.veil.rego.internal.builtins.B.json;
import static dev.veil.rego.internal.builtins.B.n;
import static dev.veil.rego.internal.builtins.B.s;
import static dev.veil.rego.internal.builtins.B.set;
import static dev.veil.rego.internal.builtins.B.typeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.Value;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ArithmeticTest {

    private static String op(String name, String x, String y) {
        return json(call(name, n(x), n(y)));
    }

    @ParameterizedTest
    @CsvSource({
        "plus, 2, 3, 5",
        "plus, 18446744073709551617, 1, 18446744073709551618",
        "plus, 9223372036854775807, 1, 9223372036854775808",
        "plus, 1e30, 1, 1000000000000000000000000000001",
        "plus, 10.00, 5, 15",
        "plus, 1.5, 2.5, 4",
        "plus, 1, 2.5, 3.5",
        "minus, -18446744073709551617, 1, -18446744073709551618",
        "minus, -9223372036854775808, 1, -9223372036854775809",
        "minus, 3, 5, -2",
        "mul, 2147483647, 2147483647, 4611686014132420609",
        "mul, -2147483648, -2147483648, 4611686018427387904",
        "mul, 18446744073709551617, 2, 36893488147419103234",
        "mul, 2.5, 2, 5",
        "div, 6, 3, 2",
        "div, -6, 3, -2",
        "div, 1, 4, 0.25",
        "div, 0, 5, 0",
        "div, 3, 2, 1.5",
        "rem, -17, 5, -2",
        "rem, 17, -5, 2",
        "rem, 4.0, 3, 1",
        "rem, 10, 18446744073709551616, 10",
        "rem, 18446744073709551617, 18446744073709551616, 1",
        "rem, 100, -18446744073709551616, 100",
        "rem, -9223372036854775808, -1, 0",
    })
    void binaryOperatorsAreExactOnIntegersAsOpa(String name, String x, String y, String want) {
        assertThat(op(name, x, y)).isEqualTo(want);
    }

    @ParameterizedTest
    @CsvSource({
        "abs, -5, 5",
        "abs, -2147483648, 2147483648",
        "abs, -9223372036854775808, 9223372036854775808",
        "abs, -2.5, 2.5",
        "round, 2.5, 3",
        "round, -2.5, -3",
        "round, 2.4, 2",
        "round, -5, -5",
        "round, 10.00, 10",
        "ceil, 1.01, 2",
        "ceil, 1.5, 2",
        "ceil, 2222.2222222222, 2223",
        "ceil, -1.99999, -1",
        "floor, 1.01, 1",
        "floor, 99.99999, 99",
        "floor, -1.001, -2",
    })
    void unaryOperators(String name, String x, String want) {
        assertThat(json(call(name, n(x)))).isEqualTo(want);
    }

    @Test
    void nonIntegersRunOnOpasSixtyFourBitFloatsAndPrintTheShortestDecimal() {
        assertThat(op("plus", "0.1", "0.2")).isEqualTo("0.3");
        assertThat(op("div", "1", "3")).isEqualTo("0.33333333333333333334");
        assertThat(op("div", "2", "3")).isEqualTo("0.6666666666666666667");
        assertThat(op("mul", "1000000.5", "2")).isEqualTo("2000001");
        assertThat(op("plus", "1000000.5", "0.25")).isEqualTo("1.00000075e+06");
        assertThat(op("div", "1", "100000")).isEqualTo("1e-05");
        assertThat(op("div", "1", "10000")).isEqualTo("0.0001");
    }

    @Test
    void goFloatAtFiftyThreeBitsPrintsAsGoPrintsFloat64() {
        GoFloat a = GoFloat.of(n("0.1"), 53);
        GoFloat b = GoFloat.of(n("0.2"), 53);
        assertThat(a.add(b).text()).isEqualTo("0.30000000000000004");
        assertThat(GoFloat.of(n("1"), 53).quo(GoFloat.of(n("3"), 53)).text()).isEqualTo("0.3333333333333333");
        assertThat(GoFloat.of(n("1e21"), 53).text()).isEqualTo("1000000000000000000000");
        assertThat(GoFloat.of(n("1e-7"), 53).text()).isEqualTo("1e-07");
        assertThat(GoFloat.of(n("123456.5"), 53).text()).isEqualTo("123456.5");
        assertThat(GoFloat.of(n("-1234567.5"), 53).text()).isEqualTo("-1.2345675e+06");
        assertThat(GoFloat.of(n("5e-324"), 53).text()).isEqualTo("5e-324");
        // an integral float prints in full ('f'), as OPA's FloatToNumber does
        assertThat(GoFloat.of(n("1.7976931348623157e308"), 53).text()).startsWith("17976931348623157000").hasSize(309);
    }

    @Test
    void goFloatTextReadsBackAsTheSameBinaryValueAndIsShortest() {
        qt().withExamples(300).forAll(longs().all(), integers().between(-30, 30), integers().between(1, 9))
                .checkAssert((m, e, d) -> {
            NumberValue x = NumberValue.of(java.math.BigDecimal.valueOf(m, e));
            NumberValue y = NumberValue.of(d);
            for (int prec : new int[] {53, 64}) {
                GoFloat q = GoFloat.of(x, prec).quo(GoFloat.of(y, prec));
                String text = q.text();
                GoFloat back = GoFloat.of(NumberValue.parse(text), prec);
                assertThat(back.exact()).as(text).isEqualByComparingTo(q.exact());
                if (prec == 53 && !q.isInt()) {
                    // at 53 bits the shortest decimal is the one Java's double parser also reads back
                    double dbl = q.exact().doubleValue();
                    assertThat(Double.parseDouble(text)).isEqualTo(dbl);
                    java.math.BigDecimal digits = new java.math.BigDecimal(text).stripTrailingZeros();
                    java.math.BigDecimal javaDigits = new java.math.BigDecimal(Double.toString(dbl))
                            .stripTrailingZeros();
                    assertThat(digits.precision()).isLessThanOrEqualTo(javaDigits.precision());
                }
            }
        });
    }

    @Test
    void divisionByZeroOfAnyFormIsABuiltinError() {
        builtinError("div", "div: divide by zero", n("1"), n("0"));
        builtinError("div", "div: divide by zero", n("1"), n("0.0"));
        builtinError("div", "div: divide by zero", n("1.5"), n("0e5"));
        builtinError("div", "div: divide by zero", n("18446744073709551617"), n("0"));
    }

    @Test
    void remainderErrors() {
        builtinError("rem", "rem: modulo by zero", n("1"), n("0"));
        builtinError("rem", "rem: modulo by zero", n("18446744073709551617"), n("0"));
        builtinError("rem", "rem: modulo on floating-point number", n("1.1"), n("1"));
    }

    @Test
    void operandTypeErrors() {
        typeError("plus", "plus: operand 2 must be number but got string", n("1"), s("a"));
        typeError("mul", "mul: operand 1 must be number but got string", s("a"), n("1"));
        typeError("div", "div: operand 1 must be number but got null", dev.veil.rego.internal.value.NullValue.NULL,
                n("1"));
        typeError("abs", "abs: operand 1 must be number but got string", s("a"));
        typeError("minus", "minus: operand 1 must be one of {number, set} but got string", s("a"), n("1"));
        typeError("minus", "minus: operand 2 must be number but got set", n("1"), set());
        typeError("minus", "minus: operand 2 must be set but got number", set(), n("1"));
        typeError("minus", "minus: operand 2 must be number but got string", set(), s("x"));
    }

    @Test
    void minusOnSetsIsDifference() {
        assertThat(call("minus", set(n("1"), n("2"), n("3")), set(n("2"), n("4")))).isEqualTo(set(n("1"), n("3")));
    }

    @Test
    void plusAndMinusAreInverseOnBigIntegers() {
        qt().forAll(longs().all(), longs().all(), integers().between(0, 3)).checkAssert((a, b, k) -> {
            NumberValue x = NumberValue.of(BigInteger.valueOf(a).shiftLeft(k * 40));
            NumberValue y = NumberValue.of(BigInteger.valueOf(b).multiply(BigInteger.TEN.pow(k * 7)));
            Value sum = call("plus", x, y);
            assertThat(call("minus", sum, y)).isEqualTo(x);
            assertThat(((NumberValue) sum).toBigIntegerExact())
                    .isEqualTo(x.toBigIntegerExact().add(y.toBigIntegerExact()));
        });
    }

    @Test
    void numbersRange() {
        assertThat(json(call("numbers.range", n("1"), n("4")))).isEqualTo("[1,2,3,4]");
        assertThat(json(call("numbers.range", n("2"), n("-1")))).isEqualTo("[2,1,0,-1]");
        assertThat(json(call("numbers.range", n("3"), n("3")))).isEqualTo("[3]");
        assertThat(json(call("numbers.range", n("18446744073709551616"), n("18446744073709551617"))))
                .isEqualTo("[18446744073709551616,18446744073709551617]");
        assertThat(json(call("numbers.range_step", n("0"), n("10"), n("3")))).isEqualTo("[0,3,6,9]");
        assertThat(json(call("numbers.range_step", n("10"), n("0"), n("5")))).isEqualTo("[10,5,0]");
        typeError("numbers.range", "numbers.range: operand 1 must be integer number but got floating-point number",
                n("3.14"), n("4"));
        typeError("numbers.range", "numbers.range: operand 2 must be integer number but got floating-point number",
                n("3"), n("3.14"));
        typeError("numbers.range", "numbers.range: operand 1 must be integer but got string", s("1"), n("3"));
        builtinError("numbers.range_step", "numbers.range_step: step must be a positive integer",
                n("0"), n("10"), n("-2"));
        builtinError("numbers.range_step", "numbers.range_step: step must be a positive integer",
                n("0"), n("10"), n("0"));
        builtinError("numbers.range", "numbers.range: range of 100000000001 numbers is beyond the limit of 1000000: "
                + "use a smaller range or a larger step", n("0"), n("100000000000"));
    }

    @Test
    void randIntnIsStableWithinOneEvaluationAndInRange() {
        BuiltinContext ctx = B.ctx();
        Value first = call(ctx, "rand.intn", s("k"), n("1000"));
        assertThat(call(ctx, "rand.intn", s("k"), n("1000"))).isEqualTo(first);
        assertThat(call(ctx, "rand.intn", s("k"), n("-1000"))).isEqualTo(first);
        assertThat(((NumberValue) first).longValueExact()).isBetween(0L, 999L);
        assertThat(call(ctx, "rand.intn", s("k"), n("0"))).isEqualTo(NumberValue.ZERO);
        for (int i = 0; i < 50; i++) {
            long r = ((NumberValue) call(ctx, "rand.intn", s("k" + i), n("3"))).longValueExact();
            assertThat(r).isBetween(0L, 2L);
        }
        typeError("rand.intn", "rand.intn: operand 1 must be string but got number", n("1"), n("3"));
        typeError("rand.intn", "rand.intn: operand 2 must be integer number but got floating-point number",
                s("k"), n("3.5"));
    }
}
