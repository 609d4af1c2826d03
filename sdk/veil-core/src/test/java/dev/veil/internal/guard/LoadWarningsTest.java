package dev.veil.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import dev.veil.AuditLog;
import dev.veil.Guard;
import dev.veil.GuardFixtures;
import dev.veil.LogCapture;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a bundle allows but should not is logged when a Guard installs it. */
class LoadWarningsTest {
    @TempDir
    Path tmp;

    private List<String> warningsBuilding(GuardFixtures.BundleDir bundle) {
        try (LogCapture log = LogCapture.warnings("dev.veil.Guard");
                Guard<double[]> g = Guard.builder(new GuardFixtures.CountingModel(GuardFixtures.SCORES_A)
                        .as(GuardFixtures.INFO_A)).policy(bundle.load())
                        .audit(AuditLog.jsonLines(tmp.resolve("audit" + System.nanoTime() + ".jsonl"))).build()) {
            return log.messages().stream().filter(m -> m.startsWith("bundle 'guard-test': ")
                    && !m.contains("default seed")).toList();
        }
    }

    private GuardFixtures.BundleDir bundle() {
        return GuardFixtures.bundle(tmp.resolve("b" + System.nanoTime()));
    }

    @Test
    void anHmacSecretInTheJwksIsLoggedWithItsKid() throws Exception {
        String jwks = new JWKSet(new OctetSequenceKeyGenerator(256).keyID("shared-1").generate()).toString(false);
        List<String> warnings = warningsBuilding(bundle().file("jwks.json", jwks).set("authentication", """
                jwt: {issuer: "https://idp.test/", audience: [veil-test], jwks: jwks.json, algorithms: [HS256]}
                """));
        assertThat(warnings).singleElement().satisfies(w -> assertThat(w).startsWith(
                "bundle 'guard-test': jwt.jwks file 'jwks.json' holds key 'shared-1', a shared HMAC secret (kty oct):"
                        + " anyone who can read the bundle can sign tokens with it"));
    }

    @Test
    void publicKeysAloneGiveNoWarning() {
        assertThat(warningsBuilding(bundle())).isEmpty();
    }
}
