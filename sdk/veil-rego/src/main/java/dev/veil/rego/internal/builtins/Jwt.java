package dev.veil.rego.internal.builtins;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code io.jwt.*} builtins, ported from OPA's {@code topdown/tokens.go}: decoding, signature
 * verification (HS, RS, PS, ES, EdDSA), {@code decode_verify} with constraints, and signing
 * ({@code encode_sign}, {@code encode_sign_raw}). Keys come as PEM certificates, PEM public keys or
 * JWK (sets), parsed with nimbus-jose-jwt; the cryptography is the JDK's.
 */
public final class Jwt {

    private static final Set<String> ALGORITHMS = Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
            "ES256", "ES384", "ES512", "HS256", "HS384", "HS512", "EdDSA");

    /** Every JWT builtin. */
    public static final List<Builtin> ALL = List.of(
            Builtin.of("io.jwt.decode", 1, (a, c) -> decode(a[0])),
            Builtin.of("io.jwt.decode_verify", 2, Jwt::decodeVerify),
            Builtin.of("io.jwt.verify_hs256", 2, (a, c) -> verifyHs("io.jwt.verify_hs256", "HmacSHA256", a)),
            Builtin.of("io.jwt.verify_hs384", 2, (a, c) -> verifyHs("io.jwt.verify_hs384", "HmacSHA384", a)),
            Builtin.of("io.jwt.verify_hs512", 2, (a, c) -> verifyHs("io.jwt.verify_hs512", "HmacSHA512", a)),
            Builtin.of("io.jwt.verify_rs256", 2, (a, c) -> verifyAsymmetric("io.jwt.verify_rs256", "RS256", a)),
            Builtin.of("io.jwt.verify_rs384", 2, (a, c) -> verifyAsymmetric("io.jwt.verify_rs384", "RS384", a)),
            Builtin.of("io.jwt.verify_rs512", 2, (a, c) -> verifyAsymmetric("io.jwt.verify_rs512", "RS512", a)),
            Builtin.of("io.jwt.verify_ps256", 2, (a, c) -> verifyAsymmetric("io.jwt.verify_ps256", "PS256", a)),
            Builtin.of("io.jwt.verify_ps384", 2, (a, c) -> verifyAsymmetric("io.jwt.verify_ps384", "PS384", a)),
            Builtin.of("io.jwt.verify_ps512", 2, (a, c) -> verifyAsymmetric("io.jwt.verify_ps512", "PS512", a)),
            Builtin.of("io.jwt.verify_es256", 2, (a, c) -> verifyAsymmetric("io.jwt.verify_es256", "ES256", a)),
            Builtin.of("io.jwt.verify_es384", 2, (a, c) -> verifyAsymmetric("io.jwt.verify_es384", "ES384", a)),
            Builtin.of("io.jwt.verify_es512", 2, (a, c) -> verifyAsymmetric("io.jwt.verify_es512", "ES512", a)),
            Builtin.of("io.jwt.verify_eddsa", 2, (a, c) -> verifyAsymmetric("io.jwt.verify_eddsa", "EdDSA", a)),
            Builtin.of("io.jwt.encode_sign", 3, Jwt::encodeSign),
            Builtin.of("io.jwt.encode_sign_raw", 3, Jwt::encodeSignRaw));

    private static final ArrayValue UNVERIFIED = ArrayValue.of(BooleanValue.FALSE, ObjectValue.EMPTY,
            ObjectValue.EMPTY);
    private static final StringValue JWT = StringValue.of("JWT");

    private Jwt() {
    }

    // ------------------------------------------------------------------ token parts

    /** The three base64url sections of a compact JWS. */
    private record Token(String header, String payload, String signature) {
        String signingInput() {
            return header + "." + payload;
        }
    }

    private static Token split(Value v) {
        if (!(v instanceof StringValue s)) {
            throw RegoTypeError.operand(1, v, "string");
        }
        String enc = s.value();
        if (enc.indexOf('.') < 0) {
            throw new BuiltinError("encoded JWT had no period separators");
        }
        String[] parts = enc.split("\\.", -1);
        if (parts.length != 3) {
            throw new BuiltinError("encoded JWT must have 3 sections, found " + parts.length);
        }
        return new Token(parts[0], parts[1], parts[2]);
    }

    /** OPA's base64url.decode of a section, as a Go string (bytes read as UTF-8). */
    private static String section(String part, String what) {
        return new String(sectionBytes(part, what), StandardCharsets.UTF_8);
    }

    private static byte[] sectionBytes(String part, String what) {
        try {
            return GoBase64.decodeUrlLenient(part);
        } catch (GoBase64.DecodeException | IllegalArgumentException e) {
            throw new BuiltinError(what == null ? e.getMessage() : what + " had invalid encoding: " + e.getMessage());
        }
    }

    private static ObjectValue jsonObject(String s) {
        Value v;
        try {
            v = Values.parseJson(s);
        } catch (IllegalArgumentException e) {
            throw new BuiltinError("invalid JSON: " + e.getMessage());
        }
        if (!(v instanceof ObjectValue o)) {
            throw new BuiltinError("decoded JSON type was not an Object");
        }
        return o;
    }

    private static ObjectValue decodeHeader(Token t) {
        String h = section(t.header(), "JWT header");
        ObjectValue header;
        try {
            header = jsonObject(h);
        } catch (BuiltinError e) {
            throw new BuiltinError("bad JWT header: " + e.reason());
        }
        if (header.get("enc") != null) {
            throw new BuiltinError("JWT is a JWE object, which is not supported");
        }
        return header;
    }

    /** The parsed, checked header parameters OPA knows. */
    private record Header(String alg, String kid, String cty, boolean valid) {
    }

    private static Header parseHeader(ObjectValue header) {
        String[] known = new String[4];
        Set<String> crit = null;
        List<String> unknown = new ArrayList<>();
        for (Value k : header.keys()) {
            String name = k instanceof StringValue s ? s.value() : k.toString();
            Value v = header.get(k);
            int idx = switch (name) {
                case "alg" -> 0;
                case "kid" -> 1;
                case "typ" -> 2;
                case "cty" -> 3;
                default -> -1;
            };
            if (idx >= 0) {
                if (!(v instanceof StringValue sv)) {
                    throw new BuiltinError(name + ": must be a string");
                }
                known[idx] = sv.value();
            } else if (name.equals("crit")) {
                if (!(v instanceof ArrayValue a)) {
                    throw new BuiltinError("crit: must be a list");
                }
                crit = new java.util.HashSet<>();
                for (Value e : a.asList()) {
                    if (!(e instanceof StringValue es)) {
                        break;
                    }
                    crit.add(es.value());
                }
                if (crit.isEmpty()) {
                    throw new BuiltinError("crit: must be a nonempty list");
                }
            } else {
                unknown.add(name);
            }
        }
        boolean valid = known[0] != null && !known[0].isEmpty();
        if (crit != null) {
            for (String u : unknown) {
                if (crit.contains(u)) {
                    valid = false;
                }
            }
        }
        return new Header(known[0] == null ? "" : known[0], known[1] == null ? "" : known[1],
                known[3] == null ? "" : known[3], valid);
    }

    // ------------------------------------------------------------------ io.jwt.decode

    static Value decode(Value jwt) {
        Token t = split(jwt);
        ObjectValue header = decodeHeader(t);
        String payload = section(t.payload(), "JWT payload");
        Value cty = header.get("cty");
        if (cty instanceof StringValue c && c.equals(JWT)) {
            return decode(StringValue.of(trim(payload, "\"'")));
        }
        ObjectValue claims = jsonObject(payload);
        byte[] sig = sectionBytes(t.signature(), "JWT signature");
        return ArrayValue.of(header, claims, StringValue.of(HexFormat.of().formatHex(sig)));
    }

    private static String trim(String s, String cut) {
        int b = 0;
        int e = s.length();
        while (b < e && cut.indexOf(s.charAt(b)) >= 0) {
            b++;
        }
        while (e > b && cut.indexOf(s.charAt(e - 1)) >= 0) {
            e--;
        }
        return s.substring(b, e);
    }

    // ------------------------------------------------------------------ verification

    private static Value verifyHs(String name, String macAlg, Value[] args) {
        Crypto.string(name, args, 1);
        String secret = Crypto.string(name, args, 2);
        Token t = split(args[0]);
        byte[] expected = Crypto.mac(macAlg, secret.getBytes(StandardCharsets.UTF_8),
                t.signingInput().getBytes(StandardCharsets.UTF_8));
        byte[] sig = sectionBytes(t.signature(), null);
        return BooleanValue.of(MessageDigest.isEqual(sig, expected));
    }

    private static Value verifyAsymmetric(String name, String alg, Value[] args) {
        Token t = split(args[0]);
        String keyText = Crypto.string(name, args, 2);
        List<VerificationKey> keys = keys(keyText);
        byte[] sig = sectionBytes(t.signature(), null);
        Header header = parseHeader(decodeHeader(t));
        byte[] input = t.signingInput().getBytes(StandardCharsets.UTF_8);
        if (!header.kid().isEmpty()) {
            for (VerificationKey k : keys) {
                if (k.kid().equals(header.kid())) {
                    return BooleanValue.of(verify(alg, k.key(), input, sig));
                }
            }
        }
        for (VerificationKey k : keys) {
            if (!k.alg().isEmpty() && !k.alg().equals(header.alg())) {
                continue;
            }
            if (verify(alg, k.key(), input, sig)) {
                return BooleanValue.TRUE;
            }
        }
        return BooleanValue.FALSE;
    }

    /** A verification key with the algorithm and key ID its JWK named (empty when none). */
    record VerificationKey(Object key, String alg, String kid) {
    }

    /**
     * OPA's getKeysFromCertOrJWK: a PEM certificate or public key, otherwise a JWK or JWK set (keys with
     * an algorithm OPA does not know are skipped).
     */
    static List<VerificationKey> keys(String text) {
        Pem.Block block = Pem.decode(text);
        if (block != null) {
            if (!block.rest().isEmpty()) {
                throw new BuiltinError("extra data after a PEM certificate block");
            }
            if (block.type().equals("CERTIFICATE")) {
                try {
                    PublicKey k = CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(block.bytes())).getPublicKey();
                    return List.of(new VerificationKey(k, "", ""));
                } catch (GeneralSecurityException | RuntimeException e) {
                    throw new BuiltinError("failed to parse a PEM certificate: " + e.getMessage());
                }
            }
            if (block.type().equals("PUBLIC KEY")) {
                PublicKey k = publicKey(block.bytes());
                if (k == null) {
                    throw new BuiltinError("failed to parse a PEM public key: x509: unknown public key algorithm");
                }
                return List.of(new VerificationKey(k, "", ""));
            }
            throw new BuiltinError("failed to extract a Key from the PEM certificate");
        }
        List<JWK> jwks;
        try {
            jwks = parseJwks(text);
        } catch (ParseException | RuntimeException e) {
            throw new BuiltinError("failed to parse a JWK key (set): " + e.getMessage());
        }
        List<VerificationKey> out = new ArrayList<>();
        for (JWK jwk : jwks) {
            String alg = jwk.getAlgorithm() == null ? "" : jwk.getAlgorithm().getName();
            if (!alg.isEmpty() && !ALGORITHMS.contains(alg)) {
                continue;
            }
            Object key;
            try {
                key = exportPublic(jwk);
            } catch (JOSEException e) {
                throw new BuiltinError(e.getMessage());
            }
            out.add(new VerificationKey(key, alg, jwk.getKeyID() == null ? "" : jwk.getKeyID()));
        }
        return out;
    }

    private static List<JWK> parseJwks(String text) throws ParseException {
        Map<String, Object> json = com.nimbusds.jose.util.JSONObjectUtils.parse(text);
        if (json.containsKey("keys")) {
            return JWKSet.parse(json).getKeys();
        }
        return List.of(JWK.parse(json));
    }

    private static Object exportPublic(JWK jwk) throws JOSEException {
        if (jwk instanceof RSAKey r) {
            return r.toRSAPublicKey();
        }
        if (jwk instanceof ECKey e) {
            return e.toECPublicKey();
        }
        if (jwk instanceof OctetKeyPair o) {
            return ed25519Public(o.getDecodedX());
        }
        if (jwk instanceof OctetSequenceKey o) {
            return o.toByteArray();
        }
        throw new JOSEException("unsupported JWK key type " + jwk.getKeyType());
    }

    private static PublicKey publicKey(byte[] der) {
        for (String alg : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        return null;
    }

    private static final byte[] ED25519_SPKI = HexFormat.of().parseHex("302a300506032b6570032100");
    private static final byte[] ED25519_PKCS8 = HexFormat.of().parseHex("302e020100300506032b657004220420");

    private static PublicKey ed25519Public(byte[] x) throws JOSEException {
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(concat(ED25519_SPKI, x)));
        } catch (GeneralSecurityException e) {
            throw new JOSEException("invalid Ed25519 public key: " + e.getMessage(), e);
        }
    }

    private static PrivateKey ed25519Private(byte[] d) throws JOSEException {
        try {
            return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(concat(ED25519_PKCS8, d)));
        } catch (GeneralSecurityException e) {
            throw new JOSEException("invalid Ed25519 private key: " + e.getMessage(), e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** True when {@code sig} is a valid {@code alg} signature of {@code input} under {@code key}. */
    static boolean verify(String alg, Object key, byte[] input, byte[] sig) {
        try {
            switch (alg.substring(0, 2)) {
                case "HS": {
                    if (!(key instanceof byte[] secret)) {
                        return false;
                    }
                    return MessageDigest.isEqual(sig, Crypto.mac("HmacSHA" + alg.substring(2), secret, input));
                }
                case "PS": {
                    return key instanceof RSAPublicKey pk
                            && verifyPss(pk, "SHA-" + alg.substring(2), input, sig);
                }
                case "RS": {
                    if (!(key instanceof RSAPublicKey pk)) {
                        return false;
                    }
                    Signature s = rsaSignature(alg);
                    s.initVerify(pk);
                    s.update(input);
                    return s.verify(sig);
                }
                case "ES": {
                    if (!(key instanceof ECPublicKey pk) || sig.length < 2) {
                        return false;
                    }
                    Signature s = Signature.getInstance("SHA" + alg.substring(2) + "withECDSA");
                    s.initVerify(pk);
                    s.update(input);
                    return s.verify(derSignature(sig));
                }
                case "Ed": {
                    if (!(key instanceof EdECPublicKey pk)) {
                        return false;
                    }
                    Signature s = Signature.getInstance("Ed25519");
                    s.initVerify(pk);
                    s.update(input);
                    return s.verify(sig);
                }
                default:
                    return false;
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /**
     * RSASSA-PSS verification (RFC 8017 9.1.2) with MGF1 over the same hash and the salt length read
     * from the signature, as Go's {@code rsa.VerifyPSS} with nil options (PSSSaltLengthAuto), which
     * OPA uses: tokens signed with any salt length verify, not only with the hash length the JDK's
     * RSASSA-PSS would need to be told.
     */
    static boolean verifyPss(RSAPublicKey pk, String hash, byte[] input, byte[] sig) {
        BigInteger n = pk.getModulus();
        int k = (n.bitLength() + 7) / 8;
        if (sig.length != k) {
            return false;
        }
        BigInteger s = new BigInteger(1, sig);
        if (s.compareTo(n) >= 0) {
            return false;
        }
        BigInteger m = s.modPow(pk.getPublicExponent(), n);
        int emBits = n.bitLength() - 1;
        int emLen = (emBits + 7) / 8;
        byte[] mb = m.toByteArray();
        int start = 0;
        while (start < mb.length - 1 && mb[start] == 0) {
            start++;
        }
        if (mb.length - start > emLen) {
            return false;
        }
        byte[] em = new byte[emLen];
        System.arraycopy(mb, start, em, emLen - (mb.length - start), mb.length - start);
        byte[] mHash = Crypto.digest(hash, input);
        int hLen = mHash.length;
        if (emLen < hLen + 2 || (em[emLen - 1] & 0xff) != 0xbc) {
            return false;
        }
        int dbLen = emLen - hLen - 1;
        byte[] h = java.util.Arrays.copyOfRange(em, dbLen, emLen - 1);
        int topBits = 8 * emLen - emBits;
        int topMask = 0xff >> topBits;
        if ((em[0] & ~topMask & 0xff) != 0) {
            return false;
        }
        byte[] db = mgf1(hash, h, dbLen);
        for (int i = 0; i < dbLen; i++) {
            db[i] ^= em[i];
        }
        db[0] &= (byte) topMask;
        int i = 0;
        while (i < dbLen && db[i] == 0) {
            i++;
        }
        if (i == dbLen || db[i] != 1) {
            return false;
        }
        byte[] salt = java.util.Arrays.copyOfRange(db, i + 1, dbLen);
        byte[] mPrime = new byte[8 + hLen + salt.length];
        System.arraycopy(mHash, 0, mPrime, 8, hLen);
        System.arraycopy(salt, 0, mPrime, 8 + hLen, salt.length);
        return MessageDigest.isEqual(h, Crypto.digest(hash, mPrime));
    }

    private static byte[] mgf1(String hash, byte[] seed, int len) {
        byte[] out = new byte[len];
        int done = 0;
        for (int counter = 0; done < len; counter++) {
            byte[] in = java.util.Arrays.copyOf(seed, seed.length + 4);
            in[seed.length] = (byte) (counter >>> 24);
            in[seed.length + 1] = (byte) (counter >>> 16);
            in[seed.length + 2] = (byte) (counter >>> 8);
            in[seed.length + 3] = (byte) counter;
            byte[] d = Crypto.digest(hash, in);
            int c = Math.min(d.length, len - done);
            System.arraycopy(d, 0, out, done, c);
            done += c;
        }
        return out;
    }

    private static Signature rsaSignature(String alg) throws GeneralSecurityException {
        String bits = alg.substring(2);
        if (alg.startsWith("RS")) {
            return Signature.getInstance("SHA" + bits + "withRSA");
        }
        Signature s = Signature.getInstance("RSASSA-PSS");
        String hash = "SHA-" + bits;
        MGF1ParameterSpec mgf = switch (bits) {
            case "256" -> MGF1ParameterSpec.SHA256;
            case "384" -> MGF1ParameterSpec.SHA384;
            default -> MGF1ParameterSpec.SHA512;
        };
        s.setParameter(new PSSParameterSpec(hash, "MGF1", mgf, Integer.parseInt(bits) / 8, 1));
        return s;
    }

    /** r || s split in half (as OPA does) and DER-encoded for the JDK. */
    private static byte[] derSignature(byte[] sig) {
        int n = sig.length / 2;
        byte[] r = new BigInteger(1, java.util.Arrays.copyOfRange(sig, 0, n)).toByteArray();
        byte[] s = new BigInteger(1, java.util.Arrays.copyOfRange(sig, n, sig.length)).toByteArray();
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        derInteger(body, r);
        derInteger(body, s);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(0x30);
        derLength(out, body.size());
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    private static void derInteger(java.io.ByteArrayOutputStream out, byte[] v) {
        out.write(0x02);
        derLength(out, v.length);
        out.writeBytes(v);
    }

    private static void derLength(java.io.ByteArrayOutputStream out, int len) {
        if (len < 128) {
            out.write(len);
        } else if (len < 256) {
            out.write(0x81);
            out.write(len);
        } else {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len & 0xff);
        }
    }

    // ------------------------------------------------------------------ io.jwt.decode_verify

    private static Value decodeVerify(Value[] args, BuiltinContext ctx) {
        if (!(args[1] instanceof ObjectValue constraintsObj)) {
            throw RegoTypeError.operand(2, args[1], "object");
        }
        Constraints cs = Constraints.parse(constraintsObj, ctx.nowNanos());
        Value a = args[0];
        Token token;
        String payloadText;
        while (true) {
            token = split(a);
            ObjectValue headerObj = decodeHeader(token);
            Header header = parseHeader(headerObj);
            if (!header.valid()) {
                return UNVERIFIED;
            }
            if (!cs.alg.isEmpty() && !cs.alg.equals(header.alg())) {
                return UNVERIFIED;
            }
            byte[] sig = sectionBytes(token.signature(), null);
            if (!cs.verify(header.kid(), header.alg(), token.signingInput().getBytes(StandardCharsets.UTF_8), sig)) {
                return UNVERIFIED;
            }
            payloadText = section(token.payload(), "JWT payload");
            if (header.cty().equalsIgnoreCase("JWT")) {
                a = StringValue.of(payloadText);
                continue;
            }
            break;
        }
        ObjectValue payload = jsonObject(payloadText);
        ObjectValue header = decodeHeader(token);
        if (!cs.iss.isEmpty()) {
            if (!(payload.get("iss") instanceof StringValue iss) || !cs.iss.equals(iss.value())) {
                return UNVERIFIED;
            }
        }
        Value aud = payload.get("aud");
        if (aud != null) {
            if (!cs.validAudience(aud)) {
                return UNVERIFIED;
            }
        } else if (!cs.aud.isEmpty()) {
            return UNVERIFIED;
        }
        BigDecimal now = seconds(cs.time);
        Value exp = payload.get("exp");
        if (exp != null) {
            if (!(exp instanceof NumberValue n)) {
                throw new BuiltinError("exp value must be a number");
            }
            if (now.compareTo(n.toBigDecimal()) >= 0) {
                return UNVERIFIED;
            }
        }
        Value nbf = payload.get("nbf");
        if (nbf != null) {
            if (!(nbf instanceof NumberValue n)) {
                throw new BuiltinError("nbf value must be a number");
            }
            if (now.compareTo(n.toBigDecimal()) < 0) {
                return UNVERIFIED;
            }
        }
        return ArrayValue.of(BooleanValue.TRUE, header, payload);
    }

    /**
     * Nanoseconds (a float64 in OPA) as seconds, as OPA compares them: the float64 quotient written
     * with the fewest digits that read back as the same float64 (Go's {@code 'g', -1}), closest to
     * the exact value among those. JDK 17's {@code Double.toString} is not always that short.
     */
    static BigDecimal seconds(double nanos) {
        return shortest(nanos / 1e9);
    }

    /** The shortest decimal that round-trips to {@code d} (finite), the closest one when several do. */
    static BigDecimal shortest(double d) {
        if (d == 0) {
            return BigDecimal.ZERO;
        }
        BigDecimal exact = new BigDecimal(d);
        for (int p = 1; p < 17; p++) {
            BigDecimal r = exact.round(new java.math.MathContext(p, java.math.RoundingMode.HALF_EVEN));
            if (r.doubleValue() == d) {
                return r;
            }
        }
        return exact.round(new java.math.MathContext(17, java.math.RoundingMode.HALF_EVEN));
    }

    /** decode_verify's constraints object. */
    private static final class Constraints {
        String secret = "";
        String alg = "";
        String iss = "";
        String aud = "";
        List<VerificationKey> keys;
        double time = -1;

        static Constraints parse(ObjectValue o, long wallclock) {
            Constraints c = new Constraints();
            for (Value k : o.keys()) {
                String name = k instanceof StringValue s ? s.value() : k.toString();
                Value v = o.get(k);
                switch (name) {
                    case "cert" -> {
                        if (!(v instanceof StringValue s)) {
                            throw new BuiltinError("cert constraint: must be a string");
                        }
                        c.keys = keys(s.value());
                    }
                    case "secret" -> c.secret = string(name, v);
                    case "alg" -> c.alg = string(name, v);
                    case "iss" -> c.iss = string(name, v);
                    case "aud" -> c.aud = string(name, v);
                    case "time" -> c.time = time(v);
                    default -> throw new BuiltinError("unknown token validation constraint: " + name);
                }
            }
            if (c.time == -1) {
                c.time = time(NumberValue.of(wallclock));
            }
            int n = (c.keys != null ? 1 : 0) + (c.secret.isEmpty() ? 0 : 1);
            if (n > 1) {
                throw new BuiltinError("duplicate key constraints");
            }
            if (n < 1) {
                throw new BuiltinError("no key constraint");
            }
            return c;
        }

        private static String string(String name, Value v) {
            if (!(v instanceof StringValue s)) {
                throw new BuiltinError(name + " constraint: must be a string");
            }
            return s.value();
        }

        private static double time(Value v) {
            if (!(v instanceof NumberValue n)) {
                throw new BuiltinError("token time constraint: must be a number");
            }
            double d = n.doubleValue();
            if (Double.isInfinite(d) || Double.isNaN(d)) {
                throw new BuiltinError("token time constraint: unvalid float64");
            }
            if (d < 0) {
                throw new BuiltinError("token time constraint: must not be negative");
            }
            return d;
        }

        boolean verify(String kid, String alg, byte[] input, byte[] sig) {
            if (keys != null) {
                if (!kid.isEmpty()) {
                    for (VerificationKey k : keys) {
                        if (k.kid().equals(kid)) {
                            return Jwt.verify(alg, k.key(), input, sig);
                        }
                    }
                }
                for (VerificationKey k : keys) {
                    if (!k.alg().isEmpty() && !k.alg().equals(alg)) {
                        continue;
                    }
                    if (Jwt.verify(alg, k.key(), input, sig)) {
                        return true;
                    }
                }
                return false;
            }
            return Jwt.verify(alg, secret.getBytes(StandardCharsets.UTF_8), input, sig);
        }

        boolean validAudience(Value v) {
            if (v instanceof StringValue s) {
                return s.value().equals(aud);
            }
            if (v instanceof ArrayValue a) {
                for (Value e : a.asList()) {
                    if (e instanceof StringValue s && s.value().equals(aud)) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    // ------------------------------------------------------------------ signing

    private static Value encodeSign(Value[] args, BuiltinContext ctx) {
        return sign(Values.toJson(args[0]), Values.toJson(args[1]), Values.toJson(args[2]));
    }

    private static Value encodeSignRaw(Value[] args, BuiltinContext ctx) {
        String name = "io.jwt.encode_sign_raw";
        String jwk = Crypto.string(name, args, 3);
        String headers = Crypto.string(name, args, 1);
        String payload = Crypto.string(name, args, 2);
        return sign(headers, payload, jwk);
    }

    private static Value sign(String headers, String payload, String jwkText) {
        List<JWK> jwks;
        try {
            jwks = parseJwks(jwkText);
        } catch (ParseException | RuntimeException e) {
            throw new BuiltinError("failed to parse JWK: " + e.getMessage());
        }
        if (jwks.isEmpty()) {
            throw new BuiltinError("no keys found in JWK set");
        }
        JWK key = jwks.get(0);
        String alg = headerString(headers, "alg");
        if (alg == null) {
            throw new BuiltinError("missing or invalid 'alg' header: jwsbb: header \"alg\" not found");
        }
        if (!ALGORITHMS.contains(alg)) {
            throw new BuiltinError("unknown JWS algorithm: " + alg);
        }
        String typ = headerStringOrNull(headers, "typ");
        if ((typ == null || typ.equals("JWT")) && !isJson(payload)) {
            throw new BuiltinError("type is JWT but payload is not JSON");
        }
        String signingInput = GoBase64.encodeUrlRaw(headers.getBytes(StandardCharsets.UTF_8)) + "."
                + GoBase64.encodeUrlRaw(payload.getBytes(StandardCharsets.UTF_8));
        byte[] sig = signBytes(alg, key, signingInput.getBytes(StandardCharsets.UTF_8));
        return StringValue.of(signingInput + "." + GoBase64.encodeUrlRaw(sig));
    }

    private static boolean isJson(String s) {
        try {
            Values.parseJson(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * The string header {@code name} of a JSON header text, or null when absent or not a string; an
     * unparsable object is an error as in OPA's jwsbb ({@code cannot parse JSON: ...}).
     */
    private static String headerString(String headers, String name) {
        String trimmed = headers.strip();
        if (trimmed.isEmpty()) {
            throw new BuiltinError("missing or invalid 'alg' header: cannot parse JSON: cannot parse empty string");
        }
        if (trimmed.startsWith("{")) {
            Value v;
            try {
                v = Values.parseJson(trimmed);
            } catch (IllegalArgumentException e) {
                throw new BuiltinError("missing or invalid 'alg' header: cannot parse JSON: " + e.getMessage());
            }
            if (v instanceof ObjectValue o && o.get(name) instanceof StringValue s) {
                return s.value();
            }
        }
        return null;
    }

    private static String headerStringOrNull(String headers, String name) {
        try {
            return headerString(headers, name);
        } catch (BuiltinError e) {
            return null;
        }
    }

    private static byte[] signBytes(String alg, JWK jwk, byte[] input) {
        try {
            switch (alg.substring(0, 2)) {
                case "HS": {
                    if (!(jwk instanceof OctetSequenceKey oct)) {
                        throw wrongKey(alg, jwk);
                    }
                    return Crypto.mac("HmacSHA" + alg.substring(2), oct.toByteArray(), input);
                }
                case "RS", "PS": {
                    if (!(jwk instanceof RSAKey rsa) || !rsa.isPrivate()) {
                        throw wrongKey(alg, jwk);
                    }
                    Signature s = rsaSignature(alg);
                    s.initSign(rsa.toRSAPrivateKey());
                    s.update(input);
                    return s.sign();
                }
                case "ES": {
                    if (!(jwk instanceof ECKey ec) || !ec.isPrivate()) {
                        throw wrongKey(alg, jwk);
                    }
                    Signature s = Signature.getInstance("SHA" + alg.substring(2) + "withECDSAinP1363Format");
                    s.initSign(ec.toECPrivateKey());
                    s.update(input);
                    return s.sign();
                }
                default: {
                    if (!(jwk instanceof OctetKeyPair okp) || !okp.isPrivate()) {
                        throw wrongKey(alg, jwk);
                    }
                    Signature s = Signature.getInstance("Ed25519");
                    s.initSign(ed25519Private(okp.getDecodedD()));
                    s.update(input);
                    return s.sign();
                }
            }
        } catch (GeneralSecurityException | JOSEException e) {
            throw new BuiltinError("failed to sign with " + alg + ": " + e.getMessage());
        }
    }

    private static BuiltinError wrongKey(String alg, JWK jwk) {
        return new BuiltinError("failed to sign with " + alg + ": the JWK (kty " + jwk.getKeyType()
                + (jwk.isPrivate() ? "" : ", public only") + ") cannot sign " + alg + ": use "
                + (alg.startsWith("HS") ? "an oct key" : alg.startsWith("ES") ? "a private EC key"
                : alg.startsWith("Ed") ? "a private OKP Ed25519 key" : "a private RSA key"));
    }
}
