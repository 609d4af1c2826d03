package dev.veil.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import java.security.cert.CertPathBuilderException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/**
 * The hints of a failed connect for TLS failures, from exception chains as the JDK and Lettuce give
 * them against a TLS Redis (RedisTlsTest meets a real one: a missing client certificate, one of
 * another CA, an untrusted server), including those a test Redis here does not produce.
 */
class ConnectHintsTest {
    /** An untrusted server certificate: the innermost message names no TLS word, the chain does. */
    @Test
    void anUntrustedCertificateGetsTheTlsHint() {
        SSLHandshakeException ssl = new SSLHandshakeException("PKIX path building failed: "
                + "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification "
                + "path to requested target");
        ssl.initCause(new CertPathBuilderException("unable to find valid certification path to requested target"));
        String hint = RedisBatchClient.connectProblem(
                new RedisConnectionException("Unable to connect to 127.0.0.1/<unresolved>:16475", ssl), true);
        assertThat(hint).endsWith("; TLS failed; check rediss:// against a TLS port and that this store trusts the "
                + "server's certificate (a private CA: RedisStateStore.Builder.trustedCertificates(ca.pem), or the "
                + "JVM's -Djavax.net.ssl.trustStore=...)");
    }

    /** A server asks for a client certificate (tls-auth-clients yes) and none was given: both ways out are named. */
    @Test
    void aServerThatAsksForAClientCertificateIsNamed() {
        String hint = RedisBatchClient.connectProblem(new RedisConnectionException("Unable to connect to "
                + "127.0.0.1/<unresolved>:16475", new SSLException("Received fatal alert: certificate_required")), true);
        assertThat(hint).contains("the server asks for a client certificate").contains("tls-auth-clients no")
                .contains("RedisStateStore.Builder.clientCertificate(chain.pem, key.pem)");
    }

    /** rediss:// to a plain-text port times out in the handshake: the hint says the port may not speak TLS. */
    @Test
    void aTlsUrlWhoseHandshakeTimesOutNamesThePort() {
        RedisConnectionException e = new RedisConnectionException("Unable to connect to 127.0.0.1/<unresolved>:6379",
                new RedisCommandTimeoutException("Connection initialization timed out after 2 second(s)"));
        assertThat(RedisBatchClient.connectProblem(e, true)).endsWith("that this port speaks TLS (rediss://): a "
                + "plain-text port does not answer a TLS handshake");
        assertThat(RedisBatchClient.connectProblem(e, false)).endsWith("; check the URL and that redis-server is running");
    }
}
