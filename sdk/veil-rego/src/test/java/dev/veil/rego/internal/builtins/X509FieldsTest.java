package dev.veil.rego.internal.builtins;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Certificate fields Go's x509 parser fills from extensions, on certificates built here byte by byte. */
class X509FieldsTest {
    private static final BuiltinContext CTX = BuiltinContext.of(1_700_000_000_000_000_000L, true, new Random(1));
    private static KeyPair key;

    @BeforeAll
    static void key() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        key = g.generateKeyPair();
    }

    // ------------------------------------------------------------------ a tiny DER writer

    static byte[] tlv(int tag, byte[]... parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            body.writeBytes(p);
        }
        byte[] c = body.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        if (c.length < 128) {
            out.write(c.length);
        } else if (c.length < 256) {
            out.write(0x81);
            out.write(c.length);
        } else {
            out.write(0x82);
            out.write(c.length >> 8);
            out.write(c.length & 0xff);
        }
        out.writeBytes(c);
        return out.toByteArray();
    }

    static byte[] seq(byte[]... parts) {
        return tlv(0x30, parts);
    }

    static byte[] oid(String dotted) {
        String[] a = dotted.split("\\.");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(Integer.parseInt(a[0]) * 40 + Integer.parseInt(a[1]));
        for (int i = 2; i < a.length; i++) {
            long v = Long.parseLong(a[i]);
            byte[] tmp = new byte[10];
            int n = 0;
            do {
                tmp[n++] = (byte) (v & 0x7f);
                v >>= 7;
            } while (v > 0);
            for (int j = n - 1; j >= 0; j--) {
                b.write(tmp[j] | (j > 0 ? 0x80 : 0));
            }
        }
        return tlv(0x06, b.toByteArray());
    }

    static byte[] str(int tag, String s) {
        return tlv(tag, s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] ext(String id, boolean critical, byte[] value) {
        return critical ? seq(oid(id), tlv(0x01, new byte[] {(byte) 0xff}), tlv(0x04, value))
                : seq(oid(id), tlv(0x04, value));
    }

    static byte[] name(String cn) {
        return seq(tlv(0x31, seq(oid("2.5.4.3"), str(0x0c, cn))));
    }

    static String certificate(byte[] extensions) throws Exception {
        return certificate("Test CA", "leaf.example", key, key, extensions);
    }

    static String certificate(String issuer, String subject, KeyPair subjectKey, KeyPair signer, byte[] extensions)
            throws Exception {
        byte[] alg = seq(oid("1.2.840.113549.1.1.11"), tlv(0x05));
        byte[] tbs = seq(tlv(0xa0, tlv(0x02, new byte[] {2})), tlv(0x02, new byte[] {0x30, 0x39}), alg,
                name(issuer), seq(str(0x17, "230101000000Z"), str(0x17, "340101000000Z")), name(subject),
                subjectKey.getPublic().getEncoded(), extensions == null ? new byte[0] : tlv(0xa3, extensions));
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(signer.getPrivate());
        s.update(tbs);
        byte[] sig = s.sign();
        byte[] bits = new byte[sig.length + 1];
        System.arraycopy(sig, 0, bits, 1, sig.length);
        return Pem.encode("CERTIFICATE", seq(tbs, alg, tlv(0x03, bits)));
    }

    static ObjectValue parse(String pem) {
        Value v = Builtins.lookup("crypto.x509.parse_certificates").fn().call(new Value[] {StringValue.of(pem)}, CTX);
        return (ObjectValue) ((ArrayValue) v).get(0);
    }

    static Value json(String j) {
        return Values.parseJson(j);
    }

    @Test
    void extensionFieldsAsGoFillsThem() throws Exception {
        byte[] extensions = seq(
                ext("2.5.29.14", false, tlv(0x04, new byte[] {1, 2, 3})),
                ext("2.5.29.35", false, seq(tlv(0x80, new byte[] {10, 11}))),
                ext("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"), oid("1.2.3.4"))),
                ext("2.5.29.19", true, seq()),
                ext("1.3.6.1.5.5.7.1.1", false, seq(seq(oid("1.3.6.1.5.5.7.48.1"), str(0x86, "http://ocsp.example")),
                        seq(oid("1.3.6.1.5.5.7.48.2"), str(0x86, "http://ca.example/ca.crt")))),
                ext("2.5.29.31", false, seq(seq(tlv(0xa0, tlv(0xa0, str(0x86, "http://crl.example/ca.crl")))))),
                ext("2.5.29.32", false, seq(seq(oid("2.23.140.1.2.1")))),
                ext("1.2.3.99", true, tlv(0x05)));
        ObjectValue c = parse(certificate(extensions));
        assertThat(((ArrayValue) c.get("Extensions")).size()).isEqualTo(8);
        assertThat(((ArrayValue) c.get("Extensions")).get(0))
                .isEqualTo(json("{\"Id\":[2,5,29,14],\"Critical\":false,\"Value\":\"BAMBAgM=\"}"));
        assertThat(((ArrayValue) c.get("Extensions")).get(3))
                .isEqualTo(json("{\"Id\":[2,5,29,19],\"Critical\":true,\"Value\":\"MAA=\"}"));
        assertThat(c.get("SubjectKeyId")).isEqualTo(StringValue.of("AQID"));
        assertThat(c.get("AuthorityKeyId")).isEqualTo(StringValue.of("Cgs="));
        assertThat(c.get("ExtKeyUsage")).isEqualTo(json("[1]"));
        assertThat(c.get("UnknownExtKeyUsage")).isEqualTo(json("[[1,2,3,4]]"));
        assertThat(c.get("OCSPServer")).isEqualTo(json("[\"http://ocsp.example\"]"));
        assertThat(c.get("IssuingCertificateURL")).isEqualTo(json("[\"http://ca.example/ca.crt\"]"));
        assertThat(c.get("CRLDistributionPoints")).isEqualTo(json("[\"http://crl.example/ca.crl\"]"));
        assertThat(c.get("PolicyIdentifiers")).isEqualTo(json("[[2,23,140,1,2,1]]"));
        assertThat(c.get("Policies")).isEqualTo(json("[\"2.23.140.1.2.1\"]"));
        assertThat(c.get("UnhandledCriticalExtensions")).isEqualTo(json("[[1,2,3,99]]"));
        assertThat(c.get("BasicConstraintsValid")).isEqualTo(BooleanValue.TRUE);
        assertThat(c.get("IsCA")).isEqualTo(BooleanValue.FALSE);
        assertThat(c.get("MaxPathLen")).isEqualTo(NumberValue.of(-1));
        assertThat(c.get("SerialNumber")).isEqualTo(NumberValue.of(12345));
        assertThat(((ObjectValue) c.get("Subject")).get("CommonName")).isEqualTo(StringValue.of("leaf.example"));
        assertThat(c.get("InhibitAnyPolicy")).isEqualTo(NumberValue.ZERO);
        assertThat(c.get("PermittedDNSDomains")).isEqualTo(NullValue.NULL);
    }

    @Test
    void withoutExtensionsTheFieldsKeepGosZeroValues() throws Exception {
        ObjectValue c = parse(certificate(null));
        assertThat(c.get("Extensions")).isEqualTo(NullValue.NULL);
        assertThat(c.get("SubjectKeyId")).isEqualTo(NullValue.NULL);
        assertThat(c.get("ExtKeyUsage")).isEqualTo(NullValue.NULL);
        assertThat(c.get("BasicConstraintsValid")).isEqualTo(BooleanValue.FALSE);
        assertThat(c.get("MaxPathLen")).isEqualTo(NumberValue.ZERO);
        assertThat(c.get("MaxPathLenZero")).isEqualTo(BooleanValue.FALSE);
        assertThat(c.get("UnhandledCriticalExtensions")).isEqualTo(NullValue.NULL);
    }

    @Test
    void aCaWithAPathLength() throws Exception {
        ObjectValue c = parse(certificate(seq(ext("2.5.29.19", true, seq(tlv(0x01, new byte[] {(byte) 0xff}),
                tlv(0x02, new byte[] {0}))))));
        assertThat(c.get("IsCA")).isEqualTo(BooleanValue.TRUE);
        assertThat(c.get("MaxPathLen")).isEqualTo(NumberValue.ZERO);
        assertThat(c.get("MaxPathLenZero")).isEqualTo(BooleanValue.TRUE);
    }

    // ------------------------------------------------------------------ chain verification

    private static final String VERIFY = "crypto.x509.parse_and_verify_certificates";
    private static final String WITH_OPTIONS = "crypto.x509.parse_and_verify_certificates_with_options";

    static byte[] caExtensions() {
        return seq(ext("2.5.29.19", true, seq(tlv(0x01, new byte[] {(byte) 0xff}))));
    }

    static byte[] leafExtensions(String dns, String... ekus) {
        byte[][] oids = new byte[ekus.length][];
        for (int i = 0; i < ekus.length; i++) {
            oids[i] = oid(ekus[i]);
        }
        return seq(ext("2.5.29.17", false, seq(str(0x82, dns))), ext("2.5.29.37", false, seq(oids)));
    }

    static String chain(String dns, String... ekus) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        KeyPair leafKey = g.generateKeyPair();
        return certificate("Root", "Root", key, key, caExtensions())
                + certificate("Root", "leaf", leafKey, key, leafExtensions(dns, ekus));
    }

    static Value call(String name, Value... args) {
        return Builtins.lookup(name).fn().call(args, CTX);
    }

    static boolean valid(Value result) {
        return ((ArrayValue) result).get(0).equals(BooleanValue.TRUE);
    }

    @Test
    void chainsVerifyForServerAuthByDefaultLikeGo() throws Exception {
        String server = chain("leaf.example", "1.3.6.1.5.5.7.3.1");
        ArrayValue ok = (ArrayValue) call(VERIFY, StringValue.of(server));
        assertThat(ok.get(0)).isEqualTo(BooleanValue.TRUE);
        assertThat(((ArrayValue) ok.get(1)).size()).isEqualTo(2);
        assertThat(((ObjectValue) ((ArrayValue) ok.get(1)).get(0)).get("Subject").toString()).contains("leaf");
        String client = chain("leaf.example", "1.3.6.1.5.5.7.3.2");
        assertThat(call(VERIFY, StringValue.of(client))).isEqualTo(json("[false, []]"));
        assertThat(valid(call(WITH_OPTIONS, StringValue.of(client), json("{\"KeyUsages\": [\"KeyUsageClientAuth\"]}"))))
                .isTrue();
        assertThat(valid(call(WITH_OPTIONS, StringValue.of(client), json("{\"KeyUsages\": [\"KeyUsageAny\"]}"))))
                .isTrue();
        assertThat(valid(call(WITH_OPTIONS, StringValue.of(client), json("{\"KeyUsages\": [\"KeyUsageServerAuth\"]}"))))
                .isFalse();
        assertThat(valid(call(WITH_OPTIONS, StringValue.of(client), json("{}")))).isFalse();
    }

    @Test
    void hostNameAndTimeOptions() throws Exception {
        String server = chain("*.example", "1.3.6.1.5.5.7.3.1");
        assertThat(valid(call(WITH_OPTIONS, StringValue.of(server), json("{\"DNSName\": \"a.example\"}")))).isTrue();
        assertThat(valid(call(WITH_OPTIONS, StringValue.of(server), json("{\"DNSName\": \"A.Example.\"}")))).isTrue();
        assertThat(valid(call(WITH_OPTIONS, StringValue.of(server), json("{\"DNSName\": \"a.b.example\"}")))).isFalse();
        assertThat(valid(call(WITH_OPTIONS, StringValue.of(server), json("{\"DNSName\": \"example\"}")))).isFalse();
        // valid 2023-01-01 to 2034-01-01
        assertThat(valid(call(WITH_OPTIONS, StringValue.of(server),
                json("{\"CurrentTime\": 1800000000000000000, \"MaxConstraintComparisons\": 10}")))).isTrue();
        assertThat(valid(call(WITH_OPTIONS, StringValue.of(server), json("{\"CurrentTime\": 1600000000000000000}"))))
                .isFalse();
        assertThat(call(WITH_OPTIONS, StringValue.of("not base64!"), json("{\"bogus\": 1}")))
                .isEqualTo(json("[false, []]"));
    }

    @Test
    void badOptionsAreBuiltinErrorsWithOpasMessages() throws Exception {
        StringValue server = StringValue.of(chain("leaf.example", "1.3.6.1.5.5.7.3.1"));
        String[][] cases = {
            {"{\"DNSName\": 1}", "'DNSName' should be a string"},
            {"{\"CurrentTime\": \"now\"}", "'CurrentTime' should be a number"},
            {"{\"CurrentTime\": 1.5}", "'CurrentTime' should be a valid int64 number"},
            {"{\"MaxConstraintComparisons\": true}", "'MaxConstraintComparisons' should be a number"},
            {"{\"MaxConstraintComparisons\": 1e3}", "'MaxConstraintComparisons' should be a valid number"},
            {"{\"KeyUsages\": \"KeyUsageAny\"}", "'KeyUsages' should be an Array or Set"},
            {"{\"KeyUsages\": [\"Nope\", 1, \"KeyUsageAny\", \"Nah\"]}",
                "invalid entries for 'KeyUsages' found: [Nope Nah]"},
            {"{\"Other\": 1}", "invalid key option"}};
        for (String[] c : cases) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> call(WITH_OPTIONS, server, json(c[0])))
                    .as(c[0]).isInstanceOf(BuiltinError.class).hasMessage(c[1]);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> call(WITH_OPTIONS, server, StringValue.of("x")))
                .isInstanceOf(RegoTypeError.class)
                .hasMessage(WITH_OPTIONS + ": operand 2 must be object but got string");
    }
}
