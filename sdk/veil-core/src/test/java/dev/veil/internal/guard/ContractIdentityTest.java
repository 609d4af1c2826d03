package dev.veil.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.GuardFixtures;
import dev.veil.PolicyBundle;
import dev.veil.spi.InputContract;
import dev.veil.spi.PolicyInput;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two YAML validation rules whose contracts are equal get one contract instance, the one compiled at
 * load, so that {@link PolicyRuntime#contract} finds its compiled form by identity for either rule's
 * callers. When the second rule kept an instance of its own, the runtime's cache held the first
 * one's compilation, and every request of the second rule's callers missed the identity check and
 * paid a map lookup with a deep hash of the contract.
 */
class ContractIdentityTest {

    @Test
    void equalContractsOfTwoRulesAreOneInstanceWhoseCompiledFormTheRuntimeFindsByIdentity(@TempDir Path dir) {
        PolicyBundle bundle = GuardFixtures.bundle(dir).set("validation", """
                default: {shape: [3], range: {min: 0, max: 1}}
                rules:
                  - {id: interns, when: {roles: [intern]}, contract: {range: {min: 0, max: 10}}}
                  - {id: analysts, when: {roles: [analyst]}, contract: {range: {min: 0, max: 10}}}
                """).load();
        InputContract analysts = contractOf(bundle, "analyst");
        InputContract interns = contractOf(bundle, "intern");
        assertThat(analysts).isSameAs(interns);
        assertThat(contractOf(bundle, "visitor")).as("the default's contract").isNotEqualTo(analysts);

        PolicyRuntime rt = PolicyRuntime.create(bundle, null, List.of(), Clock.systemUTC(), 100);
        assertThat(rt.contract(analysts).contract()).isSameAs(analysts);
        assertThat(rt.contract(interns).contract()).isSameAs(interns);
    }

    private static InputContract contractOf(PolicyBundle bundle, String role) {
        Caller caller = new Caller(role + "-1", AuthMethod.API_KEY, Set.of(role), "acme", Map.of());
        return bundle.policy().validation(new PolicyInput(caller, GuardFixtures.INFO_A, 0, 3, 24, List.of(), List.of(),
                false, null)).contract();
    }
}
