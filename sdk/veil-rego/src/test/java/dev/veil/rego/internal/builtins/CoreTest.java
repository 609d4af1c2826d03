package dev.veil.rego.internal.builtins;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CoreTest {
    private static final BuiltinContext CTX = BuiltinContext.of(0, false, new Random(1));

    private static Value call(String name, Value... args) {
        return Builtins.lookup(name).fn().call(args, CTX);
    }

    private static Value s(String x) {
        return StringValue.of(x);
    }

    private static Value n(long x) {
        return NumberValue.of(x);
    }

    @Test
    void comparisonsFollowOpaOrdering() {
        assertThat(call("lt", NullValue.NULL, BooleanValue.FALSE)).isEqualTo(BooleanValue.TRUE);
        assertThat(call("lt", n(10), s("1"))).isEqualTo(BooleanValue.TRUE);
        assertThat(call("equal", n(1), NumberValue.of(new BigDecimal("1.0")))).isEqualTo(BooleanValue.TRUE);
        assertThat(call("neq", n(1), s("1"))).isEqualTo(BooleanValue.TRUE);
        assertThat(call("gte", ArrayValue.of(n(1), n(2)), ArrayValue.of(n(1)))).isEqualTo(BooleanValue.TRUE);
        assertThat(call("lte", s("a"), s("b"))).isEqualTo(BooleanValue.TRUE);
        assertThat(call("gt", SetValue.of(n(1)), ObjectValue.EMPTY)).isEqualTo(BooleanValue.TRUE);
    }

    @Test
    void membership() {
        ObjectValue o = ObjectValue.of(s("k"), n(1));
        assertThat(Core.member(n(1), ArrayValue.of(n(2), n(1)))).isTrue();
        assertThat(Core.member(n(1), o)).isTrue();
        assertThat(Core.member(s("k"), o)).isFalse();
        assertThat(Core.member(n(1), SetValue.of(n(1)))).isTrue();
        assertThat(Core.member(s("a"), s("abc"))).isFalse();
        assertThat(Core.member3(n(1), s("b"), ArrayValue.of(s("a"), s("b")))).isTrue();
        assertThat(Core.member3(n(2), s("b"), ArrayValue.of(s("a"), s("b")))).isFalse();
        assertThat(Core.member3(NumberValue.of(new BigDecimal("1.5")), s("b"), ArrayValue.of(s("a"), s("b"))))
                .isFalse();
        assertThat(Core.member3(s("k"), n(1), o)).isTrue();
        assertThat(Core.member3(s("x"), n(1), o)).isFalse();
        assertThat(Core.member3(n(1), n(1), s("x"))).isFalse();
    }

    @Test
    void walkVisitsEveryNodePreOrderAndStopsWhenAsked() {
        Value doc = ObjectValue.of(s("a"), ArrayValue.of(n(7), SetValue.of(s("x"))));
        List<Value> seen = new ArrayList<>();
        Builtins.lookup("walk").asRelation().iterate(new Value[] {doc}, CTX, v -> {
            seen.add(v);
            return true;
        });
        assertThat(seen).containsExactly(
                ArrayValue.of(ArrayValue.EMPTY, doc),
                ArrayValue.of(ArrayValue.of(s("a")), ArrayValue.of(n(7), SetValue.of(s("x")))),
                ArrayValue.of(ArrayValue.of(s("a"), n(0)), n(7)),
                ArrayValue.of(ArrayValue.of(s("a"), n(1)), SetValue.of(s("x"))),
                ArrayValue.of(ArrayValue.of(s("a"), n(1), s("x")), s("x")));
        List<Value> first = new ArrayList<>();
        Builtins.lookup("walk").asRelation().iterate(new Value[] {doc}, CTX, v -> {
            first.add(v);
            return first.size() < 2;
        });
        assertThat(first).hasSize(2);
    }

    @Test
    void registeredWithTheirArities() {
        assertThat(Builtins.lookup("internal.member_2").arity()).isEqualTo(2);
        assertThat(Builtins.lookup("internal.member_3").arity()).isEqualTo(3);
        assertThat(Builtins.lookup("print").variadic()).isTrue();
        assertThat(Builtins.lookup("walk").relation()).isTrue();
        assertThat(Builtins.lookup("trace").arity()).isEqualTo(1);
    }
}
