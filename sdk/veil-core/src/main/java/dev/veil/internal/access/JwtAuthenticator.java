package dev.veil.internal.access;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import com.nimbusds.jose.Algorithm;
import com.nimbusds.jose.Header;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.internal.policy.ValueCount;
import dev.veil.internal.policy.YamlLocations;
import dev.veil.spi.GuardSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Verifies JWT bearer tokens against a JWKS file from the bundle and maps their claims to a
 * {@link Caller}.
 *
 * <h2>What is checked, in this order</h2>
 *
 * <ol>
 *   <li>the token has no whitespace around it (it is not stripped: "the bearer token has surrounding
 *       whitespace"), as {@link ApiKeyStore} does for API keys;
 *   <li>the token is a compact JWS of at most {@value #MAX_TOKEN_CHARS} characters of base64url and
 *       dots (no inner whitespace or padding either), its encoded header at most
 *       {@value #MAX_HEADER_CHARS} characters, with no {@code crit} header parameters ("malformed
 *       token");
 *   <li>its {@code alg} is one of {@link GuardSettings.Jwt#algorithms()} ("algorithm not accepted";
 *       {@code none} is never accepted);
 *   <li>a {@code kid}, when present, names a key of the JWKS ("unknown key id") that can verify that
 *       algorithm; a token without {@code kid} is refused when several keys can verify its algorithm
 *       ("token has no key id (kid) and several keys this service trusts can verify ES256"), and checked
 *       with the one key otherwise;
 *   <li>that key's own {@code exp} has not passed and its {@code nbf} (when the JWKS gives them) has
 *       been reached, now, with {@link GuardSettings.Jwt#clockSkewSeconds()} of tolerance ("the
 *       token's signing key 'k1' expired at ..."): the JWKS is a file of the bundle, so a key the
 *       identity provider has retired stops working when its {@code exp} passes, not when the bundle
 *       is next replaced;
 *   <li>{@code exp} is present and not passed, {@code nbf} (when present) has been reached, both with
 *       {@link GuardSettings.Jwt#clockSkewSeconds()} of tolerance ("expired", "not yet valid");
 *   <li>{@code iss} equals {@link GuardSettings.Jwt#issuer()} ("wrong issuer"), and at least one
 *       {@code aud} value is in {@link GuardSettings.Jwt#audience()} ("wrong audience"); checked
 *       before the signature, so these messages do not say what the service expects;
 *   <li>the signature ("bad signature"): only now, so that a token refused by the checks above, which
 *       need no signature and can only refuse, costs no signature verification;
 *   <li>when {@link GuardSettings.Jwt#types()} is not empty, the {@code typ} header is one of them,
 *       compared as RFC 7515 (section 4.1.9) says: letter case ignored, {@code application/} implied
 *       when the value holds no {@code /} ("token type 'logout+jwt' is not accepted"); a token
 *       without {@code typ} is refused. This keeps out the other tokens the identity provider signs
 *       for the same audience (ID tokens, logout tokens), whose claims can differ (RFC 8725, section
 *       3.11);
 *   <li>each of {@link GuardSettings.Jwt#requiredClaims()} is a string claim of exactly that value
 *       ("claim 'token_use' must be 'access'");
 *   <li>the subject claim is a non-blank string ("missing subject"); the roles claim, when present, is
 *       a list of strings or a space-separated string; the tenant claim, when present, a string; the
 *       subject, each role and the tenant pass {@link ApiKeyStore#nameProblem}; each attribute claim,
 *       when present, a string that passes it too (it may be empty, as an API key's attribute value), a boolean ({@code "true"}, {@code "false"}) or an integer from
 *       -2<sup>63</sup> to 2<sup>63</sup>-1 written without fraction or exponent (its decimal digits);
 *       another number is refused, since the JSON parser reads it as a double and distinct values
 *       could become one attribute ({@code 10000000000000000001} read as {@code 1.0E19}). The claims
 *       are read from the token's JSON as it is, so {@code iat}, {@code exp} and {@code nbf} are
 *       integers and a single {@code aud} a string.
 * </ol>
 *
 * <h2>Keys</h2>
 *
 * <p>A key is usable for an algorithm when its {@code kty} fits ({@code oct} for HS*, {@code RSA}
 * for RS* and PS*, {@code EC} on the matching curve for ES*), its {@code alg} (if any) is that
 * algorithm, its {@code use} (if any) is {@code sig}, its {@code key_ops} (if any) include
 * {@code verify}, it is not revoked, an RSA key has at least 2048 bits and an HMAC secret at least as
 * many bits as the hash. A JWKS that does not parse, repeats a {@code kid}, holds an RSA or EC
 * private key (a bundle must only hold public keys) or has no usable key for the accepted
 * algorithms is a {@link PolicyLoadException} naming the file, with the line and column of the
 * syntax error or of the key at fault ({@code keys} itself when no key is usable).
 *
 * <p>An HMAC secret ({@code kty oct}) is accepted but named in {@link #warnings()}: anyone who can
 * read the bundle can sign tokens with it. So is a key without {@code kid} beside other keys for one
 * of its algorithms: the tokens it signs carry no {@code kid} and are refused; and a key whose own
 * {@code exp} has already passed, or whose {@code nbf} has not yet come, when the JWKS loads: it
 * verifies no token (then).
 *
 * <h2>Threading and cost</h2>
 *
 * <p>Immutable after construction and thread-safe. Verifiers are built once at load. Successful
 * verifications are remembered in a bounded cache keyed by the exact token text (at most
 * {@value #CACHE_SIZE} tokens, each for at most {@value #CACHE_MINUTES} minutes), so a caller that
 * repeats its token pays for the signature once; {@code exp} and {@code nbf}, the token's and its
 * key's, are checked again on every call. A token whose signature does not verify is remembered too, by the SHA-256 of its text
 * (at most {@value #REFUSED_SIZE}, each for {@value #REFUSED_MINUTES} minute), so that replaying it
 * costs a lookup and gets the same refusal; no other failure is remembered (a refusal for the time
 * could turn into an acceptance), but each of the checks above the signature's is made first.
 */
public final class JwtAuthenticator {
    /** The refusal of a token whose signature does not verify (no detail: it would help a forger). */
    static final String BAD_SIGNATURE = "bad signature: the token does not verify with the identity provider's keys; "
            + "request a new token";
    /** The refusal of a token with whitespace around it (never stripped: a credential is used as presented). */
    static final String SURROUNDING_WHITESPACE =
            "the bearer token has surrounding whitespace (a trailing newline from a file?): strip it";
    /** Longest token accepted, in characters. */
    public static final int MAX_TOKEN_CHARS = 16_384;
    /**
     * The default of {@code jwt.clock_skew_seconds}: the tolerance on a token's and its JWKS key's
     * {@code exp} and {@code nbf}; also the tolerance on a bundle-signing key's (BundleVerifier).
     */
    public static final long DEFAULT_CLOCK_SKEW_SECONDS = 30;
    /** Longest encoded header accepted, in characters (a header holds alg, kid, typ: a few dozen). */
    static final int MAX_HEADER_CHARS = 2_048;
    static final int CACHE_SIZE = 4_096;
    static final int CACHE_MINUTES = 10;
    /** Tokens refused for their signature that are remembered, and for how long. */
    static final int REFUSED_SIZE = 4_096;
    static final int REFUSED_MINUTES = 1;
    /** The fewest bits an RSA key may have, for tokens and for bundle signatures alike. */
    public static final int MIN_RSA_BITS = 2048;

    /**
     * An RSA key's length: its modulus' own bit length. JWK.size() counts the modulus' octets, so a
     * short modulus written with leading zero octets would pass for a long one.
     */
    public static int rsaBits(RSAKey key) {
        return key.getModulus().decodeToBigInteger().bitLength();
    }
    private static final JsonFactory JSON = new JsonFactory();
    /** How nimbus names the key it could not parse: "Invalid JWK at position 2: ...". */
    private static final Pattern BAD_KEY = Pattern.compile("^Invalid JWK at position (\\d+):");

    private final GuardSettings.Jwt settings;
    private final String file;
    private final Clock clock;
    private final long skewMillis;
    private final Set<String> accepted;
    /** {@link GuardSettings.Jwt#types()} as {@link #mediaType} compares them; empty: no check. */
    private final Set<String> types;
    private final Map<String, Map<String, Key>> byKid;
    private final Map<String, List<Key>> byAlgorithm;
    private final Cache<String, Verified> verified;
    /**
     * Tokens whose signature did not verify, by the SHA-256 of their text (never the text: a 16 KiB
     * token would be kept whole), with their refusal. The keys are fixed for this authenticator's
     * life, so a bad signature stays bad; kept apart from {@link #verified} so that forgeries cannot
     * evict good tokens.
     */
    private final Cache<ByteBuffer, AuthResult> badSignatures;
    private final List<String> warnings;
    /** Signature verifications run (each key tried counts), for tests: the costly step. */
    private final LongAdder signatureChecks = new LongAdder();

    private JwtAuthenticator(GuardSettings.Jwt settings, String file, Clock clock,
            Map<String, Map<String, Key>> byKid, Map<String, List<Key>> byAlgorithm,
            List<String> warnings) {
        this.settings = settings;
        this.warnings = List.copyOf(warnings);
        this.file = file;
        this.clock = clock;
        this.skewMillis = settings.clockSkewSeconds() * 1000L;
        this.accepted = Set.copyOf(settings.algorithms());
        this.types = settings.types().stream().map(JwtAuthenticator::mediaType).collect(Collectors.toUnmodifiableSet());
        this.byKid = Map.copyOf(byKid);
        this.byAlgorithm = Map.copyOf(byAlgorithm);
        Ticker ticker = () -> {
            Instant now = clock.instant();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        };
        this.verified = Caffeine.newBuilder()
                .maximumSize(CACHE_SIZE)
                .expireAfterWrite(Duration.ofMinutes(CACHE_MINUTES))
                .ticker(ticker)
                .executor(Runnable::run)
                .build();
        this.badSignatures = Caffeine.newBuilder()
                .maximumSize(REFUSED_SIZE)
                .expireAfterWrite(Duration.ofMinutes(REFUSED_MINUTES))
                .ticker(ticker)
                .executor(Runnable::run)
                .build();
    }

    /**
     * For each key nimbus read from {@code jwks} (in order), its index in the file's {@code keys}
     * array: nimbus silently leaves out keys of a type it does not know, which would shift every later
     * index. Falls back to the identity when the array cannot be read the same way.
     */
    private static int[] positionsInFile(byte[] jwks, int count) {
        int[] at = new int[count];
        for (int k = 0; k < count; k++) {
            at[k] = k;
        }
        try {
            Object raw = JSONObjectUtils.parse(new String(jwks, StandardCharsets.UTF_8)).get("keys");
            if (!(raw instanceof List<?> list)) {
                return at;
            }
            int k = 0;
            int[] found = new int[count];
            for (int i = 0; i < list.size() && k < count; i++) {
                if (list.get(i) instanceof Map<?, ?> m) {
                    try {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> object = (Map<String, Object>) m;
                        JWK.parse(object);
                        found[k++] = i;
                    } catch (ParseException | RuntimeException e) {
                        // a key nimbus leaves out of the set
                    }
                }
            }
            return k == count ? found : at;
        } catch (ParseException | RuntimeException e) {
            return at;
        }
    }

    /**
     * Builds an authenticator.
     *
     * @param settings what to accept; {@link GuardSettings.Jwt#jwks()} names the file in errors
     * @param jwks the JWKS file's bytes (UTF-8 JSON, {@code {"keys": [...]}})
     * @param clock the clock for {@code exp} and {@code nbf}
     * @return the authenticator; never {@code null}
     * @throws PolicyLoadException naming the JWKS file if it does not parse, has no usable key or
     *     holds more than {@link ValueCount#MAX_VALUES} values
     */
    public static JwtAuthenticator create(GuardSettings.Jwt settings, byte[] jwks, Clock clock) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(jwks, "jwks");
        Objects.requireNonNull(clock, "clock");
        String file = settings.jwks();
        ValueCount.check(JSON, jwks, file, "JWKS");
        Problems problems = new Problems(file, () -> YamlLocations.index(JSON, jwks));
        JWKSet set;
        try {
            set = JWKSet.parse(new String(jwks, StandardCharsets.UTF_8));
        } catch (ParseException | RuntimeException e) {
            throw notAJwks(jwks, problems, e);
        }
        List<String> skipped = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Map<String, Map<String, Key>> byKid = new HashMap<>();
        Map<String, List<Key>> byAlgorithm = new LinkedHashMap<>();
        long skewMillis = settings.clockSkewSeconds() * 1000L;
        long loadedAt = clock.millis();
        Set<String> kids = new LinkedHashSet<>();
        Map<String, Set<String>> withoutKid = new LinkedHashMap<>();
        List<JWK> keys = set.getKeys();
        // A key's index in the file's "keys" array (nimbus leaves out keys it cannot read), for messages
        // only: the file is read a second time for it when a message first needs one.
        int[][] positions = {null};
        java.util.function.IntUnaryOperator at = k -> (positions[0] != null ? positions[0]
                : (positions[0] = positionsInFile(jwks, keys.size())))[k];
        for (int k = 0; k < keys.size(); k++) {
            JWK jwk = keys.get(k);
            String kid = jwk.getKeyID();
            String name = kid != null ? "key '" + Sanitize.text(kid) + "'" : "key #" + at.applyAsInt(k);
            if (kid != null && !kids.add(kid)) {
                problems.add("keys[" + at.applyAsInt(k) + "].kid", name
                        + ": duplicate kid; every key in a JWKS needs its own kid");
                continue;
            }
            if (jwk.getKeyType() != KeyType.OCT && jwk.isPrivate()) {
                problems.add("keys[" + at.applyAsInt(k) + "]", name
                        + ": holds private key material; a bundle's JWKS must hold"
                        + " public keys only"
                        + " (publish JWKSet.toPublicJWKSet())");
                continue;
            }
            if (jwk.getKeyType() == KeyType.OCT) {
                warnings.add("jwt.jwks file '" + file + "' holds " + name + ", a shared HMAC secret (kty oct):"
                        + " anyone who can read the bundle can sign tokens with it, as any caller and tenant;"
                        + " prefer the identity provider's RS256 or ES256 public keys");
            }
            String unusable = unusable(jwk);
            if (unusable != null) {
                skipped.add(name + " " + unusable);
                continue;
            }
            Key.Window window = Key.window(jwk, name);
            Map<String, Key> verifiers = new LinkedHashMap<>();
            List<String> why = new ArrayList<>();
            for (String alg : settings.algorithms()) {
                String reason = incompatible(jwk, JWSAlgorithm.parse(alg));
                if (reason != null) {
                    why.add(alg + ": " + reason);
                    continue;
                }
                try {
                    verifiers.put(alg, new Key(verifier(jwk), window));
                } catch (JOSEException e) {
                    why.add(alg + ": " + Sanitize.text(e.getMessage()));
                }
            }
            if (verifiers.isEmpty()) {
                skipped.add(name + " fits no accepted algorithm (" + String.join("; ", why) + ")");
                continue;
            }
            // A key past its own exp, or before its nbf, verifies no token (checked per request, as the
            // time passes); one that already does not at load is most likely a forgotten rotation
            String outside = window.refusal(loadedAt, skewMillis);
            if (outside != null) {
                warnings.add("jwt.jwks file '" + file + "' holds " + name + ", which " + outside
                        + ": it verifies no token " + (window.neverValid()
                        ? "(its exp and nbf leave it no time); remove it from the JWKS, or fix its exp and nbf"
                        : window.expired(loadedAt, skewMillis)
                        ? "(the identity provider has retired it); remove it from the JWKS"
                        : "until then; check the key's nbf, or the clock of this service"));
            }
            verifiers.forEach((alg, v) -> byAlgorithm.computeIfAbsent(alg, a -> new ArrayList<>()).add(v));
            if (kid != null) {
                byKid.put(kid, Map.copyOf(verifiers));
            } else {
                withoutKid.put(name, verifiers.keySet());
            }
        }
        // A token without kid is refused when several keys fit its algorithm: such a key signs in vain
        withoutKid.forEach((name, algs) -> {
            List<String> shared = algs.stream().filter(alg -> byAlgorithm.get(alg).size() > 1).toList();
            if (!shared.isEmpty()) {
                warnings.add("jwt.jwks file '" + file + "' holds " + name + " without a kid beside other keys for "
                        + String.join(", ", shared) + ": the tokens it signs carry no kid and are refused; give every"
                        + " key a kid");
            }
        });
        problems.throwIfAny();
        if (byAlgorithm.isEmpty()) {
            problems.add("keys", "no usable key for the accepted algorithms " + settings.algorithms()
                    + (skipped.isEmpty() ? ": the JWKS has no keys" : ": " + String.join("; ", skipped)));
            throw problems.exception();
        }
        byAlgorithm.replaceAll((alg, list) -> List.copyOf(list));
        return new JwtAuthenticator(settings, file, clock, byKid, byAlgorithm, warnings);
    }

    /** 9999-12-31T23:59:59Z: later times in exp or nbf are refused as malformed. */
    static final long MAX_EPOCH_SECOND = 253_402_300_799L;
    private static final long BAD_TIME = Long.MIN_VALUE + 1;

    /**
     * Why a JWKS did not parse, at the line and column of the JSON syntax error (found again with
     * Jackson, whose parser tells where it stopped) or of the key that nimbus could not read.
     */
    private static PolicyLoadException notAJwks(byte[] jwks, Problems problems, Exception e) {
        String what = "not a valid JWKS ({\"keys\": [...]}): ";
        try (JsonParser p = JSON.createParser(jwks)) {
            while (p.nextToken() != null) {
                // reading to the end finds the first syntax error
            }
        } catch (JsonProcessingException syntax) {
            JsonLocation loc = syntax.getLocation();
            if (loc != null && loc.getLineNr() > 0) {
                // Neither the parser's message nor the exception is passed on: both quote the malformed
                // text, which in this file can be an HMAC secret or a private exponent.
                return new PolicyLoadException(new PolicyError(problems.file(), loc.getLineNr(), loc.getColumnNr(),
                        what + "invalid JSON here (the text is not repeated, since this file holds keys; check"
                                + " the quotes, commas and brackets around this position)"));
            }
        } catch (IOException | RuntimeException ignored) {
            // not a syntax error: place it by nimbus's message below
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        Matcher key = BAD_KEY.matcher(message);
        String path = key.find() ? "keys[" + key.group(1) + "]" : "keys";
        return new PolicyLoadException(problems.at(path, what + Sanitize.text(message)), e);
    }

    private static String unusable(JWK jwk) {
        if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
            return "has use '" + jwk.getKeyUse().identifier() + "', not 'sig'";
        }
        if (jwk.getKeyOperations() != null && !jwk.getKeyOperations().contains(KeyOperation.VERIFY)) {
            return "has key_ops without 'verify'";
        }
        if (jwk.getKeyRevocation() != null) {
            return "is revoked";
        }
        if (jwk.getKeyType() != KeyType.OCT && jwk.getKeyType() != KeyType.RSA && jwk.getKeyType() != KeyType.EC) {
            return "has unsupported kty '" + jwk.getKeyType() + "'";
        }
        return null;
    }

    private static String incompatible(JWK jwk, JWSAlgorithm alg) {
        Algorithm declared = jwk.getAlgorithm();
        if (declared != null && !declared.getName().equals(alg.getName())) {
            return "key is for " + declared.getName();
        }
        if (JWSAlgorithm.Family.HMAC_SHA.contains(alg)) {
            if (jwk.getKeyType() != KeyType.OCT) {
                return "needs kty oct";
            }
            int need = Integer.parseInt(alg.getName().substring(2));
            int bits = jwk.size();
            return bits < need ? "secret has " + bits + " bits, needs at least " + need : null;
        }
        if (JWSAlgorithm.Family.RSA.contains(alg)) {
            if (jwk.getKeyType() != KeyType.RSA) {
                return "needs kty RSA";
            }
            int bits = rsaBits((RSAKey) jwk);
            return bits < MIN_RSA_BITS ? "RSA key has " + bits + " bits, needs at least " + MIN_RSA_BITS : null;
        }
        if (JWSAlgorithm.Family.EC.contains(alg)) {
            if (jwk.getKeyType() != KeyType.EC) {
                return "needs kty EC";
            }
            Curve curve = ((ECKey) jwk).getCurve();
            return Curve.forJWSAlgorithm(alg).contains(curve) ? null : "curve " + curve + " does not fit";
        }
        return "unsupported algorithm";
    }

    private static JWSVerifier verifier(JWK jwk) throws JOSEException {
        if (jwk instanceof OctetSequenceKey oct) {
            return new MACVerifier(oct);
        }
        if (jwk instanceof RSAKey rsa) {
            return new RSASSAVerifier(rsa);
        }
        return new ECDSAVerifier((ECKey) jwk);
    }

    /**
     * Verifies a bearer token.
     *
     * @param token the token (without {@code Bearer })
     * @return a success with a {@link AuthMethod#JWT} caller, or a failure naming what was wrong;
     *     a failure message never contains the token or its signature
     */
    public AuthResult authenticate(String token) {
        if (token == null || token.isEmpty()) {
            return AuthResult.failure("malformed token: empty");
        }
        if (token.length() > MAX_TOKEN_CHARS) {
            return AuthResult.failure("malformed token: longer than " + MAX_TOKEN_CHARS + " characters");
        }
        Verified hit = verified.getIfPresent(token);
        if (hit != null) {
            long now = clock.millis(); // one read for both checks: this runs on every request
            AuthResult timing = keyTimes(hit.key(), now);
            if (timing == null) {
                timing = checkTimes(hit.expiresAt(), hit.notBefore(), now);
            }
            return timing != null ? timing : hit.success();
        }
        if (Sanitize.hasSurroundingSpace(token)) {
            return AuthResult.failure(SURROUNDING_WHITESPACE);
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '.')) {
                // nimbus would skip such characters in the signature, giving one token many spellings
                return AuthResult.failure(token.regionMatches(true, 0, "Bearer ", 0, 7)
                        ? "malformed token: it starts with 'Bearer ': pass the token alone (what follows 'Bearer ' in"
                                + " the Authorization header)"
                        : "malformed token: character " + (i + 1) + " is not base64url (A-Z a-z 0-9 - _) or a dot; a"
                                + " compact JWS has no other characters (no spaces, line breaks or '=' padding)");
            }
        }
        Base64URL[] parts;
        try {
            parts = JOSEObject.split(token);
        } catch (ParseException e) {
            return AuthResult.failure("malformed token: not a compact JWS (three base64url parts separated by dots)");
        }
        if (parts.length != 3) {
            return AuthResult.failure(
                    "malformed token: an encrypted JWT (JWE) was sent; only signed JWTs are accepted");
        }
        if (parts[0].toString().length() > MAX_HEADER_CHARS) {
            return AuthResult.failure("malformed token: the header has more than " + MAX_HEADER_CHARS
                    + " characters; a token's header (alg, kid, typ) needs far fewer");
        }
        Header header;
        try {
            header = Header.parse(parts[0]); // the only parse of the header: it is verified as parsed here
        } catch (ParseException | RuntimeException e) {
            return AuthResult.failure("malformed token: the header is not a JSON object with an 'alg'");
        }
        String alg = header.getAlgorithm().getName();
        if (!(header instanceof JWSHeader jwsHeader) || !accepted.contains(alg)) {
            return AuthResult.failure("algorithm '" + Sanitize.text(alg) + "' not accepted; accepted: "
                    + settings.algorithms());
        }
        if (jwsHeader.getCriticalParams() != null && !jwsHeader.getCriticalParams().isEmpty()) {
            return AuthResult.failure("malformed token: critical header parameters "
                    + Sanitize.text(jwsHeader.getCriticalParams().toString()) + " are not supported");
        }
        if (parts[2].toString().isEmpty()) {
            return AuthResult.failure("malformed token: the signature is empty");
        }
        JWTClaimsSet claims;
        Map<String, Object> raw;
        try {
            // parsed once (bounded by MAX_TOKEN_CHARS): the claims are read from it
            raw = JSONObjectUtils.parse(parts[1].decodeToString());
            claims = JWTClaimsSet.parse(raw);
        } catch (ParseException | RuntimeException e) {
            return AuthResult.failure("malformed token: the payload is not a JSON object of valid claims");
        }
        List<Key> candidates;
        String kid = jwsHeader.getKeyID();
        if (kid != null) {
            Map<String, Key> forKid = byKid.get(kid);
            if (forKid == null) {
                return AuthResult.failure("unknown key id '" + Sanitize.text(kid) + "': not one of the identity provider's "
                        + "keys this service trusts; request a new token");
            }
            Key v = forKid.get(alg);
            if (v == null) {
                return AuthResult.failure("key '" + Sanitize.text(kid) + "' cannot verify algorithm " + alg);
            }
            candidates = List.of(v);
        } else {
            candidates = byAlgorithm.get(alg);
            if (candidates == null) {
                return AuthResult.failure("no key this service trusts can verify algorithm " + alg);
            }
            if (candidates.size() > 1) {
                // Trying each key would multiply the cost of a forgery by the size of the JWKS
                return AuthResult.failure("token has no key id (kid) and several keys this service"
                        + " trusts can verify " + alg + ": the identity provider must name the signing key in the"
                        + " token's kid header; request a new token");
            }
        }
        // Before the signature, what needs none and can only refuse: a token of a retired key, an expired
        // token replayed, or one for another issuer or audience, costs no signature verification.
        Key key = candidates.get(0); // the one candidate: several are refused above
        long now = clock.millis();
        AuthResult retired = keyTimes(key, now);
        if (retired != null) {
            return retired;
        }
        // The times as the token states them, in seconds: nimbus's Dates overflow for huge values
        // (an exp of Long.MAX_VALUE read as 1969).
        if (raw.get("exp") == null) {
            return AuthResult.failure("token has no expiry (exp); tokens without exp are not accepted");
        }
        long expiresAt = epochMillis(raw.get("exp"));
        long notBefore = raw.get("nbf") == null ? Long.MIN_VALUE : epochMillis(raw.get("nbf"));
        if (expiresAt == BAD_TIME || notBefore == BAD_TIME) {
            return AuthResult.failure("malformed token: exp and nbf must be numbers of seconds since the epoch, from 0"
                    + " to " + MAX_EPOCH_SECOND + " (the year 9999)");
        }
        AuthResult timing = checkTimes(expiresAt, notBefore, now);
        if (timing != null) {
            return timing;
        }
        // Checked before the signature, so the messages name what the token says, never what this
        // service expects: a forger would learn the issuer and audiences it trusts (they are in the
        // bundle's jwt settings for whoever runs the service).
        if (!settings.issuer().equals(claims.getIssuer())) {
            return AuthResult.failure(claims.getIssuer() == null
                    ? "wrong issuer: token has no iss; request a token from the identity provider this service trusts"
                    : "wrong issuer '" + Sanitize.text(claims.getIssuer()) + "': not the identity provider this"
                            + " service trusts");
        }
        List<String> aud = claims.getAudience();
        if (aud.stream().noneMatch(settings.audience()::contains)) {
            return AuthResult.failure("wrong audience " + Sanitize.text(aud.toString())
                    + ": the token is not for this service; request one for it");
        }
        // Only a bad signature is remembered: it cannot turn good, while a refusal for the time could
        ByteBuffer fingerprint = fingerprint(token);
        AuthResult refused = badSignatures.getIfPresent(fingerprint);
        if (refused != null) {
            return refused;
        }
        if (!verifies(jwsHeader, parts, candidates)) {
            refused = AuthResult.failure(BAD_SIGNATURE);
            badSignatures.put(fingerprint, refused);
            return refused;
        }
        AuthResult kind = checkKind(jwsHeader, raw);
        if (kind != null) {
            return kind;
        }
        AuthResult mapped = toCaller(raw);
        if (mapped instanceof AuthResult.Success s) {
            verified.put(token, new Verified(s, key, expiresAt, notBefore));
        }
        return mapped;
    }

    /**
     * A {@code typ} header value as RFC 7515, section 4.1.9, compares it: in lower case (media types
     * are case-insensitive), with {@code application/} prepended when it holds no {@code /}
     * ({@code at+jwt} is {@code application/at+jwt}).
     */
    static String mediaType(String typ) {
        String t = typ.toLowerCase(Locale.ROOT);
        return t.indexOf('/') < 0 ? "application/" + t : t;
    }

    /** Why the token is not of an accepted type or lacks a required claim value, or {@code null}. */
    private AuthResult checkKind(JWSHeader header, Map<String, Object> raw) {
        if (!types.isEmpty()) {
            String typ = header.getType() == null ? null : header.getType().getType();
            if (typ == null) {
                return AuthResult.failure("token has no type (typ header); accepted: "
                        + String.join(", ", settings.types()));
            }
            if (!types.contains(mediaType(typ))) {
                return AuthResult.failure("token type '" + Sanitize.text(typ) + "' is not accepted (accepted: "
                        + String.join(", ", settings.types()) + ")");
            }
        }
        for (Map.Entry<String, String> required : settings.requiredClaims().entrySet()) {
            Object v = raw.get(required.getKey());
            if (!required.getValue().equals(v)) {
                return AuthResult.failure("claim '" + required.getKey() + "' must be '" + required.getValue() + "', "
                        + (v == null ? "the token has none" : v instanceof String s ? "was '" + Sanitize.text(s) + "'"
                                : "was " + Problems.describe(v)));
            }
        }
        return null;
    }

    /**
     * Whether one of the candidates verifies the signature: over the header and payload as sent
     * (RFC 7515, section 5.2), with the header parsed once ({@code b64: false}, which changes the
     * signing input, needs {@code crit} and is refused before).
     */
    private boolean verifies(JWSHeader header, Base64URL[] parts, List<Key> candidates) {
        byte[] signingInput = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
        for (Key k : candidates) {
            signatureChecks.increment();
            try {
                if (k.verifier().verify(header, signingInput, parts[2])) {
                    return true;
                }
            } catch (JOSEException | RuntimeException e) {
                // A verifier that cannot process this signature has not verified it; try the next key.
            }
        }
        return false;
    }

    /** Why the key is not valid now (its own exp passed, its nbf not reached), or {@code null}. */
    private AuthResult keyTimes(Key key, long now) {
        Key.Window w = key.window();
        String outside = w.refusal(now, skewMillis);
        if (outside == null) {
            return null;
        }
        return AuthResult.failure("the token's signing " + w.name() + " " + outside + (w.neverValid()
                ? ": it verifies no token; request a new token signed with a valid key"
                : w.expired(now, skewMillis) ? ": the identity provider has retired it; request a new token"
                : "; retry then, or request a new token"));
    }

    private AuthResult checkTimes(long expiresAt, long notBefore, long now) {
        return switch (Validity.at(now, notBefore, expiresAt, skewMillis)) {
            case EXPIRED -> AuthResult.failure("token expired at " + Instant.ofEpochMilli(expiresAt)
                    + "; request a new token");
            case NOT_YET_VALID -> AuthResult.failure("token not yet valid: not before " + Instant.ofEpochMilli(notBefore)
                    + "; retry then, or check the clock of the service that issued it");
            case NEVER_VALID -> AuthResult.failure("token never valid: its exp (" + Instant.ofEpochMilli(expiresAt)
                    + ") is not after its nbf (" + Instant.ofEpochMilli(notBefore) + "); request a new token, and"
                    + " check the service that issued it");
            case VALID -> null;
        };
    }

    /** Seconds since the epoch (a JSON number, fractions dropped) in milliseconds, or {@link #BAD_TIME}. */
    private static long epochMillis(Object seconds) {
        if (!(seconds instanceof Number n)) {
            return BAD_TIME;
        }
        double v = n.doubleValue();
        if (!(v >= 0 && v <= MAX_EPOCH_SECOND)) {
            return BAD_TIME;
        }
        return (long) v * 1000L;
    }

    /**
     * The caller the claims name, read from the token's own JSON (not from nimbus's claims set, which
     * reads a numeric {@code sub} as a string, {@code iat}, {@code exp} and {@code nbf} as Dates and
     * {@code aud} as a list), or why it cannot be.
     */
    private AuthResult toCaller(Map<String, Object> raw) {
        Object sub = raw.get(settings.subjectClaim());
        if (!(sub instanceof String subject) || subject.isBlank()) {
            return AuthResult.failure("missing subject: claim '" + settings.subjectClaim()
                    + "' must be a non-blank string" + (sub == null ? ", the token has none" : ""));
        }
        // As for the names in a key store: "alice " or "alice\u0000" would be another caller, with its
        // own rate limit and quota, and a lone surrogate reads as U+FFFD in the audit record
        String subjectProblem = ApiKeyStore.nameProblem(subject);
        if (subjectProblem != null) {
            return AuthResult.failure("claim '" + settings.subjectClaim() + "' " + subjectProblem);
        }
        if (subject.equals(Caller.ANONYMOUS.id())) {
            return AuthResult.failure("subject '" + subject + "' is reserved for requests without credentials; the"
                    + " identity provider must not issue it");
        }
        Set<String> roles = new LinkedHashSet<>();
        Object rawRoles = raw.get(settings.rolesClaim());
        if (rawRoles instanceof String s) {
            for (String r : s.trim().split("\\s+")) {
                if (!r.isEmpty()) {
                    roles.add(r);
                }
            }
        } else if (rawRoles instanceof List<?> list) {
            for (Object r : list) {
                if (!(r instanceof String rs)) {
                    return AuthResult.failure("claim '" + settings.rolesClaim()
                            + "' must be a list of strings or a space-separated string; it holds "
                            + Problems.describe(r));
                }
                roles.add(rs);
            }
        } else if (rawRoles != null) {
            return AuthResult.failure("claim '" + settings.rolesClaim()
                    + "' must be a list of strings or a space-separated string, was " + Problems.describe(rawRoles));
        }
        for (String r : roles) {
            String problem = ApiKeyStore.nameProblem(r);
            if (problem != null || r.isEmpty()) {
                return AuthResult.failure("claim '" + settings.rolesClaim() + "': role '" + Sanitize.text(r) + "' "
                        + (problem != null ? problem : "is empty"));
            }
        }
        String tenant = "";
        Object rawTenant = raw.get(settings.tenantClaim());
        if (rawTenant instanceof String t) {
            String problem = ApiKeyStore.nameProblem(t);
            if (problem != null) {
                return AuthResult.failure("claim '" + settings.tenantClaim() + "' " + problem);
            }
            tenant = t;
        } else if (rawTenant != null) {
            return AuthResult.failure("claim '" + settings.tenantClaim() + "' must be a string, was "
                    + Problems.describe(rawTenant));
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        for (String name : settings.attributeClaims()) {
            // From the token's own JSON, as the subject: nimbus turns iat, exp and nbf into Dates and aud into a list
            Object v = raw.get(name);
            if (v == null) {
                continue;
            }
            if (v instanceof String value) {
                // As for an API key's attribute in the key store: "red\u200b" would be a value that reads as
                // "red" yet matches no rule naming it, and a lone surrogate reads as U+FFFD in the audit record
                String problem = ApiKeyStore.nameProblem(value);
                if (problem != null) {
                    return AuthResult.failure("claim '" + name + "' " + problem);
                }
                attributes.put(name, value);
            } else if (v instanceof Boolean) {
                attributes.put(name, v.toString());
            } else if (v instanceof Long || v instanceof Integer) {
                attributes.put(name, v.toString()); // an integer as the token wrote it: its decimal digits
            } else if (v instanceof Number n) {
                // The JSON parser reads any other number as a double: 10000000000000000001 would become
                // "1.0E19", the same attribute as 10000000000000000000
                return AuthResult.failure("claim '" + name + "' is a number that is not an integer from -2^63 to"
                        + " 2^63-1 written without fraction or exponent (read as " + n + "); such a number cannot be"
                        + " made an attribute exactly (distinct values could read the same): the identity provider"
                        + " must send it as a string");
            } else {
                return AuthResult.failure("claim '" + name + "' must be a string, number or boolean, was "
                        + Problems.describe(v));
            }
        }
        return AuthResult.success(new Caller(subject, AuthMethod.JWT, roles, tenant, attributes));
    }

    /**
     * What is accepted but unsafe or useless in the JWKS, one sentence each: its HMAC secrets
     * ({@code kty oct}), which anyone who reads the bundle can sign tokens with, and its keys without
     * {@code kid} beside other keys for one of their algorithms, whose tokens are refused, and its keys
     * already past their own {@code exp} (or before their {@code nbf}) when it loaded, which verify no
     * token. Logged when a Guard installs the bundle and shown by {@code veil bundle inspect}.
     */
    public List<String> warnings() {
        return warnings;
    }

    /** The SHA-256 of a token's text (ASCII, checked before), as a key of {@link #badSignatures}. */
    private static ByteBuffer fingerprint(String token) {
        try {
            byte[] text = token.getBytes(StandardCharsets.US_ASCII);
            return ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(text));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM, which every Java SE runtime has", e);
        }
    }

    /** How many signature verifications this authenticator has run (each key tried counts once). */
    long signatureChecks() {
        return signatureChecks.sum();
    }

    /** The JWKS file this authenticator was built from. */
    public String jwksFile() {
        return file;
    }

    @Override
    public String toString() {
        return "JwtAuthenticator[" + file + ", issuer=" + settings.issuer() + ", algorithms=" + settings.algorithms()
                + "]";
    }

    /** A token that verified: its caller, the key that verified it and its validity window (epoch millis). */
    private record Verified(AuthResult.Success success, Key key, long expiresAt, long notBefore) {}

    /**
     * A key of the JWKS, for one algorithm: its verifier and its own validity.
     *
     * @param verifier checks signatures with the key
     * @param window the key's own {@code nbf} and {@code exp}
     */
    private record Key(JWSVerifier verifier, Window window) {
        /**
         * A key's name for messages ({@code key 'kid'}, or {@code key #i} for a key without kid) and its
         * {@code nbf} and {@code exp} members in epoch millis ({@link Validity#NO_NOT_BEFORE},
         * {@link Validity#NO_EXPIRY} when absent).
         */
        record Window(String name, long notBefore, long expiresAt) {
            /**
             * Whether the key verifies no token from {@code now} on: its exp has passed, with {@code skew} of
             * tolerance, or its exp is not after its nbf.
             */
            boolean expired(long now, long skew) {
                Validity v = Validity.at(now, notBefore, expiresAt, skew);
                return v == Validity.EXPIRED || v == Validity.NEVER_VALID;
            }

            /** Whether the key's exp is not after its nbf: it verifies no token at any time. */
            boolean neverValid() {
                return Validity.at(0, notBefore, expiresAt, 0) == Validity.NEVER_VALID;
            }

            /** {@code "expired at ..."} or {@code "is not valid before ..."}, or {@code null} when valid at {@code now}. */
            String refusal(long now, long skew) {
                return switch (Validity.at(now, notBefore, expiresAt, skew)) {
                    case EXPIRED -> "expired at " + Instant.ofEpochMilli(expiresAt) + " (its exp in the JWKS)";
                    case NOT_YET_VALID -> "is not valid before " + Instant.ofEpochMilli(notBefore)
                            + " (its nbf in the JWKS)";
                    case NEVER_VALID -> "is never valid: its exp (" + Instant.ofEpochMilli(expiresAt)
                            + ") is not after its nbf (" + Instant.ofEpochMilli(notBefore) + ") in the JWKS";
                    case VALID -> null;
                };
            }
        }

        static Window window(JWK jwk, String name) {
            java.util.Date nbf = jwk.getNotBeforeTime();
            java.util.Date exp = jwk.getExpirationTime();
            return new Window(name, nbf == null ? Validity.NO_NOT_BEFORE : nbf.getTime(),
                    exp == null ? Validity.NO_EXPIRY : exp.getTime());
        }
    }
}
