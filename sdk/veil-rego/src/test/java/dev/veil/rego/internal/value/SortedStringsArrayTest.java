package dev.veil.rego.internal.value;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link ArrayValue#sortedStrings}: the same value as the eager sorted array, membership asked of the set. */
class SortedStringsArrayTest {

    private static ArrayValue eager(Set<String> set) {
        String[] sorted = set.toArray(new String[0]);
        Arrays.sort(sorted);
        Value[] out = new Value[sorted.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = StringValue.of(sorted[i]);
        }
        return ArrayValue.of(out);
    }

    @Test
    void isTheSameValueAsTheSortedArrayAndAnswersMembershipLikeIt() {
        qt().withExamples(300).forAll(lists().of(strings().basicLatinAlphabet().ofLengthBetween(0, 4))
                .ofSizeBetween(0, 6), strings().basicLatinAlphabet().ofLengthBetween(0, 4)).checkAssert((l, probe) -> {
            Set<String> set = Set.copyOf(new HashSet<>(l));
            ArrayValue e = eager(set);
            // membership first, while the lazy array has not sorted its strings
            ArrayValue lazy = ArrayValue.sortedStrings(set);
            assertThat(lazy.contains(StringValue.of(probe))).isEqualTo(e.contains(StringValue.of(probe)));
            for (String member : set) {
                assertThat(lazy.contains(StringValue.of(member))).isTrue();
            }
            assertThat(lazy.contains(NumberValue.of(1))).isFalse();
            assertThat(lazy.size()).isEqualTo(e.size());
            assertThat(lazy).isEqualTo(e);
            assertThat(lazy.hashCode()).isEqualTo(e.hashCode());
            assertThat(lazy.compareTo(e)).isZero();
            assertThat(lazy.asList()).isEqualTo(e.asList());
            assertThat(lazy.toString()).isEqualTo(e.toString());
            // and again once sorted
            assertThat(lazy.contains(StringValue.of(probe))).isEqualTo(set.contains(probe));
        });
    }

    @Test
    void theEmptySetIsTheEmptyArray() {
        assertThat(ArrayValue.sortedStrings(Set.of())).isSameAs(ArrayValue.EMPTY);
        assertThat(ArrayValue.sortedStrings(Set.of("b", "a")).get(0)).isEqualTo(StringValue.of("a"));
        assertThat(ArrayValue.sortedStrings(Set.of("a")).contains(StringValue.of("b"))).isFalse();
        assertThat(eager(Set.of("b", "a")).asList()).isEqualTo(List.of(StringValue.of("a"), StringValue.of("b")));
    }
}
