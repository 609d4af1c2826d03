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

/** What a bundle allows but should not is logged, once, when a Guard installs it. */
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
    void anAllowRuleOnCallersWithoutTenantsIsLogged() {
        // callers compares the id alone: globex's svc-batch would get acme's grant
        List<String> warnings = warningsBuilding(bundle().set("access", """
                default: {effect: deny}
                rules:
                  - {id: batch, when: {callers: [svc-batch]}, effect: allow}
                  - {id: pinned, when: {callers: [svc-report], tenants: [acme]}, effect: allow}
                  - {id: either, when: {any: [{callers: [svc-a]}, {roles: [ops]}]}, effect: allow}
                  - {id: inherited, when: {tenants: [acme], any: [{callers: [svc-b]}, {roles: [ops]}]}, effect: allow}
                  - {id: banned, when: {callers: [mallory]}, effect: deny}
                  - {id: negated, when: {not: {callers: [mallory]}, roles: [analyst]}, effect: allow}
                """));
        assertThat(warnings).containsExactly(
                "bundle 'guard-test': access.rules[0] (rule 'batch') allows callers [svc-batch] with no tenants condition"
                        + " in the same when: a caller is a tenant and an id, and 'callers' compares the id alone, so a"
                        + " caller of such an id in any other tenant (another tenant's key or token) gets this grant"
                        + " too; add tenants: [...] beside callers (docs/policy-reference.md, section 4)",
                "bundle 'guard-test': access.rules[2] (rule 'either') allows callers [svc-a] with no tenants condition"
                        + " in the same when: a caller is a tenant and an id, and 'callers' compares the id alone, so a"
                        + " caller of such an id in any other tenant (another tenant's key or token) gets this grant"
                        + " too; add tenants: [...] beside callers (docs/policy-reference.md, section 4)");
    }

    @Test
    void aDemoKeysFileIsLoggedAsPublishedCredentials() {
        // a copy of a shipped bundle that keeps its published demo keys
        List<String> warnings = warningsBuilding(bundle().file("DEMO-KEYS.md", "# Demo API keys: DEMO ONLY\n"));
        assertThat(warnings).containsExactly("bundle 'guard-test': the bundle holds DEMO-KEYS.md: it carries"
                + " published demo credentials (API keys, and the signing key of its jwks.json if it has one, whose"
                + " secrets are public) that anyone can use to call as its demo callers; before deploying, replace"
                + " keys.json and jwks.json with your own keys and delete DEMO-KEYS.md (policies/README.md)");
        assertThat(warningsBuilding(bundle().file("docs/DEMO-KEYS.md", "keys\n"))).singleElement()
                .satisfies(w -> assertThat(w).startsWith("bundle 'guard-test': the bundle holds docs/DEMO-KEYS.md:"));
        assertThat(warningsBuilding(bundle().file("DEMO-KEYS.txt", "not the file\n"))).isEmpty();
    }

    @Test
    void publicKeysAloneGiveNoWarning() {
        assertThat(warningsBuilding(bundle())).isEmpty();
    }
}
