package dev.veil.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.AuditLog;
import dev.veil.Guard;
import dev.veil.GuardFixtures;
import dev.veil.Model;
import dev.veil.PolicyBundle;
import dev.veil.internal.state.MemoryStateStore;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Guard.Builder.stateMemory sets the cap of the default in-memory state store. */
class StateMemoryTest {
    @TempDir
    Path dir;

    private Guard.Builder<double[]> builder() {
        PolicyBundle b = GuardFixtures.bundle(dir.resolve("bundle")).load();
        return Guard.builder(Model.ofVector(GuardFixtures.INFO_A, x -> dev.veil.Prediction.classification(
                GuardFixtures.LABELS, GuardFixtures.SCORES_A.clone()))).policy(b)
                .audit(AuditLog.jsonLines(dir.resolve("audit.jsonl")));
    }

    @Test
    void theDefaultStoreHasTheCapTheBuilderSets() {
        try (Guard<double[]> g = builder().stateMemory(3L << 20).build()) {
            assertThat(((MemoryStateStore) ((DefaultGuard<double[]>) g).stateStore()).maxBytes()).isEqualTo(3L << 20);
        }
        try (Guard<double[]> g = builder().build()) {
            assertThat(((MemoryStateStore) ((DefaultGuard<double[]>) g).stateStore()).maxBytes())
                    .isEqualTo(DefaultGuard.DEFAULT_STATE_BYTES);
        }
    }

    @Test
    void aCapBelowOneMebibyteOrSetTwiceIsRefused() {
        assertThatThrownBy(() -> builder().stateMemory(1000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("stateMemory must be at least 1 MiB (1048576 bytes), was 1000");
        assertThatThrownBy(() -> builder().stateMemory(2L << 20).stateMemory(4L << 20))
                .isInstanceOf(IllegalStateException.class).hasMessage("stateMemory was already set to 2097152");
    }
}
