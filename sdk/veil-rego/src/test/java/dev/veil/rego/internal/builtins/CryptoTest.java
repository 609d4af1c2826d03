package dev.veil.rego.internal.builtins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CryptoTest {
    private static final BuiltinContext CTX = BuiltinContext.of(1_700_000_000_000_000_000L, true, new Random(1));

    static Value call(String name, Value... args) {
        Builtin b = Builtins.register(java.util.List.of(Crypto.ALL)).get(name);
        assertThat(b).as(name).isNotNull();
        assertThat(b.arity()).isEqualTo(args.length);
        return b.fn().call(args, CTX);
    }

    static StringValue s(String v) {
        return StringValue.of(v);
    }

    @Test
    void hashesAreLowerCaseHexOfUtf8() {
        assertThat(call("crypto.md5", s("lorem ipsum"))).isEqualTo(s("80a751fde577028640c419000e33eba6"));
        assertThat(call("crypto.sha1", s(""))).isEqualTo(s("da39a3ee5e6b4b0d3255bfef95601890afd80709"));
        assertThat(call("crypto.sha256", s("abc")))
                .isEqualTo(s("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    }

    @Test
    void hmacsMatchOpa() {
        assertThat(call("crypto.hmac.md5", s("foo"), s("bar"))).isEqualTo(s("31b6db9e5eb4addb42f1a6ca07367adc"));
        assertThat(call("crypto.hmac.sha1", s("foo"), s("bar")))
                .isEqualTo(s("85d155c55ed286a300bd1cf124de08d87e914f3a"));
        assertThat(call("crypto.hmac.sha256", s("foo"), s("bar")))
                .isEqualTo(s("147933218aaabc0b8b10a2b3a5c34684c8d94341bcf10a4736dc7270f7741851"));
        assertThat(call("crypto.hmac.md5", s("åäöçß🥲♙Ω"), s("秘密の")))
                .isEqualTo(s("20a8743c2157ac60b7e8b79c83651b8d"));
        assertThat(call("crypto.hmac.sha512", s("foo"), s("bar"))).isEqualTo(s(
                "24257d7210582a65c731ec55159c8184cc24c02489453e58587f71f44c23a2d6"
                + "1b4b72154a89d17b2d49448a8452ea066f4fc56a2bcead45c088572ffccdb3d8"));
    }

    @Test
    void hmacWithEmptyKeyIsDefined() {
        // HMAC-SHA256 of "" with an empty key (RFC 4231 style known value).
        assertThat(call("crypto.hmac.sha256", s(""), s("")))
                .isEqualTo(s("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"));
    }

    @Test
    void hmacEqual() {
        assertThat(call("crypto.hmac.equal", s("abc"), s("abc"))).isEqualTo(BooleanValue.TRUE);
        assertThat(call("crypto.hmac.equal", s("abc"), s("ab"))).isEqualTo(BooleanValue.FALSE);
    }

    @Test
    void wrongOperandTypesAreTypeErrors() {
        assertThatThrownBy(() -> call("crypto.md5", NumberValue.of(1))).isInstanceOf(RegoTypeError.class)
                .hasMessage("crypto.md5: operand 1 must be string but got number");
        assertThatThrownBy(() -> call("crypto.hmac.sha256", s("x"), NullValue.NULL))
                .isInstanceOf(RegoTypeError.class)
                .hasMessage("crypto.hmac.sha256: operand 2 must be string but got null");
    }

    @Test
    void rsaPrivateKeyParsesToJwk() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        RSAPrivateCrtKey k = (RSAPrivateCrtKey) g.generateKeyPair().getPrivate();
        String pem = Pem.encode("PRIVATE KEY", k.getEncoded());
        ObjectValue jwk = (ObjectValue) call("crypto.x509.parse_rsa_private_key", s(pem));
        assertThat(jwk.get("kty")).isEqualTo(s("RSA"));
        assertThat(jwk.get("e")).isEqualTo(s("AQAB"));
        byte[] n = Base64.getUrlDecoder().decode(((StringValue) jwk.get("n")).value());
        assertThat(new java.math.BigInteger(1, n)).isEqualTo(k.getModulus());
        // base64 of the PEM text is accepted too
        String b64 = Base64.getEncoder().encodeToString(pem.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(call("crypto.x509.parse_rsa_private_key", s(b64))).isEqualTo(jwk);
        assertThat((ArrayValue) call("crypto.parse_private_keys", s(pem))).satisfies(a -> assertThat(a.size())
                .isEqualTo(1));
    }

    @Test
    void privateKeyParsingEdgeCases() {
        assertThat(call("crypto.parse_private_keys", s(""))).isEqualTo(NullValue.NULL);
        assertThat(call("crypto.parse_private_keys", s("nope"))).isEqualTo(ArrayValue.EMPTY);
        assertThatThrownBy(() -> call("crypto.x509.parse_rsa_private_key", s("invalid")))
                .isInstanceOf(BuiltinError.class).hasMessageContaining("illegal base64 data at input byte 4");
        assertThatThrownBy(() -> call("crypto.x509.parse_rsa_private_key", s("")))
                .isInstanceOf(BuiltinError.class).hasMessage("input PEM data was empty");
    }

    @Test
    void certificateErrors() {
        assertThatThrownBy(() -> call("crypto.x509.parse_certificates", s("foobar")))
                .isInstanceOf(BuiltinError.class).hasMessage("illegal base64 data at input byte 4");
        assertThatThrownBy(() -> call("crypto.x509.parse_certificate_request", s("YmFkc3RyaW5n")))
                .isInstanceOf(BuiltinError.class).hasMessageContaining("asn1: structure error");
        assertThat(call("crypto.x509.parse_and_verify_certificates", s("foobar")))
                .isEqualTo(ArrayValue.of(BooleanValue.FALSE, ArrayValue.EMPTY));
    }

    @Test
    void goBase64ErrorOffsets() {
        assertThatThrownBy(() -> GoBase64.decodeUrlLenient("eyJhbGciOiJIU^%zI1NiI+sInR5cCI6IkpXVCJ9"))
                .hasMessage("illegal base64 data at input byte 13");
        assertThat(GoBase64.decodeStd("Zm9vYmFy")).isEqualTo("foobar".getBytes());
        assertThat(GoBase64.decodeUrlLenient("Zm9vYg")).isEqualTo("foob".getBytes());
    }
}
