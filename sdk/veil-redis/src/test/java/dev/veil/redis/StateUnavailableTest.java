package dev.veil.redis;

import static dev.veil.redis.GuardFixture.code;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.Guard;
import dev.veil.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Redis server is killed mid-run (SIGKILL) and restarted empty on the same port; each Guard
 * does what its policy's {@code on_state_unavailable} says meanwhile, and goes back to Redis once
 * it is back.
 */
class StateUnavailableTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_790_000_000_000L);
    private final List<Guard<double[]>> guards = new ArrayList<>();

    @AfterEach
    void close() {
        guards.forEach(Guard::close);
    }

    private Guard<double[]> guard(GuardFixture fx, String mode) {
        RedisStateStore store = RedisStateStore.builder(REDIS.url()).namespace("veil:{toy}:").clock(clock)
                .timeout(Duration.ofMillis(500)).connectTimeout(Duration.ofMillis(500)).build();
        Guard<double[]> g = fx.guard(fx.bundle("p-" + mode, mode), store, clock, mode);
        guards.add(g);
        return g;
    }

    @Test
    void eachPolicyChoiceAppliesWhileRedisIsDownAndRedisIsUsedAgainAfterARestart() throws Exception {
        GuardFixture fx = new GuardFixture(dir);
        Guard<double[]> deny = guard(fx, "deny");
        Guard<double[]> degrade = guard(fx, "degrade");
        Guard<double[]> local = guard(fx, "local");

        for (Guard<double[]> g : guards) {
            assertThat(code(g.predict(fx.request("alice", 0.7)))).isEqualTo("ok");
        }
        // ratey spends its burst of 6 in Redis.
        List<String> before = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            before.add(code(local.predict(fx.request("ratey", 0.7))));
        }
        assertThat(before).containsExactly("ok", "ok", "ok", "ok", "ok", "ok", "rate_limited");

        REDIS.kill();

        Response denied = deny.predict(fx.request("alice", 0.7));
        assertThat(code(denied)).isEqualTo("state_unavailable");
        assertThat(((Response.Denied) denied).reason().message())
                .isEqualTo("rate limits and monitoring state cannot be reached; try again later");

        Response degraded = degrade.predict(fx.request("alice", 0.7));
        assertThat(degraded).isInstanceOfSatisfying(Response.Released.class, r -> {
            assertThat(r.degraded()).isTrue();
            assertThat(r.prediction().label()).isEqualTo("yes");
            assertThat(r.prediction().scores()).isEmpty();
            assertThat(r.prediction().applied()).contains("label_only");
        });

        // local: a fresh in-memory store answers, and enforces ratey's limit from local state.
        List<String> during = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            during.add(code(local.predict(fx.request("ratey", 0.7))));
        }
        assertThat(during).containsExactly("ok", "ok", "ok", "ok", "ok", "ok", "rate_limited");

        REDIS.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String after = "";
        while (System.nanoTime() < deadline && !"ok".equals(after = code(deny.predict(fx.request("alice", 0.7))))) {
            Thread.sleep(20);
        }
        assertThat(after).as("the deny Guard answers again once Redis is back").isEqualTo("ok");
        assertThat(REDIS.keys("veil:{toy}:*")).as("state is written to the restarted Redis").isNotEmpty();
        assertThat(code(degrade.predict(fx.request("alice", 0.7)))).isEqualTo("ok");
        assertThat(degrade.predict(fx.request("alice", 0.7))).isInstanceOfSatisfying(Response.Released.class,
                r -> assertThat(r.degraded()).isFalse());
        // local is back on Redis, which restarted empty: ratey has a fresh burst there.
        assertThat(code(local.predict(fx.request("ratey", 0.7)))).isEqualTo("ok");
        assertThat(REDIS.keys("veil:{toy}:r:ratey")).hasSize(1);
    }
}
