package dev.veil.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import java.security.cert.CertPathBuilderException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/**
 * The hints of a failed connect for the TLS failures a test Redis of this suite cannot produce (it
 * runs without TLS): the exception chains are the JDK's and Lettuce's as seen against a TLS Redis.
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
        assertThat(hint).endsWith("; TLS failed; check rediss:// against a TLS port and that the JVM trusts the "
                + "server's certificate (a private CA: -Djavax.net.ssl.trustStore=...)");
    }

    /** A server that asks for a client certificate (tls-auth-clients yes): mutual TLS is not supported. */
    @Test
    void aServerThatAsksForAClientCertificateIsNamed() {
        String hint = RedisBatchClient.connectProblem(new RedisConnectionException("Unable to connect to "
                + "127.0.0.1/<unresolved>:16475", new SSLException("Received fatal alert: certificate_required")), true);
        assertThat(hint).contains("the server asks for a client certificate").contains("tls-auth-clients no");
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
