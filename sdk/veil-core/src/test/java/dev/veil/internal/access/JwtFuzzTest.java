package dev.veil.internal.access;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.util.Base64URL;
import dev.veil.spi.GuardSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes bearer-token authentication, the one parser that reads what any caller sends: whatever
 * the token, {@link JwtAuthenticator#authenticate} answers with an {@link AuthResult} (a refusal is
 * data), never an exception. Tokens come in two forms, chosen by the first byte:
 *
 * <ul>
 *   <li>any string, as an attacker sends it;
 *   <li>a header and a payload of fuzzed bytes, correctly signed with the test's HS256 key, so that
 *       the checks after the signature (claims parsing, {@code iss}, {@code aud}, {@code exp},
 *       {@code nbf}, roles, tenant, attributes) see arbitrary payloads, as from an issuer that signs
 *       something odd.
 * </ul>
 *
 * <p>A token accepted must name a caller that the issuer's claims name: a non-blank id.
 *
 * <p>A normal build runs the regression corpus in
 * {@code src/test/resources/dev/veil/internal/access/JwtFuzzTestInputs/token/}. To fuzz:
 * {@code JAZZER_FUZZ=1 mvn -pl sdk/veil-core test -Dtest=JwtFuzzTest -Djacoco.skip=true -Djazzer.hooks=true};
 * a failing input is written to that directory and becomes a regression case.
 */
class JwtFuzzTest {
    static final String ISSUER = "https://idp.example";
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final JwtAuthenticator AUTH = JwtAuthenticator.create(
            new GuardSettings.Jwt(ISSUER, List.of("veil-api"), "auth/jwks.json", List.of("HS256"), null, null, null,
                    List.of("team", "level"), 30),
            new JWKSet(new OctetSequenceKey.Builder(SECRET).keyID("hs1").build()).toString(false)
                    .getBytes(StandardCharsets.UTF_8),
            TestClock.at("2026-06-01T12:00:00Z"));

    @FuzzTest(maxDuration = "2m")
    void token(FuzzedDataProvider data) throws GeneralSecurityException {
        String token;
        if (data.consumeBoolean()) {
            token = data.consumeRemainingAsString();
        } else {
            byte[] header = data.consumeBytes(data.consumeInt(0, 200));
            byte[] payload = data.consumeRemainingAsBytes();
            token = signed(header, payload);
        }
        AuthResult result = AUTH.authenticate(token);
        assertThat(result).isNotNull();
        if (result instanceof AuthResult.Success s) {
            assertThat(s.caller().id()).isNotBlank();
        } else {
            assertThat(((AuthResult.Failure) result).message()).isNotBlank();
        }
    }

    /** The seeds mean what their names say: the fuzzer starts from a token that gets through. */
    @Test
    void signedSeedsReachTheClaimChecks() throws Exception {
        assertThat(AUTH.authenticate(signed(seed("signed-valid")))).isInstanceOfSatisfying(AuthResult.Success.class,
                s -> assertThat(s.caller().id()).isEqualTo("alice"));
        assertThat(AUTH.authenticate(signed(seed("signed-expired")))).isInstanceOfSatisfying(AuthResult.Failure.class,
                f -> assertThat(f.message()).contains("expired"));
    }

    /** The header and payload of a signed seed (its layout: header, payload, header length, 0). */
    private static byte[][] seed(String name) throws IOException {
        try (InputStream in = JwtFuzzTest.class.getResourceAsStream("JwtFuzzTestInputs/token/" + name)) {
            byte[] b = in.readAllBytes();
            int headerLength = b[b.length - 2] & 0xff;
            return new byte[][] {Arrays.copyOfRange(b, 0, headerLength), Arrays.copyOfRange(b, headerLength, b.length - 2)};
        }
    }

    private static String signed(byte[][] parts) throws GeneralSecurityException {
        return signed(parts[0], parts[1]);
    }

    /** {@code header.payload.signature} with an HS256 signature by the test's key. */
    static String signed(byte[] header, byte[] payload) throws GeneralSecurityException {
        String input = Base64URL.encode(header) + "." + Base64URL.encode(payload);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
        return input + "." + Base64URL.encode(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    }
}
