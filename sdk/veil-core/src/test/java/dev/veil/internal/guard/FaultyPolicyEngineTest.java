package dev.veil.internal.guard;

import static dev.veil.GuardFixtures.ALICE;
import static dev.veil.GuardFixtures.INFO_A;
import static dev.veil.GuardFixtures.NOW;
import static dev.veil.GuardFixtures.SCORES_A;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.GuardFixtures;
import dev.veil.GuardFixtures.BundleDir;
import dev.veil.GuardFixtures.CountingModel;
import dev.veil.ManualClock;
import dev.veil.PolicyBundle;
import dev.veil.PolicyLoadException;
import dev.veil.ReasonCode;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.Stage;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.ExtendWith;
import dev.veil.QuietGuardLog;

/**
 * The test-only {@link FaultyPolicyEngine} claims exactly the bundles it should and refuses bad
 * markers; and through it, the Guard keeps a denial that monitoring reached even when a later
 * monitoring action cannot be applied.
 */
@ExtendWith(QuietGuardLog.class)
class FaultyPolicyEngineTest {
    @TempDir
    Path tmp;

    private BundleDir faulty(String name, String marker) {
        return GuardFixtures.bundle(tmp.resolve(name)).policyFile(FaultyPolicyEngine.POLICY)
                .file(FaultyPolicyEngine.MARKER, marker);
    }

    @Test
    void claimsOnlyBundlesWithTheMarker() {
        assertThat(GuardFixtures.bundle(tmp.resolve("plain")).load().engine()).isEqualTo("yaml");
        assertThat(faulty("faulty", "output\n").load().engine()).isEqualTo("faulty");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "outputs", "output unchecked", "output checked twice",
            "monitoring-block-then-unappliable checked"})
    void refusesAMarkerThatNamesNoQuestion(String marker) {
        BundleDir b = faulty("bad", marker);

        assertThatThrownBy(b::load).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining(FaultyPolicyEngine.MARKER)
                .hasMessageContaining("expected one of [access, logging, model, monitoring, none, output, validation]");
    }

    @Test
    void refusesABundleWithoutItsPolicy() {
        BundleDir b = GuardFixtures.bundle(tmp.resolve("no-policy")).file(FaultyPolicyEngine.MARKER, "none");

        // The policy is written as the YAML engine's file, which the faulty engine does not read.
        assertThatThrownBy(b::load).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("several engines");
        BundleDir renamed = GuardFixtures.bundle(tmp.resolve("renamed")).policyFile("other.yaml")
                .file(FaultyPolicyEngine.MARKER, "none");
        assertThatThrownBy(renamed::load).isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("needs its YAML policy in " + FaultyPolicyEngine.POLICY);
    }

    @ParameterizedTest
    @ValueSource(strings = {"deny", "degrade"})
    void aDenialReachedInMonitoringStandsWhenALaterActionCannotBeApplied(String onError) {
        PolicyBundle policy = faulty("block-then-fail", FaultyPolicyEngine.BLOCK_THEN_UNAPPLIABLE)
                .set("on_error", onError).set("monitoring", "detectors: {rate: {window_seconds: 60, high: 100}}")
                .load();
        CountingModel model = new CountingModel(SCORES_A);
        Path audit = tmp.resolve("audit.jsonl");
        Guard<double[]> g = Guard.builder(model.as(INFO_A)).policy(policy).audit(AuditLog.jsonLines(audit))
                .clock(new ManualClock(NOW)).build();
        Request<double[]> ask = Request.of(Credentials.apiKey(ALICE.plaintext()), new double[] {1, 2, 3});

        Response first = g.predict(ask);
        Response next = g.predict(ask);
        g.close();

        assertThat(first).isInstanceOfSatisfying(Response.Denied.class, d -> {
            assertThat(d.reason().code()).isEqualTo(ReasonCode.BLOCKED);
            assertThat(d.reason().stage()).isEqualTo(Stage.OBSERVE);
            assertThat(d.reason().rule()).isEqualTo("injected-block");
        });
        assertThat(next).isInstanceOfSatisfying(Response.Denied.class, d -> {
            assertThat(d.reason().code()).isEqualTo(ReasonCode.BLOCKED);
            assertThat(d.reason().stage()).isEqualTo(Stage.ACCESS);
        });
        assertThat(model.calls()).as("a blocked request never reaches the model").isZero();
        assertThat(AuditLog.verify(audit).records()).isEqualTo(2);
    }
}
