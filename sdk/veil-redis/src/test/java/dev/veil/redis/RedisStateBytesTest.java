package dev.veil.redis;

import static dev.veil.redis.GuardFixture.code;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.PolicyBundle;
import dev.veil.Request;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one remembered query costs in Redis with {@code near_duplicate} at its defaults (both
 * indexes, 50 hashes each, kept an hour): one key per hash per index, so distinct queries add about
 * 100 keys each, and Redis's memory grows by tens of KB per query (the in-memory store: about 1.4 KB,
 * benchmarks/README.md), bounded only by the callers' rate limits and quotas over {@code ttl_seconds}.
 * The figure README.md and sdk/veil-redis/README.md give for sizing Redis; this test prints it and
 * fails if it grows past 50 KB, or if one caller's index does not stay within its bound
 * ({@link RedisStateStore.Builder#fingerprintIndexKeys}).
 */
class RedisStateBytesTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    @TempDir
    Path dir;

    private static long info(String section, String field) throws Exception {
        for (String line : REDIS.command("INFO", section).split("\r?\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim());
            }
        }
        throw new IllegalStateException("no " + field + " in INFO " + section);
    }

    private static long keys() throws Exception {
        return Long.parseLong(REDIS.command("DBSIZE").replaceAll("\\D", ""));
    }

    @Test
    void aDistinctQueryCostsAboutHundredKeysAndTensOfKilobytesInRedis() throws Exception {
        GuardFixture fx = new GuardFixture(dir);
        PolicyBundle b = fx.imageBundle("bytes", """
                monitoring:
                  detectors:
                    near_duplicate: {}
                output:
                  default: { form: top_k, top_k: 1 }
                """);
        MutableClock clock = new MutableClock(1_790_000_000_000L);
        RedisStateStore store = RedisStateStore.builder(REDIS.url()).namespace("veil:{bytes}:").clock(clock)
                .timeout(Duration.ofSeconds(5)).build();
        SplittableRandom rnd = new SplittableRandom(1);
        int n = 400; // 20,000 hash keys in the caller's index: within its bound (25,000)
        long memoryBefore;
        long keysBefore;
        double bytes;
        double keys;
        try (Guard<double[]> g = fx.guard(b, store, clock, "bytes")) {
            g.predict(Request.of(Credentials.apiKey(fx.key("mallory")), new double[784]));
            memoryBefore = info("memory", "used_memory");
            keysBefore = keys();
            send(g, fx, clock, rnd, n);
            bytes = (info("memory", "used_memory") - memoryBefore) / (double) n;
            keys = (keys() - keysBefore) / (double) n;
            // then past the bound of one caller's index: it keeps its last 25,000 hash keys
            send(g, fx, clock, rnd, 600);
        }
        System.out.printf("RedisStateBytesTest: near_duplicate (defaults), %d distinct 784-feature queries of one "
                + "caller: %.1f keys and %.0f bytes of Redis used_memory per remembered query%n", n, keys, bytes);
        assertThat(keys).isBetween(95.0, 101.0);
        assertThat(bytes).isBetween(5_000.0, 50_000.0);
        long callerIndex = Long.parseLong(REDIS.command("EVAL", "return #redis.call('KEYS', ARGV[1])", "0",
                "veil:{bytes}:f:nd2:near_duplicate:c:*"));
        System.out.printf("RedisStateBytesTest: after 1,000 queries the caller's index holds %d keys%n", callerIndex);
        assertThat(callerIndex).as("one caller's index, with its order list").isBetween(24_900L, 25_001L);
    }

    private static void send(Guard<double[]> g, GuardFixture fx, MutableClock clock, SplittableRandom rnd, int n) {
        for (int i = 0; i < n; i++) {
            double[] x = new double[784];
            for (int j = 0; j < x.length; j++) {
                x[j] = rnd.nextDouble();
            }
            clock.advance(50);
            assertThat(code(g.predict(Request.of(Credentials.apiKey(fx.key("mallory")), x)))).isEqualTo("ok");
        }
    }
}
