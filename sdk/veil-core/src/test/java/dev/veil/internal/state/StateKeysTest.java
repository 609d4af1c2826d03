package dev.veil.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.strings;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

class StateKeysTest {
    private static Caller caller(String id, String tenant) {
        return new Caller(id, AuthMethod.API_KEY, Set.of(), tenant, Map.of());
    }

    /** Ids and tenants built from the characters the key's form uses, so that near-collisions are common. */
    private static Gen<String> parts() {
        Gen<String> pieces = integers().between(0, 7).map(i -> List.of("", "t", "0", "1", "2", ":", "a", "t1:")
                .get(i));
        return pieces.zip(pieces, pieces, (a, b, c) -> a + b + c);
    }

    @Test
    void twoCallersShareAKeyOnlyWhenTheyHaveTheSameIdAndTenant() {
        qt().withExamples(20_000).forAll(parts(), parts(), parts(), parts()).check((id1, t1, id2, t2) -> {
            if (id1.isEmpty() || id2.isEmpty()) {
                return true; // a caller's id is never empty
            }
            boolean same = StateKeys.of(caller(id1, t1)).equals(StateKeys.of(caller(id2, t2)));
            return same == (id1.equals(id2) && t1.equals(t2));
        });
    }

    @Test
    void aCallerWithoutATenantKeepsItsIdAsKey() {
        assertThat(StateKeys.of(caller("alice", ""))).isEqualTo("alice");
        assertThat(StateKeys.of(caller("svc", "acme"))).isEqualTo("t4:acme:svc");
        assertThat(StateKeys.of(caller("t4:acme:svc", ""))).isEqualTo("t0::t4:acme:svc");
        qt().forAll(strings().allPossible().ofLengthBetween(1, 12)).check(id ->
                !StateKeys.of(caller(id, "")).equals(StateKeys.of(caller(id, "x"))));
    }
}
