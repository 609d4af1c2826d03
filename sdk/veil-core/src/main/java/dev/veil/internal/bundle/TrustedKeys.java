package dev.veil.internal.bundle;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.veil.PolicyLoadException;
import dev.veil.internal.access.JwtAuthenticator;
import dev.veil.internal.io.FileErrors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.Map;
import java.util.Objects;

/**
 * Reads the keys a signed bundle is verified against: a JWK Set file ({@code {"keys": [...]}}) or
 * a file holding a single JWK. RSA and EC keys must be public: a private key in a trusted-keys
 * file means the signing key is being handed out with the bundle, so it is refused. Shared
 * secrets ({@code oct} keys, for HS256/384/512) are accepted as they are. A key's validity period
 * (JWK {@code exp} and {@code nbf}, kept as read) is checked against the system clock, with the
 * JWT path's default tolerance of 30 s, when a
 * signature made with it is verified ({@link BundleVerifier}), not here, so an expired key may stay
 * in the file during a rotation. Stateless.
 */
public final class TrustedKeys {
    private TrustedKeys() {}

    /**
     * Reads and checks a trusted-keys file.
     *
     * @throws PolicyLoadException on the file when it cannot be read, is larger than a bundle file may
     *     be ({@link BundleLimits#DEFAULTS}, 16 MiB), is not a JWK or JWK Set,
     *     holds no key, or holds a private RSA or EC key
     */
    public static JWKSet read(Path file) {
        Objects.requireNonNull(file, "file");
        String where = file.toString();
        String json;
        long cap = BundleLimits.DEFAULTS.maxFileBytes();
        try {
            byte[] bytes = CappedFiles.read(file, cap);
            if (bytes == null) {
                // a JWK Set is a few kilobytes; reading a huge file whole would run out of memory
                throw PolicyLoadException.of(where, "trusted keys: the file is " + Files.size(file)
                        + " bytes, more than the " + EntryCollector.describe(cap) + " a trusted-keys file may hold (a bundle file's limit); "
                        + "give the JWK Set file");
            }
            json = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (NoSuchFileException e) {
            throw PolicyLoadException.of(where, "trusted keys: no such file");
        } catch (IOException e) {
            throw PolicyLoadException.of(where, "trusted keys: cannot be read: " + FileErrors.reason(e));
        }
        return parse(json, where);
    }

    /** Parses trusted keys from JSON text; {@code where} names the source in messages. */
    static JWKSet parse(String json, String where) {
        JWKSet set;
        try {
            Map<String, Object> object = JSONObjectUtils.parse(json);
            if (object == null) { // the JSON text null
                throw new ParseException("the file holds null", 0);
            }
            set = object.containsKey("keys") ? JWKSet.parse(object) : new JWKSet(JWK.parse(object));
        } catch (ParseException e) {
            throw PolicyLoadException.of(where, "trusted keys: not a JWK Set ({\"keys\": [...]}) or a JWK: "
                    + e.getMessage());
        }
        if (set.getKeys().isEmpty()) {
            throw PolicyLoadException.of(where, "trusted keys: the key set holds no key");
        }
        java.util.Set<String> kids = new java.util.HashSet<>();
        for (JWK key : set.getKeys()) {
            String name = "trusted keys: key" + (key.getKeyID() == null ? "" : " '" + key.getKeyID() + "'");
            if (key.isPrivate() && !KeyType.OCT.equals(key.getKeyType())) {
                throw PolicyLoadException.of(where, name + " is a private key; give only the public key (the"
                        + " private key signs, with `veil bundle sign`, and must stay with the signer)");
            }
            // as for a bundle's JWKS (JwtAuthenticator): a key the verifier would never choose, or
            // should not trust, is refused rather than silently left aside
            if (key.getKeyID() != null && !kids.add(key.getKeyID())) {
                throw PolicyLoadException.of(where, name + ": duplicate kid; every trusted key needs its own kid"
                        + " (only the first would ever be tried)");
            }
            if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
                throw PolicyLoadException.of(where, name + " has use '" + key.getKeyUse().identifier()
                        + "', not 'sig'");
            }
            if (key.getKeyOperations() != null && !key.getKeyOperations().contains(KeyOperation.VERIFY)) {
                throw PolicyLoadException.of(where, name + " has key_ops without 'verify'");
            }
            if (key.getKeyRevocation() != null) {
                throw PolicyLoadException.of(where, name + " is revoked");
            }
            // JWK.parse gives an RSAKey for every kty "RSA" (and an RSAKey's type is always RSA)
            if (key instanceof RSAKey rsa && JwtAuthenticator.rsaBits(rsa) < JwtAuthenticator.MIN_RSA_BITS) {
                throw PolicyLoadException.of(where, name + " is an RSA key of " + JwtAuthenticator.rsaBits(rsa)
                        + " bits; at least " + JwtAuthenticator.MIN_RSA_BITS + " are needed");
            }
        }
        return set;
    }
}
