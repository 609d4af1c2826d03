package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.s;
import static dev.veil.cli.CliTestSupport.veil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.cli.CliTestSupport.Result;
import dev.veil.redis.RedisServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil monitor replay --redis rediss://...} against a real redis-server that asks for client
 * certificates: with {@code --redis-ca}, {@code --redis-cert} and {@code --redis-key} the output is
 * the in-memory replay's and the namespace is deleted over the same TLS set-up; without the client
 * certificate, or with options that do not fit, it fails naming the option to give.
 */
class MonitorReplayTlsTest {
    @RegisterExtension
    static final RedisServer REDIS = RedisServer.withTls();

    @TempDir
    Path tmp;

    Path bundle;
    Path trace;

    @BeforeEach
    void writeFiles() throws IOException {
        bundle = ReplayFiles.bundle(tmp.resolve("bundle"), ReplayFiles.POLICY);
        trace = Files.writeString(tmp.resolve("t.jsonl"), MonitorReplayCommandTest.TRACE);
    }

    private Result replay(String... redisOptions) {
        String[] args = new String[6 + redisOptions.length];
        String[] head = {"monitor", "replay", "--bundle", s(bundle), "--trace", s(trace)};
        System.arraycopy(head, 0, args, 0, 6);
        System.arraycopy(redisOptions, 0, args, 6, redisOptions.length);
        return veil(args);
    }

    @Test
    void aReplayOverMutualTlsGivesTheInMemoryOutputAndLeavesNoKeys() throws IOException {
        Result memory = replay();
        Result tls = replay("--redis", REDIS.tlsUrl(), "--redis-ca", s(REDIS.tlsFile("ca.crt")), "--redis-cert",
                s(REDIS.tlsFile("client.crt")), "--redis-key", s(REDIS.tlsFile("client.key")));
        assertThat(tls.exit()).as(tls.toString()).isZero();
        assertThat(tls.out()).isEqualTo(memory.out());
        assertThat(REDIS.keys("veil:replay:*")).as("deleted over TLS too").isEmpty();
        assertThat(REDIS.command("DBSIZE")).isEqualTo("0");
        // Lettuce's other TLS scheme is one too (a review's case)
        Result ssl = replay("--redis", REDIS.tlsUrl().replace("rediss://", "redis+ssl://"), "--redis-ca",
                s(REDIS.tlsFile("ca.crt")), "--redis-cert", s(REDIS.tlsFile("client.crt")), "--redis-key",
                s(REDIS.tlsFile("client.key")));
        assertThat(ssl.exit()).as(ssl.toString()).isZero();
        assertThat(ssl.out()).isEqualTo(memory.out());
    }

    @Test
    void withoutTheClientCertificateTheReplayFailsNamingTheOptions() {
        Result r = replay("--redis", REDIS.tlsUrl(), "--redis-ca", s(REDIS.tlsFile("ca.crt")));
        CliTestSupport.assertFails(r, 2, "the server asks for a client certificate",
                "give it one that a CA of the server's tls-ca-cert-file issued, --redis-cert FILE --redis-key FILE, or "
                        + "set tls-auth-clients no");
        Result untrusted = replay("--redis", REDIS.tlsUrl(), "--redis-cert", s(REDIS.tlsFile("client.crt")),
                "--redis-key", s(REDIS.tlsFile("client.key")));
        CliTestSupport.assertFails(untrusted, 2, "(a private CA: --redis-ca FILE, or the JVM's");
    }

    @Test
    void optionsThatDoNotFitAreRefusedBeforeAnythingIsRead() {
        String ca = s(REDIS.tlsFile("ca.crt"));
        CliTestSupport.assertFails(replay("--redis-ca", ca), 2, "--redis-ca, --redis-cert and --redis-key are for the "
                + "connection to --redis, which is not given");
        CliTestSupport.assertFails(replay("--redis", REDIS.url(), "--redis-ca", ca), 2, "--redis-ca, --redis-cert and "
                + "--redis-key are for a TLS connection: --redis must be rediss://host:port");
        CliTestSupport.assertFails(replay("--redis", REDIS.tlsUrl(), "--redis-cert", s(REDIS.tlsFile("client.crt"))),
                2, "--redis-cert and --redis-key go together");
        Path otherKey = REDIS.tlsFile("server.key");
        CliTestSupport.assertFails(replay("--redis", REDIS.tlsUrl(), "--redis-cert", s(REDIS.tlsFile("client.crt")),
                "--redis-key", s(otherKey)), 2, "veil monitor replay: --redis-cert: the private key in " + otherKey
                + " is not the key of the client certificate");
    }
}
