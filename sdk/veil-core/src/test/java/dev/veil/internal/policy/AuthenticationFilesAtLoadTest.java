package dev.veil.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.veil.ApiKeys;
import dev.veil.PolicyBundle;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key store and the JWKS a policy names are read and checked when the bundle loads, not only
 * when a Guard installs it, and every problem names the file, line and column.
 */
class AuthenticationFilesAtLoadTest {
    private static final String KEYS_POLICY = YamlPolicyEngineTest.POLICY;

    @TempDir
    Path dir;

    /** A well-formed store of two keys, one field per line, as {@code veil key create} writes it. */
    private String keys;

    @BeforeEach
    void goodStore() {
        Map<String, Object> a = ApiKeys.issue("alice", List.of("analyst"), "acme", Map.of(), null).entry();
        Map<String, Object> b = ApiKeys.issue("bob", List.of("intern"), "acme", Map.of(), null).entry();
        keys = "{\n  \"keys\": [\n" + entry(a) + ",\n" + entry(b) + "\n  ]\n}\n";
    }

    /** One entry: its {@code {} (line 3 or 13 of the store), then one field per line. */
    private static String entry(Map<String, Object> e) {
        return "    {\n"
                + "      \"id\": \"" + e.get("id") + "\",\n"
                + "      \"caller\": \"" + e.get("caller") + "\",\n"
                + "      \"salt\": \"" + e.get("salt") + "\",\n"
                + "      \"hash\": \"" + e.get("hash") + "\",\n"
                + "      \"roles\": [\"" + ((List<?>) e.get("roles")).get(0) + "\"],\n"
                + "      \"tenant\": \"acme\",\n"
                + "      \"attributes\": {},\n"
                + "      \"disabled\": false\n"
                + "    }";
    }

    private void write(String name, String content) {
        try {
            Path p = dir.resolve(name);
            Files.createDirectories(p.getParent());
            Files.writeString(p, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<PolicyError> loadErrors(String policy, String file, String content) {
        write("policy.veil.yaml", policy);
        write(file, content);
        try {
            PolicyBundle.load(dir);
        } catch (PolicyLoadException e) {
            return e.errors();
        }
        throw new AssertionError("the bundle loaded");
    }

    private List<PolicyError> keyErrors(String store) {
        return loadErrors(KEYS_POLICY, "keys.json", store);
    }

    /** The second entry's line holding {@code "field"}. */
    private int secondEntryLine(String field) {
        String[] lines = keys.split("\n", -1);
        for (int i = 13; i < lines.length; i++) {
            if (lines[i].contains("\"" + field + "\"")) {
                return i + 1;
            }
        }
        throw new AssertionError(field);
    }

    private String replaceInSecondEntry(String field, String value) {
        String[] lines = keys.split("\n", -1);
        int i = secondEntryLine(field) - 1;
        boolean comma = lines[i].endsWith(",");
        lines[i] = "      \"" + field + "\": " + value + (comma ? "," : "");
        return String.join("\n", lines);
    }

    @Test
    void theGoodStoreLoads() {
        write("policy.veil.yaml", KEYS_POLICY);
        write("keys.json", keys);
        assertThat(PolicyBundle.load(dir).name()).isEqualTo("test-policy");
    }

    @Test
    void hashThatIsNotBase64() {
        List<PolicyError> errors = keyErrors(replaceInSecondEntry("hash", "\"not*base64!\""));
        assertThat(errors).containsExactly(new PolicyError("keys.json", secondEntryLine("hash"), 7,
                "keys[1].hash: not valid base64 (standard alphabet, with padding)"));
    }

    @Test
    void missingSaltPointsAtTheEntry() {
        String store = keys.replaceFirst("(?s)(\"caller\": \"bob\",\n)\\s*\"salt\": \"[^\"]*\",\n", "$1");
        List<PolicyError> errors = keyErrors(store);
        assertThat(errors).containsExactly(
                new PolicyError("keys.json", 13, 5, "keys[1]: missing required field 'salt'"));
    }

    @Test
    void rolesAsAString() {
        List<PolicyError> errors = keyErrors(replaceInSecondEntry("roles", "\"intern\""));
        assertThat(errors).containsExactly(new PolicyError("keys.json", secondEntryLine("roles"), 7,
                "keys[1].roles: must be a list of strings, was a string"));
    }

    @Test
    void duplicateIdPointsAtTheSecondId() {
        String firstId = keys.replaceFirst("(?s).*?\"id\": \"([a-z0-9]{8})\".*", "$1");
        List<PolicyError> errors = keyErrors(replaceInSecondEntry("id", "\"" + firstId + "\""));
        assertThat(errors).containsExactly(new PolicyError("keys.json", secondEntryLine("id"), 7,
                "keys[1]: duplicate key id '" + firstId + "'; every key needs its own id"));
    }

    @Test
    void expiryThatIsNotAnInstant() {
        List<PolicyError> errors = keyErrors(replaceInSecondEntry("disabled", "false,\n      \"expires_at\": \"next year\""));
        assertThat(errors).containsExactly(new PolicyError("keys.json", secondEntryLine("disabled") + 1, 7,
                "keys[1].expires_at: must be an ISO-8601 instant like 2027-01-01T00:00:00Z, was 'next year'"));
    }

    @Test
    void trailingComma() {
        List<PolicyError> errors = keyErrors(keys.replace("    }\n  ]", "    },\n  ]"));
        assertThat(errors).hasSize(1);
        PolicyError e = errors.get(0);
        assertThat(e.file()).isEqualTo("keys.json");
        assertThat(e.line()).isEqualTo(23);
        assertThat(e.column()).isEqualTo(3);
        assertThat(e.message()).startsWith("invalid JSON: ");
    }

    @Test
    void everyProblemOfTheFileIsListedInFileOrder() {
        String store = replaceInSecondEntry("hash", "\"@@@\"");
        store = store.replaceFirst("\"roles\": \\[\"analyst\"\\]", "\"roles\": \"analyst\"");
        List<PolicyError> errors = keyErrors(store);
        assertThat(errors).extracting(PolicyError::line).containsExactly(8, secondEntryLine("hash"));
        assertThat(errors).allSatisfy(e -> assertThat(e.file()).isEqualTo("keys.json"));
    }

    @Test
    void topLevelProblemsPointAtTheDocument() {
        assertThat(keyErrors("\n  [1, 2]\n")).containsExactly(
                new PolicyError("keys.json", 2, 3, "must be an object {\"keys\": [...]}, was a list"));
        assertThat(keyErrors("{\"keys\": [], \"extra\": 1}")).containsExactly(
                new PolicyError("keys.json", 1, 14, "unknown field 'extra' at top level; the only field is 'keys'"));
    }

    @Test
    void theRegoEnginesSettingsCheckTheKeyStoreToo() {
        // DecisionDocuments.settings (a Rego bundle's data.veil.settings) compiles authentication the same way.
        write("keys.json", replaceInSecondEntry("hash", "\"not*base64!\""));
        write("veil/settings/data.yaml", "name: s\nauthentication:\n  api_keys: {file: keys.json}\n");
        var bundle = PolicyBundle.read(dir);
        var documents = new dev.veil.spi.DecisionDocuments(bundle);
        assertThatThrownBy(() -> documents.settings(bundle.data("veil.settings"), "veil/settings/data.yaml"))
                .isInstanceOfSatisfying(PolicyLoadException.class, e -> assertThat(e.errors()).containsExactly(
                        new PolicyError("keys.json", secondEntryLine("hash"), 7,
                                "keys[1].hash: not valid base64 (standard alphabet, with padding)")));
    }

    // ---------------------------------------------------------------- JWKS

    private static final String JWT_POLICY = KEYS_POLICY.replace("  api_keys: { file: keys.json }\n",
            "  jwt: { issuer: \"https://idp.test/\", audience: [veil], jwks: jwks.json, algorithms: [ES256] }\n");

    private static String publicJwks(String... kids) throws Exception {
        List<com.nimbusds.jose.jwk.JWK> keys = new java.util.ArrayList<>();
        for (String kid : kids) {
            ECKey k = new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
            keys.add(k.toPublicJWK());
        }
        return new JWKSet(keys).toString(true);
    }

    @Test
    void aGoodJwksLoads() throws Exception {
        write("policy.veil.yaml", JWT_POLICY);
        write("jwks.json", publicJwks("e1"));
        assertThat(PolicyBundle.load(dir).policy().settings().authentication().jwt()).isNotNull();
    }

    @Test
    void jwksSyntaxErrorHasItsPosition() {
        List<PolicyError> errors = loadErrors(JWT_POLICY, "jwks.json", "{\n  \"keys\": [\n    {\"kty\": \"EC\",}\n  ]\n}");
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).file()).isEqualTo("jwks.json");
        assertThat(errors.get(0).line()).isEqualTo(3);
        assertThat(errors.get(0).column()).isEqualTo(18);
        assertThat(errors.get(0).message()).startsWith("not a valid JWKS ({\"keys\": [...]}): invalid JSON here ");
    }

    @Test
    void jwksKeyThatDoesNotParsePointsAtTheKey() throws Exception {
        String jwks = "{\n  \"keys\": [\n    {\"kty\": \"EC\", \"crv\": \"P-256\", \"x\": \"AAAA\", \"y\": \"AAAA\"}\n  ]\n}";
        List<PolicyError> errors = loadErrors(JWT_POLICY, "jwks.json", jwks);
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0)).extracting(PolicyError::file, PolicyError::line, PolicyError::column)
                .containsExactly("jwks.json", 3, 5);
        assertThat(errors.get(0).message()).startsWith("not a valid JWKS ({\"keys\": [...]}): Invalid JWK at position 0");
    }

    @Test
    void jwksDuplicateKidPointsAtTheSecondKid() throws Exception {
        String jwks = publicJwks("e1", "e1");
        List<PolicyError> errors = loadErrors(JWT_POLICY, "jwks.json", jwks);
        int line = jwks.substring(0, jwks.lastIndexOf("\"kid\"")).split("\n", -1).length;
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).message()).isEqualTo("key 'e1': duplicate kid; every key in a JWKS needs its own kid");
        assertThat(errors.get(0).file()).isEqualTo("jwks.json");
        assertThat(errors.get(0).line()).isEqualTo(line);
        assertThat(errors.get(0).column()).isPositive();
    }

    @Test
    void tokenTypesAndRequiredClaimsAreRead() throws Exception {
        write("policy.veil.yaml", JWT_POLICY.replace("algorithms: [ES256] }",
                "algorithms: [ES256], types: [at+jwt, JWT], required_claims: {token_use: access} }"));
        write("jwks.json", publicJwks("e1"));
        var jwt = PolicyBundle.load(dir).policy().settings().authentication().jwt();
        assertThat(jwt.types()).containsExactly("at+jwt", "JWT");
        assertThat(jwt.requiredClaims()).containsExactly(Map.entry("token_use", "access"));
    }

    @Test
    void theRegoEnginesSettingsReadTokenTypesAndRequiredClaimsToo() throws Exception {
        write("jwks.json", publicJwks("e1"));
        write("veil/settings/data.yaml", "name: s\nauthentication:\n  jwt: {issuer: \"https://idp.test/\", "
                + "audience: [veil], jwks: jwks.json, algorithms: [ES256], types: [at+jwt],"
                + " required_claims: {token_use: access}}\n");
        var bundle = PolicyBundle.read(dir);
        var jwt = new dev.veil.spi.DecisionDocuments(bundle).settings(bundle.data("veil.settings"),
                "veil/settings/data.yaml").authentication().jwt();
        assertThat(jwt.types()).containsExactly("at+jwt");
        assertThat(jwt.requiredClaims()).containsExactly(Map.entry("token_use", "access"));
    }

    @Test
    void aRequiredClaimValueMustBeAString() throws Exception {
        List<PolicyError> errors = loadErrors(JWT_POLICY.replace("algorithms: [ES256] }",
                "algorithms: [ES256], required_claims: {email_verified: true} }"), "jwks.json", publicJwks("e1"));
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).file()).isEqualTo("policy.veil.yaml");
        assertThat(errors.get(0).message()).isEqualTo(
                "authentication.jwt.required_claims.email_verified: invalid value true: expected a string");
    }

    @Test
    void jwksWithoutAUsableKeyPointsAtItsKeys() {
        List<PolicyError> errors = loadErrors(JWT_POLICY, "jwks.json", "{\n  \"keys\": []\n}\n");
        assertThat(errors).containsExactly(new PolicyError("jwks.json", 2, 3,
                "no usable key for the accepted algorithms [ES256]: the JWKS has no keys"));
    }
}
