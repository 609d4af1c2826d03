package dev.veil.internal.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.strings;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.veil.PolicyLoadException;
import dev.veil.spi.GuardSettings;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every loader input either loads or fails with a PolicyLoadException; every token is refused as data. */
class ParsersFailOneWayTest {
    private static final GuardSettings.Jwt JWT = new GuardSettings.Jwt("https://idp.example", List.of("veil-api"),
            "auth/jwks.json", List.of("ES256", "HS256"), null, null, null, null, 30);
    private final TestClock clock = TestClock.at("2026-06-01T12:00:00Z");

    private static String mutate(String text, int position, int codePoint) {
        int p = position % text.length();
        return text.substring(0, p) + new String(Character.toChars(codePoint)) + text.substring(p + 1);
    }

    private static boolean loadsOrFailsAsPolicyError(Runnable load) {
        try {
            load.run();
            return true;
        } catch (PolicyLoadException e) {
            return !e.errors().isEmpty();
        }
    }

    @Test
    void keyFilesEitherLoadOrFailWithAPolicyLoadException() throws Exception {
        var issued = ApiKeyStore.issue("alice", List.of("a"), "t", Map.of("k", "v"), null, new SecureRandom());
        String valid = new ObjectMapper().writeValueAsString(Map.of("keys", List.of(issued.entry())));
        qt().withExamples(1000)
                .forAll(integers().between(0, 10_000), integers().between(0x20, 0x7e))
                .check((pos, c) -> loadsOrFailsAsPolicyError(() -> ApiKeyStore.parse(
                        mutate(valid, pos, c).getBytes(StandardCharsets.UTF_8), "keys.json", clock)));
        qt().withExamples(500).forAll(strings().allPossible().ofLengthBetween(0, 60))
                .check(s -> loadsOrFailsAsPolicyError(() -> ApiKeyStore.parse(
                        s.getBytes(StandardCharsets.UTF_8), "keys.json", clock)));
    }

    @Test
    void jwksFilesEitherLoadOrFailWithAPolicyLoadException() throws Exception {
        String valid = new JWKSet(new ECKeyGenerator(Curve.P_256).keyID("e").generate().toPublicJWK()).toString();
        qt().withExamples(1000)
                .forAll(integers().between(0, 10_000), integers().between(0x20, 0x7e))
                .check((pos, c) -> loadsOrFailsAsPolicyError(() -> JwtAuthenticator.create(
                        JWT, mutate(valid, pos, c).getBytes(StandardCharsets.UTF_8), clock)));
    }

    @Test
    void randomTokensAreRefusedWithoutAnException() throws Exception {
        String jwks = new JWKSet(new ECKeyGenerator(Curve.P_256).keyID("e").generate().toPublicJWK()).toString();
        JwtAuthenticator auth = JwtAuthenticator.create(JWT, jwks.getBytes(StandardCharsets.UTF_8), clock);
        qt().withExamples(1000)
                .forAll(strings().allPossible().ofLengthBetween(0, 200))
                .checkAssert(s -> assertThat(auth.authenticate(s)).isInstanceOf(AuthResult.Failure.class));
        qt().withExamples(1000)
                .forAll(strings().betweenCodePoints('-', 'z').ofLengthBetween(0, 40),
                        strings().betweenCodePoints('-', 'z').ofLengthBetween(0, 40))
                .checkAssert((h, p) -> assertThat(auth.authenticate("eyJhbGciOiJFUzI1NiJ9." + h + "." + p))
                        .isInstanceOf(AuthResult.Failure.class));
    }
}
