package dev.veil.rego.internal.value;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link ObjectValue#lazy}: the same value as the eager object, computing only what is read. */
class LazyObjectTest {

    /** A lazy copy of an object, counting how many values it computed. */
    private static ObjectValue lazyCopy(ObjectValue eager, AtomicInteger computed) {
        List<Value> keys = new ArrayList<>(eager.keys());
        java.util.Collections.reverse(keys); // any key order: the object sorts them
        Value[] ks = keys.toArray(new Value[0]);
        return ObjectValue.lazy(ks, i -> {
            computed.incrementAndGet();
            return eager.get(ks[i]);
        });
    }

    @Test
    void aLazyObjectIsTheSameValueAsTheEagerOne() {
        qt().withExamples(300).forAll(longs().all()).checkAssert(seed -> {
            Value v = RandomValues.json(seed);
            if (!(v instanceof ObjectValue eager)) {
                return;
            }
            ObjectValue lazy = lazyCopy(eager, new AtomicInteger());
            assertThat(lazy).isEqualTo(eager);
            assertThat(eager).isEqualTo(lazy);
            assertThat(lazy.hashCode()).isEqualTo(eager.hashCode());
            assertThat(lazy.compareTo(eager)).isZero();
            assertThat(eager.compareTo(lazyCopy(eager, new AtomicInteger()))).isZero();
            assertThat(lazy.toString()).isEqualTo(eager.toString());
            assertThat(lazyCopy(eager, new AtomicInteger()).keys()).isEqualTo(eager.keys());
            assertThat(lazy.size()).isEqualTo(eager.size());
        });
    }

    @Test
    void readingOneKeyComputesOnlyThatValueAndOnlyOnce() {
        ObjectValue eager = ObjectValue.of(StringValue.of("a"), NumberValue.of(1), StringValue.of("b"),
                ArrayValue.of(StringValue.of("x")), StringValue.of("c"), BooleanValue.TRUE);
        AtomicInteger computed = new AtomicInteger();
        ObjectValue lazy = lazyCopy(eager, computed);
        assertThat(lazy.size()).isEqualTo(3);
        assertThat(lazy.containsKey(StringValue.of("b"))).isTrue();
        assertThat(computed).hasValue(0);
        assertThat(lazy.get("b")).isEqualTo(ArrayValue.of(StringValue.of("x")));
        assertThat(lazy.get(StringValue.of("b"))).isSameAs(lazy.get("b"));
        assertThat(computed).hasValue(1);
        assertThat(lazy.get("missing")).isNull();
        assertThat(lazy.containsKey(NumberValue.of(1))).isFalse();
        assertThat(computed).hasValue(1);
        assertThat(lazy.asMap()).hasSize(3);
        assertThat(computed).hasValue(3);
    }

    @Test
    void aLazyObjectWithoutKeysIsTheEmptyObject() {
        assertThat(ObjectValue.lazy(new Value[0], i -> NullValue.NULL)).isSameAs(ObjectValue.EMPTY);
    }

    @Test
    void aValueFunctionThatAnswersNullIsRefused() {
        ObjectValue lazy = ObjectValue.lazy(new Value[] {StringValue.of("a")}, i -> null);
        assertThatThrownBy(() -> lazy.get("a")).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("lazy object value");
    }

    @Test
    void canonicalStringsAreSharedAndEqualToOrdinaryOnes() {
        assertThat(StringValue.canonical("caller")).isSameAs(StringValue.canonical("caller"))
                .isEqualTo(StringValue.of("caller"));
        String longText = "x".repeat(200);
        assertThat(StringValue.canonical(longText)).isNotSameAs(StringValue.canonical(longText))
                .isEqualTo(StringValue.of(longText));
        assertThat(StringValue.canonical("")).isSameAs(StringValue.EMPTY);
    }

    @Test
    void aViewIsTheSameValueAsTheEagerObjectAndReadsOneKeyAtATime() {
        qt().withExamples(200).forAll(longs().all()).checkAssert(seed -> {
            Value v = RandomValues.json(seed);
            if (!(v instanceof ObjectValue eager)) {
                return;
            }
            AtomicInteger all = new AtomicInteger();
            ObjectValue view = ObjectValue.view(eager.size(), eager::get, () -> {
                all.incrementAndGet();
                return eager.asMap();
            });
            for (Value k : eager.keys()) {
                assertThat(view.get(k)).isEqualTo(eager.get(k));
                assertThat(view.containsKey(k)).isTrue();
            }
            assertThat(view.get(StringValue.of("\u0000absent"))).isNull();
            assertThat(view.size()).isEqualTo(eager.size());
            assertThat(all).hasValue(0);
            assertThat(view).isEqualTo(eager);
            assertThat(view.hashCode()).isEqualTo(eager.hashCode());
            assertThat(view.compareTo(eager)).isZero();
            assertThat(view.toString()).isEqualTo(eager.toString());
            assertThat(all).hasValue(eager.isEmpty() ? 0 : 1); // the empty view is the empty object
        });
    }
}
