package dev.veil.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.veil.ApiKeys;
import dev.veil.PolicyBundle;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.internal.bundle.BundleLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files a policy names and the policy file itself are read outside the data loader (Jackson
 * databind, nimbus): they are held to the data files' count of values too, so that a small file of
 * many tiny values ({@code [{},{},...]}) is refused instead of exhausting memory.
 */
class BundleFileValueLimitTest {
    private static final String KEYS_POLICY = YamlPolicyEngineTest.POLICY;
    private static final String JWT_POLICY = KEYS_POLICY.replace("  api_keys: { file: keys.json }\n",
            "  jwt: { issuer: \"https://idp.test/\", audience: [veil], jwks: jwks.json, algorithms: [ES256] }\n");
    private static final String LIMIT_MESSAGE = "the file holds more than 1,000,000 values (objects, arrays, strings,"
            + " numbers, booleans and nulls counted together; the value at ";

    @TempDir
    Path dir;

    /** {@code [{},{},...]} with n empty objects: n + 1 values in 3n + 1 bytes. */
    private static String emptyObjects(int n) {
        return "[" + String.join(",", java.util.Collections.nCopies(n, "{}")) + "]";
    }

    private void write(String name, String content) throws IOException {
        Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    private List<PolicyError> loadErrors() {
        try {
            PolicyBundle.load(dir);
        } catch (PolicyLoadException e) {
            return e.errors();
        }
        throw new AssertionError("the bundle loaded");
    }

    private static String goodKeyEntry() throws IOException {
        Map<String, Object> a = ApiKeys.issue("alice", List.of("analyst"), "acme", Map.of(), null).entry();
        return YamlPolicyEngine.JSON.writeValueAsString(a);
    }

    private static int values(com.fasterxml.jackson.databind.JsonNode node) {
        int n = 1;
        for (com.fasterxml.jackson.databind.JsonNode child : node) {
            n += values(child);
        }
        return n;
    }

    @Test
    void aKeyFileOfMoreValuesThanTheLimitIsRefusedNamingFileAndPlace() throws Exception {
        write("policy.veil.yaml", KEYS_POLICY);
        String prefix = "{\"keys\": [" + goodKeyEntry() + "], \"x\": ";
        String store = prefix + emptyObjects(1_000_000) + "}";
        write("keys.json", store);

        List<PolicyError> errors = loadErrors();

        assertThat(errors).hasSize(1);
        PolicyError e = errors.get(0);
        assertThat(e.file()).isEqualTo("keys.json");
        assertThat(e.line()).isEqualTo(1);
        // the document, "keys", its entry and "x" come first: the value past the limit is x[999997 - entry's]
        int past = 999_997 - values(YamlPolicyEngine.JSON.readTree(goodKeyEntry()));
        assertThat(e.column()).isEqualTo(prefix.length() + 2 + 3 * past);
        assertThat(e.message()).startsWith(LIMIT_MESSAGE + "x[" + past + "] is past the limit)")
                .doesNotContain("BundleLimits").endsWith("a key file needs far fewer: check what was put in it");
    }

    @Test
    void aKeyFileOfTheFullSizeMadeOfTinyValuesIsRefusedQuickly() throws Exception {
        // 16 MiB (the per-file limit) of {}: 5.6 million values, which exhausted a 512 MiB heap in databind
        write("policy.veil.yaml", KEYS_POLICY);
        int n = (int) ((BundleLimits.DEFAULTS.maxFileBytes() - 30) / 3);
        write("keys.json", "{\"keys\": [], \"x\": " + emptyObjects(n) + "}");
        long start = System.nanoTime();
        assertThat(loadErrors()).singleElement().satisfies(e -> {
            assertThat(e.file()).isEqualTo("keys.json");
            assertThat(e.message()).startsWith(LIMIT_MESSAGE + "x[999997] is past the limit)");
        });
        assertThat((System.nanoTime() - start) / 1_000_000).as("milliseconds").isLessThan(10_000);
    }

    @Test
    void aJwksOfMoreValuesThanTheLimitIsRefusedNamingFileAndPlace() throws Exception {
        write("policy.veil.yaml", JWT_POLICY);
        String jwks = new JWKSet(new ECKeyGenerator(Curve.P_256).keyID("e1").generate().toPublicJWK()).toString();
        // nimbus keeps members it does not know, so this loaded (and a full-size one exhausted memory)
        write("jwks.json", jwks.substring(0, jwks.length() - 1) + ",\"x\":" + emptyObjects(1_000_000) + "}");

        List<PolicyError> errors = loadErrors();

        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).file()).isEqualTo("jwks.json");
        assertThat(errors.get(0).line()).isEqualTo(1);
        assertThat(errors.get(0).message()).startsWith(LIMIT_MESSAGE + "x[").endsWith("a JWKS needs far fewer: check "
                + "what was put in it");
    }

    @Test
    void aPolicyFileOfMoreValuesThanTheLimitIsRefusedNamingFileAndPlace() throws Exception {
        // YAML's code point limit (3 MiB) lets through 1.5 million values of [0,0,...]
        StringBuilder list = new StringBuilder("extra: [0");
        for (int i = 1; i < 1_000_000; i++) {
            list.append(",0");
        }
        write("policy.veil.yaml", KEYS_POLICY + list.append("]\n"));

        List<PolicyError> errors = loadErrors();

        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).file()).isEqualTo("policy.veil.yaml");
        assertThat(errors.get(0).line()).isEqualTo(KEYS_POLICY.split("\n", -1).length);
        assertThat(errors.get(0).message()).startsWith(LIMIT_MESSAGE + "extra[").endsWith("a policy file needs far "
                + "fewer: check what was put in it");
    }

    @Test
    void countsEveryValueAndRendersThePathOfTheOnePastTheLimit() {
        JsonFactory json = new JsonFactory();
        byte[] five = "{\"a\": [1, {\"b c\\n\": null}], \"d\": true}".getBytes(StandardCharsets.UTF_8);
        assertThatCode(() -> ValueCount.check(json, five, "f.json", "file", 6)).doesNotThrowAnyException();
        assertThatThrownBy(() -> ValueCount.check(json, five, "f.json", "file", 5))
                .isInstanceOfSatisfying(PolicyLoadException.class, e -> assertThat(e.errors()).singleElement()
                        .satisfies(err -> {
                            assertThat(err.line()).isEqualTo(1);
                            assertThat(err.column()).isEqualTo(34);
                            assertThat(err.message()).contains("more than 5 values").contains("the value at d is");
                        }));
        assertThatThrownBy(() -> ValueCount.check(json, five, "f.json", "file", 4))
                .hasMessageContaining("the value at a[1][\"b c\\u000a\"] is past the limit");
        assertThatThrownBy(() -> ValueCount.check(json, five, "f.json", "file", 0))
                .hasMessageContaining("the value at (top level) is past the limit");
        // YAML the same way
        byte[] yaml = "a:\n  - 1\n  - {b: ~}\nd: true\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> ValueCount.check(YamlPolicyEngine.FACTORY, yaml, "f.yaml", "file", 5))
                .isInstanceOfSatisfying(PolicyLoadException.class, e -> assertThat(e.errors().get(0))
                        .extracting(PolicyError::line, PolicyError::column).containsExactly(4, 4));
    }

    @Test
    void aFileThatDoesNotParseIsLeftToItsOwnParser() {
        JsonFactory json = new JsonFactory();
        assertThatCode(() -> ValueCount.check(json, "[1, 2,, 3, 4, 5, 6]".getBytes(StandardCharsets.UTF_8), "f.json",
                "file", 3)).doesNotThrowAnyException();
        assertThatThrownBy(() -> ValueCount.check(json, "[1, 2, 3, 4, 5,, 6]".getBytes(StandardCharsets.UTF_8),
                "f.json", "file", 3)).hasMessageContaining("more than 3 values");
    }
}
