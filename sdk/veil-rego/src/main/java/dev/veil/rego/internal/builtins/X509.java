package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The X.509 and private-key parsers behind {@code crypto.x509.*} and {@code crypto.parse_private_keys}.
 * Certificates are returned as objects shaped like Go's {@code x509.Certificate} JSON (the fields
 * policies use: {@code Subject}, {@code Issuer}, {@code DNSNames}, {@code URIStrings}, validity,
 * serial number, raw DER as base64...), not every field Go writes.
 */
final class X509 {

    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    private X509() {
    }

    // ------------------------------------------------------------------ builtins

    static Value parseCertificates(Value[] args, BuiltinContext ctx) {
        String input = Crypto.string("crypto.x509.parse_certificates", args, 1);
        return certArray(certsFromString(input));
    }

    static Value parseAndVerifyCertificates(Value[] args, BuiltinContext ctx) {
        String input = Crypto.string("crypto.x509.parse_and_verify_certificates", args, 1);
        return parseAndVerify(input, () -> new VerifyOptions(ctx.nowNanos()));
    }

    /**
     * {@code [true, certificates]} for a chain that parses and verifies, else {@code [false, []]}; the
     * options are read (and may raise their errors) only after the certificates parsed, as in OPA.
     */
    private static Value parseAndVerify(String input, java.util.function.Supplier<VerifyOptions> options) {
        ArrayValue invalid = ArrayValue.of(BooleanValue.FALSE, ArrayValue.EMPTY);
        List<X509Certificate> certs;
        try {
            certs = certsFromString(input);
        } catch (BuiltinError e) {
            return invalid;
        }
        List<X509Certificate> chain = verifyChain(certs, options.get());
        return chain == null ? invalid : ArrayValue.of(BooleanValue.TRUE, certArray(chain));
    }

    /** Go's x509.VerifyOptions as OPA fills them: host name, time, extended key usages (default server auth). */
    static final class VerifyOptions {
        String dnsName = "";
        long nowNanos;
        List<Integer> keyUsages = new ArrayList<>();

        VerifyOptions(long nowNanos) {
            this.nowNanos = nowNanos;
        }
    }

    /** OPA's names for the extended key usages accepted in {@code KeyUsages}. */
    private static final Map<String, Integer> KEY_USAGE_NAMES = Map.ofEntries(Map.entry("KeyUsageAny", 0),
            Map.entry("KeyUsageServerAuth", 1), Map.entry("KeyUsageClientAuth", 2), Map.entry("KeyUsageCodeSigning", 3),
            Map.entry("KeyUsageEmailProtection", 4), Map.entry("KeyUsageIPSECEndSystem", 5),
            Map.entry("KeyUsageIPSECTunnel", 6), Map.entry("KeyUsageIPSECUser", 7),
            Map.entry("KeyUsageTimeStamping", 8), Map.entry("KeyUsageOCSPSigning", 9),
            Map.entry("KeyUsageMicrosoftServerGatedCrypto", 10), Map.entry("KeyUsageNetscapeServerGatedCrypto", 11),
            Map.entry("KeyUsageMicrosoftCommercialCodeSigning", 12),
            Map.entry("KeyUsageMicrosoftKernelCodeSigning", 13));

    static Value parseAndVerifyCertificatesWithOptions(Value[] args, BuiltinContext ctx) {
        String name = "crypto.x509.parse_and_verify_certificates_with_options";
        String input = Crypto.string(name, args, 1);
        if (!(args[1] instanceof ObjectValue options)) {
            throw RegoTypeError.operand(2, args[1], "object").withBuiltin(name);
        }
        return parseAndVerify(input, () -> verifyOptions(options, ctx.nowNanos()));
    }

    /** OPA's extractVerifyOpts, with its messages. */
    private static VerifyOptions verifyOptions(ObjectValue options, long nowNanos) {
        VerifyOptions o = new VerifyOptions(nowNanos);
        for (Value key : options.keys()) {
            if (!(key instanceof StringValue k)) {
                continue;
            }
            Value v = options.get(key);
            switch (k.value()) {
                case "DNSName" -> {
                    if (!(v instanceof StringValue s)) {
                        throw new BuiltinError("'DNSName' should be a string");
                    }
                    o.dnsName = s.value().replaceAll("^\"+|\"+$", "");
                }
                case "CurrentTime" -> {
                    if (!(v instanceof NumberValue n)) {
                        throw new BuiltinError("'CurrentTime' should be a number");
                    }
                    if (!goInt64(n)) {
                        throw new BuiltinError("'CurrentTime' should be a valid int64 number");
                    }
                    o.nowNanos = n.longValueExact();
                }
                case "MaxConstraintComparisons" -> {
                    if (!(v instanceof NumberValue n)) {
                        throw new BuiltinError("'MaxConstraintComparisons' should be a number");
                    }
                    if (!goInt64(n)) {
                        throw new BuiltinError("'MaxConstraintComparisons' should be a valid number");
                    }
                }
                case "KeyUsages" -> {
                    List<Value> items;
                    if (v instanceof ArrayValue a) {
                        items = a.asList();
                    } else if (v instanceof dev.veil.rego.internal.value.SetValue set) {
                        items = set.elements();
                    } else {
                        throw new BuiltinError("'KeyUsages' should be an Array or Set");
                    }
                    List<String> bad = new ArrayList<>();
                    for (Value item : items) {
                        if (item instanceof StringValue u) {
                            String usage = u.value().replaceAll("^\"+|\"+$", "");
                            Integer known = KEY_USAGE_NAMES.get(usage);
                            if (known != null) {
                                o.keyUsages.add(known);
                            } else {
                                bad.add(usage);
                            }
                        }
                    }
                    if (!bad.isEmpty()) {
                        throw new BuiltinError("invalid entries for 'KeyUsages' found: [" + String.join(" ", bad)
                                + "]");
                    }
                }
                default -> throw new BuiltinError("invalid key option");
            }
        }
        return o;
    }

    /** Go's json.Number.Int64(): a literal must be written as an integer; a computed one must be a 64-bit integer. */
    private static boolean goInt64(NumberValue n) {
        return n.isLong() && (n.text() == null || n.text().matches("[+-]?[0-9]+"));
    }

    /** Go's checkChainForKeyUsage: some requested usage survives every certificate that restricts usages. */
    private static boolean keyUsageAllowed(List<X509Certificate> chain, List<Integer> requested)
            throws GeneralSecurityException {
        List<Integer> usages = requested.isEmpty() ? List.of(1) : requested;
        if (usages.contains(0)) {
            return true;
        }
        boolean[] alive = new boolean[usages.size()];
        java.util.Arrays.fill(alive, true);
        int remaining = usages.size();
        for (int i = chain.size() - 1; i >= 0; i--) {
            List<String> eku = chain.get(i).getExtendedKeyUsage();
            if (eku == null || eku.isEmpty()) {
                continue;
            }
            List<Integer> known = new ArrayList<>();
            for (String oid : eku) {
                Integer k = EXT_KEY_USAGE.get(oid);
                if (k != null) {
                    known.add(k);
                }
            }
            if (known.contains(0)) {
                continue;
            }
            for (int u = 0; u < usages.size(); u++) {
                if (alive[u] && !known.contains(usages.get(u))) {
                    alive[u] = false;
                    if (--remaining == 0) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** Go's VerifyHostname on DNS names and IP addresses (no common-name fallback, as Go 1.15+). */
    private static boolean hostnameMatches(X509Certificate leaf, String host) throws GeneralSecurityException {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
        if (h.matches("[0-9.]+") || h.contains(":")) {
            if (sans != null) {
                for (List<?> san : sans) {
                    if ((Integer) san.get(0) == 7 && sameIp(String.valueOf(san.get(1)), h)) {
                        return true;
                    }
                }
            }
            return false;
        }
        String want = trimDot(h.toLowerCase(java.util.Locale.ROOT));
        if (sans == null) {
            return false;
        }
        for (List<?> san : sans) {
            if ((Integer) san.get(0) != 2) {
                continue;
            }
            String pattern = trimDot(String.valueOf(san.get(1)).toLowerCase(java.util.Locale.ROOT));
            if (pattern.equals(want)) {
                return true;
            }
            if (pattern.startsWith("*.")) {
                int dot = want.indexOf('.');
                if (dot > 0 && want.substring(dot).equals(pattern.substring(1))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String trimDot(String s) {
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    private static boolean sameIp(String a, String b) {
        try {
            return java.net.InetAddress.getByName(a).equals(java.net.InetAddress.getByName(b));
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    static Value parseCertificateRequest(Value[] args, BuiltinContext ctx) {
        String input = Crypto.string("crypto.x509.parse_certificate_request", args, 1);
        byte[] bytes;
        if (input.startsWith("-----BEGIN CERTIFICATE REQUEST-----")) {
            bytes = input.getBytes(StandardCharsets.UTF_8);
        } else {
            bytes = std(input);
        }
        Pem.Block block = Pem.decode(new String(bytes, StandardCharsets.ISO_8859_1));
        if (block != null && !block.type().equals("CERTIFICATE REQUEST")) {
            throw new BuiltinError("invalid PEM-encoded certificate signing request");
        }
        if (block != null) {
            bytes = block.bytes();
        }
        try {
            return csr(bytes);
        } catch (IllegalArgumentException e) {
            throw new BuiltinError(e.getMessage());
        }
    }

    static Value parseRsaPrivateKey(Value[] args, BuiltinContext ctx) {
        String input = Crypto.string("crypto.x509.parse_rsa_private_key", args, 1);
        if (input.isEmpty()) {
            throw new BuiltinError("input PEM data was empty");
        }
        if (!input.startsWith("-----BEGIN")) {
            input = new String(std(input), StandardCharsets.ISO_8859_1);
        }
        List<PrivateKey> keys = privateKeys(input);
        if (keys.isEmpty()) {
            return NullValue.NULL;
        }
        return jwk(keys.get(0));
    }

    static Value parsePrivateKeys(Value[] args, BuiltinContext ctx) {
        String input = Crypto.string("crypto.parse_private_keys", args, 1);
        if (input.isEmpty()) {
            return NullValue.NULL;
        }
        List<PrivateKey> keys = privateKeys(input);
        List<Value> out = new ArrayList<>();
        for (PrivateKey k : keys) {
            out.add(goKey(k));
        }
        return ArrayValue.of(out);
    }

    static Value parseKeyPair(Value[] args, BuiltinContext ctx) {
        String cert = Crypto.string("crypto.x509.parse_keypair", args, 1);
        String key = Crypto.string("crypto.x509.parse_keypair", args, 2);
        if (!cert.startsWith("-----BEGIN ")) {
            cert = new String(std(cert), StandardCharsets.ISO_8859_1);
        }
        if (!key.startsWith("-----BEGIN ")) {
            key = new String(std(key), StandardCharsets.ISO_8859_1);
        }
        if (!cert.startsWith("-----BEGIN ")) {
            cert = Pem.encode("CERTIFICATE", cert.getBytes(StandardCharsets.ISO_8859_1));
        }
        if (!key.startsWith("-----BEGIN")) {
            key = Pem.encode("PRIVATE KEY", key.getBytes(StandardCharsets.ISO_8859_1));
        }
        List<byte[]> ders = new ArrayList<>();
        for (Pem.Block b : Pem.decodeAll(cert)) {
            if (b.type().equals("CERTIFICATE")) {
                ders.add(b.bytes());
            }
        }
        if (ders.isEmpty()) {
            throw new BuiltinError("tls: failed to find any PEM data in certificate input");
        }
        List<PrivateKey> keys = privateKeys(key);
        if (keys.isEmpty()) {
            throw new BuiltinError("tls: failed to find any PEM data in key input");
        }
        X509Certificate leaf = parseDer(ders.get(0));
        PrivateKey pk = keys.get(0);
        if (!matches(leaf.getPublicKey(), pk)) {
            throw new BuiltinError("tls: private key does not match public key");
        }
        List<Value> certs = new ArrayList<>();
        for (byte[] d : ders) {
            certs.add(StringValue.of(B64.encodeToString(d)));
        }
        ObjectValue.Builder o = ObjectValue.builder();
        o.put("Certificate", ArrayValue.of(certs));
        o.put("PrivateKey", goKey(pk));
        o.put("OCSPStaple", NullValue.NULL);
        o.put("SignedCertificateTimestamps", NullValue.NULL);
        o.put("SupportedSignatureAlgorithms", NullValue.NULL);
        o.put("Leaf", cert(leaf));
        return o.build();
    }

    // ------------------------------------------------------------------ certificates

    private static byte[] std(String s) {
        try {
            return GoBase64.decodeStd(s);
        } catch (GoBase64.DecodeException e) {
            throw new BuiltinError(e.getMessage());
        }
    }

    static List<X509Certificate> certsFromString(String s) {
        if (s.startsWith("-----BEGIN")) {
            return certsFromPem(s);
        }
        byte[] b = std(s);
        String asText = new String(b, StandardCharsets.ISO_8859_1);
        if (asText.startsWith("-----BEGIN")) {
            return certsFromPem(asText);
        }
        return certsFromDer(b);
    }

    private static List<X509Certificate> certsFromPem(String pem) {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        String rest = pem;
        while (!rest.isEmpty()) {
            Pem.Block b = Pem.decode(rest);
            if (b == null) {
                break;
            }
            if (!b.type().equals("CERTIFICATE")) {
                throw new BuiltinError("PEM block type is '" + b.type() + "', expected CERTIFICATE");
            }
            all.writeBytes(b.bytes());
            rest = b.rest();
        }
        return certsFromDer(all.toByteArray());
    }

    private static List<X509Certificate> certsFromDer(byte[] der) {
        List<X509Certificate> out = new ArrayList<>();
        int pos = 0;
        try {
            while (pos < der.length) {
                Der.Tlv t = Der.read(der, pos);
                out.add(parseDer(t.encoded()));
                pos += t.encoded().length;
            }
        } catch (IllegalArgumentException e) {
            throw new BuiltinError("x509: malformed certificate: " + e.getMessage());
        }
        return out;
    }

    private static X509Certificate parseDer(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new BuiltinError("x509: malformed certificate: " + e.getMessage());
        }
    }

    /** Go's Verify with the first certificate as the only root and the last as the leaf; null when invalid. */
    private static List<X509Certificate> verifyChain(List<X509Certificate> certs, VerifyOptions opts) {
        long nowNanos = opts.nowNanos;
        if (certs.size() < 2) {
            return null;
        }
        try {
            List<X509Certificate> path = new ArrayList<>();
            for (int i = certs.size() - 1; i >= 1; i--) {
                path.add(certs.get(i));
            }
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(certs.get(0), null)));
            params.setRevocationEnabled(false);
            params.setDate(new java.util.Date(nowNanos / 1_000_000L));
            CertPathValidator.getInstance("PKIX")
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
            List<X509Certificate> chain = new ArrayList<>(path);
            chain.add(certs.get(0));
            if (!keyUsageAllowed(chain, opts.keyUsages)) {
                return null;
            }
            if (!opts.dnsName.isEmpty() && !hostnameMatches(chain.get(0), opts.dnsName)) {
                return null;
            }
            return chain;
        } catch (GeneralSecurityException | RuntimeException e) {
            return null;
        }
    }

    private static ArrayValue certArray(List<X509Certificate> certs) {
        List<Value> out = new ArrayList<>(certs.size());
        for (X509Certificate c : certs) {
            out.add(cert(c));
        }
        return ArrayValue.of(out);
    }

    private static final String[] SIG_ALGS = {
        "", "1.2.840.113549.1.1.2", "1.2.840.113549.1.1.4", "1.2.840.113549.1.1.5", "1.2.840.113549.1.1.11",
        "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13", "1.2.840.10040.4.3", "2.16.840.1.101.3.4.3.2",
        "1.2.840.10045.4.1", "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4",
        "1.2.840.113549.1.1.10", "", "", "1.3.101.112"};

    private static int sigAlg(String oid) {
        for (int i = 1; i < SIG_ALGS.length; i++) {
            if (SIG_ALGS[i].equals(oid)) {
                return i;
            }
        }
        return 0;
    }

    private static int keyAlg(PublicKey k) {
        return switch (k.getAlgorithm()) {
            case "RSA" -> 1;
            case "DSA" -> 2;
            case "EC" -> 3;
            case "Ed25519", "EdDSA" -> 4;
            default -> 0;
        };
    }

    static ObjectValue cert(X509Certificate c) {
        try {
            ObjectValue.Builder o = ObjectValue.builder();
            o.put("Raw", bytes(c.getEncoded()));
            o.put("RawTBSCertificate", bytes(c.getTBSCertificate()));
            o.put("RawSubjectPublicKeyInfo", bytes(c.getPublicKey().getEncoded()));
            o.put("RawSubject", bytes(c.getSubjectX500Principal().getEncoded()));
            o.put("RawIssuer", bytes(c.getIssuerX500Principal().getEncoded()));
            o.put("Signature", bytes(c.getSignature()));
            o.put("SignatureAlgorithm", NumberValue.of(sigAlg(c.getSigAlgOID())));
            o.put("PublicKeyAlgorithm", NumberValue.of(keyAlg(c.getPublicKey())));
            o.put("PublicKey", publicKey(c.getPublicKey()));
            o.put("Version", NumberValue.of(c.getVersion()));
            o.put("SerialNumber", NumberValue.of(c.getSerialNumber()));
            o.put("Issuer", name(c.getIssuerX500Principal().getEncoded()));
            o.put("Subject", name(c.getSubjectX500Principal().getEncoded()));
            o.put("NotBefore", time(c.getNotBefore().toInstant()));
            o.put("NotAfter", time(c.getNotAfter().toInstant()));
            o.put("KeyUsage", NumberValue.of(keyUsage(c.getKeyUsage())));
            int pathLen = c.getBasicConstraints();
            boolean hasBasic = c.getExtensionValue("2.5.29.19") != null;
            o.put("BasicConstraintsValid", BooleanValue.of(hasBasic));
            o.put("IsCA", BooleanValue.of(pathLen >= 0));
            // Go: 0 without the extension, -1 when it gives no path length
            o.put("MaxPathLen", NumberValue.of(!hasBasic ? 0 : pathLen == Integer.MAX_VALUE || pathLen < 0 ? -1
                    : pathLen));
            o.put("MaxPathLenZero", BooleanValue.of(hasBasic && pathLen == 0));
            extensions(o, c.getTBSCertificate());
            List<Value> dns = new ArrayList<>();
            List<Value> emails = new ArrayList<>();
            List<Value> ips = new ArrayList<>();
            List<Value> uris = new ArrayList<>();
            List<Value> uriStrings = new ArrayList<>();
            Collection<List<?>> sans = c.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    int type = (Integer) san.get(0);
                    String v = String.valueOf(san.get(1));
                    switch (type) {
                        case 1 -> emails.add(StringValue.of(v));
                        case 2 -> dns.add(StringValue.of(v));
                        case 6 -> {
                            uris.add(url(v));
                            uriStrings.add(StringValue.of(v));
                        }
                        case 7 -> ips.add(StringValue.of(v));
                        default -> {
                        }
                    }
                }
            }
            o.put("DNSNames", listOrNull(dns));
            o.put("EmailAddresses", listOrNull(emails));
            o.put("IPAddresses", listOrNull(ips));
            o.put("URIs", listOrNull(uris));
            o.put("URIStrings", listOrNull(uriStrings));
            return o.build();
        } catch (GeneralSecurityException e) {
            throw new BuiltinError("x509: malformed certificate: " + e.getMessage());
        }
    }

    /** Go's ExtKeyUsage numbers by OID. */
    private static final Map<String, Integer> EXT_KEY_USAGE = Map.ofEntries(
            Map.entry("2.5.29.37.0", 0), Map.entry("1.3.6.1.5.5.7.3.1", 1), Map.entry("1.3.6.1.5.5.7.3.2", 2),
            Map.entry("1.3.6.1.5.5.7.3.3", 3), Map.entry("1.3.6.1.5.5.7.3.4", 4), Map.entry("1.3.6.1.5.5.7.3.5", 5),
            Map.entry("1.3.6.1.5.5.7.3.6", 6), Map.entry("1.3.6.1.5.5.7.3.7", 7), Map.entry("1.3.6.1.5.5.7.3.8", 8),
            Map.entry("1.3.6.1.5.5.7.3.9", 9), Map.entry("1.3.6.1.4.1.311.10.3.3", 10),
            Map.entry("2.16.840.1.113730.4.1", 11), Map.entry("1.3.6.1.4.1.311.2.1.22", 12),
            Map.entry("1.3.6.1.4.1.311.61.1.1", 13));

    /** Extensions Go's parser understands; other critical ones are listed as unhandled. */
    private static final Set<String> HANDLED = Set.of("2.5.29.15", "2.5.29.19", "2.5.29.17", "2.5.29.30",
            "2.5.29.31", "2.5.29.32", "2.5.29.35", "2.5.29.37", "2.5.29.14", "2.5.29.33", "2.5.29.36", "2.5.29.54");

    /**
     * The fields Go's x509 parser fills from the extensions, in certificate order: {@code Extensions},
     * key identifiers, extended key usages, authority information access, CRL distribution points and
     * policies; name constraints and policy constraints are left at Go's zero values.
     */
    private static void extensions(ObjectValue.Builder o, byte[] tbs) {
        List<Value> all = new ArrayList<>();
        List<Value> unhandled = new ArrayList<>();
        Value ski = NullValue.NULL;
        Value aki = NullValue.NULL;
        List<Value> eku = new ArrayList<>();
        List<Value> unknownEku = new ArrayList<>();
        List<Value> ocsp = new ArrayList<>();
        List<Value> issuers = new ArrayList<>();
        List<Value> crl = new ArrayList<>();
        List<Value> policyIds = new ArrayList<>();
        List<Value> policies = new ArrayList<>();
        boolean nameConstraintsCritical = false;
        try {
            for (Der.Tlv field : Der.parse(tbs).children()) {
                if (field.tag() != 0xa3) {
                    continue;
                }
                for (Der.Tlv ext : field.children().get(0).children()) {
                    List<Der.Tlv> parts = ext.children();
                    String id = parts.get(0).oid();
                    boolean critical = parts.size() > 2 && parts.get(1).tag() == 0x01
                            && parts.get(1).content().length > 0
                            && parts.get(1).content()[0] != 0;
                    byte[] value = parts.get(parts.size() - 1).content();
                    ObjectValue.Builder e = ObjectValue.builder();
                    e.put("Id", oidInts(id));
                    e.put("Critical", BooleanValue.of(critical));
                    e.put("Value", bytes(value));
                    all.add(e.build());
                    if (critical && !HANDLED.contains(id)) {
                        unhandled.add(oidInts(id));
                    }
                    Der.Tlv v = Der.parse(value);
                    switch (id) {
                        case "2.5.29.14" -> ski = bytes(v.content());
                        case "2.5.29.35" -> {
                            for (Der.Tlv c : v.children()) {
                                if (c.tag() == 0x80) {
                                    aki = bytes(c.content());
                                }
                            }
                        }
                        case "2.5.29.37" -> {
                            for (Der.Tlv c : v.children()) {
                                Integer known = EXT_KEY_USAGE.get(c.oid());
                                if (known != null) {
                                    eku.add(NumberValue.of(known));
                                } else {
                                    unknownEku.add(oidInts(c.oid()));
                                }
                            }
                        }
                        case "1.3.6.1.5.5.7.1.1" -> {
                            for (Der.Tlv ad : v.children()) {
                                List<Der.Tlv> adParts = ad.children();
                                if (adParts.size() == 2 && adParts.get(1).tag() == 0x86) {
                                    String method = adParts.get(0).oid();
                                    Value uri = StringValue.of(new String(adParts.get(1).content(),
                                            StandardCharsets.UTF_8));
                                    if (method.equals("1.3.6.1.5.5.7.48.1")) {
                                        ocsp.add(uri);
                                    } else if (method.equals("1.3.6.1.5.5.7.48.2")) {
                                        issuers.add(uri);
                                    }
                                }
                            }
                        }
                        case "2.5.29.31" -> {
                            for (Der.Tlv dp : v.children()) {
                                for (Der.Tlv name : dp.children()) {
                                    if (name.tag() != 0xa0) {
                                        continue;
                                    }
                                    for (Der.Tlv full : name.children()) {
                                        if (full.tag() != 0xa0) {
                                            continue;
                                        }
                                        for (Der.Tlv gn : full.children()) {
                                            if (gn.tag() == 0x86) {
                                                crl.add(StringValue.of(new String(gn.content(),
                                                        StandardCharsets.UTF_8)));
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        case "2.5.29.32" -> {
                            for (Der.Tlv pi : v.children()) {
                                String oid = pi.children().get(0).oid();
                                policyIds.add(oidInts(oid));
                                policies.add(StringValue.of(oid));
                            }
                        }
                        case "2.5.29.30" -> nameConstraintsCritical = critical;
                        default -> {
                        }
                    }
                }
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            // the JDK accepted the certificate; keep what was read
        }
        o.put("Extensions", listOrNull(all));
        o.put("ExtraExtensions", NullValue.NULL);
        o.put("UnhandledCriticalExtensions", listOrNull(unhandled));
        o.put("ExtKeyUsage", listOrNull(eku));
        o.put("UnknownExtKeyUsage", listOrNull(unknownEku));
        o.put("SubjectKeyId", ski);
        o.put("AuthorityKeyId", aki);
        o.put("OCSPServer", listOrNull(ocsp));
        o.put("IssuingCertificateURL", listOrNull(issuers));
        o.put("PermittedDNSDomainsCritical", BooleanValue.of(nameConstraintsCritical));
        for (String k : List.of("PermittedDNSDomains", "ExcludedDNSDomains", "PermittedIPRanges", "ExcludedIPRanges",
                "PermittedEmailAddresses", "ExcludedEmailAddresses", "PermittedURIDomains", "ExcludedURIDomains",
                "PolicyMappings")) {
            o.put(k, NullValue.NULL);
        }
        o.put("CRLDistributionPoints", listOrNull(crl));
        o.put("PolicyIdentifiers", listOrNull(policyIds));
        o.put("Policies", listOrNull(policies));
        for (String k : List.of("InhibitAnyPolicy", "InhibitPolicyMapping", "RequireExplicitPolicy")) {
            o.put(k, NumberValue.ZERO);
            o.put(k + "Zero", BooleanValue.FALSE);
        }
    }

    /** An OID as Go's asn1.ObjectIdentifier marshals it: an array of its arcs. */
    private static Value oidInts(String dotted) {
        List<Value> arcs = new ArrayList<>();
        for (String a : dotted.split("\\.")) {
            arcs.add(NumberValue.of(Long.parseLong(a)));
        }
        return ArrayValue.of(arcs);
    }

    private static Value listOrNull(List<Value> l) {
        return l.isEmpty() ? NullValue.NULL : ArrayValue.of(l);
    }

    private static Value url(String s) {
        ObjectValue.Builder o = ObjectValue.builder();
        try {
            URI u = new URI(s);
            o.put("Scheme", str(u.getScheme()));
            o.put("Opaque", str(u.isOpaque() ? u.getRawSchemeSpecificPart() : null));
            o.put("User", NullValue.NULL);
            o.put("Host", str(u.getRawAuthority()));
            o.put("Path", str(u.getPath()));
            o.put("RawPath", StringValue.EMPTY);
            o.put("OmitHost", BooleanValue.FALSE);
            o.put("ForceQuery", BooleanValue.FALSE);
            o.put("RawQuery", str(u.getRawQuery()));
            o.put("Fragment", str(u.getFragment()));
            o.put("RawFragment", StringValue.EMPTY);
        } catch (java.net.URISyntaxException e) {
            o.put("Opaque", StringValue.of(s));
        }
        return o.build();
    }

    private static StringValue str(String s) {
        return s == null ? StringValue.EMPTY : StringValue.of(s);
    }

    private static int keyUsage(boolean[] ku) {
        if (ku == null) {
            return 0;
        }
        int v = 0;
        for (int i = 0; i < ku.length && i < 9; i++) {
            if (ku[i]) {
                v |= 1 << i;
            }
        }
        return v;
    }

    private static StringValue time(Instant t) {
        return StringValue.of(DateTimeFormatter.ISO_INSTANT.format(t));
    }

    private static StringValue bytes(byte[] b) {
        return StringValue.of(B64.encodeToString(b));
    }

    private static final Map<String, String> NAME_FIELDS = Map.of(
            "2.5.4.6", "Country", "2.5.4.10", "Organization", "2.5.4.11", "OrganizationalUnit",
            "2.5.4.7", "Locality", "2.5.4.8", "Province", "2.5.4.9", "StreetAddress", "2.5.4.17", "PostalCode");

    /** Go's pkix.Name of a DER RDNSequence. */
    static ObjectValue name(byte[] der) {
        Map<String, List<Value>> multi = new java.util.LinkedHashMap<>();
        for (String f : List.of("Country", "Organization", "OrganizationalUnit", "Locality", "Province",
                "StreetAddress", "PostalCode")) {
            multi.put(f, new ArrayList<>());
        }
        String serial = "";
        String cn = "";
        List<Value> names = new ArrayList<>();
        for (Der.Tlv rdn : Der.parse(der).children()) {
            for (Der.Tlv atv : rdn.children()) {
                List<Der.Tlv> parts = atv.children();
                if (parts.size() < 2) {
                    continue;
                }
                String oid = parts.get(0).oid();
                String value = parts.get(1).text();
                List<Value> ids = new ArrayList<>();
                for (String p : oid.split("\\.")) {
                    ids.add(NumberValue.of(Long.parseLong(p)));
                }
                names.add(ObjectValue.of(StringValue.of("Type"), ArrayValue.of(ids),
                        StringValue.of("Value"), StringValue.of(value)));
                String field = NAME_FIELDS.get(oid);
                if (field != null) {
                    multi.get(field).add(StringValue.of(value));
                } else if (oid.equals("2.5.4.3")) {
                    cn = value;
                } else if (oid.equals("2.5.4.5")) {
                    serial = value;
                }
            }
        }
        ObjectValue.Builder o = ObjectValue.builder();
        multi.forEach((k, v) -> o.put(k, listOrNull(v)));
        o.put("SerialNumber", StringValue.of(serial));
        o.put("CommonName", StringValue.of(cn));
        o.put("Names", listOrNull(names));
        o.put("ExtraNames", NullValue.NULL);
        return o.build();
    }

    private static Value csr(byte[] der) {
        Der.Tlv root = Der.parse(der);
        if (root.tag() != 0x30) {
            throw Der.structure("tags don't match (16 vs {class:" + (root.tag() >> 6) + " tag:" + (root.tag() & 0x1f)
                    + "}) {optional:false explicit:false application:false private:false defaultValue:<nil> tag:<nil> "
                    + "stringType:0 timeType:0 set:false omitEmpty:false} certificateRequest @2");
        }
        List<Der.Tlv> top = root.children();
        if (top.size() < 3) {
            throw Der.structure("sequence truncated");
        }
        List<Der.Tlv> info = top.get(0).children();
        if (info.size() < 3) {
            throw Der.structure("sequence truncated");
        }
        ObjectValue.Builder o = ObjectValue.builder();
        o.put("Raw", bytes(root.encoded()));
        o.put("RawTBSCertificateRequest", bytes(top.get(0).encoded()));
        o.put("RawSubjectPublicKeyInfo", bytes(info.get(2).encoded()));
        o.put("RawSubject", bytes(info.get(1).encoded()));
        o.put("Version", NumberValue.of(info.get(0).integer()));
        byte[] sig = top.get(2).content();
        o.put("Signature", bytes(sig.length > 0 ? java.util.Arrays.copyOfRange(sig, 1, sig.length) : sig));
        o.put("SignatureAlgorithm", NumberValue.of(sigAlg(top.get(1).children().get(0).oid())));
        PublicKey pk = publicKey(info.get(2).encoded());
        o.put("PublicKeyAlgorithm", NumberValue.of(pk == null ? 0 : keyAlg(pk)));
        o.put("PublicKey", pk == null ? NullValue.NULL : publicKey(pk));
        o.put("Subject", name(info.get(1).encoded()));
        o.put("Attributes", NullValue.NULL);
        o.put("Extensions", NullValue.NULL);
        o.put("ExtraExtensions", NullValue.NULL);
        o.put("DNSNames", NullValue.NULL);
        o.put("EmailAddresses", NullValue.NULL);
        o.put("IPAddresses", NullValue.NULL);
        o.put("URIs", NullValue.NULL);
        return o.build();
    }

    private static PublicKey publicKey(byte[] spki) {
        for (String alg : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(spki));
            } catch (GeneralSecurityException e) {
                // next
            }
        }
        return null;
    }

    private static Value publicKey(PublicKey k) {
        if (k instanceof RSAPublicKey r) {
            return ObjectValue.of(StringValue.of("N"), NumberValue.of(r.getModulus()),
                    StringValue.of("E"), NumberValue.of(r.getPublicExponent()));
        }
        if (k instanceof ECPublicKey e) {
            return ObjectValue.of(StringValue.of("X"), NumberValue.of(e.getW().getAffineX()),
                    StringValue.of("Y"), NumberValue.of(e.getW().getAffineY()));
        }
        return StringValue.of(B64.encodeToString(k.getEncoded()));
    }

    // ------------------------------------------------------------------ private keys

    /** OPA's getPrivateKeysFromPEMData: base64 is decoded first when it is base64, then every key block. */
    static List<PrivateKey> privateKeys(String data) {
        try {
            data = new String(GoBase64.decodeStd(data), StandardCharsets.ISO_8859_1);
        } catch (GoBase64.DecodeException e) {
            // not base64: use as is
        }
        List<PrivateKey> out = new ArrayList<>();
        for (Pem.Block b : Pem.decodeAll(data)) {
            try {
                switch (b.type()) {
                    case "RSA PRIVATE KEY" -> out.add(pkcs1(b.bytes()));
                    case "PRIVATE KEY" -> out.add(pkcs8(b.bytes()));
                    case "EC PRIVATE KEY" -> out.add(sec1(b.bytes()));
                    default -> {
                    }
                }
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                throw new BuiltinError("x509: failed to parse private key: " + e.getMessage());
            }
        }
        return out;
    }

    private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
        for (String alg : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // next
            }
        }
        throw new GeneralSecurityException("unknown private key algorithm in PKCS #8 data");
    }

    private static PrivateKey pkcs1(byte[] der) throws GeneralSecurityException {
        // Wrap PKCS #1 in PKCS #8: SEQ { INT 0, SEQ { OID rsaEncryption, NULL }, OCTET STRING pkcs1 }.
        Der.parse(der);
        byte[] alg = java.util.HexFormat.of().parseHex("300d06092a864886f70d0101010500");
        byte[] octet = tlv(0x04, der);
        byte[] body = concat(new byte[] {2, 1, 0}, alg, octet);
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(tlv(0x30, body)));
    }

    private static PrivateKey sec1(byte[] der) throws GeneralSecurityException {
        // SEC 1 ECPrivateKey carries its curve in [0]; PKCS #8 wants it in the algorithm identifier.
        List<Der.Tlv> parts = Der.parse(der).children();
        byte[] curve = null;
        for (Der.Tlv p : parts) {
            if (p.tag() == 0xa0) {
                curve = p.content();
            }
        }
        if (curve == null) {
            throw new GeneralSecurityException("EC private key without named curve");
        }
        byte[] alg = tlv(0x30, concat(java.util.HexFormat.of().parseHex("06072a8648ce3d0201"), curve));
        byte[] body = concat(new byte[] {2, 1, 0}, alg, tlv(0x04, der));
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(tlv(0x30, body)));
    }

    private static byte[] tlv(int tag, byte[] content) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(tag);
        int len = content.length;
        if (len < 128) {
            out.write(len);
        } else if (len < 256) {
            out.write(0x81);
            out.write(len);
        } else if (len < 65536) {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len & 0xff);
        } else {
            out.write(0x83);
            out.write(len >> 16);
            out.write(len >> 8 & 0xff);
            out.write(len & 0xff);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static boolean matches(PublicKey pub, PrivateKey priv) {
        if (pub instanceof RSAPublicKey r && priv instanceof RSAPrivateCrtKey k) {
            return r.getModulus().equals(k.getModulus());
        }
        if (pub instanceof ECPublicKey && priv instanceof ECPrivateKey) {
            return true;
        }
        return pub.getAlgorithm().equals(priv.getAlgorithm());
    }

    private static StringValue b64url(BigInteger n) {
        byte[] b = n.toByteArray();
        if (b.length > 1 && b[0] == 0) {
            b = java.util.Arrays.copyOfRange(b, 1, b.length);
        }
        return StringValue.of(B64URL.encodeToString(b));
    }

    /** The key as a JWK object (OPA's jwk.New then JSON). */
    private static Value jwk(PrivateKey k) {
        ObjectValue.Builder o = ObjectValue.builder();
        if (k instanceof RSAPrivateCrtKey r) {
            o.put("kty", StringValue.of("RSA"));
            o.put("n", b64url(r.getModulus()));
            o.put("e", b64url(r.getPublicExponent()));
            o.put("d", b64url(r.getPrivateExponent()));
            o.put("p", b64url(r.getPrimeP()));
            o.put("q", b64url(r.getPrimeQ()));
            o.put("dp", b64url(r.getPrimeExponentP()));
            o.put("dq", b64url(r.getPrimeExponentQ()));
            o.put("qi", b64url(r.getCrtCoefficient()));
        } else if (k instanceof ECPrivateKey e) {
            o.put("kty", StringValue.of("EC"));
            o.put("d", b64url(e.getS()));
        } else {
            o.put("kty", StringValue.of(k.getAlgorithm()));
        }
        return o.build();
    }

    /** The key as Go's json.Marshal writes a crypto.PrivateKey (the RSA and EC fields). */
    private static Value goKey(PrivateKey k) {
        ObjectValue.Builder o = ObjectValue.builder();
        if (k instanceof RSAPrivateCrtKey r) {
            o.put("N", NumberValue.of(r.getModulus()));
            o.put("E", NumberValue.of(r.getPublicExponent()));
            o.put("D", NumberValue.of(r.getPrivateExponent()));
            o.put("Primes", ArrayValue.of(NumberValue.of(r.getPrimeP()), NumberValue.of(r.getPrimeQ())));
            o.put("Precomputed", ObjectValue.of(StringValue.of("Dp"), NumberValue.of(r.getPrimeExponentP()),
                    StringValue.of("Dq"), NumberValue.of(r.getPrimeExponentQ()),
                    StringValue.of("Qinv"), NumberValue.of(r.getCrtCoefficient()),
                    StringValue.of("CRTValues"), ArrayValue.EMPTY));
        } else if (k instanceof ECPrivateKey e) {
            o.put("D", NumberValue.of(e.getS()));
        } else {
            o.put("Raw", StringValue.of(B64.encodeToString(k.getEncoded())));
        }
        return o.build();
    }
}
