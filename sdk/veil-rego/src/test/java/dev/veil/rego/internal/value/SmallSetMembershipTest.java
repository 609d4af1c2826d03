package dev.veil.rego.internal.value;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link SetValue#contains}: small sets compare element by element, larger ones hash; both answer alike. */
class SmallSetMembershipTest {

    @Test
    void membershipIsMembershipOfAnEqualElementWhateverTheSize() {
        qt().withExamples(500).forAll(longs().all()).checkAssert(seed -> {
            Random r = new Random(seed);
            List<Value> elements = new ArrayList<>();
            for (int i = r.nextInt(8); i > 0; i--) {
                elements.add(r.nextInt(3) == 0 ? RandomValues.any(r.nextLong()) : fresh(r));
            }
            SetValue set = SetValue.of(elements);
            Value probe = r.nextInt(4) == 0 && !elements.isEmpty() ? elements.get(r.nextInt(elements.size()))
                    : r.nextInt(4) == 0 ? RandomValues.any(r.nextLong()) : fresh(r);
            boolean expected = new HashSet<>(elements).contains(probe);
            assertThat(set.contains(probe)).as("%s in %s", probe, set).isEqualTo(expected);
            assertThat(set.contains(null)).isFalse();
        });
    }

    /** A new instance of one of a few strings and numbers (1 and 1.0 are the same number). */
    private static Value fresh(Random r) {
        int i = r.nextInt(4);
        return switch (r.nextInt(3)) {
            case 0 -> StringValue.of(new String("s" + i));
            case 1 -> NumberValue.of((double) i);
            default -> NumberValue.of(i + 0.5);
        };
    }
}
