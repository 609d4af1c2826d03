package dev.veil.internal.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Credentials;
import dev.veil.PolicyLoadException;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.GuardSettings.ApiKeys;
import dev.veil.spi.GuardSettings.AuthenticationSettings;
import java.security.SecureRandom;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AuthenticatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final GuardSettings.Jwt JWT = new GuardSettings.Jwt("https://idp.example", List.of("veil-api"),
            "auth/jwks.json", List.of("ES256"), null, null, null, null, 30);

    private static ECKey ec;
    private static ApiKeyStore.IssuedKey key;

    private final TestClock clock = TestClock.at("2026-06-01T12:00:00Z");

    @BeforeAll
    static void setUp() throws Exception {
        ec = new ECKeyGenerator(Curve.P_256).keyID("ec1").generate();
        key = ApiKeyStore.issue("alice", List.of("analyst"), "acme", Map.of(), null, new SecureRandom());
    }

    private static MapBundle.Builder bundle() throws Exception {
        return MapBundle.builder()
                .file("auth/keys.json", JSON.writeValueAsString(Map.of("keys", List.of(key.entry()))))
                .file("auth/jwks.json", new JWKSet(ec.toPublicJWK()).toString())
                .data("veil", Map.of("keys", Map.of("keys", List.of(key.entry()))));
    }

    private String token() throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("ec1").build(),
                new JWTClaimsSet.Builder().issuer("https://idp.example").audience("veil-api").subject("svc-1")
                        .expirationTime(Date.from(clock.instant().plusSeconds(60))).build());
        jwt.sign(new ECDSASigner(ec));
        return jwt.serialize();
    }

    private static String failure(AuthResult r) {
        assertThat(r).isInstanceOf(AuthResult.Failure.class);
        return ((AuthResult.Failure) r).message();
    }

    @Test
    void shouldAuthenticateApiKeysFromAKeyFile() throws Exception {
        var auth = Authenticator.from(new AuthenticationSettings(false, new ApiKeys("auth/keys.json", null), null),
                bundle().build(), clock);
        AuthResult r = auth.authenticate(Credentials.apiKey(key.plaintext()));
        assertThat(((AuthResult.Success) r).caller().id()).isEqualTo("alice");
        assertThat(((AuthResult.Success) r).caller().method()).isEqualTo(AuthMethod.API_KEY);
        assertThat(auth.acceptsApiKeys()).isTrue();
        assertThat(auth.acceptsTokens()).isFalse();
    }

    @Test
    void shouldAuthenticateApiKeysFromBundleData() throws Exception {
        var auth = Authenticator.from(new AuthenticationSettings(false, new ApiKeys(null, "veil.keys"), null),
                bundle().build(), clock);
        assertThat(auth.authenticate(Credentials.apiKey(key.plaintext())).succeeded()).isTrue();
    }

    @Test
    void shouldAuthenticateBearerTokens() throws Exception {
        var auth = Authenticator.from(new AuthenticationSettings(false, null, JWT), bundle().build(), clock);
        AuthResult r = auth.authenticate(Credentials.bearer(token()));
        assertThat(((AuthResult.Success) r).caller().id()).isEqualTo("svc-1");
        assertThat(((AuthResult.Success) r).caller().method()).isEqualTo(AuthMethod.JWT);
    }

    @Test
    void shouldRefuseWhitespaceAroundEitherCredentialWithTheSameMessage() throws Exception {
        var auth = Authenticator.from(new AuthenticationSettings(false, new ApiKeys("auth/keys.json", null), JWT),
                bundle().build(), clock);
        String token = token();
        for (String around : List.of(" %s", "%s\n", "%s\r\n", "\t%s ", "%s\u00a0")) {
            assertThat(failure(auth.authenticate(Credentials.bearer(around.formatted(token))))).as(around)
                    .isEqualTo("the bearer token has surrounding whitespace (a trailing newline from a file?): strip it");
            assertThat(failure(auth.authenticate(Credentials.apiKey(around.formatted(key.plaintext()))))).as(around)
                    .isEqualTo("the API key has surrounding whitespace (a trailing newline from a file?): strip it");
        }
        assertThat(auth.authenticate(Credentials.bearer(token)).succeeded()).isTrue();
        // not even once the token has been verified (and is remembered)
        assertThat(failure(auth.authenticate(Credentials.bearer(token + "\n"))))
                .startsWith("the bearer token has surrounding whitespace");
    }

    @Test
    void shouldAcceptBothKindsWhenBothAreConfigured() throws Exception {
        var auth = Authenticator.from(new AuthenticationSettings(false, new ApiKeys("auth/keys.json", null), JWT),
                bundle().build(), clock);
        assertThat(auth.authenticate(Credentials.apiKey(key.plaintext())).succeeded()).isTrue();
        assertThat(auth.authenticate(Credentials.bearer(token())).succeeded()).isTrue();
        assertThat(failure(auth.authenticate(Credentials.bearer("x")))).startsWith("malformed token");
        assertThat(failure(auth.authenticate(Credentials.apiKey("x")))).startsWith("malformed API key");
    }

    @Test
    void shouldLetAnonymousCallersThroughOnlyWhenAllowed() throws Exception {
        var open = Authenticator.from(new AuthenticationSettings(true, null, null), bundle().build(), clock);
        assertThat(open.authenticate(Credentials.anonymous())).isEqualTo(AuthResult.success(Caller.ANONYMOUS));
        assertThat(open.allowsAnonymous()).isTrue();
        var closed = Authenticator.from(AuthenticationSettings.NONE, bundle().build(), clock);
        assertThat(failure(closed.authenticate(Credentials.anonymous())))
                .isEqualTo(Authenticator.ANONYMOUS_NOT_ACCEPTED);
    }

    @Test
    void shouldRefuseApiKeysWhenNoKeyStoreIsConfigured() throws Exception {
        var auth = Authenticator.from(new AuthenticationSettings(true, null, JWT), bundle().build(), clock);
        assertThat(failure(auth.authenticate(Credentials.apiKey(key.plaintext()))))
                .isEqualTo("API keys are not accepted by this policy");
    }

    @Test
    void shouldRefuseTokensWhenNoJwksIsConfigured() throws Exception {
        var auth = Authenticator.from(new AuthenticationSettings(true, new ApiKeys("auth/keys.json", null), null),
                bundle().build(), clock);
        assertThat(failure(auth.authenticate(Credentials.bearer(token()))))
                .isEqualTo("bearer tokens are not accepted by this policy");
    }

    @Test
    void shouldNameAMissingKeyFile() throws Exception {
        assertThatThrownBy(() -> Authenticator.from(
                new AuthenticationSettings(false, new ApiKeys("auth/missing.json", null), null), bundle().build(),
                clock))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining(
                        "auth/missing.json: file not found in bundle memory:test (named by api_keys.file)");
    }

    @Test
    void shouldNameAMissingJwksFile() throws Exception {
        var jwt = new GuardSettings.Jwt("https://idp.example", List.of("veil-api"), "auth/other.json", null, null, null,
                null, null, 30);
        assertThatThrownBy(
                () -> Authenticator.from(new AuthenticationSettings(false, null, jwt), bundle().build(), clock))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("auth/other.json: file not found in bundle memory:test (named by jwt.jwks)");
    }

    @Test
    void shouldNameAMissingDataPath() throws Exception {
        assertThatThrownBy(() -> Authenticator.from(
                new AuthenticationSettings(false, new ApiKeys(null, "veil.nokeys"), null), bundle().build(), clock))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("data.veil.nokeys: no value at this path");
    }

    @Test
    void shouldNameAnInvalidKeyFile() throws Exception {
        MapBundle b = bundle().file("auth/keys.json", "{\"keys\": [{\"id\": \"k1\"}]}").build();
        assertThatThrownBy(() -> Authenticator.from(
                new AuthenticationSettings(false, new ApiKeys("auth/keys.json", null), null), b, clock))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("auth/keys.json:1:11: keys[0]");
    }

    @Test
    void shouldNameAnInvalidJwksFile() throws Exception {
        MapBundle b = bundle().file("auth/jwks.json", "{}").build();
        assertThatThrownBy(() -> Authenticator.from(new AuthenticationSettings(false, null, JWT), b, clock))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("auth/jwks.json:1:1: not a valid JWKS");
    }

    @Test
    void shouldNotPrintSecretsInItsDescription() throws Exception {
        var auth = Authenticator.from(new AuthenticationSettings(false, new ApiKeys("auth/keys.json", null), JWT),
                bundle().build(), clock);
        assertThat(auth.toString()).contains("auth/keys.json").contains("auth/jwks.json")
                .doesNotContain(key.plaintext().substring(14)).doesNotContain((String) key.entry().get("hash"));
    }
}
