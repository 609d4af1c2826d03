package dev.veil.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.spi.StateOp;
import dev.veil.spi.StateUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS to a real Redis that asks for client certificates ({@code tls-auth-clients yes}, its default):
 * a store with a client certificate the server's CA issued and the CA as its trust connects and runs
 * batches; without either, or with a certificate of another CA, {@code build()} fails saying which
 * side refused and what to give; bad files are refused when given, naming the file and the fix.
 */
class RedisTlsTest {
    @RegisterExtension
    static final RedisServer REDIS = RedisServer.withTls();

    private static final Duration TWO_S = Duration.ofSeconds(2);

    private static RedisStateStore.Builder tls() {
        return RedisStateStore.builder(REDIS.tlsUrl()).namespace("t:{tls}:").timeout(TWO_S).connectTimeout(TWO_S);
    }

    @Test
    void aStoreWithTheClientCertificateAndTheCaConnectsAndRunsBatches() {
        try (RedisStateStore store = tls().trustedCertificates(REDIS.tlsFile("ca.crt"))
                .clientCertificate(REDIS.tlsFile("client.crt"), REDIS.tlsFile("client.key")).build()) {
            long now = System.currentTimeMillis();
            assertThat(store.execute(new StateOp.CountInWindow("q", now, 60_000))).containsExactly(1L);
            assertThat(store.execute(new StateOp.CountInWindow("q", now, 60_000))).containsExactly(2L);
        }
    }

    /** One file with the certificate and its key, as openssl writes them, serves for both (a review's case). */
    @Test
    void aFileHoldingTheCertificateAndItsKeyServesForBoth(@TempDir Path dir) throws Exception {
        Path both = Files.writeString(dir.resolve("client.pem"), "Bag Attributes\n    friendlyName: veil-client\n"
                + Files.readString(REDIS.tlsFile("client.key")) + Files.readString(REDIS.tlsFile("client.crt")));
        try (RedisStateStore store = tls().trustedCertificates(REDIS.tlsFile("ca.crt")).clientCertificate(both, both)
                .build()) {
            assertThat(store.execute(new StateOp.CountInWindow("both", System.currentTimeMillis(), 60_000)))
                    .containsExactly(1L);
        }
    }

    /** The server's certificate names 127.0.0.1, not localhost: the name is what to change, not the CA. */
    @Test
    void aServerCertificateForAnotherNameIsSaidSo() {
        String localhost = REDIS.tlsUrl().replace("127.0.0.1", "localhost");
        assertThatThrownBy(() -> RedisStateStore.builder(localhost).namespace("t:{tls}:").connectTimeout(TWO_S)
                .trustedCertificates(REDIS.tlsFile("ca.crt"))
                .clientCertificate(REDIS.tlsFile("client.crt"), REDIS.tlsFile("client.key")).build())
                .isInstanceOf(StateUnavailableException.class)
                .hasMessageContaining("the server's certificate does not name the host of the URL")
                .hasMessageNotContaining("trustedCertificates");
    }

    @Test
    void withoutAClientCertificateBuildSaysTheServerAsksForOne() {
        assertThatThrownBy(() -> tls().trustedCertificates(REDIS.tlsFile("ca.crt")).build())
                .isInstanceOf(StateUnavailableException.class)
                .hasMessageStartingWith("cannot connect to Redis at 127.0.0.1:" + REDIS.tlsUrl().split(":")[2])
                .hasMessageContaining("the server asks for a client certificate")
                .hasMessageContaining("RedisStateStore.Builder.clientCertificate");
    }

    @Test
    void aClientCertificateOfAnotherCaIsRefusedByTheServerAndBuildSaysSo() {
        assertThatThrownBy(() -> tls().trustedCertificates(REDIS.tlsFile("ca.crt"))
                .clientCertificate(REDIS.tlsFile("stranger.crt"), REDIS.tlsFile("client.key")).build())
                .isInstanceOf(StateUnavailableException.class)
                .hasMessageContaining("the server refused the client certificate");
    }

    @Test
    void withoutTheCaTheServersCertificateIsNotTrustedAndBuildSaysWhatToGive() {
        assertThatThrownBy(() -> tls().clientCertificate(REDIS.tlsFile("client.crt"), REDIS.tlsFile("client.key"))
                .build())
                .isInstanceOf(StateUnavailableException.class)
                .hasMessageContaining("TLS failed")
                .hasMessageContaining("RedisStateStore.Builder.trustedCertificates");
    }

    @Test
    void badFilesAreRefusedWhenGivenNamingTheFileAndTheFix(@TempDir Path dir) throws Exception {
        Path crt = REDIS.tlsFile("client.crt");
        Path key = REDIS.tlsFile("client.key");
        RedisStateStore.Builder b = tls();
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> b.clientCertificate(missing, key)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the client certificate file " + missing + " does not exist or is not a file");
        assertThatThrownBy(() -> b.clientCertificate(crt, REDIS.tlsFile("server.key")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the private key in " + REDIS.tlsFile("server.key") + " is not the key of the client "
                        + "certificate in " + crt + " (CN=veil-client): give the key the certificate was issued for");

        Path sec1 = dir.resolve("sec1.key");
        openssl(dir, "pkey", "-in", key.toString(), "-traditional", "-out", sec1.toString());
        assertThat(Files.readString(sec1)).startsWith("-----BEGIN EC PRIVATE KEY-----");
        assertThatThrownBy(() -> b.clientCertificate(crt, sec1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is in the PKCS#1 or SEC 1 form")
                .hasMessageEndingWith("convert it: openssl pkcs8 -topk8 -nocrypt -in " + sec1 + " -out " + sec1
                        + ".pk8");
        Path encrypted = dir.resolve("encrypted.key");
        openssl(dir, "pkcs8", "-topk8", "-in", key.toString(), "-passout", "pass:secret", "-out", encrypted.toString());
        assertThatThrownBy(() -> b.clientCertificate(crt, encrypted)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is encrypted, which is not supported");
        // the files of the tests' own conversions work
        Path converted = dir.resolve("converted.key");
        openssl(dir, "pkcs8", "-topk8", "-nocrypt", "-in", sec1.toString(), "-out", converted.toString());
        b.clientCertificate(crt, converted);

        Path unrelated = Files.writeString(dir.resolve("unrelated.pem"), Files.readString(crt)
                + Files.readString(REDIS.tlsFile("other-ca.crt")));
        assertThatThrownBy(() -> b.clientCertificate(unrelated, key)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("(the file must hold the client's certificate first, then the certificate of "
                        + "its issuer, then that one's issuer, and no other)");

        Path notPem = Files.writeString(dir.resolve("not.pem"), "hello\n");
        assertThatThrownBy(() -> b.trustedCertificates(notPem)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the CA certificates file " + notPem);
        assertThatThrownBy(() -> b.clientCertificate(key, key)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the client certificate file " + key);
        assertThatThrownBy(() -> b.clientCertificate(crt, crt)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the file " + crt + " holds no PEM private key (expected an unencrypted PKCS#8 key: "
                        + "-----BEGIN PRIVATE KEY-----)");

        RedisStateStore.Builder plain = RedisStateStore.builder(REDIS.url()).namespace("t:{tls}:")
                .trustedCertificates(REDIS.tlsFile("ca.crt"));
        assertThatThrownBy(plain::build).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("clientCertificate and trustedCertificates are for TLS, but the Redis URL is "
                        + "not a TLS one");
    }

    private static void openssl(Path dir, String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "openssl";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }
}
