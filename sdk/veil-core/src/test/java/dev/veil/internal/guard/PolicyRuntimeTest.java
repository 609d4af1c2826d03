package dev.veil.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.GuardFixtures;
import dev.veil.spi.InputContract;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyRuntimeTest {

    @Test
    void compilesContractsBeyondItsCacheWithoutKeepingThem(@TempDir Path dir) {
        PolicyRuntime rt = PolicyRuntime.create(GuardFixtures.bundle(dir).load(), null, List.of(),
                Clock.systemUTC(), 100);
        int distinct = PolicyRuntime.MAX_CACHED_CONTRACTS + 500;
        for (int i = 0; i < distinct; i++) {
            // a contract per request, as a Rego policy that builds it from the feature names gives
            InputContract c = new InputContract(List.of(), 0, 1,
                    Map.of("f" + i, new InputContract.FeatureSpec(true, 0, 1)), false, List.of(), 0, null);
            assertThat(rt.contract(c).contract()).isSameAs(c);
        }

        assertThat(rt.cachedContracts()).isEqualTo(PolicyRuntime.MAX_CACHED_CONTRACTS);
    }
}
