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

    /**
     * A YAML contract is compiled once, by the YAML compiler at load: every runtime built from the
     * policy (a Guard's first, a reload of the same bundle) answers with that compilation, not one of
     * its own at its first request.
     */
    @Test
    void aYamlContractIsTheOneCompiledAtLoad(@TempDir Path dir) {
        dev.veil.PolicyBundle bundle = GuardFixtures.bundle(dir).load();
        PolicyRuntime first = PolicyRuntime.create(bundle, null, List.of(), Clock.systemUTC(), 100);
        PolicyRuntime second = PolicyRuntime.create(bundle, first, List.of(), Clock.systemUTC(), 100);
        InputContract c = bundle.policy().validation(new dev.veil.spi.PolicyInput(dev.veil.Caller.ANONYMOUS,
                GuardFixtures.INFO_A, 0, 4, 32, List.of(), List.of(), false, null)).contract();

        assertThat(first.contract(c).contract()).isSameAs(c);
        assertThat(second.contract(c)).isSameAs(first.contract(c));
    }

    /**
     * The Guard copies features it does not own unless nothing reads them after the model: only a
     * YAML policy that masks the input in every logging rule, with no custom detector and no
     * built-in detector that reads them when it records, lets it skip the copy.
     */
    @Test
    void copiesFeaturesUnlessNothingReadsThemAfterTheModel(@TempDir Path dir) {
        String masked = "default: {input: mask}";
        String rate = "detectors: {rate: {window_seconds: 1, low: 50}}";

        assertThat(copies(dir.resolve("a"), null, null, List.of())).as("the default logging masks the input").isFalse();
        assertThat(copies(dir.resolve("b"), masked, null, List.of())).isFalse();
        assertThat(copies(dir.resolve("c"), "default: {input: digest}", null, List.of())).isTrue();
        assertThat(copies(dir.resolve("d"), "default: {input: keep}", null, List.of())).isTrue();
        assertThat(copies(dir.resolve("e"), """
                default: {input: mask}
                rules:
                  - {id: interns, when: {roles: [intern]}, logging: {input: digest}}
                """, null, List.of())).as("one rule digests").isTrue();
        assertThat(copies(dir.resolve("f"), """
                default: {input: mask}
                rules:
                  - {id: interns, when: {roles: [intern]}, logging: {raw: keep}}
                """, null, List.of())).as("a rule that keeps another field").isFalse();
        assertThat(copies(dir.resolve("g"), masked, rate + "\n", List.of())).isFalse();
        assertThat(copies(dir.resolve("h"), masked, """
                detectors:
                  rate: {window_seconds: 1, low: 50}
                  knn: {}
                  near_duplicate: {}
                """, List.of())).isFalse();
        assertThat(copies(dir.resolve("i"), masked, """
                detectors:
                  rate: {window_seconds: 1, low: 50}
                  climb: {type: confidence_climb}
                """, List.of())).as("confidence_climb sketches the input when it records").isTrue();
        assertThat(copies(dir.resolve("j"), masked, "detectors: {custom: {}}",
                List.of(new dev.veil.spi.Detector() {
                    @Override
                    public String name() {
                        return "custom";
                    }

                    @Override
                    public dev.veil.Signal observe(dev.veil.spi.Query q) {
                        return dev.veil.Signal.none("custom");
                    }

                    @Override
                    public long stateBytes() {
                        return 0;
                    }
                }))).as("a custom detector gets a copy of its own, taken before the model: no second one").isFalse();
    }

    private static boolean copies(Path dir, String logging, String monitoring, List<dev.veil.spi.Detector> custom) {
        GuardFixtures.BundleDir b = GuardFixtures.bundle(dir);
        if (logging != null) {
            b.set("logging", logging);
        }
        if (monitoring != null) {
            b.set("monitoring", monitoring);
        }
        return PolicyRuntime.create(b.load(), null, custom, Clock.systemUTC(), 100).copiesFeatures();
    }
}
