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

import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.Value;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Sets, bits, arrays and types: the small topics. */
class SetsBitsArraysTypesTest {

    @Test
    void setOperators() {
        SetValue a = set(n("1"), n("2"), n("3"));
        SetValue b = set(n("2"), n("3"), n("4"));
        assertThat(call("and", a, b)).isEqualTo(set(n("2"), n("3")));
        assertThat(call("or", a, b)).isEqualTo(set(n("1"), n("2"), n("3"), n("4")));
        assertThat(call("intersection", set(a, b, set(n("3"))))).isEqualTo(set(n("3")));
        assertThat(call("intersection", set())).isEqualTo(SetValue.EMPTY);
        assertThat(call("union", set(a, b))).isEqualTo(set(n("1"), n("2"), n("3"), n("4")));
        assertThat(call("union", set())).isEqualTo(SetValue.EMPTY);
        typeError("and", "and: operand 2 must be set but got array", a, j("[]"));
        typeError("or", "or: operand 1 must be set but got number", n("1"), a);
        typeError("intersection", "intersection: operand 1 must be set but got number", set(a, n("1")));
        typeError("union", "union: operand 1 must be set but got array", j("[]"));
    }

    @ParameterizedTest
    @CsvSource({
        "bits.or, 12, 10, 14",
        "bits.and, 12, 10, 8",
        "bits.xor, 12, 10, 6",
        "bits.and, -1, 255, 255",
        "bits.or, 18446744073709551616, 1, 18446744073709551617",
        "bits.lsh, 1, 64, 18446744073709551616",
        "bits.rsh, 18446744073709551616, 63, 2",
        "bits.rsh, -8, 1, -4",
        "bits.lsh, 1.0, 3, 8",
    })
    void bitwise(String name, String x, String y, String want) {
        assertThat(json(call(name, n(x), n(y)))).isEqualTo(want);
    }

    @Test
    void bitsErrors() {
        assertThat(json(call("bits.negate", n("5")))).isEqualTo("-6");
        typeError("bits.and", "bits.and: operand 1 must be integer number but got floating-point number", n("1.5"),
                n("1"));
        typeError("bits.negate", "bits.negate: operand 1 must be integer number but got floating-point number",
                n("1.5"));
        typeError("bits.or", "bits.or: operand 2 must be integer but got string", n("1"), s("1"));
        typeError("bits.lsh", "bits.lsh: operand 2 must be an unsigned integer number but got a negative integer",
                n("1"), n("-1"));
        typeError("bits.rsh", "bits.rsh: operand 1 must be integer number but got floating-point number",
                n("1.5"), n("1"));
        builtinError("bits.lsh", "bits.lsh: shift by 2000000 bits is beyond the limit of 1048576: use a smaller "
                + "shift", n("1"), n("2000000"));
        assertThat(json(call("bits.rsh", n("-5"), n("2000000")))).isEqualTo("-1");
    }

    @Test
    void arrays() {
        assertThat(json(call("array.concat", j("[1,2]"), j("[3]")))).isEqualTo("[1,2,3]");
        assertThat(json(call("array.concat", j("[]"), j("[]")))).isEqualTo("[]");
        assertThat(json(call("array.slice", j("[1,2,3,4]"), n("1"), n("3")))).isEqualTo("[2,3]");
        assertThat(json(call("array.slice", j("[1,2,3,4]"), n("-5"), n("100")))).isEqualTo("[1,2,3,4]");
        assertThat(json(call("array.slice", j("[1,2,3,4]"), n("3"), n("1")))).isEqualTo("[]");
        assertThat(json(call("array.reverse", j("[1,2,3]")))).isEqualTo("[3,2,1]");
        typeError("array.concat", "array.concat: operand 1 must be array but got object", j("{}"), j("[]"));
        typeError("array.concat", "array.concat: operand 2 must be array but got object", j("[]"), j("{}"));
        typeError("array.reverse", "array.reverse: operand 1 must be array but got object", j("{}"));
        typeError("array.slice", "array.slice: operand 2 must be integer number but got floating-point number",
                j("[]"), n("1.5"), n("2"));
        typeError("array.slice", "array.slice: operand 3 must be number but got string", j("[]"), n("1"), s("2"));
    }

    @Test
    void types() {
        Value[] all = {NullValue.NULL, BooleanValue.TRUE, n("1"), s("a"), j("[]"), j("{}"), set()};
        String[] names = {"is_null", "is_boolean", "is_number", "is_string", "is_array", "is_object", "is_set"};
        for (int i = 0; i < all.length; i++) {
            for (int k = 0; k < names.length; k++) {
                assertThat(call(names[k], all[i])).as(names[k] + " " + all[i]).isEqualTo(BooleanValue.of(i == k));
            }
            assertThat(call("type_name", all[i])).isEqualTo(s(all[i].typeName()));
        }
        assertThat(call("type_name", set())).isEqualTo(s("set"));
    }
}
