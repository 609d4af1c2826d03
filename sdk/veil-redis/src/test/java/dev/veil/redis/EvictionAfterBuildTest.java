package dev.veil.redis;

import static dev.veil.redis.GuardFixture.code;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.Guard;
import dev.veil.spi.RateLimit;
import dev.veil.spi.StateOp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis is told to evict keys after the store was built ({@code CONFIG SET maxmemory-policy},
 * {@code maxmemory}) and filled by another client: the eviction policy is read only at build, and
 * a volatile-* policy evicts every Veil key but the state generation, so blocks and quotas were
 * lost without a word. The store reads the settings again (every
 * {@link RedisStateStore.Builder#SERVER_CHECK_INTERVAL}; 100 ms here), refuses every batch while
 * Redis evicts (the Guard applies {@code on_state_unavailable}), and logs the evicted keys.
 */
class EvictionAfterBuildTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private static final Duration QUICK_CHECK = Duration.ofMillis(100);

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_790_000_000_000L);
    private StoreLog log;

    @BeforeEach
    void listen() {
        log = StoreLog.start();
    }

    @AfterEach
    void restore() throws Exception {
        log.close();
        REDIS.command("CONFIG", "SET", "maxmemory-policy", "noeviction");
        REDIS.command("CONFIG", "SET", "maxmemory", "0");
        REDIS.command("FLUSHALL");
    }

    private RedisStateStore.Builder store(String namespace) {
        return RedisStateStore.builder(REDIS.url()).namespace(namespace).clock(clock).timeout(Duration.ofSeconds(2))
                .serverCheckInterval(QUICK_CHECK);
    }

    /** 20,000 cache entries of 200 bytes with a time to live, as an application sharing Redis writes them. */
    private static void fillWithCache() throws Exception {
        fillWithCache(0);
    }

    private static void fillWithCache(int first) throws Exception {
        for (int from = first; from < first + 20_000; from += 1000) {
            REDIS.command("EVAL", "for i = tonumber(ARGV[1]), tonumber(ARGV[1]) + 999 do redis.call('SET', 'cache:' .. i, "
                    + "string.rep('x', 200), 'EX', 3600) end return 0", "0", Integer.toString(from));
        }
    }

    /**
     * Fills the cache until Redis has evicted every key matching {@code pattern}: its LRU samples a few
     * keys per eviction, so one fill leaves a recently read key (a block the Guard has just checked)
     * in place now and then; each further fill writes 20,000 more keys.
     */
    private static void fillUntilEvicted(String pattern) throws Exception {
        for (int round = 0; round < 20 && !REDIS.keys(pattern).isEmpty(); round++) {
            fillWithCache(round * 20_000);
        }
    }

    private List<String> messages(java.util.logging.Level level) {
        return log.messages(level);
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 15 s for: " + what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void aRedisSetToEvictAfterBuildIsUnavailableUntilItIsSetBack() throws Exception {
        GuardFixture fx = new GuardFixture(dir);
        RedisStateStore store = store("veil:{toy}:").build();
        try (Guard<double[]> guard = fx.guard(fx.bundle("p-deny", "deny"), store, clock, "deny")) {
            store.execute(new StateOp.Block("mallory", clock.millis() + 3_600_000));
            assertThat(store.execute(new StateOp.Acquire("ratey", null, 5, clock.millis())))
                    .containsExactly(StateOp.Permit.ALLOWED);
            assertThat(code(guard.predict(fx.request("mallory", 0.7)))).isEqualTo("blocked");
            assertThat(code(guard.predict(fx.request("alice", 0.7)))).isEqualTo("ok");

            REDIS.command("CONFIG", "SET", "maxmemory-policy", "volatile-lru");
            REDIS.command("CONFIG", "SET", "maxmemory", "3mb");
            fillUntilEvicted("veil:{toy}:b:*");
            assertThat(REDIS.keys("veil:{toy}:b:*")).as("Redis evicted the block").isEmpty();

            // Before: the block was gone and mallory answered; now every request is refused as the policy says.
            await("mallory refused as state_unavailable",
                    () -> code(guard.predict(fx.request("mallory", 0.7))).equals("state_unavailable"));
            assertThat(code(guard.predict(fx.request("alice", 0.7)))).isEqualTo("state_unavailable");
            assertThat(messages(Level.SEVERE)).anySatisfy(m -> assertThat(m).startsWith("Redis at 127.0.0.1:"
                    + REDIS.port() + " evicts keys since this store was built (maxmemory-policy volatile-lru, "
                    + "maxmemory 3145728)").contains("CONFIG SET maxmemory-policy noeviction"));
            await("the evicted keys logged", () -> messages(Level.SEVERE).stream().anyMatch(m ->
                    m.contains(" key(s) since it was last checked") && m.contains("namespace 'veil:{toy}:'")));
            long refusals = messages(Level.SEVERE).stream().filter(m -> m.contains("evicts keys since")).count();
            assertThat(refusals).as("said once, not per request or per check").isEqualTo(1);

            REDIS.command("CONFIG", "SET", "maxmemory-policy", "noeviction");
            REDIS.command("CONFIG", "SET", "maxmemory", "0");
            await("alice answered again", () -> code(guard.predict(fx.request("alice", 0.7))).equals("ok"));
            assertThat(messages(Level.INFO)).anySatisfy(m -> assertThat(m).contains("no longer evicts keys"));
        }
    }

    /** A full Redis under noeviction refuses writes: the batch's failure says to raise maxmemory. */
    @Test
    void aFullRedisRefusesBatchesWithAHintAtMaxmemory() throws Exception {
        try (RedisStateStore store = store("veil:{full}:").build()) {
            REDIS.command("CONFIG", "SET", "maxmemory", "1");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.execute(new StateOp.Acquire("alice",
                            new RateLimit(10, 10), 0, clock.millis())))
                    .isInstanceOf(dev.veil.spi.StateUnavailableException.class)
                    .hasMessageContaining("OOM")
                    .hasMessageEndingWith("; Redis is full (maxmemory reached, and noeviction, as Veil needs, refuses "
                            + "writes instead of evicting): raise maxmemory or free memory in it (Veil's keys expire "
                            + "with their time to live, so what they take follows the traffic)");
            REDIS.command("CONFIG", "SET", "maxmemory", "0");
            assertThat(store.execute(new StateOp.Acquire("alice", new RateLimit(10, 10), 0, clock.millis())))
                    .as("answered again once there is room").hasSize(1);
        }
    }

    @Test
    void evictionsAcceptedWithAllowEvictionAreStillLogged() throws Exception {
        REDIS.command("CONFIG", "SET", "maxmemory-policy", "volatile-lru");
        REDIS.command("CONFIG", "SET", "maxmemory", "3mb");
        try (RedisStateStore store = store("veil:{allowed}:").allowEviction(true).build()) {
            store.execute(new StateOp.Acquire("bob", new RateLimit(1e-6, 1), 5, clock.millis()));
            fillWithCache();
            await("the evicted keys logged", () -> messages(Level.SEVERE).stream().anyMatch(m ->
                    m.contains(" key(s) since it was last checked") && m.contains("maxmemory-policy now volatile-lru")));
            assertThat(store.execute(new StateOp.BlockedUntil("bob", clock.millis()))).as("still served")
                    .containsExactly(0L);
            assertThat(messages(Level.SEVERE)).noneMatch(m -> m.contains("evicts keys since"));
        }
    }
}
