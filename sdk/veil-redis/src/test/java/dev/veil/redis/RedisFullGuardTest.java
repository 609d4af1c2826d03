package dev.veil.redis;

import static dev.veil.redis.GuardFixture.code;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.PolicyBundle;
import dev.veil.Request;
import dev.veil.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A review's attack, end to end: one key's distinct queries (paced under every rate rule) fill a
 * Redis that has a {@code maxmemory}; Redis then refuses every batch, and under
 * {@code on_state_unavailable: degrade} a caller blocked in Redis was answered again, degraded, like
 * everybody else. It must stay blocked.
 */
class RedisFullGuardTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    @TempDir
    Path dir;

    private static Request<double[]> req(GuardFixture fx, String caller, double[] x) {
        return Request.of(Credentials.apiKey(fx.key(caller)), x);
    }

    private static boolean degraded(Response r) {
        return r instanceof Response.Released rel && rel.degraded();
    }

    @Test
    void aCallerBlockedInRedisStaysBlockedWhenAnotherCallersFloodFillsRedis() throws Exception {
        GuardFixture fx = new GuardFixture(dir);
        PolicyBundle b = fx.imageBundle("full", """
                on_state_unavailable: degrade
                monitoring:
                  detectors:
                    rate: { window_seconds: 60, high: 8 }
                    near_duplicate: { seed: 12345 }
                  rules:
                    - { id: flood, when: { signals: { rate: high } }, action: block, cooldown_seconds: 86400 }
                output:
                  default: { form: top_k, top_k: 1 }
                """);
        MutableClock clock = new MutableClock(1_790_000_000_000L);
        RedisStateStore store = RedisStateStore.builder(REDIS.url()).namespace("veil:{full}:").clock(clock)
                .timeout(Duration.ofSeconds(5)).build();
        SplittableRandom rnd = new SplittableRandom(2);
        try (Guard<double[]> g = fx.guard(b, store, clock, "full")) {
            Response last = null;
            for (int i = 0; i < 9; i++) {
                clock.advance(10);
                last = g.predict(req(fx, "mallory", new double[784]));
            }
            assertThat(code(last)).as("mallory, 9 queries in a minute").isEqualTo("blocked");
            long used = Long.parseLong(REDIS.command("INFO", "memory").replaceAll("(?s).*used_memory:(\\d+).*", "$1"));
            REDIS.command("CONFIG", "SET", "maxmemory", Long.toString(used + 1_000_000));
            Response flood = null;
            int sent = 0;
            while (sent < 3000 && (flood == null || !degraded(flood))) {
                double[] x = new double[784];
                for (int j = 0; j < x.length; j++) {
                    x[j] = rnd.nextDouble();
                }
                clock.advance(10_000); // 6 a minute, under the rate rule's 8
                flood = g.predict(req(fx, "flooder", x));
                assertThat(code(flood)).as("flooder's query %s", sent).isEqualTo("ok");
                sent++;
            }
            assertThat(degraded(flood)).as("Redis full after %s distinct queries: degraded answers", sent).isTrue();
            // Redis's memory moves around its limit (a refused batch frees its buffers): keep it full
            REDIS.command("CONFIG", "SET", "maxmemory", "1");
            clock.advance(1000);
            assertThat(code(g.predict(req(fx, "mallory", new double[784])))).as("mallory while Redis is full")
                    .isEqualTo("blocked");
            assertThat(degraded(g.predict(req(fx, "alice", new double[784])))).as("alice while Redis is full").isTrue();
        } finally {
            REDIS.command("CONFIG", "SET", "maxmemory", "0");
        }
    }

    /** A bundle whose rule throttles a caller to 1 query a second for a day after 3 in a minute. */
    private static PolicyBundle throttling(GuardFixture fx, String name, String onStateUnavailable) {
        return fx.imageBundle(name, """
                on_state_unavailable: %s
                monitoring:
                  detectors:
                    rate: { window_seconds: 60, medium: 3 }
                  rules:
                    - { id: slow, when: { signals: { rate: medium } }, action: throttle, cooldown_seconds: 86400,
                        throttle_per_second: 1 }
                output:
                  default: { form: top_k, top_k: 1 }
                """.formatted(onStateUnavailable));
    }

    /**
     * A caller throttled by monitoring stays throttled while Redis is full: its requests are refused
     * as rate limited (its throttle's tokens cannot be taken while Redis refuses writes), where before
     * {@code on_state_unavailable: degrade} gave it labels at any rate; another caller gets the
     * degraded answers; with room again, the throttle's tokens answer it.
     */
    @Test
    void aCallerThrottledInRedisIsRateLimitedWhileRedisIsFull() throws Exception {
        GuardFixture fx = new GuardFixture(dir);
        MutableClock clock = new MutableClock(1_790_000_000_000L);
        try (RedisStateStore store = RedisStateStore.builder(REDIS.url()).namespace("veil:{full-throttle}:")
                        .clock(clock).timeout(Duration.ofSeconds(5)).build();
                Guard<double[]> g = fx.guard(throttling(fx, "full-throttle", "degrade"), store, clock, "full-throttle")) {
            for (int i = 0; i < 3; i++) {
                clock.advance(10);
                assertThat(code(g.predict(req(fx, "mallory", new double[784])))).isEqualTo("ok");
            }
            clock.advance(10);
            assertThat(code(g.predict(req(fx, "mallory", new double[784])))).as("the throttle's one token")
                    .isEqualTo("ok");
            clock.advance(10);
            assertThat(code(g.predict(req(fx, "mallory", new double[784])))).as("throttled").isEqualTo("rate_limited");
            clock.advance(5_000); // the throttle's bucket has tokens again
            REDIS.command("CONFIG", "SET", "maxmemory", "1");
            try {
                assertThat(code(g.predict(req(fx, "mallory", new double[784])))).as("mallory while Redis is full")
                        .isEqualTo("rate_limited");
                assertThat(degraded(g.predict(req(fx, "alice", new double[784])))).as("alice while Redis is full")
                        .isTrue();
            } finally {
                REDIS.command("CONFIG", "SET", "maxmemory", "0");
            }
            assertThat(code(g.predict(req(fx, "mallory", new double[784])))).as("mallory with room again")
                    .isEqualTo("ok");
        }
    }

    /**
     * Under {@code on_state_unavailable: local}, a throttle bob got on local state while Redis is
     * full is held back for Redis, whose refusal of it sent every later batch to local state, which
     * knows nothing of mallory's throttle in Redis: mallory got full answers (a review: [ok, ok, ok,
     * ok, rate_limited]). A refusal (an answer) of the held-back cool-downs now still sends the batch of a
     * caller with none held back, which a full Redis answers from mallory's throttle.
     */
    @Test
    void underLocalACoolDownHeldBackDoesNotLiftAThrottleInAFullRedis() throws Exception {
        GuardFixture fx = new GuardFixture(dir);
        MutableClock clock = new MutableClock(1_790_000_000_000L);
        try (RedisStateStore store = RedisStateStore.builder(REDIS.url()).namespace("veil:{full-local}:")
                        .clock(clock).timeout(Duration.ofSeconds(5)).build();
                Guard<double[]> g = fx.guard(throttling(fx, "full-local", "local"), store, clock, "full-local")) {
            for (int i = 0; i < 5; i++) {
                clock.advance(10);
                g.predict(req(fx, "mallory", new double[784]));
            }
            clock.advance(5_000); // the throttle's bucket has tokens again
            REDIS.command("CONFIG", "SET", "maxmemory", "1");
            try {
                assertThat(code(g.predict(req(fx, "mallory", new double[784])))).isEqualTo("rate_limited");
                List<String> bob = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    clock.advance(10);
                    bob.add(code(g.predict(req(fx, "bob", new double[784]))));
                }
                assertThat(bob).as("bob on local state, throttled there").endsWith("rate_limited");
                List<String> mallory = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    clock.advance(10);
                    mallory.add(code(g.predict(req(fx, "mallory", new double[784]))));
                }
                assertThat(mallory).as("mallory, throttled in Redis, while bob's throttle is held back")
                        .containsOnly("rate_limited");
            } finally {
                REDIS.command("CONFIG", "SET", "maxmemory", "0");
            }
        }
    }
}
