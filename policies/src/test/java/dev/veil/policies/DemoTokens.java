package dev.veil.policies;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.veil.policies.tools.DemoCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

/** Signs JWTs with the image-classifier bundle's demo private key (test resources only). */
final class DemoTokens {
    static final String ISSUER = "https://login.example.com/";
    static final String AUDIENCE = "image-classifier";

    private DemoTokens() {}

    static ECKey privateKey() {
        ClassLoader loader = DemoTokens.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(DemoCredentials.PRIVATE_JWK_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the demo signing key " + DemoCredentials.PRIVATE_JWK_RESOURCE
                        + " is not on the test class path; rerun DemoCredentials (policies/README.md)");
            }
            return ECKey.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException | ParseException e) {
            throw new IllegalStateException("cannot read the demo signing key", e);
        }
    }

    /**
     * A token for {@code subject} with the given roles, tenant and attribute claims, valid from
     * {@code now} for {@code ttl}, signed with {@code key}.
     */
    static String sign(ECKey key, String issuer, String subject, List<String> roles, String tenant,
            Map<String, String> attributes, Instant now, Duration ttl) {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .audience(AUDIENCE)
                .subject(subject)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .claim("roles", roles)
                .claim("tenant", tenant);
        attributes.forEach(claims::claim);
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(),
                claims.build());
        try {
            jwt.sign(new ECDSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign the demo token", e);
        }
        return jwt.serialize();
    }

    /** A demo token with the bundle's issuer, signed with the demo key. */
    static String sign(String subject, List<String> roles, String tenant, Map<String, String> attributes, Instant now) {
        return sign(privateKey(), ISSUER, subject, roles, tenant, attributes, now, Duration.ofMinutes(15));
    }
}
