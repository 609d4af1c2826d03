package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteSinkTest {

    @Test
    void shouldGrowToExactlyItsLimitRatherThanFailAtHalfOfIt() {
        // Doubling alone would go 64 -> 128 and refuse at 65 bytes, as the default buffer refused at
        // 1 GiB (doubling past the 2 GiB an array holds) while it said "2 GiB".
        ByteSink sink = new ByteSink(64, 100);
        sink.write(new byte[70], 0, 70);
        sink.write(new byte[30], 0, 30);
        assertThat(sink.size()).isEqualTo(100);
        assertThat(sink.array()).hasSize(100);
    }

    @Test
    void shouldRefuseAWritePastItsLimitWithTheSizesAndLeaveItsBytesAsTheyWere() {
        ByteSink sink = new ByteSink(16, 100);
        sink.writeAscii("x".repeat(90));
        assertThatThrownBy(() -> sink.write(new byte[11], 0, 11))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("an audit buffer cannot hold 101 bytes: it holds at most 100; 90 bytes were in it");
        assertThat(sink.toString()).isEqualTo("x".repeat(90));
    }

    @Test
    void shouldNameTheLongestJavaArrayAsTheDefaultLimit() {
        ByteSink sink = new ByteSink(0);
        sink.writeAscii("ab");
        assertThatThrownBy(() -> sink.write(new byte[0], 0, ByteSink.MAX_LIMIT))
                .hasMessage("an audit buffer cannot hold " + (ByteSink.MAX_LIMIT + 2L) + " bytes: it holds at most "
                        + ByteSink.MAX_LIMIT + " (the longest Java array); 2 bytes were in it");
    }

    @Test
    void shouldTruncateBackToAMark() {
        ByteSink sink = new ByteSink(4);
        sink.writeAscii("keep");
        int mark = sink.size();
        sink.writeAscii("drop");
        sink.truncate(mark);
        assertThat(sink.toString()).isEqualTo("keep");
        assertThatThrownBy(() -> sink.truncate(5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("size must be in [0, 4], was 5");
    }

    @Test
    void shouldRefuseALimitOutsideItsRange() {
        assertThatThrownBy(() -> new ByteSink(10, 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("need 0 <= initialCapacity <= limit <= " + ByteSink.MAX_LIMIT + ", was 10 and 5");
    }
    /**
     * A buffer grown past 4 times its initial capacity by one large use shrinks back after
     * {@link ByteSink#SHRINK_AFTER_USES} uses in a row that fit the initial capacity; one used for
     * large contents every few uses keeps its array (no reallocation per use), and so does one
     * grown only to 4 times.
     */
    @Test
    void shouldShrinkBackAfterALargeUseOnceUsesFitTheInitialCapacityAgain() {
        ByteSink sink = new ByteSink(64);
        sink.write(new byte[1000], 0, 1000);
        assertThat(sink.capacity()).isEqualTo(1000);
        sink.reset(); // dropping 1000 bytes: the next use may be as large
        assertThat(sink.capacity()).isEqualTo(1000);
        for (int i = 1; i < ByteSink.SHRINK_AFTER_USES; i++) {
            sink.writeAscii("small");
            sink.reset();
        }
        assertThat(sink.capacity()).as("one small use short").isEqualTo(1000);
        sink.writeAscii("small");
        sink.reset(); // the last small use in a row: back to 64
        assertThat(sink.capacity()).isEqualTo(64);
        assertThat(sink.size()).isZero();
        sink.writeAscii("x".repeat(200));
        assertThat(sink.toString()).isEqualTo("x".repeat(200));

        ByteSink four = new ByteSink(64);
        four.write(new byte[256], 0, 256); // 4 times: kept
        for (int i = 0; i <= ByteSink.SHRINK_AFTER_USES; i++) {
            four.reset();
        }
        assertThat(four.capacity()).isEqualTo(256);
    }

    /** Large and small contents alternating (kept inputs and denials): the array is not reallocated per use. */
    @Test
    void shouldNotReallocateWhenLargeAndSmallUsesAlternate() {
        ByteSink sink = new ByteSink(4096);
        int changes = 0;
        byte[] last = null;
        for (int i = 0; i < 1000; i++) {
            int n = i % 2 == 0 ? 20_000 : 600;
            sink.write(new byte[n], 0, n);
            sink.reset();
            if (sink.capacity() != (last == null ? -1 : last.length)) {
                changes++;
                last = new byte[sink.capacity()];
            }
        }
        assertThat(changes).as("array sizes seen").isEqualTo(1);
    }
}
