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

    /** An input of named features digested in the log: few possible values, so the digest is reversible. */
    @Test
    void aDigestOfNamedFeaturesIsLogged() {
        String validation = "default: {shape: [], features: {age: {min: 18, max: 120}, income: {min: 0, max: 1e7}}}";
        List<String> warnings = warningsBuilding(bundle().set("validation", validation).set("logging", """
                default: {input: digest}
                rules:
                  - {id: audit-team, when: {roles: [auditor]}, logging: {input: digest}}
                  - {id: masked, when: {roles: [analyst]}, logging: {input: mask}}
                  - {id: inherits, when: {roles: [ops]}, logging: {output: mask}}
                """));
        String why = ": input: digest of named features [age, income]: such inputs have few possible values and the "
                + "digest is unsalted, so anyone who reads the audit log can hash candidates until one matches (a "
                + "quickstart application's in 1.3 s: docs/policy-reference.md, 5.7); use input: mask, or digest only "
                + "where records must be matched to requests and the log is kept as the features themselves would be";
        assertThat(warnings).containsExactly("bundle 'guard-test': logging.default" + why,
                "bundle 'guard-test': logging.rules[0] (rule 'audit-team')" + why);
        assertThat(warningsBuilding(bundle().set("logging", "default: {input: digest}")))
                .as("a plain vector (pixels): no warning").isEmpty();
        assertThat(warningsBuilding(bundle().set("validation", validation).set("logging", "default: {input: mask}")))
                .isEmpty();
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

    /**
     * At a step of 0.6 the largest score released is 0.6, so 0.95 is released as 0.6, a move of 0.35,
     * more than the half step (0.3) the docs promise; 1/3 written as 0.33333334 likewise. A step such
     * as 0.3 (largest 0.9) or 0.7 (largest 0.7: a move of at most 0.3) stays within half a step and is
     * not warned of, nor is a step that divides 1; each step is named once.
     */
    @Test
    void aRoundingStepThatClampsScoresBeyondHalfAStepIsLogged() {
        List<String> warnings = warningsBuilding(bundle().set("output", """
                default: {form: top_k, top_k: 2, round: 0.6}
                rules:
                  - {id: same, when: {roles: [analyst]}, release: {form: full}}
                  - {id: third, when: {roles: [auditor]}, release: {round: 0.33333334}}
                  - {id: fine, when: {roles: [ops]}, release: {round: 0.3}}
                  - {id: seven, when: {roles: [guest]}, release: {round: 0.7}}
                  - {id: tenth, when: {roles: [partner]}, release: {round: 0.1}}
                """));
        assertThat(warnings).containsExactly(
                "bundle 'guard-test': output.default: round 0.6 does not divide 1: the largest score it releases is"
                        + " 0.6, so a classification's scores above 0.6 (up to 1) are released as 0.6, moving by up to"
                        + " 0.4, more than half a step (0.3); a step that divides 1 (such as 0.5, 0.25, 0.1 or 1/3"
                        + " written with more digits) keeps every score within half a step (docs/policy-reference.md,"
                        + " section 9)",
                "bundle 'guard-test': output.rules[1].release: round 0.33333334 does not divide 1: the largest score"
                        + " it releases is 0.66666668, so a classification's scores above 0.66666668 (up to 1) are"
                        + " released as 0.66666668, moving by up to 0.33333332, more than half a step (0.16666667); a"
                        + " step that divides 1 (such as 0.5, 0.25, 0.1 or 1/3 written with more digits) keeps every"
                        + " score within half a step (docs/policy-reference.md, section 9)");
    }

    @Test
    void publicKeysAloneGiveNoWarning() {
        assertThat(warningsBuilding(bundle())).isEmpty();
    }
}
