package dev.veil.rego.internal.builtins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BuiltinsTest {
    private static final Builtin COUNT = Builtin.of("count", 1, (args, ctx) -> NumberValue.of(1));

    @Test
    void registerIndexesTopicListsByName() {
        Map<String, Builtin> m = Builtins.register(List.of(List.of(COUNT),
                List.of(Builtin.of("upper", 1, (a, c) -> a[0]))));
        assertThat(m).containsOnlyKeys("count", "upper");
        assertThat(m.get("count")).isSameAs(COUNT);
    }

    @Test
    void aNameRegisteredTwiceIsAMistakeThatIsNamed() {
        assertThatThrownBy(() -> Builtins.register(List.of(List.of(COUNT), List.of(COUNT))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("builtin count is registered twice: keep it in one topic class only");
    }

    @Test
    void unknownNamesAreNotFound() {
        assertThat(Builtins.lookup("no.such.builtin")).isNull();
        assertThat(Builtins.names()).doesNotContain("no.such.builtin");
        assertThat(Builtins.names()).allSatisfy(n -> assertThat(Builtins.lookup(n).name()).isEqualTo(n));
    }

    @Test
    void builtinRecordChecksItsShape() {
        assertThatThrownBy(() -> Builtin.of("x", -2, (a, c) -> null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("arity -2");
        assertThatThrownBy(() -> new Builtin("walk", 1, (a, c) -> null, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be a BuiltinRelation");
        assertThat(Builtin.of("print", Builtin.VARIADIC, (a, c) -> null).variadic()).isTrue();
    }

    @Test
    void aRelationEnumeratesAndCanBeStoppedOrCollected() {
        Builtin numbers = Builtin.relation("numbers", 1, (args, ctx, out) -> {
            long n = ((NumberValue) args[0]).longValueExact();
            for (long i = 0; i < n; i++) {
                if (!out.accept(NumberValue.of(i))) {
                    return;
                }
            }
        });
        BuiltinContext ctx = BuiltinContext.of(0, false, new Random(1));
        Value[] args = {NumberValue.of(3)};
        assertThat(numbers.fn().call(args, ctx)).isEqualTo(ArrayValue.of(NumberValue.of(0), NumberValue.of(1),
                NumberValue.of(2)));
        int[] seen = {0};
        numbers.asRelation().iterate(args, ctx, v -> ++seen[0] < 2);
        assertThat(seen[0]).isEqualTo(2);
    }

    @Test
    void typeErrorMessagesAreOpas() {
        assertThat(RegoTypeError.operand(1, NumberValue.ONE, "array", "object", "set", "string").withBuiltin("count"))
                .hasMessage("count: operand 1 must be one of {array, object, set, string} but got number")
                .satisfies(e -> assertThat(e.code()).isEqualTo("eval_type_error"));
        assertThat(RegoTypeError.operand(2, StringValue.of("x"), "number").withBuiltin("plus"))
                .hasMessage("plus: operand 2 must be number but got string");
        assertThat(RegoTypeError.operandElement(1, SetValue.EMPTY, NumberValue.ONE, "string"))
                .hasMessage("operand 1 must be set of strings but got set containing number");
        assertThat(RegoTypeError.operandElement(1, ArrayValue.EMPTY, NumberValue.ONE, "string", "set"))
                .hasMessage("operand 1 must be array of (any of) {string, set} but got array containing number");
        assertThat(RegoTypeError.operandEnum(2, "\"a\"", "\"b\"")).hasMessage("operand 2 must be one of {\"a\", \"b\"}");
        assertThat(RegoTypeError.operandEnum(2, "positive")).hasMessage("operand 2 must be positive");
        assertThat(RegoTypeError.operandDetail(3, "must not be empty")).hasMessage("operand 3 must not be empty");
    }

    @Test
    void withBuiltinNamesOnlyOnce() {
        RegoTypeError named = new RegoTypeError("object.get", "operand 1 must be object but got null");
        assertThat(named.withBuiltin("other")).isSameAs(named);
        BuiltinError e = new BuiltinError("invalid character 'x' looking for beginning of value");
        assertThat(e.builtin()).isNull();
        BuiltinError named2 = e.withBuiltin("json.unmarshal");
        assertThat(named2).hasMessage("json.unmarshal: invalid character 'x' looking for beginning of value");
        assertThat(named2.code()).isEqualTo("eval_builtin_error");
        assertThat(named2.reason()).isEqualTo("invalid character 'x' looking for beginning of value");
        assertThat(named2.getStackTrace()).as("no stack trace: control flow").isEmpty();
    }

    @Test
    void contextIsFixedForTheEvaluation() {
        Random r = new Random(7);
        BuiltinContext ctx = BuiltinContext.of(42L, true, r);
        assertThat(ctx.nowNanos()).isEqualTo(42L);
        assertThat(ctx.strict()).isTrue();
        assertThat(ctx.random()).isSameAs(r);
        ctx.cache().put("rand.intn:x", 1);
        assertThat(ctx.cache()).containsEntry("rand.intn:x", 1);
    }
}
