package dev.veil.redis.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * Reads the PEM files of a TLS connection to Redis, the same files {@code redis.conf} names
 * ({@code tls-cert-file}, {@code tls-key-file}, {@code tls-ca-cert-file}), into the JDK's key and
 * trust managers, checking them as it goes, so that a wrong file is named when it is given instead
 * of surfacing as a failed handshake. Plain JDK: certificates by {@link CertificateFactory}, keys
 * as unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY}); a key in another form is refused with the
 * {@code openssl} command that converts it.
 */
public final class TlsFiles {
    /** Larger than any certificate chain or key a client presents; a bigger file is not one. */
    private static final long MAX_BYTES = 1 << 20;

    private TlsFiles() {}

    /**
     * The key manager that presents {@code chain}'s certificate with {@code key}.
     *
     * @param chain PEM certificates: the client's first, then any intermediate CA certificates
     * @param key the PEM private key of the first certificate, unencrypted PKCS#8
     * @throws IllegalArgumentException naming the file and what is wrong with it: unreadable, no
     *     certificate, a certificate that has expired or is not valid yet, a key in another form, a
     *     key that is not the certificate's
     */
    public static KeyManagerFactory keyManager(Path chain, Path key) {
        List<X509Certificate> certs = certificates(chain, "client certificate");
        X509Certificate leaf = certs.get(0);
        try {
            leaf.checkValidity();
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            throw new IllegalArgumentException("the client certificate in " + chain + " (" + subject(leaf)
                    + ") is valid from " + leaf.getNotBefore().toInstant() + " to " + leaf.getNotAfter().toInstant()
                    + ", not now: the server would refuse it; issue a new one");
        }
        PrivateKey k = privateKey(key, leaf.getPublicKey());
        if (!matches(k, leaf.getPublicKey())) {
            throw new IllegalArgumentException("the private key in " + key + " is not the key of the client "
                    + "certificate in " + chain + " (" + subject(leaf) + "): give the key the certificate was issued "
                    + "for");
        }
        try {
            char[] none = new char[0];
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("veil-client", k, none, certs.toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, none);
            return kmf;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("the client certificate in " + chain + " and the key in " + key
                    + " cannot be used for TLS: " + e.getMessage() + " (the file must hold the client's certificate "
                    + "first, then the certificate of its issuer, then that one's issuer, and no other)", e);
        }
    }

    /**
     * The trust manager that accepts a server certificate that chains to one of {@code cas}'s.
     *
     * @param cas PEM certificates of the CAs to trust
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static TrustManagerFactory trustManager(Path cas) {
        List<X509Certificate> certs = certificates(cas, "CA certificates");
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            for (int i = 0; i < certs.size(); i++) {
                ks.setCertificateEntry("veil-ca-" + i, certs.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            return tmf;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("the CA certificates in " + cas + " cannot be used for TLS: "
                    + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> certificates(Path file, String what) {
        byte[] bytes = read(file, what);
        // only the certificate blocks: a PEM file may also hold the key, or openssl's "Bag Attributes"
        // lines, where the JDK's reader stops; a file without any is read whole (DER)
        java.util.regex.Matcher blocks = CERTIFICATE_BLOCK.matcher(new String(bytes, StandardCharsets.ISO_8859_1));
        StringBuilder pem = new StringBuilder();
        while (blocks.find()) {
            pem.append(blocks.group()).append('\n');
        }
        if (pem.length() > 0) {
            bytes = pem.toString().getBytes(StandardCharsets.ISO_8859_1);
        }
        Collection<? extends java.security.cert.Certificate> read;
        try {
            read = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes));
        } catch (CertificateException e) {
            throw new IllegalArgumentException("the " + what + " file " + file + " does not hold PEM certificates ("
                    + "-----BEGIN CERTIFICATE-----): " + RedisBatchClient.printable(String.valueOf(e.getMessage())), e);
        }
        List<X509Certificate> certs = new ArrayList<>();
        for (java.security.cert.Certificate c : read) {
            certs.add((X509Certificate) c);
        }
        if (certs.isEmpty()) {
            throw new IllegalArgumentException("the " + what + " file " + file + " holds no certificate (expected PEM: "
                    + "-----BEGIN CERTIFICATE-----)");
        }
        return certs;
    }

    private static final java.util.regex.Pattern CERTIFICATE_BLOCK = java.util.regex.Pattern.compile(
            "-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]*-----END CERTIFICATE-----");

    private static PrivateKey privateKey(Path file, PublicKey of) {
        String text = new String(read(file, "private key"), StandardCharsets.US_ASCII);
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int from = text.indexOf(begin);
        int to = from < 0 ? -1 : text.indexOf(end, from);
        if (from < 0 || to < 0) {
            String convert = "; convert it: openssl pkcs8 -topk8 -nocrypt -in " + file + " -out " + file + ".pk8";
            if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
                throw new IllegalArgumentException("the private key in " + file + " is encrypted, which is not "
                        + "supported (as for Redis's own tls-key-file, protect the file by its permissions instead); "
                        + "decrypt it: openssl pkcs8 -in " + file + " -out " + file + ".pk8");
            }
            if (text.contains("-----BEGIN RSA PRIVATE KEY-----") || text.contains("-----BEGIN EC PRIVATE KEY-----")) {
                throw new IllegalArgumentException("the private key in " + file + " is in the PKCS#1 or SEC 1 form ("
                        + "BEGIN RSA or EC PRIVATE KEY); an unencrypted PKCS#8 key (BEGIN PRIVATE KEY) is expected"
                        + convert);
            }
            throw new IllegalArgumentException("the file " + file + " holds no PEM private key (expected an "
                    + "unencrypted PKCS#8 key: -----BEGIN PRIVATE KEY-----)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the private key in " + file + " is not valid base64: "
                    + e.getMessage(), e);
        }
        try {
            return KeyFactory.getInstance(of.getAlgorithm()).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the private key in " + file + " is not a " + of.getAlgorithm()
                    + " key as the certificate's is, or not readable: " + e.getMessage(), e);
        }
    }

    /** Whether {@code key} signs what {@code pub} verifies (a key of another pair does not). */
    private static boolean matches(PrivateKey key, PublicKey pub) {
        String alg = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            default -> null;
        };
        if (alg == null) {
            return true; // the handshake checks it
        }
        try {
            byte[] probe = "veil-redis client key check".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(pub);
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static byte[] read(Path file, String what) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("the " + what + " file " + file + " does not exist or is not a file");
        }
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new IllegalArgumentException("the " + what + " file " + file + " has more than " + MAX_BYTES
                        + " bytes: not a PEM file");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the " + what + " file " + file + ": " + e, e);
        }
    }

    private static String subject(X509Certificate c) {
        return RedisBatchClient.printable(c.getSubjectX500Principal().getName());
    }
}
