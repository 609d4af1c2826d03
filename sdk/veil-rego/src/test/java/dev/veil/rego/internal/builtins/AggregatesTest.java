package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.B.call;
import static dev.veil.rego.internal.builtins.B.j;
import static dev.veil.rego.internal.builtins.B.json;
import static dev.veil.rego.internal.builtins.B.n;
import static dev.veil.rego.internal.builtins.B.s;
import static dev.veil.rego.internal.builtins.B.set;
import static dev.veil.rego.internal.builtins.B.typeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AggregatesTest {

    @Test
    void countCountsElementsKeysAndCodePoints() {
        assertThat(json(call("count", j("[1,2,3]")))).isEqualTo("3");
        assertThat(json(call("count", j("{\"a\":1}")))).isEqualTo("1");
        assertThat(json(call("count", set(n("1"), n("1.0"), n("2"))))).isEqualTo("2");
        assertThat(json(call("count", s("héllo😀")))).isEqualTo("6");
        typeError("count", "count: operand 1 must be one of {array, object, set, string} but got number", n("1"));
        typeError("count", "count: operand 1 must be one of {array, object, set, string} but got null",
                NullValue.NULL);
    }

    @Test
    void sumAndProductAreExactOnBigIntegersAndFloatOtherwise() {
        assertThat(json(call("sum", j("[18446744073709551617, 1]")))).isEqualTo("18446744073709551618");
        assertThat(json(call("sum", set(n("18446744073709551617"), n("1"))))).isEqualTo("18446744073709551618");
        assertThat(json(call("sum", j("[9223372036854775807, 1]")))).isEqualTo("9223372036854775808");
        assertThat(json(call("sum", j("[-9223372036854775808, -1]")))).isEqualTo("-9223372036854775809");
        assertThat(json(call("sum", j("[1.5, 2.5]")))).isEqualTo("4");
        assertThat(json(call("sum", j("[1, 2.5]")))).isEqualTo("3.5");
        assertThat(json(call("sum", j("[]")))).isEqualTo("0");
        assertThat(json(call("product", j("[18446744073709551617, 2]")))).isEqualTo("36893488147419103234");
        assertThat(json(call("product", j("[2, 3, 4]")))).isEqualTo("24");
        assertThat(json(call("product", j("[1.5, 2]")))).isEqualTo("3");
        assertThat(json(call("product", j("[]")))).isEqualTo("1");
        // product runs on a 53-bit float, as OPA's big.NewFloat(1) accumulator does
        assertThat(json(call("product", j("[0.1, 3]")))).isEqualTo("0.30000000000000004");
        typeError("sum", "sum: operand 1 must be one of {set, array} but got string", s("x"));
        typeError("sum", "sum: operand 1 must be array of numbers but got array containing string", j("[1, \"a\"]"));
        typeError("product", "product: operand 1 must be set of numbers but got set containing string",
                set(n("1"), s("a")));
        typeError("product", "product: operand 1 must be one of {set, array} but got object", j("{}"));
    }

    @Test
    void maxAndMinUseTheTotalOrderAndAreUndefinedWhenEmpty() {
        assertThat(json(call("max", j("[1, \"a\", null, [1]]")))).isEqualTo("[1]");
        assertThat(json(call("min", j("[1, \"a\", null, [1]]")))).isEqualTo("null");
        assertThat(call("max", set(n("3"), n("1")))).isEqualTo(n("3"));
        assertThat(call("min", set(n("3"), n("1")))).isEqualTo(n("1"));
        assertThat(call("max", j("[]"))).isNull();
        assertThat(call("min", set())).isNull();
        typeError("max", "max: operand 1 must be one of {set, array} but got number", n("1"));
        typeError("min", "min: operand 1 must be one of {set, array} but got string", s("a"));
    }

    @Test
    void sortSortsArraysAndSetsByTheTotalOrder() {
        assertThat(json(call("sort", j("[3, \"a\", 1, null, false]")))).isEqualTo("[null,false,1,3,\"a\"]");
        assertThat(json(call("sort", set(s("b"), s("a"))))).isEqualTo("[\"a\",\"b\"]");
        typeError("sort", "sort: operand 1 must be one of {set, array} but got object", j("{}"));
    }

    @Test
    void sortIsOrderedAndAPermutation() {
        qt().forAll(lists().of(longs().between(-50, 50)).ofSizeBetween(0, 30)).checkAssert(xs -> {
            List<Value> in = new ArrayList<>();
            for (long x : xs) {
                in.add(x % 3 == 0 ? StringValue.of("s" + x) : NumberValue.of(x));
            }
            ArrayValue sorted = (ArrayValue) call("sort", ArrayValue.of(in));
            for (int i = 1; i < sorted.size(); i++) {
                assertThat(sorted.get(i - 1).compareTo(sorted.get(i))).isLessThanOrEqualTo(0);
            }
            assertThat(counts(sorted.asList())).isEqualTo(counts(in));
        });
    }

    private static Map<Value, Integer> counts(List<Value> vs) {
        Map<Value, Integer> m = new HashMap<>();
        vs.forEach(v -> m.merge(v, 1, Integer::sum));
        return m;
    }

    @Test
    void deprecatedAllAndAnyAreNotRegisteredButWork() {
        assertThat(Builtins.lookup("all")).isNull();
        assertThat(Builtins.lookup("any")).isNull();
        Builtin all = Aggregates.DEPRECATED.get(0);
        Builtin any = Aggregates.DEPRECATED.get(1);
        assertThat(all.fn().call(new Value[] {j("[true, true]")}, B.ctx())).isEqualTo(BooleanValue.TRUE);
        assertThat(all.fn().call(new Value[] {j("[true, 1]")}, B.ctx())).isEqualTo(BooleanValue.FALSE);
        assertThat(any.fn().call(new Value[] {set(BooleanValue.FALSE, BooleanValue.TRUE)}, B.ctx()))
                .isEqualTo(BooleanValue.TRUE);
        assertThat(any.fn().call(new Value[] {j("[]")}, B.ctx())).isEqualTo(BooleanValue.FALSE);
    }
}
