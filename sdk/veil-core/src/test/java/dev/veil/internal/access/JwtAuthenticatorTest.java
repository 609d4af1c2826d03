package dev.veil.internal.access;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.PolicyLoadException;
import dev.veil.spi.GuardSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JwtAuthenticatorTest {
    private static final String ISSUER = "https://idp.example";
    private static final String JWKS_FILE = "auth/jwks.json";

    private static RSAKey rsa;
    private static RSAKey impostorRsa;
    private static ECKey ec256;
    private static ECKey ec384;
    private static OctetSequenceKey hs;

    private final TestClock clock = TestClock.at("2026-06-01T12:00:00Z");

    @BeforeAll
    static void generateKeys() throws JOSEException {
        rsa = new RSAKeyGenerator(2048).keyID("rsa1").generate();
        impostorRsa = new RSAKeyGenerator(2048).keyID("rsa1").generate();
        ec256 = new ECKeyGenerator(Curve.P_256).keyID("ec256").generate();
        ec384 = new ECKeyGenerator(Curve.P_384).keyID("ec384").generate();
        hs = new OctetSequenceKeyGenerator(512).keyID("hs1").generate();
    }

    private static GuardSettings.Jwt settings(List<String> algorithms) {
        return new GuardSettings.Jwt(ISSUER, List.of("veil-api", "veil-admin"), JWKS_FILE, algorithms, null, null, null,
                List.of("team", "level", "admin", "groups"), 30);
    }

    private static final GuardSettings.Jwt ALL =
            settings(List.of("RS256", "PS256", "ES256", "ES384", "HS256", "HS512"));

    private static byte[] jwks(JWK... keys) {
        return new JWKSet(List.of(keys)).toString(false).getBytes(StandardCharsets.UTF_8);
    }

    private JwtAuthenticator authenticator(GuardSettings.Jwt s) {
        return JwtAuthenticator.create(s, jwks(rsa.toPublicJWK(), ec256.toPublicJWK(), ec384.toPublicJWK(), hs), clock);
    }

    private JWTClaimsSet.Builder claims() {
        Instant now = clock.instant();
        return new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .audience("veil-api")
                .subject("alice")
                .expirationTime(Date.from(now.plusSeconds(300)))
                .issueTime(Date.from(now))
                .claim("roles", List.of("analyst", "ops"))
                .claim("tenant", "acme");
    }

    private static JWSSigner signer(JWK key) throws JOSEException {
        if (key instanceof RSAKey r) {
            return new RSASSASigner(r);
        }
        if (key instanceof ECKey e) {
            return new ECDSASigner(e);
        }
        return new MACSigner((OctetSequenceKey) key);
    }

    private static String sign(JWK key, JWSAlgorithm alg, boolean withKid, JWTClaimsSet claims) throws JOSEException {
        JWSHeader.Builder h = new JWSHeader.Builder(alg);
        if (withKid) {
            h.keyID(key.getKeyID());
        }
        SignedJWT jwt = new SignedJWT(h.build(), claims);
        jwt.sign(signer(key));
        return jwt.serialize();
    }

    private String sign(JWTClaimsSet claims) throws JOSEException {
        return sign(rsa, JWSAlgorithm.RS256, true, claims);
    }

    private static String failure(AuthResult r, String token) {
        assertThat(r).isInstanceOf(AuthResult.Failure.class);
        String msg = ((AuthResult.Failure) r).message();
        int dot = token.lastIndexOf('.');
        if (dot >= 0 && token.length() - dot > 10) {
            assertThat(msg).doesNotContain(token.substring(dot + 1));
        }
        return msg;
    }

    private String failure(JwtAuthenticator auth, String token) {
        return failure(auth.authenticate(token), token);
    }

    // ---- accepted tokens ----

    @Test
    void shouldMapClaimsOfAValidTokenToACaller() throws Exception {
        String token = sign(claims().claim("team", "red").claim("level", 3).claim("admin", true).build());
        assertThat(authenticator(ALL).authenticate(token)).isEqualTo(AuthResult.success(new Caller("alice",
                AuthMethod.JWT, Set.of("analyst", "ops"), "acme",
                Map.of("team", "red", "level", "3", "admin", "true"))));
    }

    /** Registered claims are read from the token's JSON as they are: nimbus makes iat, exp, nbf Dates and aud a list. */
    @Test
    void shouldMapRegisteredClaimsToAttributesAsTheTokenWritesThem() throws Exception {
        GuardSettings.Jwt s = new GuardSettings.Jwt(ISSUER, List.of("veil-api"), JWKS_FILE, List.of("RS256"), null, null,
                null, List.of("iat", "exp", "nbf", "aud"), 30);
        JwtAuthenticator auth = JwtAuthenticator.create(s, jwks(rsa.toPublicJWK()), clock);
        long now = clock.instant().getEpochSecond();
        AuthResult r = auth.authenticate(sign(claims().notBeforeTime(Date.from(clock.instant())).build()));
        assertThat(r.succeeded()).as("%s", r).isTrue();
        assertThat(((AuthResult.Success) r).caller().attributes()).isEqualTo(Map.of("iat", Long.toString(now),
                "exp", Long.toString(now + 300), "nbf", Long.toString(now), "aud", "veil-api"));
        // a tenant claim naming a registered time claim is a number, not a Date
        GuardSettings.Jwt iatTenant = new GuardSettings.Jwt(ISSUER, List.of("veil-api"), JWKS_FILE, List.of("RS256"),
                null, null, "iat", List.of(), 30);
        assertThat(failure(JwtAuthenticator.create(iatTenant, jwks(rsa.toPublicJWK()), clock), sign(claims().build())))
                .isEqualTo("claim 'iat' must be a string, was a number");
    }

    /** An integer becomes its digits; another number is refused: parsed as a double, distinct values could meet. */
    @Test
    void shouldMapIntegerAttributesToTheirDigitsAndRefuseOtherNumbers() throws Exception {
        JwtAuthenticator auth = authenticator(ALL);
        for (Object level : List.of(3, -7, 0L, Long.MAX_VALUE, Long.MIN_VALUE)) {
            AuthResult r = auth.authenticate(sign(claims().claim("level", level).build()));
            assertThat(((AuthResult.Success) r).caller().attributes()).as("%s", level)
                    .containsEntry("level", level.toString());
        }
        for (Object level : List.of(3.0, 2.5, 1e3, new java.math.BigInteger("10000000000000000000"),
                new java.math.BigInteger("10000000000000000001"), new java.math.BigInteger("-9223372036854775809"))) {
            assertThat(failure(auth, sign(claims().claim("level", level).build()))).as("%s", level)
                    .startsWith("claim 'level' is a number that is not an integer from -2^63 to 2^63-1 written"
                            + " without fraction or exponent (read as ")
                    .endsWith("); such a number cannot be made an attribute exactly (distinct values could read"
                            + " the same): the identity provider must send it as a string");
        }
        assertThat(failure(auth, sign(claims().claim("level", new java.math.BigInteger("10000000000000000001"))
                .build()))).contains("(read as 1.0E19)");
    }

    @Test
    void shouldAcceptEveryConfiguredAlgorithmFamily() throws Exception {
        JwtAuthenticator auth = authenticator(ALL);
        JWTClaimsSet c = claims().build();
        assertThat(auth.authenticate(sign(rsa, JWSAlgorithm.RS256, true, c)).succeeded()).isTrue();
        assertThat(auth.authenticate(sign(rsa, JWSAlgorithm.PS256, true, c)).succeeded()).isTrue();
        assertThat(auth.authenticate(sign(ec256, JWSAlgorithm.ES256, true, c)).succeeded()).isTrue();
        assertThat(auth.authenticate(sign(ec384, JWSAlgorithm.ES384, true, c)).succeeded()).isTrue();
        assertThat(auth.authenticate(sign(hs, JWSAlgorithm.HS256, true, c)).succeeded()).isTrue();
        assertThat(auth.authenticate(sign(hs, JWSAlgorithm.HS512, true, c)).succeeded()).isTrue();
    }

    @Test
    void shouldTryEveryFittingKeyWhenTheTokenHasNoKid() throws Exception {
        JwtAuthenticator auth = authenticator(ALL);
        assertThat(auth.authenticate(sign(ec384, JWSAlgorithm.ES384, false, claims().build())).succeeded()).isTrue();
        assertThat(auth.authenticate(sign(rsa, JWSAlgorithm.RS256, false, claims().build())).succeeded()).isTrue();
    }

    @Test
    void shouldRefuseATokenWithoutKidWhenSeveralKeysFitItsAlgorithm() throws Exception {
        // During a key rotation the JWKS holds the old and the new key: a token must say which one signed it
        ECKey next = new ECKeyGenerator(Curve.P_256).keyID("ec256-next").generate();
        JwtAuthenticator auth = JwtAuthenticator.create(settings(List.of("ES256")),
                jwks(ec256.toPublicJWK(), next.toPublicJWK()), clock);
        assertThat(failure(auth, sign(next, JWSAlgorithm.ES256, false, claims().build())))
                .isEqualTo("token has no key id (kid) and several keys this service trusts can verify ES256: the identity"
                        + " provider must name the signing key in the token's kid header; request a new token");
        assertThat(auth.signatureChecks()).isZero();
        assertThat(auth.authenticate(sign(next, JWSAlgorithm.ES256, true, claims().build())).succeeded()).isTrue();
        assertThat(auth.authenticate(sign(ec256, JWSAlgorithm.ES256, true, claims().build())).succeeded()).isTrue();
        assertThat(auth.warnings()).isEmpty();
    }

    @Test
    void shouldWarnOfAKeyWithoutKidBesideOthersForItsAlgorithm() throws Exception {
        ECKey anonymous = new ECKeyGenerator(Curve.P_256).generate();
        JwtAuthenticator auth = JwtAuthenticator.create(settings(List.of("ES256")),
                jwks(ec256.toPublicJWK(), anonymous.toPublicJWK()), clock);
        assertThat(auth.warnings()).containsExactly("jwt.jwks file 'auth/jwks.json' holds key #1 without a kid"
                + " beside other keys for ES256: the tokens it signs carry no kid and are refused; give every key a"
                + " kid");
        // alone for its algorithm, a key needs no kid
        JwtAuthenticator single = JwtAuthenticator.create(settings(List.of("ES256")), jwks(anonymous.toPublicJWK()),
                clock);
        assertThat(single.warnings()).isEmpty();
        assertThat(single.authenticate(sign(anonymous, JWSAlgorithm.ES256, false, claims().build())).succeeded())
                .isTrue();
    }

    @Test
    void shouldReadRolesFromASpaceSeparatedString() throws Exception {
        AuthResult r = authenticator(ALL).authenticate(sign(claims().claim("roles", " analyst  ops ").build()));
        assertThat(((AuthResult.Success) r).caller().roles()).containsExactlyInAnyOrder("analyst", "ops");
    }

    @Test
    void shouldDefaultMissingRolesAndTenantToEmpty() throws Exception {
        AuthResult r = authenticator(ALL)
                .authenticate(sign(claims().claim("roles", null).claim("tenant", null).build()));
        assertThat(r).isEqualTo(AuthResult.success(new Caller("alice", AuthMethod.JWT, Set.of(), "", Map.of())));
    }

    @Test
    void shouldUseTheConfiguredClaimNames() throws Exception {
        var s = new GuardSettings.Jwt(ISSUER, List.of("veil-api"), JWKS_FILE, List.of("RS256"), "email", "scope", "org",
                List.of(), 0);
        String token = sign(claims().claim("email", "a@example.com").claim("scope", "read write").claim("org", "o1")
                .build());
        assertThat(authenticator(s).authenticate(token)).isEqualTo(AuthResult.success(
                new Caller("a@example.com", AuthMethod.JWT, Set.of("read", "write"), "o1", Map.of())));
    }

    @Test
    void shouldAcceptAnyMatchingAudience() throws Exception {
        String token = sign(claims().audience(List.of("someone-else", "veil-admin")).build());
        assertThat(authenticator(ALL).authenticate(token).succeeded()).isTrue();
    }

    @Test
    void shouldTolerateClockSkewOnExpiryAndNotBefore() throws Exception {
        Instant now = clock.instant();
        JwtAuthenticator auth = authenticator(ALL);
        assertThat(auth.authenticate(sign(claims().expirationTime(Date.from(now.minusSeconds(29))).build()))
                .succeeded()).isTrue();
        assertThat(auth.authenticate(sign(claims().notBeforeTime(Date.from(now.plusSeconds(30))).build()))
                .succeeded()).isTrue();
    }

    // ---- token type and required claims ----

    private static GuardSettings.Jwt kinds(List<String> types, Map<String, String> requiredClaims) {
        return new GuardSettings.Jwt(ISSUER, List.of("veil-api"), JWKS_FILE, List.of("ES256"), null, null, null,
                List.of(), 30, types, requiredClaims);
    }

    private static String typed(String typ, JWTClaimsSet claims) throws JOSEException {
        JWSHeader.Builder h = new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(ec256.getKeyID());
        if (typ != null) {
            h.type(new com.nimbusds.jose.JOSEObjectType(typ));
        }
        SignedJWT jwt = new SignedJWT(h.build(), claims);
        jwt.sign(new ECDSASigner(ec256));
        return jwt.serialize();
    }

    @Test
    void shouldRefuseATokenOfATypeNotListed() throws Exception {
        JwtAuthenticator auth = authenticator(kinds(List.of("at+jwt", "JWT"), null));
        JWTClaimsSet c = claims().build();
        // a logout token (or an ID token) the identity provider signed for the same audience
        assertThat(failure(auth, typed("logout+jwt", c)))
                .isEqualTo("token type 'logout+jwt' is not accepted (accepted: at+jwt, JWT)");
        assertThat(failure(auth, typed(null, c))).isEqualTo("token has no type (typ header); accepted: at+jwt, JWT");
        // RFC 7515, section 4.1.9: letter case is ignored and "application/" is implied
        for (String typ : List.of("at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT", "JWT", "jwt")) {
            assertThat(auth.authenticate(typed(typ, c)).succeeded()).as(typ).isTrue();
        }
        assertThat(failure(auth, typed("application/jwt+x", c))).startsWith("token type 'application/jwt+x' is not");
    }

    @Test
    void shouldNotCheckTheTypeWhenNoTypesAreListed() throws Exception {
        assertThat(authenticator(kinds(null, null)).authenticate(typed("logout+jwt", claims().build())).succeeded())
                .isTrue();
    }

    @Test
    void shouldRefuseATokenWithoutTheRequiredClaimValues() throws Exception {
        JwtAuthenticator auth = authenticator(kinds(null, Map.of("token_use", "access")));
        assertThat(auth.authenticate(typed(null, claims().claim("token_use", "access").build())).succeeded()).isTrue();
        assertThat(failure(auth, typed(null, claims().claim("token_use", "id").build())))
                .isEqualTo("claim 'token_use' must be 'access', was 'id'");
        assertThat(failure(auth, typed(null, claims().build())))
                .isEqualTo("claim 'token_use' must be 'access', the token has none");
        assertThat(failure(auth, typed(null, claims().claim("token_use", List.of("access")).build())))
                .isEqualTo("claim 'token_use' must be 'access', was a list");
        assertThat(failure(auth, typed(null, claims().claim("token_use", "ACCESS").build())))
                .as("compared exactly").isEqualTo("claim 'token_use' must be 'access', was 'ACCESS'");
    }

    @Test
    void shouldRefuseBlankTypesAndClaimNamesInTheSettings() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> kinds(List.of(" "), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("jwt.types: a token type must be");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> kinds(null, Map.of("", "x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("jwt.required_claims: claim names must be non-blank");
    }

    // ---- warnings ----

    @Test
    void shouldWarnOfAnHmacSecretInTheJwksByItsKid() {
        assertThat(authenticator(ALL).warnings()).containsExactly("jwt.jwks file 'auth/jwks.json' holds key 'hs1', a"
                + " shared HMAC secret (kty oct): anyone who can read the bundle can sign tokens with it, as any caller"
                + " and tenant; prefer the identity provider's RS256 or ES256 public keys");
        JwtAuthenticator publicKeysOnly = JwtAuthenticator.create(ALL, jwks(rsa.toPublicJWK(), ec256.toPublicJWK()),
                clock);
        assertThat(publicKeysOnly.warnings()).isEmpty();
    }

    // ---- the keys' own exp and nbf ----

    private static ECKey ec256Valid(Instant notBefore, Instant expiresAt) {
        return new ECKey.Builder(ec256).notBeforeTime(notBefore == null ? null : Date.from(notBefore))
                .expirationTime(expiresAt == null ? null : Date.from(expiresAt)).build();
    }

    @Test
    void shouldRefuseTokensOfAKeyPastItsOwnExpAndWarnOfItAtLoad() throws Exception {
        Instant yearAgo = clock.instant().minus(Duration.ofDays(365));
        ECKey retired = ec256Valid(null, yearAgo);
        JwtAuthenticator auth = JwtAuthenticator.create(ALL, jwks(retired.toPublicJWK(), rsa.toPublicJWK()), clock);
        assertThat(auth.warnings()).containsExactly("jwt.jwks file 'auth/jwks.json' holds key 'ec256', which expired"
                + " at " + yearAgo + " (its exp in the JWKS): it verifies no token (the identity provider has retired"
                + " it); remove it from the JWKS");
        assertThat(failure(auth, sign(retired, JWSAlgorithm.ES256, true, claims().build())))
                .isEqualTo("the token's signing key 'ec256' expired at " + yearAgo + " (its exp in the JWKS): the"
                        + " identity provider has retired it; request a new token");
        assertThat(auth.authenticate(sign(claims().build())).succeeded()).as("the other key").isTrue();
    }

    /** The JWKS is a file of the bundle: a key stops working when its exp passes, while the bundle is installed. */
    @Test
    void shouldRefuseAKeyFromTheMomentItsExpPassesEvenForATokenAlreadyVerified() throws Exception {
        Instant keyExp = clock.instant().plusSeconds(100);
        ECKey retiring = ec256Valid(null, keyExp);
        JwtAuthenticator auth = JwtAuthenticator.create(ALL, jwks(retiring.toPublicJWK()), clock);
        assertThat(auth.warnings()).isEmpty();
        String token = sign(retiring, JWSAlgorithm.ES256, true, claims().build()); // valid for 300 s
        assertThat(auth.authenticate(token).succeeded()).isTrue();
        clock.advance(Duration.ofSeconds(100 + 29)); // within the 30 s of clock skew
        assertThat(auth.authenticate(token).succeeded()).isTrue();
        clock.advance(Duration.ofSeconds(1));
        assertThat(failure(auth, token)).startsWith("the token's signing key 'ec256' expired at " + keyExp);
        assertThat(failure(auth, sign(retiring, JWSAlgorithm.ES256, true, claims().build())))
                .startsWith("the token's signing key 'ec256' expired at " + keyExp);
    }

    @Test
    void shouldRefuseTokensOfAKeyBeforeItsOwnNbfAndWarnOfItAtLoad() throws Exception {
        Instant keyNbf = clock.instant().plus(Duration.ofDays(1));
        ECKey next = ec256Valid(keyNbf, null);
        JwtAuthenticator auth = JwtAuthenticator.create(ALL, jwks(next.toPublicJWK()), clock);
        assertThat(auth.warnings()).containsExactly("jwt.jwks file 'auth/jwks.json' holds key 'ec256', which is not"
                + " valid before " + keyNbf + " (its nbf in the JWKS): it verifies no token until then; check the"
                + " key's nbf, or the clock of this service");
        String early = sign(next, JWSAlgorithm.ES256, true, claims().build());
        assertThat(failure(auth, early)).isEqualTo("the token's signing key 'ec256' is not valid before " + keyNbf
                + " (its nbf in the JWKS); retry then, or request a new token");
        clock.set(keyNbf);
        assertThat(auth.authenticate(sign(next, JWSAlgorithm.ES256, true, claims().build())).succeeded()).isTrue();
    }

    // ---- the edges of the validity windows (shared with the bundle's signing keys: Validity) ----

    /** A token is valid from nbf - skew (inclusive) to exp + skew (exclusive), to the nanosecond of the clock. */
    @Test
    void shouldPlaceTheTokensWindowEdgesAtNbfMinusSkewAndExpPlusSkew() throws Exception {
        Instant t0 = clock.instant();
        JwtAuthenticator auth = authenticator(ALL);
        String token = sign(claims().notBeforeTime(Date.from(t0.plusSeconds(100)))
                .expirationTime(Date.from(t0.plusSeconds(200))).build());
        clock.set(t0.plusSeconds(70).minusNanos(1));
        assertThat(failure(auth, token)).startsWith("token not yet valid: not before " + t0.plusSeconds(100) + ";");
        clock.set(t0.plusSeconds(70));
        assertThat(auth.authenticate(token).succeeded()).isTrue();
        clock.set(t0.plusSeconds(230).minusNanos(1));
        assertThat(auth.authenticate(token).succeeded()).isTrue();
        clock.set(t0.plusSeconds(230));
        assertThat(failure(auth, token)).startsWith("token expired at " + t0.plusSeconds(200) + ";");
    }

    /**
     * A token whose exp is not after its nbf is valid at no time, and says so, whatever the clock:
     * before, one inverted by less than twice the skew (nbf 100 s, exp 50 s) was accepted from 70 s
     * to 80 s, and one inverted by more read as not yet valid, then expired.
     */
    @Test
    void shouldRefuseATokenWhoseExpIsNotAfterItsNbfAsNeverValid() throws Exception {
        Instant t0 = clock.instant();
        JwtAuthenticator auth = authenticator(ALL);
        String inverted = sign(claims().notBeforeTime(Date.from(t0.plusSeconds(100)))
                .expirationTime(Date.from(t0.plusSeconds(50))).build());
        String far = sign(claims().notBeforeTime(Date.from(t0.plusSeconds(200)))
                .expirationTime(Date.from(t0.plusSeconds(100))).build());
        for (long at : new long[] {0, 70, 75, 130, 200}) {
            clock.set(t0.plusSeconds(at));
            assertThat(failure(auth, inverted)).as("at %s s", at).isEqualTo("token never valid: its exp ("
                    + t0.plusSeconds(50) + ") is not after its nbf (" + t0.plusSeconds(100) + "); request a new"
                    + " token, and check the service that issued it");
            assertThat(failure(auth, far)).startsWith("token never valid: ");
        }
    }

    /** A JWKS key gets the same edges as a token: valid from nbf - skew, expired from exp + skew. */
    @Test
    void shouldPlaceAKeysWindowEdgesAtNbfMinusSkewAndExpPlusSkew() throws Exception {
        Instant t0 = clock.instant();
        Instant keyNbf = t0.plusSeconds(100);
        Instant keyExp = t0.plusSeconds(200);
        ECKey key = ec256Valid(keyNbf, keyExp);
        JwtAuthenticator auth = JwtAuthenticator.create(ALL, jwks(key.toPublicJWK()), clock);
        String token = sign(key, JWSAlgorithm.ES256, true, claims().expirationTime(Date.from(t0.plusSeconds(1_000)))
                .build());
        clock.set(t0.plusSeconds(70).minusNanos(1));
        assertThat(failure(auth, token)).startsWith("the token's signing key 'ec256' is not valid before " + keyNbf + " ");
        clock.set(t0.plusSeconds(70));
        assertThat(auth.authenticate(token).succeeded()).isTrue();
        clock.set(t0.plusSeconds(230).minusNanos(1));
        assertThat(auth.authenticate(token).succeeded()).isTrue();
        clock.set(t0.plusSeconds(230));
        assertThat(failure(auth, token)).startsWith("the token's signing key 'ec256' expired at " + keyExp + " ");
    }

    /**
     * A JWKS key whose exp is not after its nbf verifies no token at any time, as a token: warned of at
     * load (remove it) and named in each refusal.
     */
    @Test
    void shouldReportAKeyWhoseExpIsNotAfterItsNbfAsNeverValid() throws Exception {
        Instant t0 = clock.instant();
        ECKey key = ec256Valid(t0.plusSeconds(200), t0.plusSeconds(100));
        JwtAuthenticator auth = JwtAuthenticator.create(ALL, jwks(key.toPublicJWK()), clock);
        String never = "is never valid: its exp (" + t0.plusSeconds(100) + ") is not after its nbf ("
                + t0.plusSeconds(200) + ") in the JWKS";
        assertThat(auth.warnings()).containsExactly("jwt.jwks file 'auth/jwks.json' holds key 'ec256', which " + never
                + ": it verifies no token (its exp and nbf leave it no time); remove it from the JWKS, or fix its exp"
                + " and nbf");
        String token = sign(key, JWSAlgorithm.ES256, true, claims().expirationTime(Date.from(t0.plusSeconds(1_000)))
                .build());
        for (long at : new long[] {0, 129, 130, 175, 230}) {
            clock.set(t0.plusSeconds(at));
            assertThat(failure(auth, token)).as("at %s s", at).isEqualTo("the token's signing key 'ec256' " + never
                    + ": it verifies no token; request a new token signed with a valid key");
        }
    }

    // ---- refused tokens ----

    @Test
    void shouldRejectMalformedTokens() throws Exception {
        JwtAuthenticator auth = authenticator(ALL);
        assertThat(failure(auth, "")).isEqualTo("malformed token: empty");
        assertThat(failure(auth, "not-a-jwt")).startsWith("malformed token: not a compact JWS");
        assertThat(failure(auth, "a.b")).startsWith("malformed token: not a compact JWS");
        assertThat(failure(auth, Base64URL.encode("{\"typ\":\"JWT\"}") + ".e30.c2ln"))
                .isEqualTo("malformed token: the header is not a JSON object with an 'alg'");
        assertThat(failure(auth, "%%%.e30.c2ln")).startsWith("malformed token");
        String notClaims = Base64URL.encode("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}") + "." + Base64URL.encode("[1,2]")
                + ".c2ln";
        assertThat(failure(auth, notClaims))
                .isEqualTo("malformed token: the payload is not a JSON object of valid claims");
        String badExp = Base64URL.encode("{\"alg\":\"RS256\"}") + "." + Base64URL.encode("{\"exp\":\"soon\"}")
                + ".c2ln";
        assertThat(failure(auth, badExp))
                .isEqualTo("malformed token: the payload is not a JSON object of valid claims");
    }

    @Test
    void shouldRefuseATokenWithSurroundingWhitespace() throws Exception {
        JwtAuthenticator auth = authenticator(ALL);
        String token = sign(claims().build());
        for (String t : List.of(" " + token, token + "\n", "\n" + token, token + " ", token + "\u2003")) {
            assertThat(failure(auth, t)).isEqualTo(JwtAuthenticator.SURROUNDING_WHITESPACE);
        }
        assertThat(auth.authenticate(token).succeeded()).isTrue();
    }

    @Test
    void shouldRefuseCharactersOtherThanBase64UrlAndDotsInsideAToken() throws Exception {
        // nimbus skips them in the signature: the same token would pass under many spellings
        JwtAuthenticator auth = authenticator(ALL);
        String token = sign(claims().build());
        int inSignature = token.lastIndexOf('.') + 5;
        for (String inner : List.of(" ", "\n", "%", "=")) {
            String t = token.substring(0, inSignature) + inner + token.substring(inSignature);
            assertThat(failure(auth, t)).as(inner).isEqualTo("malformed token: character " + (inSignature + 1)
                    + " is not base64url (A-Z a-z 0-9 - _) or a dot; a compact JWS has no other characters (no spaces,"
                    + " line breaks or '=' padding)");
        }
        assertThat(failure(auth, token + "==")).startsWith("malformed token: character " + (token.length() + 1));
    }

    @Test
    void shouldRejectOverlongTokens() {
        assertThat(failure(authenticator(ALL), "a".repeat(JwtAuthenticator.MAX_TOKEN_CHARS + 1)))
                .isEqualTo("malformed token: longer than 16384 characters");
    }

    @Test
    void shouldRefuseAnOverlongHeaderBeforeParsingIt() throws Exception {
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa1")
                .customParam("pad", "x".repeat(1600)).build();
        SignedJWT jwt = new SignedJWT(header, claims().build());
        jwt.sign(new RSASSASigner(rsa));
        String token = jwt.serialize();
        assertThat(token.indexOf('.')).isGreaterThan(JwtAuthenticator.MAX_HEADER_CHARS);
        assertThat(failure(authenticator(ALL), token)).isEqualTo("malformed token: the header has more than "
                + JwtAuthenticator.MAX_HEADER_CHARS + " characters; a token's header (alg, kid, typ) needs far fewer");
        // at the limit, a header is read as before
        JWSHeader fits = new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa1").customParam("pad", "x".repeat(1400))
                .build();
        SignedJWT near = new SignedJWT(fits, claims().build());
        near.sign(new RSASSASigner(rsa));
        assertThat(near.serialize().indexOf('.')).isLessThanOrEqualTo(JwtAuthenticator.MAX_HEADER_CHARS);
        assertThat(authenticator(ALL).authenticate(near.serialize()).succeeded()).isTrue();
    }

    @Test
    void shouldRejectEncryptedTokens() {
        assertThat(failure(authenticator(ALL), "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"))
                .startsWith("malformed token: an encrypted JWT (JWE) was sent");
    }

    @Test
    void shouldRejectCriticalHeaderParameters() throws Exception {
        JWSHeader h = new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa1").customParam("x-policy", 1)
                .criticalParams(Set.of("x-policy")).build();
        SignedJWT jwt = new SignedJWT(h, claims().build());
        jwt.sign(new RSASSASigner(rsa));
        assertThat(failure(authenticator(ALL), jwt.serialize()))
                .isEqualTo("malformed token: critical header parameters [x-policy] are not supported");
    }

    @Test
    void shouldRejectUnsignedTokens() {
        String token = new PlainJWT(claims().build()).serialize();
        assertThat(failure(authenticator(ALL), token)).startsWith("algorithm 'none' not accepted");
    }

    @Test
    void shouldRejectAlgorithmsNotListed() throws Exception {
        JwtAuthenticator rsOnly = authenticator(settings(List.of("RS256")));
        assertThat(failure(rsOnly, sign(hs, JWSAlgorithm.HS256, true, claims().build())))
                .isEqualTo("algorithm 'HS256' not accepted; accepted: [RS256]");
        assertThat(failure(rsOnly, sign(rsa, JWSAlgorithm.RS512, true, claims().build())))
                .isEqualTo("algorithm 'RS512' not accepted; accepted: [RS256]");
    }

    @Test
    void shouldRejectHmacTokensSignedWithThePublicRsaKey() throws Exception {
        // The classic algorithm-confusion attack: HS256 keyed with the RSA public key, naming the RSA kid.
        byte[] publicKeyAsSecret = rsa.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8);
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa1").build(),
                claims().build());
        jwt.sign(new MACSigner(publicKeyAsSecret));
        assertThat(failure(authenticator(ALL), jwt.serialize())).isEqualTo("key 'rsa1' cannot verify algorithm HS256");
    }

    @Test
    void shouldRejectUnknownKeyId() throws Exception {
        RSAKey stranger = new RSAKeyGenerator(2048).keyID("rsa9").generate();
        assertThat(failure(authenticator(ALL), sign(stranger, JWSAlgorithm.RS256, true, claims().build())))
                .isEqualTo("unknown key id 'rsa9': not one of the identity provider's keys this service trusts; request a "
                        + "new token");
    }

    @Test
    void shouldRejectBadSignatures() throws Exception {
        JwtAuthenticator auth = authenticator(ALL);
        assertThat(failure(auth, sign(impostorRsa, JWSAlgorithm.RS256, true, claims().build())))
                .isEqualTo(JwtAuthenticator.BAD_SIGNATURE);
        assertThat(failure(auth, sign(impostorRsa, JWSAlgorithm.RS256, false, claims().build())))
                .isEqualTo(JwtAuthenticator.BAD_SIGNATURE);
        String good = sign(claims().build());
        String[] parts = good.split("\\.");
        String tampered = parts[0] + "." + sign(claims().subject("mallory").build()).split("\\.")[1] + "." + parts[2];
        assertThat(failure(auth, tampered)).isEqualTo(JwtAuthenticator.BAD_SIGNATURE);
        assertThat(failure(auth, "Bearer " + tampered)).isEqualTo("malformed token: it starts with 'Bearer ': pass the "
                + "token alone (what follows 'Bearer ' in the Authorization header)");
    }

    @Test
    void shouldRefuseOnTheClaimsBeforeCheckingTheSignature() throws Exception {
        // Each of these needs no signature and can only refuse: a forged or replayed token that fails one
        // costs no signature verification, and is told what is wrong with it.
        JwtAuthenticator auth = authenticator(ALL);
        assertThat(failure(auth, sign(impostorRsa, JWSAlgorithm.RS256, true,
                claims().expirationTime(Date.from(clock.instant().minusSeconds(31))).build())))
                .isEqualTo("token expired at 2026-06-01T11:59:29Z; request a new token");
        assertThat(failure(auth, sign(impostorRsa, JWSAlgorithm.RS256, true,
                claims().notBeforeTime(Date.from(clock.instant().plusSeconds(31))).build())))
                .startsWith("token not yet valid: not before 2026-06-01T12:00:31Z");
        assertThat(failure(auth, sign(impostorRsa, JWSAlgorithm.RS256, true, claims().expirationTime(null).build())))
                .isEqualTo("token has no expiry (exp); tokens without exp are not accepted");
        assertThat(failure(auth, sign(impostorRsa, JWSAlgorithm.RS256, true, claims().issuer("https://evil.example")
                .build()))).isEqualTo("wrong issuer 'https://evil.example': not the identity provider this service trusts");
        assertThat(failure(auth, sign(impostorRsa, JWSAlgorithm.RS256, true, claims().audience("crm").build())))
                .isEqualTo("wrong audience [crm]: the token is not for this service; request one for it");
        assertThat(auth.signatureChecks()).isZero();
        // within the clock skew, the signature decides
        assertThat(failure(auth, sign(impostorRsa, JWSAlgorithm.RS256, true,
                claims().expirationTime(Date.from(clock.instant().minusSeconds(29))).build())))
                .isEqualTo(JwtAuthenticator.BAD_SIGNATURE);
        assertThat(auth.signatureChecks()).isEqualTo(1);
    }

    @Test
    void shouldRememberABadSignatureSoThatAReplayCostsNoVerification() throws Exception {
        JwtAuthenticator auth = authenticator(ALL);
        String forged = sign(impostorRsa, JWSAlgorithm.RS256, true, claims().build());
        for (int i = 0; i < 5; i++) {
            assertThat(failure(auth, forged)).isEqualTo(JwtAuthenticator.BAD_SIGNATURE);
        }
        assertThat(auth.signatureChecks()).isEqualTo(1);
        // another forgery is verified once too; a good token is not refused for sharing the cache
        assertThat(failure(auth, sign(impostorRsa, JWSAlgorithm.RS256, true, claims().subject("bob").build())))
                .isEqualTo(JwtAuthenticator.BAD_SIGNATURE);
        assertThat(auth.authenticate(sign(claims().build())).succeeded()).isTrue();
        assertThat(auth.signatureChecks()).isEqualTo(3);
        // remembered for a short while only; the checks that need no signature still come first
        clock.advance(Duration.ofMinutes(JwtAuthenticator.REFUSED_MINUTES).plusSeconds(1));
        assertThat(failure(auth, forged)).isEqualTo(JwtAuthenticator.BAD_SIGNATURE);
        assertThat(auth.signatureChecks()).isEqualTo(4);
        clock.advance(Duration.ofSeconds(300));
        assertThat(failure(auth, forged)).startsWith("token expired at ");
        assertThat(auth.signatureChecks()).isEqualTo(4);
    }

    @Test
    void shouldRejectAlgorithmWithNoFittingKey() throws Exception {
        var s = settings(List.of("RS256", "ES512"));
        JwtAuthenticator auth = JwtAuthenticator.create(s, jwks(rsa.toPublicJWK()), clock);
        ECKey ec521 = new ECKeyGenerator(Curve.P_521).generate();
        assertThat(failure(auth, sign(ec521, JWSAlgorithm.ES512, false, claims().build())))
                .isEqualTo("no key this service trusts can verify algorithm ES512");
    }

    @Test
    void shouldRejectExpiredTokens() throws Exception {
        Instant exp = clock.instant().minusSeconds(31);
        String token = sign(claims().expirationTime(Date.from(exp)).build());
        assertThat(failure(authenticator(ALL), token)).isEqualTo("token expired at 2026-06-01T11:59:29Z; request a new token");
    }

    @Test
    void shouldRejectTokenWithoutExpiry() throws Exception {
        assertThat(failure(authenticator(ALL), sign(claims().expirationTime(null).build())))
                .isEqualTo("token has no expiry (exp); tokens without exp are not accepted");
    }

    @Test
    void shouldRejectTokensNotYetValid() throws Exception {
        String token = sign(claims().notBeforeTime(Date.from(clock.instant().plusSeconds(31))).build());
        assertThat(failure(authenticator(ALL), token))
                .isEqualTo("token not yet valid: not before 2026-06-01T12:00:31Z; retry then, or check the clock of "
                        + "the service that issued it");
    }

    @Test
    void shouldRecheckExpiryOfACachedToken() throws Exception {
        JwtAuthenticator auth = authenticator(ALL);
        String token = sign(claims().build());
        assertThat(auth.authenticate(token).succeeded()).isTrue();
        assertThat(auth.authenticate(token).succeeded()).isTrue();
        clock.advance(Duration.ofSeconds(330));
        assertThat(failure(auth, token)).isEqualTo("token expired at 2026-06-01T12:05:00Z; request a new token");
    }

    @Test
    void shouldRejectWrongIssuer() throws Exception {
        assertThat(failure(authenticator(ALL), sign(claims().issuer("https://evil.example").build())))
                .isEqualTo("wrong issuer 'https://evil.example': not the identity provider this service trusts");
        assertThat(failure(authenticator(ALL), sign(claims().issuer(null).build())))
                .isEqualTo("wrong issuer: token has no iss; request a token from the identity provider this service trusts");
    }

    @Test
    void shouldRejectWrongAudience() throws Exception {
        assertThat(failure(authenticator(ALL), sign(claims().audience(List.of("billing", "crm")).build())))
                .isEqualTo("wrong audience [billing, crm]: the token is not for this service; request one for it");
        assertThat(failure(authenticator(ALL), sign(claims().audience((String) null).build())))
                .isEqualTo("wrong audience []: the token is not for this service; request one for it");
    }

    @Test
    void shouldRejectMissingSubject() throws Exception {
        assertThat(failure(authenticator(ALL), sign(claims().subject(null).build())))
                .isEqualTo("missing subject: claim 'sub' must be a non-blank string, the token has none");
        assertThat(failure(authenticator(ALL), sign(claims().subject(" ").build())))
                .isEqualTo("missing subject: claim 'sub' must be a non-blank string");
    }

    @Test
    void shouldRejectANumericOrReservedSubject() throws Exception {
        assertThat(failure(authenticator(ALL), sign(claims().claim("sub", 42).build())))
                .isEqualTo("missing subject: claim 'sub' must be a non-blank string");
        assertThat(failure(authenticator(ALL), sign(claims().subject("anonymous").build())))
                .isEqualTo("subject 'anonymous' is reserved for requests without credentials; the identity provider "
                        + "must not issue it");
    }

    @Test
    void shouldRejectNamesThatWouldBeAnotherCallerOrUnreadableInTheRecord() throws Exception {
        // "alice " would be a second caller with its own quota; a lone surrogate is written as U+FFFD,
        // so the audit record could not tell such callers apart (the key store refuses the same names)
        JwtAuthenticator auth = authenticator(ALL);
        assertThat(failure(auth, sign(claims().subject("alice ").build())))
                .startsWith("claim 'sub' has leading or trailing whitespace");
        assertThat(failure(auth, sign(claims().subject("alice\u00a0").build())))
                .startsWith("claim 'sub' has leading or trailing whitespace");
        assertThat(failure(auth, sign(claims().subject("al\u0000ice").build())))
                .startsWith("claim 'sub' contains a control character (U+0000 at position 2");
        // a lone surrogate travels as a JSON escape (UTF-8 cannot carry it): written into the payload by hand
        assertThat(failure(auth, withRawSubject("\"X\\ud800\"")))
                .startsWith("claim 'sub' contains a lone UTF-16 surrogate (U+D800 at position 1");
        assertThat(failure(auth, withRawSubject("\"X\\udc00Y\"")))
                .startsWith("claim 'sub' contains a lone UTF-16 surrogate (U+DC00 at position 1");
        assertThat(failure(auth, sign(claims().claim("tenant", " acme").build())))
                .startsWith("claim 'tenant' has leading or trailing whitespace");
        assertThat(failure(auth, sign(claims().claim("roles", List.of("analyst ")).build())))
                .startsWith("claim 'roles': role 'analyst ' has leading or trailing whitespace");
        assertThat(failure(auth, sign(claims().claim("roles", List.of("")).build())))
                .isEqualTo("claim 'roles': role '' is empty");
        assertThat(failure(auth, sign(claims().claim("roles", List.of("x\u001b[31m")).build())))
                .startsWith("claim 'roles': role 'x?[31m' contains a control character");
        // invisible and line-breaking characters: "al<U+200B>ice" would be a caller that reads as alice
        assertThat(failure(auth, sign(claims().subject("al\u200bice").build())))
                .startsWith("claim 'sub' contains an invisible format character (U+200B at position 2");
        assertThat(failure(auth, sign(claims().claim("tenant", "ac\u2028me").build())))
                .startsWith("claim 'tenant' contains a line or paragraph separator (U+2028 at position 2");
        assertThat(failure(auth, sign(claims().claim("roles", List.of("ad\u202emin")).build())))
                .startsWith("claim 'roles': role 'ad?min' contains an invisible format character (U+202E");
        assertThat(failure(auth, withRawSubject("\"al\\u2029ice\"")))
                .startsWith("claim 'sub' contains a line or paragraph separator (U+2029");
        // a pair of surrogates is one character, and a fine name
        assertThat(auth.authenticate(sign(claims().subject("alice\ud83d\ude00").build())).succeeded()).isTrue();
    }

    /** Attribute values as the key store checks an API key's: refused naming the claim, as roles and tenant are. */
    @Test
    void shouldRejectAttributeValuesWithControlFormatOrSeparatorCharacters() throws Exception {
        JwtAuthenticator auth = authenticator(ALL);
        assertThat(failure(auth, sign(claims().claim("team", "r\u0000ed").build())))
                .isEqualTo("claim 'team' contains a control character (U+0000 at position 1, 'r?ed'): remove it");
        assertThat(failure(auth, sign(claims().claim("team", "r\u001fed").build())))
                .startsWith("claim 'team' contains a control character (U+001F at position 1");
        assertThat(failure(auth, sign(claims().claim("team", "red\u200b").build())))
                .startsWith("claim 'team' contains an invisible format character (U+200B at position 3");
        assertThat(failure(auth, sign(claims().claim("team", "\u202eder").build())))
                .startsWith("claim 'team' contains an invisible format character (U+202E at position 0");
        assertThat(failure(auth, sign(claims().claim("team", "re\u2028d").build())))
                .startsWith("claim 'team' contains a line or paragraph separator (U+2028 at position 2");
        assertThat(failure(auth, sign(claims().claim("team", " red").build())))
                .startsWith("claim 'team' has leading or trailing whitespace");
        String loneSurrogate = claims().claim("team", "TEAM-HERE").build().toString().replace("\"TEAM-HERE\"",
                "\"r\\ud800ed\"");
        com.nimbusds.jose.JWSObject o = new com.nimbusds.jose.JWSObject(
                new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(rsa.getKeyID()).build(),
                new com.nimbusds.jose.Payload(loneSurrogate));
        o.sign(new RSASSASigner(rsa));
        assertThat(failure(auth, o.serialize()))
                .startsWith("claim 'team' contains a lone UTF-16 surrogate (U+D800 at position 1");
        // an empty value is a value (as in the key store); a pair of surrogates is one character
        for (String fine : List.of("", "red\ud83d\ude00", "r\u00e9d")) {
            AuthResult r = auth.authenticate(sign(claims().claim("team", fine).build()));
            assertThat(r.succeeded()).as("%s: %s", fine, r).isTrue();
            assertThat(((AuthResult.Success) r).caller().attributes()).containsEntry("team", fine);
        }
    }

    /** A token of {@link #claims()} whose {@code sub} is the JSON text {@code json}, as written. */
    private String withRawSubject(String json) throws JOSEException {
        String payload = claims().subject("SUBJECT-HERE").build().toString().replace("\"SUBJECT-HERE\"", json);
        com.nimbusds.jose.JWSObject o = new com.nimbusds.jose.JWSObject(
                new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(rsa.getKeyID()).build(),
                new com.nimbusds.jose.Payload(payload));
        o.sign(new RSASSASigner(rsa));
        return o.serialize();
    }

    @Test
    void shouldNotLetLineSeparatorsOrBidiOverridesIntoMessages() throws Exception {
        JwtAuthenticator auth = authenticator(ALL);
        String kid = "x\u2028ERROR forged line\u2029\u0085\u202edetalia\u200b";
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).build(), claims().build());
        jwt.sign(new RSASSASigner(rsa));
        String message = failure(auth, jwt.serialize());
        assertThat(message).startsWith("unknown key id 'x?ERROR forged line???detalia?'");
        assertThat(message.split("\\R")).hasSize(1);
    }

    @Test
    void shouldNameAnEmptySignatureAndTimesOutOfRange() throws Exception {
        String token = sign(claims().build());
        assertThat(failure(authenticator(ALL), token.substring(0, token.lastIndexOf('.') + 1)))
                .isEqualTo("malformed token: the signature is empty");
        String range = "malformed token: exp and nbf must be numbers of seconds since the epoch, from 0 to "
                + "253402300799 (the year 9999)";
        // Long.MAX_VALUE seconds overflows a Date in milliseconds: it read as 1969, 'expired'
        assertThat(failure(authenticator(ALL), sign(claims().claim("exp", Long.MAX_VALUE).build()))).isEqualTo(range);
        assertThat(failure(authenticator(ALL), sign(claims().claim("nbf", -5L).build()))).isEqualTo(range);
    }

    @Test
    void shouldRejectWronglyTypedClaims() throws Exception {
        JwtAuthenticator auth = authenticator(ALL);
        assertThat(failure(auth, sign(claims().claim("roles", 7).build())))
                .isEqualTo("claim 'roles' must be a list of strings or a space-separated string, was a number");
        assertThat(failure(auth, sign(claims().claim("roles", List.of("a", 1)).build())))
                .isEqualTo("claim 'roles' must be a list of strings or a space-separated string; it holds a number");
        assertThat(failure(auth, sign(claims().claim("tenant", List.of("a")).build())))
                .isEqualTo("claim 'tenant' must be a string, was a list");
        assertThat(failure(auth, sign(claims().claim("groups", Map.of("a", "b")).build())))
                .isEqualTo("claim 'groups' must be a string, number or boolean, was an object");
    }

    // ---- loading the JWKS ----

    private PolicyLoadException loadError(GuardSettings.Jwt s, byte[] jwks) {
        try {
            JwtAuthenticator.create(s, jwks, clock);
        } catch (PolicyLoadException e) {
            assertThat(e.errors()).allSatisfy(err -> assertThat(err.file()).isEqualTo(JWKS_FILE));
            return e;
        }
        throw new AssertionError("expected a PolicyLoadException");
    }

    @Test
    void shouldRejectJwksThatDoesNotParse() {
        assertThat(loadError(ALL, "not json".getBytes(StandardCharsets.UTF_8)).getMessage())
                .contains("auth/jwks.json:1:1: not a valid JWKS ({\"keys\": [...]}): invalid JSON here");
        // valid JSON, but a key nimbus cannot read: the error points at that key
        assertThat(loadError(ALL, "{\"keys\": [{\"kty\": \"RSA\"}]}".getBytes(StandardCharsets.UTF_8)).getMessage())
                .contains("auth/jwks.json:1:11: not a valid JWKS ({\"keys\": [...]}): Invalid JWK at position 0");
    }

    @Test
    void shouldNotRepeatTheTextOfAMalformedJwksWhichMayBeASecret() {
        String secret = "dQghQp3PYfQQQjq0SGViIYzvuMQAk7duR7g_C5WMwEw";
        String text = "{\"keys\": [\n  {\"kty\": \"oct\", \"kid\": \"hs-1\", \"alg\": \"HS256\",\n   \"k\": "
                + secret + "}\n]}";
        PolicyLoadException e = loadError(ALL, text.getBytes(StandardCharsets.UTF_8));

        assertThat(e.getMessage()).contains("auth/jwks.json:3:9: not a valid JWKS ({\"keys\": [...]}): invalid JSON here")
                .doesNotContain(secret.substring(0, 8));
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain(secret.substring(0, 8));
        }
    }

    @Test
    void shouldRejectAnOctetKeyPairPrivateKeyInTheJwks() {
        String x = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]);
        String d = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[] {1, 2, 3, 4, 5, 6, 7, 8,
            9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32});
        String text = "{\"keys\": [" + ec256.toPublicJWK().toJSONString() + ",\n {\"kty\": \"OKP\", \"crv\": \"Ed25519\","
                + " \"kid\": \"ed\", \"x\": \"" + x + "\", \"d\": \"" + d + "\"}]}";

        assertThat(loadError(ALL, text.getBytes(StandardCharsets.UTF_8)).getMessage())
                .contains("key 'ed': holds private key material");
    }

    @Test
    void shouldRejectJwksWithoutKeys() {
        assertThat(loadError(ALL, "{\"keys\": []}".getBytes(StandardCharsets.UTF_8)).getMessage())
                .contains("no usable key for the accepted algorithms").contains("the JWKS has no keys");
    }

    @Test
    void shouldRejectPrivateKeysInTheJwks() {
        assertThat(loadError(ALL, jwks(rsa)).getMessage()).contains("key 'rsa1': holds private key material");
        assertThat(loadError(ALL, jwks(ec256)).getMessage()).contains("key 'ec256': holds private key material");
    }

    @Test
    void placesAKeysErrorByItsEntryInTheFileEvenAfterAKeyNimbusLeavesOut() {
        String text = "{\"keys\": [\n  {\"kty\": \"OKP-FOO\"},\n  " + ec256.toJSONString() + "\n]}";
        assertThat(loadError(ALL, text.getBytes(StandardCharsets.UTF_8)).getMessage())
                .contains("auth/jwks.json:3:3: ").contains("key 'ec256': holds private key material");
    }

    @Test
    void shouldRejectDuplicateKeyIds() {
        assertThat(loadError(ALL, jwks(rsa.toPublicJWK(), impostorRsa.toPublicJWK())).getMessage())
                .contains("key 'rsa1': duplicate kid");
    }

    @Test
    void shouldRejectJwksWithNoKeyForTheAcceptedAlgorithms() throws Exception {
        assertThat(loadError(settings(List.of("ES384")), jwks(ec256.toPublicJWK())).getMessage())
                .contains("no usable key for the accepted algorithms [ES384]")
                .contains("key 'ec256' fits no accepted algorithm (ES384: curve P-256 does not fit)");
        OctetSequenceKey short256 = new OctetSequenceKeyGenerator(256).keyID("hs256").generate();
        assertThat(loadError(settings(List.of("HS512")), jwks(short256)).getMessage())
                .contains("HS512: secret has 256 bits, needs at least 512");
        RSAKey weak = new RSAKeyGenerator(1024, true).keyID("weak").generate();
        assertThat(loadError(settings(List.of("RS256")), jwks(weak.toPublicJWK())).getMessage())
                .contains("RS256: RSA key has 1024 bits, needs at least 2048");
        // The same modulus in 256 octets (leading zeros) is still 1024 bits, though JWK.size() says 2048
        byte[] n = weak.getModulus().decode();
        byte[] padded = new byte[256];
        System.arraycopy(n, 0, padded, 256 - n.length, n.length);
        RSAKey paddedWeak = new RSAKey.Builder(Base64URL.encode(padded), weak.getPublicExponent()).keyID("weak")
                .build();
        assertThat(paddedWeak.size()).isEqualTo(2048);
        assertThat(loadError(settings(List.of("RS256")), jwks(paddedWeak)).getMessage())
                .contains("RS256: RSA key has 1024 bits, needs at least 2048");
        RSAKey encryption = new RSAKey.Builder(rsa.toPublicJWK()).keyUse(KeyUse.ENCRYPTION).build();
        assertThat(loadError(settings(List.of("RS256")), jwks(encryption)).getMessage())
                .contains("key 'rsa1' has use 'enc', not 'sig'");
        RSAKey forRs512 = new RSAKey.Builder(rsa.toPublicJWK()).algorithm(JWSAlgorithm.RS512).build();
        assertThat(loadError(settings(List.of("RS256")), jwks(forRs512)).getMessage())
                .contains("RS256: key is for RS512");
        assertThat(loadError(settings(List.of("ES256")), jwks(hs)).getMessage()).contains("ES256: needs kty EC");
    }

    @Test
    void shouldIgnoreUnusableKeysBesideUsableOnes() throws Exception {
        RSAKey encryption = new RSAKey.Builder(impostorRsa.toPublicJWK()).keyID("enc1").keyUse(KeyUse.ENCRYPTION)
                .build();
        JwtAuthenticator auth = JwtAuthenticator.create(ALL, jwks(encryption, rsa.toPublicJWK()), clock);
        assertThat(auth.authenticate(sign(claims().build())).succeeded()).isTrue();
        assertThat(failure(auth, sign(impostorRsa, JWSAlgorithm.RS256, false, claims().build())))
                .isEqualTo(JwtAuthenticator.BAD_SIGNATURE);
        assertThat(auth.jwksFile()).isEqualTo(JWKS_FILE);
    }

    @Test
    void shouldNeverAcceptATokenWithOneCharacterChanged() throws Exception {
        JwtAuthenticator auth = authenticator(ALL);
        String token = sign(hs, JWSAlgorithm.HS256, true, claims().build());
        int signatureStart = token.lastIndexOf('.') + 1;
        byte[] signature = Base64URL.from(token.substring(signatureStart)).decode();
        int accepted = 0;
        for (int i = 0; i < token.length(); i++) {
            if (token.charAt(i) == '.') {
                continue;
            }
            String changed = token.substring(0, i) + (token.charAt(i) == 'A' ? 'B' : 'A') + token.substring(i + 1);
            if (auth.authenticate(changed).succeeded()) {
                // Only the unused low bits of the signature's last base64url character may change harmlessly:
                // the header and payload are signed as text, and the signature bytes must stay the same.
                assertThat(i).as("position %d", i).isEqualTo(token.length() - 1);
                assertThat(Base64URL.from(changed.substring(signatureStart)).decode()).isEqualTo(signature);
                accepted++;
            }
        }
        assertThat(accepted).isLessThanOrEqualTo(1);
    }
}
