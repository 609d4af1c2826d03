package dev.veil.internal.bundle;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.Header;
import com.nimbusds.jose.JOSEObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.PlainHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.internal.access.JwtAuthenticator;
import dev.veil.internal.access.Validity;
import dev.veil.spi.Bundle;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Verifies a bundle's OPA-format signature ({@code .signatures.json}, see {@link BundleSigner}).
 *
 * <p>Verification succeeds only when all of this holds, else it throws a
 * {@link PolicyLoadException} on {@code .signatures.json} whose message starts with the kind of
 * failure:
 * <ul>
 *   <li>{@code missing signature}: there is no {@code .signatures.json}, or it holds no JWS (when
 *       the bundle's entries all lie in a folder holding one, the message says so and how to pack
 *       or load the bundle instead);
 *   <li>{@code bad signature}: the file or the JWS is malformed, there is more than one JWS, the
 *       key cannot be found, does not fit, has expired or is not valid yet (its JWK {@code exp} and
 *       {@code nbf}, against the system clock at verification, with
 *       {@value #CLOCK_SKEW_SECONDS} s of tolerance, as a JWT's), the signature does
 *       not verify, or the scope differs;
 *   <li>{@code unsupported algorithm}: a JWS algorithm outside HS/RS/PS/ES 256/384/512 ({@code none}
 *       included), or a
 *       file hash algorithm other than SHA-224/256/384/512 (MD5 and SHA-1 are refused);
 *   <li>{@code file list mismatch}: a bundle file the signature does not list, or a listed file
 *       the bundle lacks (one error per file, naming it);
 *   <li>{@code hash mismatch}: a file whose hash differs (one error per file, naming it).
 * </ul>
 * The key is chosen by the JWS header's {@code kid}, else the payload's deprecated {@code keyid};
 * a signature that names no key verifies only against a key set holding exactly one key. A key
 * whose JWK {@code alg} is set must match the signature's algorithm.
 *
 * <p>Stateless and thread-safe.
 */
public final class BundleVerifier {
    private static final String FILE = EntryCollector.SIGNATURES;
    private static final Set<String> SIGNATURES_KEYS = Set.of("signatures", "plugin");

    private BundleVerifier() {}

    /** Verifies against a key set, expecting no scope. */
    public static BundleSignature verify(Bundle bundle, JWKSet keys) {
        return verify(bundle, keys, "");
    }

    /** Verifies against one key (an RSA or EC public key, or an oct shared secret), expecting no scope. */
    public static BundleSignature verify(Bundle bundle, JWK key) {
        return verify(bundle, new JWKSet(Objects.requireNonNull(key, "key")), "");
    }

    /** Verifies against an RSA or EC public key, expecting no scope; the signature's key id is not checked. */
    public static BundleSignature verify(Bundle bundle, PublicKey key) {
        Objects.requireNonNull(key, "key");
        JWK jwk;
        if (key instanceof RSAPublicKey rsa) {
            jwk = new RSAKey.Builder(rsa).build();
        } else if (key instanceof ECPublicKey ec) {
            Curve curve = Curve.forECParameterSpec(ec.getParams());
            if (curve == null) {
                throw new IllegalArgumentException("key must be on P-256, P-384 or P-521, was another curve");
            }
            jwk = new ECKey.Builder(curve, ec).build();
        } else {
            throw new IllegalArgumentException("key must be an RSA or EC public key, was " + key.getAlgorithm());
        }
        return verify(bundle, new JWKSet(jwk), "", true);
    }

    /**
     * Verifies the bundle's signature.
     *
     * @param keys the verification keys (public keys, or shared secrets for HS algorithms)
     * @param scope the scope the signature must carry ({@code ""} for none), as OPA's
     *     {@code scope} setting
     * @return what was verified
     * @throws PolicyLoadException when the signature is missing or does not verify (see the class comment)
     */
    public static BundleSignature verify(Bundle bundle, JWKSet keys, String scope) {
        return verify(bundle, keys, scope, false);
    }

    private static BundleSignature verify(Bundle bundle, JWKSet keys, String scope, boolean ignoreKeyId) {
        Objects.requireNonNull(bundle, "bundle");
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(scope, "scope");
        if (!bundle.files().contains(FILE)) {
            // (one packed a folder down, with its signature there, does not load: BundleLoader says so)
            throw fail("missing signature: the bundle has no .signatures.json; sign it with `veil bundle sign`");
        }
        String token = readToken(bundle.read(FILE));
        JWSObject jws;
        try {
            jws = JWSObject.parse(token);
        } catch (ParseException e) {
            if (isUnsecured(token)) {
                throw fail("unsupported algorithm: the signature uses alg none (an unsecured JWS, which anyone can"
                        + " make), which is always refused; accepted: " + JwsAlgorithms.SUPPORTED);
            }
            throw fail("bad signature: the signature is not a compact JWS (" + e.getMessage() + ")");
        }
        String alg = jws.getHeader().getAlgorithm().getName();
        if (!JwsAlgorithms.isSupported(alg)) {
            throw fail("unsupported algorithm: the signature uses " + alg + "; accepted: " + JwsAlgorithms.SUPPORTED);
        }
        Map<?, ?> payload = parsePayload(jws);
        String keyId = jws.getHeader().getKeyID();
        if (keyId == null || keyId.isEmpty()) {
            Object legacy = payload.get("keyid");
            keyId = legacy instanceof String s && !s.isEmpty() ? s : null;
        }
        JWK key = selectKey(keys, ignoreKeyId ? null : keyId);
        checkValidNow(key, Instant.now());
        JWSAlgorithm algorithm = jws.getHeader().getAlgorithm();
        String problem = JwsAlgorithms.keyProblem(key, algorithm, false);
        if (problem != null) {
            throw fail("bad signature: " + problem);
        }
        boolean valid;
        try {
            valid = jws.verify(JwsAlgorithms.verifier(key, algorithm));
        } catch (JOSEException e) {
            throw fail("bad signature: cannot verify with key" + describe(key) + ": " + e.getMessage());
        }
        if (!valid) {
            throw fail("bad signature: the JWS does not verify with key" + describe(key)
                    + "; the signature or .signatures.json was changed, or it was made with another key");
        }
        Object signedScope = payload.containsKey("scope") ? payload.get("scope") : "";
        if (!scope.equals(signedScope)) {
            throw fail("bad signature: scope mismatch: the signature has scope " + render(signedScope)
                    + " but " + render(scope) + " is required");
        }
        Map<String, Map<?, ?>> listed = listedFiles(payload);
        checkFiles(bundle, listed);
        return new BundleSignature(keyId, alg, scope, new ArrayList<>(listed.keySet()));
    }

    /** Whether the token's header says {@code "alg": "none"} (an unsecured JOSE object, not a JWS). */
    private static boolean isUnsecured(String token) {
        try {
            return Header.parse(JOSEObject.split(token)[0]) instanceof PlainHeader;
        } catch (ParseException e) {
            return false;
        }
    }

    private static String readToken(byte[] bytes) {
        DocumentParser.Document doc;
        try {
            doc = DocumentParser.parse(bytes, DocumentParser.Format.JSON, FILE);
        } catch (PolicyLoadException e) {
            PolicyError first = e.errors().get(0);
            throw new PolicyLoadException(new PolicyError(FILE, first.line(), first.column(),
                    "bad signature: .signatures.json is not valid JSON: " + first.message()));
        }
        if (!(doc.value() instanceof Map<?, ?> map)) {
            throw fail("bad signature: .signatures.json must be an object {\"signatures\": [\"<JWS>\"]}");
        }
        for (Object key : map.keySet()) {
            if (!SIGNATURES_KEYS.contains(key)) {
                throw fail("bad signature: unknown key '" + key + "' in .signatures.json");
            }
        }
        Object plugin = map.get("plugin");
        if (plugin != null && !"".equals(plugin)) {
            throw fail("bad signature: signature plugin " + render(plugin) + " is not supported");
        }
        Object signatures = map.get("signatures");
        if (signatures == null || (signatures instanceof List<?> l && l.isEmpty())) {
            throw fail("missing signature: .signatures.json holds no JWS (expected exactly one)");
        }
        if (!(signatures instanceof List<?> list) || !(list.get(0) instanceof String)) {
            throw fail("bad signature: 'signatures' must be a list holding one JWS string");
        }
        if (list.size() > 1) {
            throw fail("bad signature: .signatures.json holds " + list.size() + " JWS; exactly one is supported");
        }
        return (String) list.get(0);
    }

    private static Map<?, ?> parsePayload(JWSObject jws) {
        byte[] bytes = jws.getPayload().toBytes();
        try {
            Object value = DocumentParser.parse(bytes, DocumentParser.Format.JSON, FILE).value();
            if (value instanceof Map<?, ?> map) {
                return map;
            }
        } catch (PolicyLoadException e) {
            throw fail("bad signature: the JWS payload is not valid JSON");
        }
        throw fail("bad signature: the JWS payload must be a JSON object");
    }

    private static JWK selectKey(JWKSet keys, String keyId) {
        List<JWK> all = keys.getKeys();
        if (keyId == null) {
            if (all.size() == 1) {
                return all.get(0);
            }
            throw fail("bad signature: the signature names no key id (kid) and " + all.size()
                    + " verification keys are configured; sign with a key id");
        }
        JWK key = keys.getKeyByKeyId(keyId);
        if (key == null) {
            // also when the one trusted key has no id: a signature naming a key nobody trusts is refused
            List<String> ids = new ArrayList<>();
            for (JWK k : all) {
                ids.add(k.getKeyID() == null ? "(no id)" : k.getKeyID());
            }
            throw fail("bad signature: no verification key with id '" + keyId + "' (configured: " + ids + ")");
        }
        return key;
    }

    /**
     * The tolerance on a signing key's JWK {@code exp} and {@code nbf}: the default of
     * {@code jwt.clock_skew_seconds}, the tolerance a JWKS key of the JWT path gets, so that both
     * kinds of key expire alike. A constant, not a setting of the bundle: the bundle's own settings
     * are not trusted before its signature is checked.
     */
    static final long CLOCK_SKEW_SECONDS = JwtAuthenticator.DEFAULT_CLOCK_SKEW_SECONDS;

    /**
     * Refuses a key outside its validity period: past its JWK {@code exp} (expiration time) or
     * before its {@code nbf} (not before), both with {@value #CLOCK_SKEW_SECONDS} s of tolerance,
     * as the JWT path checks a JWKS key's ({@link Validity}: expired once {@code now - skew >= exp},
     * not valid yet while {@code now + skew < nbf}). A key set may keep an expired key during a rotation; it is
     * only refused when a signature names it. {@code now} is the system clock's time when the
     * bundle is verified (loading has no clock of its own): the message gives that time, so that a
     * clock set wrong shows.
     */
    static void checkValidNow(JWK key, Instant now) {
        String clock = "now is " + now.truncatedTo(ChronoUnit.SECONDS) + " by the system clock, with "
                + CLOCK_SKEW_SECONDS + " s of tolerance";
        // Whole milliseconds, as the JWK's times: comparing now's millis (rounded down) to them answers
        // as comparing now itself would.
        Validity validity = Validity.at(now.toEpochMilli(),
                key.getNotBeforeTime() == null ? Validity.NO_NOT_BEFORE : key.getNotBeforeTime().getTime(),
                key.getExpirationTime() == null ? Validity.NO_EXPIRY : key.getExpirationTime().getTime(),
                CLOCK_SKEW_SECONDS * 1000L);
        if (validity == Validity.NEVER_VALID) {
            throw fail("bad signature: key" + describe(key) + " is never valid: its JWK exp ("
                    + key.getExpirationTime().toInstant() + ") is not after its nbf ("
                    + key.getNotBeforeTime().toInstant() + "); sign the bundle with a current key");
        }
        if (validity == Validity.EXPIRED) {
            throw fail("bad signature: key" + describe(key) + " expired at " + key.getExpirationTime().toInstant()
                    + " (its JWK exp; " + clock + "); sign the bundle with a current key");
        }
        if (validity == Validity.NOT_YET_VALID) {
            throw fail("bad signature: key" + describe(key) + " is not valid before "
                    + key.getNotBeforeTime().toInstant() + " (its JWK nbf; " + clock + "); sign the bundle with a"
                    + " key valid now, or check this machine's clock");
        }
    }

    private static Map<String, Map<?, ?>> listedFiles(Map<?, ?> payload) {
        if (!(payload.get("files") instanceof List<?> files)) {
            throw fail("bad signature: the payload has no 'files' list");
        }
        Map<String, Map<?, ?>> listed = new TreeMap<>();
        for (Object f : files) {
            if (!(f instanceof Map<?, ?> entry) || !(entry.get("name") instanceof String name)
                    || !(entry.get("hash") instanceof String)) {
                throw fail("bad signature: every entry of 'files' must be an object with string 'name' and 'hash'");
            }
            if (listed.put(name, entry) != null) {
                throw fail("bad signature: the payload lists '" + name + "' twice");
            }
        }
        return listed;
    }

    private static void checkFiles(Bundle bundle, Map<String, Map<?, ?>> listed) {
        List<PolicyError> errors = new ArrayList<>();
        Set<String> present = new TreeSet<>(bundle.files());
        present.remove(FILE);
        for (String f : present) {
            if (!listed.containsKey(f)) {
                errors.add(PolicyError.of(f, "file list mismatch: '" + f
                        + "' is in the bundle but not in its signature; re-sign the bundle or remove the file"));
            }
        }
        for (String f : listed.keySet()) {
            if (!present.contains(f)) {
                errors.add(PolicyError.of(f, "file list mismatch: '" + f
                        + "' is listed in the signature but missing from the bundle"));
            }
        }
        for (Map.Entry<String, Map<?, ?>> e : listed.entrySet()) {
            String f = e.getKey();
            if (!present.contains(f)) {
                continue;
            }
            Object algorithm = e.getValue().get("algorithm");
            if (!(algorithm instanceof String a) || a.isEmpty()) {
                errors.add(PolicyError.of(f, "bad signature: no hash algorithm given for '" + f + "'"));
                continue;
            }
            if (BundleHasher.jcaName(a) == null) {
                errors.add(PolicyError.of(f, "unsupported algorithm: hash algorithm '" + a + "' for '" + f
                        + "' is not accepted; use SHA-256"));
                continue;
            }
            byte[] expected;
            try {
                String hex = (String) e.getValue().get("hash");
                expected = HexFormat.of().parseHex(hex.toLowerCase(Locale.ROOT));
            } catch (IllegalArgumentException ex) {
                errors.add(PolicyError.of(f, "bad signature: the hash for '" + f + "' is not hexadecimal"));
                continue;
            }
            byte[] actual;
            try {
                actual = HexFormat.of().parseHex(BundleHasher.hash(f, bundle.read(f), a));
            } catch (PolicyLoadException ex) {
                errors.add(PolicyError.of(f, "hash mismatch: '" + f + "' cannot be parsed to compute its hash"));
                continue;
            }
            if (!MessageDigest.isEqual(expected, actual)) {
                errors.add(PolicyError.of(f, "hash mismatch: '" + f + "' differs from the signed version; it was"
                        + " changed after signing"));
            }
        }
        if (!errors.isEmpty()) {
            throw new PolicyLoadException(errors);
        }
    }

    private static String describe(JWK key) {
        return key.getKeyID() == null ? "" : " '" + key.getKeyID() + "'";
    }

    private static String render(Object value) {
        return value instanceof String s ? "'" + s + "'" : String.valueOf(value);
    }

    private static PolicyLoadException fail(String message) {
        return PolicyLoadException.of(FILE, message);
    }

}
