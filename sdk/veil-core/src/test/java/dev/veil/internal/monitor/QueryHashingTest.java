package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import org.junit.jupiter.api.Test;

class QueryHashingTest {
    /** State keys written by earlier versions must stay the same keys: the fast form is the JDK's form. */
    @Test
    void unsignedBase36IsTheJdksUnsignedBase36ForEveryLong() {
        qt().withExamples(100_000).forAll(longs().all()).checkAssert(v ->
                assertThat(QueryHashing.unsignedBase36(v)).isEqualTo(Long.toUnsignedString(v, 36)));
        for (long v : new long[] {0, 1, 35, 36, -1, -35, -36, -37, Long.MIN_VALUE, Long.MIN_VALUE + 1, Long.MAX_VALUE}) {
            assertThat(QueryHashing.unsignedBase36(v)).as("%d", v).isEqualTo(Long.toUnsignedString(v, 36));
        }
    }
}
