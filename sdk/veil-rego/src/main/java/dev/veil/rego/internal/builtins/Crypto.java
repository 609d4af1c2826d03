package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code crypto.*} builtins: hashes ({@code crypto.md5}, {@code crypto.sha1}, {@code crypto.sha256}),
 * HMACs ({@code crypto.hmac.md5/sha1/sha256/sha512}, {@code crypto.hmac.equal}) and the X.509 / key
 * parsers in {@link X509}. Results are lower-case hex as OPA writes them; strings are hashed as UTF-8.
 */
public final class Crypto {

    private static final HexFormat HEX = HexFormat.of();

    /** Every crypto builtin. */
    public static final List<Builtin> ALL = List.of(
            Builtin.of("crypto.md5", 1, (a, c) -> hash("crypto.md5", "MD5", a)),
            Builtin.of("crypto.sha1", 1, (a, c) -> hash("crypto.sha1", "SHA-1", a)),
            Builtin.of("crypto.sha256", 1, (a, c) -> hash("crypto.sha256", "SHA-256", a)),
            Builtin.of("crypto.hmac.md5", 2, (a, c) -> hmac("crypto.hmac.md5", "HmacMD5", a)),
            Builtin.of("crypto.hmac.sha1", 2, (a, c) -> hmac("crypto.hmac.sha1", "HmacSHA1", a)),
            Builtin.of("crypto.hmac.sha256", 2, (a, c) -> hmac("crypto.hmac.sha256", "HmacSHA256", a)),
            Builtin.of("crypto.hmac.sha512", 2, (a, c) -> hmac("crypto.hmac.sha512", "HmacSHA512", a)),
            Builtin.of("crypto.hmac.equal", 2, Crypto::hmacEqual),
            Builtin.of("crypto.x509.parse_certificates", 1, X509::parseCertificates),
            Builtin.of("crypto.x509.parse_and_verify_certificates", 1, X509::parseAndVerifyCertificates),
            Builtin.of("crypto.x509.parse_and_verify_certificates_with_options", 2,
                    X509::parseAndVerifyCertificatesWithOptions),
            Builtin.of("crypto.x509.parse_certificate_request", 1, X509::parseCertificateRequest),
            Builtin.of("crypto.x509.parse_rsa_private_key", 1, X509::parseRsaPrivateKey),
            Builtin.of("crypto.x509.parse_keypair", 2, X509::parseKeyPair),
            Builtin.of("crypto.parse_private_keys", 1, X509::parsePrivateKeys));

    private Crypto() {
    }

    /** The string operand at 1-based {@code pos}, or a type error naming {@code name}. */
    static String string(String name, Value[] args, int pos) {
        Value v = args[pos - 1];
        if (v instanceof StringValue s) {
            return s.value();
        }
        throw RegoTypeError.operand(pos, v, "string").withBuiltin(name);
    }

    /** The hex digest of {@code data} under {@code algorithm}. */
    static byte[] digest(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks " + algorithm + ", which Java SE requires", e);
        }
    }

    /** The HMAC of {@code data} with {@code key} under {@code algorithm} ({@code HmacSHA256}...). */
    static byte[] mac(String algorithm, byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance(algorithm);
            // An empty key is legal for HMAC (Go accepts it) but SecretKeySpec refuses it; a
            // zero byte key is equivalent because HMAC zero-pads keys to the block size.
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, algorithm));
            return mac.doFinal(data);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("the JVM lacks " + algorithm + ", which Java SE requires", e);
        }
    }

    private static Value hash(String name, String algorithm, Value[] args) {
        byte[] data = string(name, args, 1).getBytes(StandardCharsets.UTF_8);
        return StringValue.of(HEX.formatHex(digest(algorithm, data)));
    }

    private static Value hmac(String name, String algorithm, Value[] args) {
        byte[] message = string(name, args, 1).getBytes(StandardCharsets.UTF_8);
        byte[] key = string(name, args, 2).getBytes(StandardCharsets.UTF_8);
        return StringValue.of(HEX.formatHex(mac(algorithm, key, message)));
    }

    private static Value hmacEqual(Value[] args, BuiltinContext ctx) {
        byte[] a = string("crypto.hmac.equal", args, 1).getBytes(StandardCharsets.UTF_8);
        byte[] b = string("crypto.hmac.equal", args, 2).getBytes(StandardCharsets.UTF_8);
        return BooleanValue.of(MessageDigest.isEqual(a, b));
    }
}
