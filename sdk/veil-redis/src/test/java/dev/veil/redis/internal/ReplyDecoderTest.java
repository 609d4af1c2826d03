package dev.veil.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.spi.StateOp;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A batch's reply starts with its number (at least 1) and whether Redis lost the sender's mark (0
 * or 1): any other start is a script of another version, never a number taken in.
 */
class ReplyDecoderTest {
    private static final StateOp[] ONE = {new StateOp.CountInWindow("k", 1, 1000)};

    @Test
    void theNumberAndTheLossComeFirst() {
        ReplyDecoder.Reply r = ReplyDecoder.decode(ONE, List.of(7L, 1L, 3L));
        assertThat(r.number()).isEqualTo(7);
        assertThat(r.lost()).isTrue();
        assertThat(r.results()).containsExactly(3L);
        assertThat(ReplyDecoder.decode(new StateOp[0], List.of(1L, 0L)).lost()).isFalse();
    }

    @Test
    void anyOtherStartIsRefused() {
        for (List<?> reply : List.of(List.of(0L, 0L, 3L), List.of(-1L, 0L, 3L), List.of(2L, 2L, 3L), List.of(2L, 3L),
                List.of(2L), Arrays.asList(null, 0L, 3L), List.of("2", 0L, 3L), List.of(2L, 0L, 3L, 4L))) {
            assertThatThrownBy(() -> ReplyDecoder.decode(ONE, reply)).as(reply.toString())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is another version of veil-redis using this Redis");
        }
    }
}
