package dev.veil.rego.internal.builtins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.strings;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JwtTest {
    private static final long NOW = 1_700_000_000_000_000_000L;
    private static final BuiltinContext CTX = BuiltinContext.of(NOW, true, new Random(1));
    private static final String RFC_K = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3"
            + "Yj0iPS4hcgUuTwjAzZr1Z9CAow";

    private static RSAKey rsa;
    private static RSAKey otherRsa;
    private static ECKey ec;

    @BeforeAll
    static void keys() throws Exception {
        rsa = new RSAKeyGenerator(2048).generate();
        otherRsa = new RSAKeyGenerator(2048).generate();
        ec = new ECKeyGenerator(Curve.P_256).generate();
    }

    static Value call(String name, Value... args) {
        Builtin b = Builtins.register(java.util.List.of(Jwt.ALL)).get(name);
        assertThat(b).as(name).isNotNull();
        assertThat(b.arity()).isEqualTo(args.length);
        return b.fn().call(args, CTX);
    }

    static StringValue s(String v) {
        return StringValue.of(v);
    }

    static Value json(String j) {
        return Values.parseJson(j);
    }

    @Test
    void encodeSignRawReproducesRfc7515AppendixA1() {
        Value token = call("io.jwt.encode_sign_raw", s("{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}"),
                s("{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}"),
                s("{\"kty\":\"oct\",\"k\":\"" + RFC_K + "\"}"));
        assertThat(token).isEqualTo(s("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
                + ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
                + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
    }

    @Test
    void hmacVerifyHoldsForFreshTokensAndFailsOnAnyOneBitChange() {
        qt().withExamples(40).forAll(strings().basicLatinAlphabet().ofLengthBetween(1, 40),
                strings().basicLatinAlphabet().ofLengthBetween(0, 20), integers().between(0, 10_000))
                .checkAssert((secret, sub, bit) -> {
                    String k = Base64.getUrlEncoder().withoutPadding()
                            .encodeToString(secret.getBytes(StandardCharsets.UTF_8));
                    ObjectValue claims = ObjectValue.of(s("sub"), s(sub));
                    StringValue token = (StringValue) call("io.jwt.encode_sign", json("{\"alg\":\"HS256\"}"), claims,
                            ObjectValue.of(s("kty"), s("oct"), s("k"), s(k)));
                    assertThat(call("io.jwt.verify_hs256", token, s(secret))).isEqualTo(BooleanValue.TRUE);
                    Value dv = call("io.jwt.decode_verify", token, ObjectValue.of(s("secret"), s(secret)));
                    assertThat(((ArrayValue) dv).get(0)).isEqualTo(BooleanValue.TRUE);
                    assertThat(((ArrayValue) dv).get(2)).isEqualTo(claims);

                    String t = token.value();
                    int sigStart = t.lastIndexOf('.') + 1;
                    byte[] sig = Base64.getUrlDecoder().decode(t.substring(sigStart));
                    sig[(bit / 8) % sig.length] ^= (byte) (1 << (bit % 8));
                    String tampered = t.substring(0, sigStart) + Base64.getUrlEncoder().withoutPadding()
                            .encodeToString(sig);
                    assertThat(call("io.jwt.verify_hs256", s(tampered), s(secret))).isEqualTo(BooleanValue.FALSE);
                });
    }

    @Test
    void rsaAndPssTokensVerifyWithPemJwkAndJwks() throws Exception {
        for (String alg : new String[] {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}) {
            Value token = call("io.jwt.encode_sign", json("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}"),
                    json("{\"iss\":\"me\"}"), json(rsa.toJSONString()));
            String fn = "io.jwt.verify_" + alg.toLowerCase();
            String pem = Pem.encode("PUBLIC KEY", rsa.toRSAPublicKey().getEncoded());
            assertThat(call(fn, token, s(pem))).as(alg).isEqualTo(BooleanValue.TRUE);
            assertThat(call(fn, token, s(rsa.toPublicJWK().toJSONString()))).as(alg).isEqualTo(BooleanValue.TRUE);
            assertThat(call(fn, token, s("{\"keys\":[" + otherRsa.toPublicJWK().toJSONString() + ","
                    + rsa.toPublicJWK().toJSONString() + "]}"))).as(alg).isEqualTo(BooleanValue.TRUE);
            assertThat(call(fn, token, s(otherRsa.toPublicJWK().toJSONString()))).as(alg)
                    .isEqualTo(BooleanValue.FALSE);
        }
    }

    @Test
    void pssSignaturesVerifyWhateverTheirSaltLength() throws Exception {
        java.security.interfaces.RSAPublicKey pub = rsa.toRSAPublicKey();
        int k = (pub.getModulus().bitLength() + 7) / 8;
        Base64.Encoder u = Base64.getUrlEncoder().withoutPadding();
        String signingInput = u.encodeToString("{\"alg\":\"PS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + u.encodeToString("{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        String pem = Pem.encode("PUBLIC KEY", pub.getEncoded());
        for (int saltLen : new int[] {0, 20, 32, k - 32 - 2}) {
            java.security.Signature signer = java.security.Signature.getInstance("RSASSA-PSS");
            signer.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
                    java.security.spec.MGF1ParameterSpec.SHA256, saltLen, 1));
            signer.initSign(rsa.toRSAPrivateKey());
            signer.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            byte[] sig = signer.sign();
            String token = signingInput + "." + u.encodeToString(sig);
            assertThat(call("io.jwt.verify_ps256", s(token), s(pem))).as("salt " + saltLen)
                    .isEqualTo(BooleanValue.TRUE);
            byte[] good = sig.clone();
            sig[sig.length / 2] ^= 1;
            assertThat(call("io.jwt.verify_ps256", s(signingInput + "." + u.encodeToString(sig)), s(pem)))
                    .as("tampered, salt " + saltLen).isEqualTo(BooleanValue.FALSE);
            // the same signature under another hash or a shortened signature does not verify
            byte[] in = signingInput.getBytes(StandardCharsets.US_ASCII);
            assertThat(Jwt.verifyPss(pub, "SHA-256", in, good)).isTrue();
            assertThat(Jwt.verifyPss(pub, "SHA-384", in, good)).isFalse();
            assertThat(Jwt.verifyPss(pub, "SHA-256", in, java.util.Arrays.copyOf(good, good.length - 1))).isFalse();
        }
    }

    @Test
    void timesAreComparedAsGosShortestFloatText() {
        assertThat(Jwt.shortest(0.1)).isEqualByComparingTo("0.1");
        assertThat(Jwt.shortest(0.1 + 0.2)).isEqualByComparingTo("0.30000000000000004");
        assertThat(Jwt.shortest(2e23)).isEqualByComparingTo("2e23");
        assertThat(Jwt.shortest(5e-324)).isEqualByComparingTo("5e-324");
        assertThat(Jwt.shortest(1.7e9)).isEqualByComparingTo("1700000000");
        qt().withExamples(200).forAll(integers().all(), integers().all()).checkAssert((a, b) -> {
            double d = Double.longBitsToDouble(((long) a << 32) ^ (b & 0xffffffffL));
            if (Double.isFinite(d) && d != 0) {
                java.math.BigDecimal s = Jwt.shortest(d);
                assertThat(s.doubleValue()).isEqualTo(d);
                assertThat(s.precision()).isLessThanOrEqualTo(17);
                if (s.precision() > 1) {
                    java.math.BigDecimal shorter = new java.math.BigDecimal(d)
                            .round(new java.math.MathContext(s.precision() - 1, java.math.RoundingMode.HALF_EVEN));
                    assertThat(shorter.doubleValue()).isNotEqualTo(d);
                }
            }
        });
        // exp equal to the time (a float quotient) is expired; earlier it is not
        String k = Base64.getUrlEncoder().withoutPadding().encodeToString("secret".getBytes(StandardCharsets.UTF_8));
        Value token = call("io.jwt.encode_sign", json("{\"alg\":\"HS256\"}"), json("{\"exp\":1700000000.1}"),
                json("{\"kty\":\"oct\",\"k\":\"" + k + "\"}"));
        ArrayValue at = (ArrayValue) call("io.jwt.decode_verify", token, ObjectValue.of(s("secret"), s("secret"),
                s("time"), NumberValue.parse("1700000000100000000")));
        assertThat(at.get(0)).isEqualTo(BooleanValue.FALSE);
        ArrayValue before = (ArrayValue) call("io.jwt.decode_verify", token, ObjectValue.of(s("secret"), s("secret"),
                s("time"), NumberValue.parse("1700000000000000000")));
        assertThat(before.get(0)).isEqualTo(BooleanValue.TRUE);
    }

    @Test
    void ecdsaAndEddsaTokensVerify() throws Exception {
        Value token = call("io.jwt.encode_sign", json("{\"alg\":\"ES256\"}"), json("{\"a\":1}"),
                json(ec.toJSONString()));
        assertThat(call("io.jwt.verify_es256", token, s(ec.toPublicJWK().toJSONString()))).isEqualTo(BooleanValue.TRUE);
        assertThat(call("io.jwt.verify_rs256", token, s(ec.toPublicJWK().toJSONString())))
                .isEqualTo(BooleanValue.FALSE);
        ArrayValue dv = (ArrayValue) call("io.jwt.decode_verify", token,
                ObjectValue.of(s("cert"), s(ec.toPublicJWK().toJSONString())));
        assertThat(dv.get(0)).isEqualTo(BooleanValue.TRUE);

        KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] spki = ed.getPublic().getEncoded();
        byte[] pkcs8 = ed.getPrivate().getEncoded();
        Base64.Encoder u = Base64.getUrlEncoder().withoutPadding();
        String x = u.encodeToString(java.util.Arrays.copyOfRange(spki, spki.length - 32, spki.length));
        String d = u.encodeToString(java.util.Arrays.copyOfRange(pkcs8, pkcs8.length - 32, pkcs8.length));
        Value edToken = call("io.jwt.encode_sign", json("{\"alg\":\"EdDSA\"}"), json("{\"a\":1}"),
                json("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x + "\",\"d\":\"" + d + "\"}"));
        assertThat(call("io.jwt.verify_eddsa", edToken, s(Pem.encode("PUBLIC KEY", spki))))
                .isEqualTo(BooleanValue.TRUE);
    }

    @Test
    void decodeReturnsHeaderPayloadAndHexSignature() {
        Value token = call("io.jwt.encode_sign_raw", s("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"),
                s("{\"sub\":\"0\",\"iss\":\"opa\",\"iss\":\"last\"}"), s("{\"kty\":\"oct\",\"k\":\"" + RFC_K + "\"}"));
        ArrayValue d = (ArrayValue) call("io.jwt.decode", token);
        assertThat(d.get(0)).isEqualTo(json("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"));
        assertThat(d.get(1)).isEqualTo(json("{\"sub\":\"0\",\"iss\":\"last\"}"));
        assertThat(((StringValue) d.get(2)).value()).matches("[0-9a-f]{64}");
    }

    @Test
    void decodeErrors() {
        assertThatThrownBy(() -> call("io.jwt.decode", s("a.b"))).isInstanceOf(BuiltinError.class)
                .hasMessage("encoded JWT must have 3 sections, found 2");
        assertThatThrownBy(() -> call("io.jwt.decode", s("abc"))).isInstanceOf(BuiltinError.class)
                .hasMessage("encoded JWT had no period separators");
        assertThatThrownBy(() -> call("io.jwt.decode", s("eyJhbGciOiJIU^%zI1NiI+sInR5cCI6IkpXVCJ9.e30.")))
                .isInstanceOf(BuiltinError.class)
                .hasMessage("JWT header had invalid encoding: illegal base64 data at input byte 13");
        String jwe = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"x\",\"enc\":\"y\"}".getBytes());
        assertThatThrownBy(() -> call("io.jwt.decode", s(jwe + ".e30.")))
                .hasMessage("JWT is a JWE object, which is not supported");
        assertThatThrownBy(() -> call("io.jwt.decode", NumberValue.of(1))).isInstanceOf(RegoTypeError.class)
                .hasMessageContaining("operand 1 must be string but got number");
    }

    @Test
    void decodeVerifyChecksClaimsAndTime() {
        String k = "{\"kty\":\"oct\",\"k\":\"" + Base64.getUrlEncoder().withoutPadding().encodeToString("s3".getBytes())
                + "\"}";
        Value token = call("io.jwt.encode_sign", json("{\"alg\":\"HS256\"}"),
                json("{\"iss\":\"xxx\",\"aud\":[\"fred\",\"bob\"],\"nbf\":1000,\"exp\":3000.5}"), json(k));
        ArrayValue unverified = ArrayValue.of(BooleanValue.FALSE, ObjectValue.EMPTY, ObjectValue.EMPTY);
        assertThat(dv(token, "{\"secret\":\"s3\",\"aud\":\"bob\",\"iss\":\"xxx\",\"time\":2000000000000}").get(0))
                .isEqualTo(BooleanValue.TRUE);
        assertThat(dv(token, "{\"secret\":\"s3\",\"aud\":\"bob\",\"time\":3000500000000}")).isEqualTo(unverified);
        assertThat(dv(token, "{\"secret\":\"s3\",\"aud\":\"bob\",\"time\":999999999999}")).isEqualTo(unverified);
        assertThat(dv(token, "{\"secret\":\"s3\",\"time\":2000000000000}")).isEqualTo(unverified);
        assertThat(dv(token, "{\"secret\":\"s3\",\"aud\":\"bob\",\"iss\":\"yyy\",\"time\":2000000000000}"))
                .isEqualTo(unverified);
        assertThat(dv(token, "{\"secret\":\"s3\",\"aud\":\"bob\",\"alg\":\"RS256\",\"time\":2000000000000}"))
                .isEqualTo(unverified);
        // the default time is the evaluation's clock (2023), after exp
        assertThat(dv(token, "{\"secret\":\"s3\",\"aud\":\"bob\"}")).isEqualTo(unverified);
    }

    private static ArrayValue dv(Value token, String constraints) {
        return (ArrayValue) call("io.jwt.decode_verify", token, json(constraints));
    }

    @Test
    void decodeVerifyConstraintErrors() {
        Value token = call("io.jwt.encode_sign", json("{\"alg\":\"HS256\"}"), json("{\"exp\":\"soon\"}"),
                json("{\"kty\":\"oct\",\"k\":\"NDI\"}"));
        assertThatThrownBy(() -> dv(token, "{\"secret\":\"42\"}")).hasMessage("exp value must be a number");
        assertThatThrownBy(() -> dv(token, "{}")).hasMessage("no key constraint");
        assertThatThrownBy(() -> dv(token, "{\"secret\":\"42\",\"foo\":1}"))
                .hasMessage("unknown token validation constraint: foo");
        assertThatThrownBy(() -> dv(token, "{\"secret\":\"42\",\"time\":-1}"))
                .hasMessage("token time constraint: must not be negative");
        assertThatThrownBy(() -> dv(token,
                "{\"secret\":\"42\",\"cert\":\"{\\\"kty\\\":\\\"oct\\\",\\\"k\\\":\\\"NDI\\\"}\"}"))
                .hasMessage("duplicate key constraints");
        assertThatThrownBy(() -> call("io.jwt.decode_verify", token, s("x"))).isInstanceOf(RegoTypeError.class)
                .hasMessageContaining("operand 2 must be object but got string");
    }

    @Test
    void keyParsingErrors() {
        Value token = call("io.jwt.encode_sign", json("{\"alg\":\"HS256\"}"), json("{}"),
                json("{\"kty\":\"oct\",\"k\":\"NDI\"}"));
        assertThatThrownBy(() -> call("io.jwt.verify_rs256", token, s("not a key")))
                .hasMessageStartingWith("failed to parse a JWK key (set)");
        String junkCert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assertThatThrownBy(() -> call("io.jwt.verify_rs256", token, s(junkCert)))
                .hasMessageStartingWith("failed to parse a PEM certificate");
        assertThatThrownBy(() -> call("io.jwt.verify_rs256", token, s(junkCert + "extra")))
                .hasMessage("extra data after a PEM certificate block");
    }

    @Test
    void encodeSignErrors() {
        String k = "{\"kty\":\"oct\",\"k\":\"" + RFC_K + "\"}";
        assertThatThrownBy(() -> call("io.jwt.encode_sign_raw", s(""), s("{}"), s(k)))
                .hasMessage("missing or invalid 'alg' header: cannot parse JSON: cannot parse empty string");
        assertThatThrownBy(() -> call("io.jwt.encode_sign_raw", s("e"), s("{}"), s(k)))
                .hasMessage("missing or invalid 'alg' header: jwsbb: header \"alg\" not found");
        assertThatThrownBy(() -> call("io.jwt.encode_sign_raw", s("{\"typ:\"JWT\"}"), s("{}"), s(k)))
                .hasMessageStartingWith("missing or invalid 'alg' header: cannot parse JSON");
        assertThatThrownBy(() -> call("io.jwt.encode_sign_raw", s("{\"alg\":\"dummy\"}"), s("{}"), s(k)))
                .hasMessage("unknown JWS algorithm: dummy");
        assertThatThrownBy(() -> call("io.jwt.encode_sign_raw", s("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"), s(""), s(k)))
                .hasMessage("type is JWT but payload is not JSON");
        assertThat(call("io.jwt.encode_sign_raw", s("{\"alg\":\"HS256\",\"typ\":\"text/plain\"}"), s("e"), s(k)))
                .isInstanceOf(StringValue.class);
        assertThatThrownBy(() -> call("io.jwt.encode_sign_raw", s("{\"alg\":\"RS256\"}"), s("{}"), s(k)))
                .hasMessageContaining("cannot sign RS256");
        assertThatThrownBy(() -> call("io.jwt.encode_sign_raw", s("{}"), s("{}"), NumberValue.of(3)))
                .isInstanceOf(RegoTypeError.class)
                .hasMessage("io.jwt.encode_sign_raw: operand 3 must be string but got number");
    }
}
