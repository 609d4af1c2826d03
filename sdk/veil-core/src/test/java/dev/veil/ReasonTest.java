package dev.veil;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReasonTest {
    /** A caller reads the code and the message, never the rule that names the monitoring rule that caught it. */
    @Test
    void aCallersTextHasNeitherTheStageNorTheRule() {
        Reason r = Reason.of(ReasonCode.BLOCKED, Stage.ACCESS, "block-flood", "blocked by monitoring until T");
        assertThat(r.forCaller()).isEqualTo("blocked: blocked by monitoring until T");
        assertThat(r.toString()).isEqualTo("blocked@access[block-flood]: blocked by monitoring until T");
        assertThat(Reason.of(ReasonCode.INTERNAL_ERROR, Stage.OUTPUT, "", "x").toString())
                .isEqualTo("internal_error@output: x");
    }
}
