package dev.veil.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.GuardSettings.PrivacyBudget;
import dev.veil.spi.RateLimit;
import dev.veil.spi.StateOp;
import dev.veil.spi.StateUnavailableException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The store's contract beyond conformance: builder checks, key layout and TTLs, failures, scripts. */
class RedisStateStoreTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private static final MutableClock CLOCK = new MutableClock(1_790_000_000_000L);
    /** For stores whose batches are not about timing: the default 200 ms is short for a busy CI host. */
    private static final Duration TWO_S = Duration.ofSeconds(2);
    private static RedisStateStore store;

    @BeforeAll
    static void connect() {
        store = RedisStateStore.builder(REDIS.url()).namespace("t:{m}:").clock(CLOCK).timeout(Duration.ofSeconds(2))
                .build();
    }

    @AfterAll
    static void close() {
        if (store != null) {
            store.close();
        }
    }

    @BeforeEach
    void flush() throws Exception {
        REDIS.flushKeepingGenerations(); // the class's store keeps its generation
    }

    // ------------------------------------------------------------------ builder

    @Test
    void aUrlThatIsNotARedisUrlIsRefusedWithoutShowingItsPassword() {
        assertThatThrownBy(() -> RedisStateStore.builder("http://user:hunter2@host:80"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a Redis URL: 'http://***@host:80' (expected redis://host:port")
                .hasMessageNotContaining("hunter2");
    }

    /** Lettuce's own message quotes the URL whole (java.net.URI's syntax errors): without its password here. */
    @Test
    void aUrlLettuceCannotParseIsRefusedWithoutShowingItsPassword() {
        assertThatThrownBy(() -> RedisStateStore.builder("redis://user:hunter2@ho st:1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a Redis URL: 'redis://***@ho st:1' (expected redis://host:port, rediss://host:port or "
                        + "redis-socket:///path): Illegal character in authority at index 8: redis://***@ho st:1");
        for (String url : new String[] {"rediss://:hunter2@[::1:6379", "redis://:hunt%zzer2@host:1",
            "redis://:hunter2@host:1\n", "redis://user:hunt@er2@ho st:1", "redis://user:hunt/er2@ho st:1",
            "redis:u:hunter2@host:1", "redis:/u:hunter2@host:1", "redis:\\\\u:hunter2@host:1"}) {
            assertThatThrownBy(() -> RedisStateStore.builder(url)).as(url)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("not a Redis URL: '")
                    .hasMessageNotContaining("hunter2").hasMessageNotContaining("hunt%zzer2")
                    .hasMessageNotContaining("er2@");
        }
        assertThatThrownBy(() -> RedisStateStore.builder("redis://:hunter2@host:1\n2026 forged"))
                .hasMessageNotContaining("\n").hasMessageContaining("\\u000a2026 forged");
    }

    @Test
    void badSettingsAreRefusedWithWhatWasWrong() {
        RedisStateStore.Builder b = RedisStateStore.builder(REDIS.url());
        assertThatThrownBy(() -> b.namespace("")).hasMessage(
                "namespace must have 1 to 200 characters, e.g. 'veil:{fashion}:', was 0");
        assertThatThrownBy(() -> b.namespace("x".repeat(201))).hasMessage(
                "namespace must have 1 to 200 characters, e.g. 'veil:{fashion}:', was 201");
        assertThatThrownBy(() -> b.namespace("veil fashion:")).hasMessage(
                "namespace must not hold whitespace or control characters, was 'veil fashion:'");
        assertThatThrownBy(() -> b.timeout(Duration.ZERO)).hasMessage("timeout must be > 0 and <= 1 minute, was PT0S");
        assertThatThrownBy(() -> b.timeout(Duration.ofMinutes(2)))
                .hasMessage("timeout must be > 0 and <= 1 minute, was PT2M");
        assertThatThrownBy(() -> b.connectTimeout(Duration.ofMillis(-1)))
                .hasMessage("connectTimeout must be > 0 and <= 1 minute, was PT-0.001S");
        assertThatThrownBy(() -> b.maxLedgerCallers(0)).hasMessage("maxLedgerCallers must be >= 1, was 0");
    }

    @Test
    void aServerThatIsNotThereIsReportedWithItsAddress() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        int p = port;
        assertThatThrownBy(() -> RedisStateStore.builder("redis://127.0.0.1:" + p)
                .connectTimeout(Duration.ofMillis(500)).build())
                .isInstanceOf(StateUnavailableException.class)
                .hasMessageStartingWith("cannot connect to Redis at 127.0.0.1:" + p + ": ")
                .hasMessageEndingWith("; check the URL and that redis-server is running");
    }

    /** A Redis that accepts connections and does not answer (stopped with SIGSTOP) fails build() in connectTimeout. */
    @Test
    void aServerThatAcceptsButDoesNotAnswerFailsTheBuildWithinTheConnectTimeout() throws Exception {
        REDIS.pause();
        long t0 = System.nanoTime();
        try {
            assertThatThrownBy(() -> RedisStateStore.builder(REDIS.url()).connectTimeout(Duration.ofMillis(500)).build())
                    .isInstanceOf(StateUnavailableException.class)
                    .hasMessageStartingWith("cannot connect to Redis at 127.0.0.1:" + REDIS.port() + ": ");
        } finally {
            REDIS.resume();
        }
        // Lettuce's handshake would otherwise wait the URI's default timeout, a minute
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    /** A redis-sentinel:// URL goes through the same client (the handshake timeout must keep the sentinels). */
    @Test
    void aSentinelUrlReachesTheMasterItNames(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        RedisServer.Sentinel sentinel = REDIS.startSentinel(dir, "veilmaster");
        try (RedisStateStore s = RedisStateStore.builder("redis-sentinel://127.0.0.1:" + sentinel.port() + "#veilmaster")
                .namespace("t:{sentinel}:").connectTimeout(Duration.ofSeconds(2)).build()) {
            s.execute(new StateOp.ListAppend("via-sentinel", new byte[] {1}, 3, 60_000));
            assertThat(REDIS.keys("t:{sentinel}:l:via-sentinel")).hasSize(1);
        } finally {
            sentinel.process().destroyForcibly().waitFor();
        }
    }

    /**
     * Lettuce 7.7 can lose the server's handshake refusal to its own "Connection closed prematurely"
     * (about 1 connect in 100 under load); build() tries again so that the refusal is what it reports.
     */
    @Test
    void aHandshakeWhoseReplyIsLostIsTriedAgainUntilTheServerAnswers() throws Exception {
        REDIS.command("ACL", "SETUSER", "veil-test", "on", ">right-password", "~*", "+@all");
        try (DroppingProxy proxy = new DroppingProxy(REDIS.port(), 2)) { // 2 attempts left: both lost is ~1e-4
            String wrong = "redis://veil-test:wrong-password@127.0.0.1:" + proxy.port();
            assertThatThrownBy(() -> RedisStateStore.builder(wrong).connectTimeout(Duration.ofMillis(1000)).build())
                    .isInstanceOf(StateUnavailableException.class)
                    .hasMessageContaining("(cause: WRONGPASS")
                    .hasMessageEndingWith("; Redis refused the credentials; check the user and password in the URL "
                            + "(redis://user:password@host:port, or redis://:password@host:port)");
            assertThat(proxy.accepted()).isBetween(3, 4);
        } finally {
            REDIS.command("ACL", "DELUSER", "veil-test");
        }
    }

    /**
     * A connection closed right after its handshake succeeded (Lettuce 7.7 reports a handshake whose
     * reply arrives as its connect timeout fires successful, and the timeout then closes the channel)
     * made build()'s first command fail at once with Lettuce's "Currently not connected. Commands are
     * rejected." although Redis was fine (AclUserTest failed so in one full run of several); build()
     * now sends it again once Lettuce has reconnected.
     */
    @Test
    void aConnectionClosedRightAfterItsHandshakeIsReopenedByBuild() throws Exception {
        try (DroppingProxy proxy = DroppingProxy.hangingUpAt(REDIS.port(), "SCRIPT", 1);
                RedisStateStore s = RedisStateStore.builder("redis://127.0.0.1:" + proxy.port())
                        .namespace("t:{hangup}:").build()) {
            s.execute(new StateOp.ListAppend("after-hangup", new byte[] {1}, 3, 60_000));
            assertThat(REDIS.keys("t:{hangup}:l:after-hangup")).hasSize(1);
            assertThat(proxy.accepted()).isEqualTo(2);
        }
    }

    /** A server that closes every connection right after its handshake fails build() within 2 connectTimeouts. */
    @Test
    void aServerThatHangsUpAfterEveryHandshakeFailsTheBuildWithinTwoConnectTimeouts() throws Exception {
        try (DroppingProxy proxy = DroppingProxy.hangingUpAt(REDIS.port(), "SCRIPT", Integer.MAX_VALUE)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> RedisStateStore.builder("redis://127.0.0.1:" + proxy.port())
                    .connectTimeout(Duration.ofMillis(500)).build())
                    .isInstanceOf(StateUnavailableException.class)
                    // Lettuce's word for the last attempt: rejected before it was sent, or lost in flight
                    .hasMessageMatching(java.util.regex.Pattern.quote("Redis at 127.0.0.1:" + proxy.port()
                            + " closed the connection right after it was opened, and again each time it was reopened "
                            + "within 1000 ms (SCRIPT LOAD: ") + "(Currently not connected\\. Commands are rejected\\."
                            + "|Connection disconnected)" + java.util.regex.Pattern.quote("); check that nothing "
                            + "between this host and Redis closes new connections, or raise "
                            + "RedisStateStore.builder(...).connectTimeout if Redis is slow"));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            assertThat(proxy.accepted()).isGreaterThan(1);
        }
    }

    /** A server that closes every connection during the handshake fails build() after a few quick attempts. */
    @Test
    void aServerThatAlwaysHangsUpIsReportedAfterFourAttempts() throws Exception {
        try (DroppingProxy proxy = new DroppingProxy(REDIS.port(), Integer.MAX_VALUE)) {
            assertThatThrownBy(() -> RedisStateStore.builder("redis://127.0.0.1:" + proxy.port())
                    .connectTimeout(Duration.ofMillis(1000)).build())
                    .isInstanceOf(StateUnavailableException.class)
                    .hasMessageStartingWith("cannot connect to Redis at 127.0.0.1:" + proxy.port() + ": ")
                    .hasMessageEndingWith(" (cause: the server closed the connection during the handshake); check "
                            + "that the URL names a redis-server, and rediss:// if that port expects TLS");
            // the proxy's thread may count the last connection after the client has given up on it
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (proxy.accepted() < 4 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(proxy.accepted()).isEqualTo(4);
        }
    }

    @Test
    void wrongCredentialsAndAMissingDatabaseAreNamedAsSuch() throws Exception {
        REDIS.command("ACL", "SETUSER", "veil-test", "on", ">right-password", "~*", "+@all");
        try {
            String wrong = "redis://veil-test:wrong-password@127.0.0.1:" + REDIS.port();
            assertThatThrownBy(() -> RedisStateStore.builder(wrong).connectTimeout(Duration.ofMillis(1000)).build())
                    .isInstanceOf(StateUnavailableException.class)
                    .hasMessageStartingWith("cannot connect to Redis at 127.0.0.1:" + REDIS.port() + ": ")
                    .hasMessageContaining("(cause: WRONGPASS")
                    .hasMessageEndingWith("; Redis refused the credentials; check the user and password in the URL "
                            + "(redis://user:password@host:port, or redis://:password@host:port)")
                    .message().doesNotContain("wrong-password");
        } finally {
            REDIS.command("ACL", "DELUSER", "veil-test");
        }
        assertThatThrownBy(() -> RedisStateStore.builder(REDIS.url() + "/99").connectTimeout(Duration.ofMillis(1000))
                .build())
                .isInstanceOf(StateUnavailableException.class)
                .hasMessageContaining("DB index is out of range")
                .hasMessageEndingWith("; the database number in the URL (redis://host:port/N) does not exist on this "
                        + "server");
    }

    @Test
    void aRedisThatEvictsKeysIsRefusedUnlessAllowed() throws Exception {
        REDIS.command("CONFIG", "SET", "maxmemory-policy", "volatile-lru");
        try {
            // without a memory limit Redis does not evict: built (with a warning in the log)
            RedisStateStore.builder(REDIS.url()).build().close();
            REDIS.command("CONFIG", "SET", "maxmemory", "1073741824");
            assertThatThrownBy(() -> RedisStateStore.builder(REDIS.url()).build())
                    .isInstanceOf(StateUnavailableException.class)
                    .hasMessageStartingWith("Redis at 127.0.0.1:" + REDIS.port() + " evicts keys (maxmemory-policy "
                            + "volatile-lru, maxmemory 1073741824): under memory pressure it would drop Veil's quotas")
                    .hasMessageEndingWith("or accept the risk with RedisStateStore.builder(...).allowEviction(true)");
            try (RedisStateStore accepted = RedisStateStore.builder(REDIS.url()).allowEviction(true).timeout(TWO_S).build()) {
                assertThat(accepted.execute(new StateOp.CountInWindow("evict", CLOCK.millis(), 60_000)))
                        .containsExactly(1L);
            }
        } finally {
            REDIS.command("CONFIG", "SET", "maxmemory-policy", "noeviction");
            REDIS.command("CONFIG", "SET", "maxmemory", "0");
        }
    }

    /** A least-privilege user allowed only INFO memory still has the eviction policy read, and refused. */
    @Test
    void aUserAllowedOnlyInfoMemoryIsStillRefusedAnEvictingRedis() throws Exception {
        REDIS.command("ACL", "SETUSER", "info-memory", "on", ">pw", "~*", "&*", "+@all", "-info", "+info|memory");
        REDIS.command("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
        REDIS.command("CONFIG", "SET", "maxmemory", "1073741824");
        try {
            assertThatThrownBy(() -> RedisStateStore.builder("redis://info-memory:pw@127.0.0.1:" + REDIS.port()).build())
                    .isInstanceOf(StateUnavailableException.class)
                    .hasMessageStartingWith("Redis at 127.0.0.1:" + REDIS.port() + " evicts keys (maxmemory-policy "
                            + "allkeys-lru, maxmemory 1073741824)");
        } finally {
            REDIS.command("CONFIG", "SET", "maxmemory-policy", "noeviction");
            REDIS.command("CONFIG", "SET", "maxmemory", "0");
            REDIS.command("ACL", "DELUSER", "info-memory");
        }
    }

    @Test
    void aFullRedisRefusesTheWholeBatch() throws Exception {
        long now = CLOCK.millis();
        String caller = "oom-" + now;
        // Without the script's shebang Redis checked for OOM only at the batch's first write that may
        // grow memory, and let it through once the batch had written anything: this batch (the
        // Guard's access stage for a new caller) then wrote the caller's state past maxmemory.
        REDIS.command("CONFIG", "SET", "maxmemory", "1");
        try {
            String before = REDIS.command("DBSIZE");
            assertThatThrownBy(() -> store.execute(new StateOp.BlockedUntil(caller, now),
                    new StateOp.Acquire(caller, new RateLimit(1, 5), 10, now)))
                    .isInstanceOf(StateUnavailableException.class)
                    .hasMessageContaining("OOM");
            assertThat(REDIS.command("DBSIZE")).isEqualTo(before);
        } finally {
            REDIS.command("CONFIG", "SET", "maxmemory", "0");
        }
        // the refused request consumed nothing: all 5 tokens are there
        for (int i = 0; i < 5; i++) {
            assertThat(store.execute(new StateOp.Acquire(caller, new RateLimit(1, 5), 10, now)))
                    .as("request %d", i).containsExactly(StateOp.Permit.ALLOWED);
        }
        assertThat(store.execute(new StateOp.Acquire(caller, new RateLimit(1, 5), 10, now)))
                .containsExactly(StateOp.Permit.RATE_LIMITED);
    }

    /**
     * While Redis is full it refuses every batch; a caller blocked there must stay blocked (a review:
     * anyone with a key could fill Redis with distinct queries, and under {@code on_state_unavailable:
     * degrade} the blocked caller then got degraded answers like everybody else). The block is read
     * by a script that writes nothing, which Redis runs while full; other callers still get the
     * refusal, and nothing is written for either.
     */
    @Test
    void aCallerBlockedInRedisStaysBlockedWhileRedisIsFull() throws Exception {
        long now = CLOCK.millis();
        String blocked = "full-blocked-" + now;
        String other = "full-other-" + now;
        store.execute(new StateOp.Block(blocked, now + 600_000));
        REDIS.command("CONFIG", "SET", "maxmemory", "1");
        try {
            String before = REDIS.command("DBSIZE");
            Object[] r = store.execute(new StateOp.BlockedUntil(blocked, now),
                    new StateOp.Acquire(blocked, new RateLimit(1, 5), 10, now));
            assertThat(r).containsExactly(now + 600_000, null);
            assertThatThrownBy(() -> store.execute(new StateOp.BlockedUntil(other, now),
                    new StateOp.Acquire(other, new RateLimit(1, 5), 10, now)))
                    .isInstanceOf(StateUnavailableException.class)
                    .hasMessageContaining("OOM");
            assertThatThrownBy(() -> store.execute(new StateOp.Acquire(blocked, new RateLimit(1, 5), 10, now)))
                    .as("a batch without the block check first is refused whole")
                    .isInstanceOf(StateUnavailableException.class);
            assertThat(REDIS.command("DBSIZE")).isEqualTo(before);
        } finally {
            REDIS.command("CONFIG", "SET", "maxmemory", "0");
        }
    }

    /**
     * A caller throttled in Redis must not get unthrottled answers while Redis is full (before, only
     * blocks were read so, and {@code on_state_unavailable} answered a throttled caller as anyone,
     * without its throttle): its batch answers THROTTLED, though its throttle bucket has tokens,
     * which cannot be taken while Redis refuses writes; once the throttle ends, its batch is refused
     * like anyone's. A batch whose second op is not the caller's Acquire is refused.
     */
    @Test
    void aCallerThrottledInRedisIsRateLimitedWhileRedisIsFull() throws Exception {
        long now = CLOCK.millis();
        String throttled = "full-throttled-" + now;
        store.execute(new StateOp.Throttle(throttled, 5, now + 600_000));
        REDIS.command("CONFIG", "SET", "maxmemory", "1");
        try {
            String before = REDIS.command("DBSIZE");
            Object[] r = store.execute(new StateOp.BlockedUntil(throttled, now),
                    new StateOp.Acquire(throttled, null, 0, now), new StateOp.ListRead("spent:" + throttled));
            assertThat(r).containsExactly(0L, StateOp.Permit.THROTTLED, null);
            assertThatThrownBy(() -> store.execute(new StateOp.BlockedUntil(throttled, now),
                    new StateOp.ListRead("spent:" + throttled)))
                    .as("no Acquire next").isInstanceOf(StateUnavailableException.class).hasMessageContaining("OOM");
            assertThatThrownBy(() -> store.execute(new StateOp.BlockedUntil(throttled, now + 600_000),
                    new StateOp.Acquire(throttled, null, 0, now + 600_000)))
                    .as("the throttle over").isInstanceOf(StateUnavailableException.class)
                    .hasMessageContaining("OOM");
            assertThat(REDIS.command("DBSIZE")).isEqualTo(before);
        } finally {
            REDIS.command("CONFIG", "SET", "maxmemory", "0");
        }
        assertThat(store.execute(new StateOp.BlockedUntil(throttled, now), new StateOp.Acquire(throttled, null, 0, now)))
                .as("Redis with room again: the throttle's tokens").containsExactly(0L, StateOp.Permit.ALLOWED);
    }

    /**
     * A fingerprint index in Redis remembers its last queries up to its bound and forgets older ones:
     * a review sent one caller's distinct queries and Redis grew by 100 keys (30 KB) a query without
     * bound, until a full Redis refused every caller's batch. One caller's index and a shared one have
     * bounds of their own; the oldest query within the bound is still matched in full, the one before
     * it not at all, and the entries the index holds stay within a few sweeps of the bound.
     */
    @Test
    void aFingerprintIndexRemembersAtMostItsBoundOfQueriesOldestGoingFirst() throws Exception {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        List<long[]> sent = new ArrayList<>();
        try (RedisStateStore s = RedisStateStore.builder(REDIS.url()).namespace("t:{bound}:").clock(CLOCK)
                .timeout(Duration.ofSeconds(2)).fingerprintIndexQueries(40, 80).build()) {
            for (int q = 0; q < 200; q++) { // query q is number q + 1 of each index
                long[] h = new long[50];
                for (int i = 0; i < h.length; i++) {
                    h[i] = r.nextLong();
                }
                sent.add(h);
                s.execute(new StateOp.Fingerprint("nd2:x:c:alice", h, "m" + q, 8, 3_600_000, true),
                        new StateOp.Fingerprint("nd2:x:g", h, "tag-m" + q, 8, 3_600_000, false));
            }
            assertThat(entries("t:{bound}:f:nd2:x:c:alice:h*")).as("one caller's index").isBetween(40L * 50, 60L * 50);
            assertThat(entries("t:{bound}:f:nd2:x:g:h*")).as("the shared index").isBetween(80L * 50, 100L * 50);
            assertThat(keysMatching("t:{bound}:f:nd2:x:c:alice:q*")).as("its groups of 64 queries").isBetween(1L, 2L);
            // query 201 of each: the caller's index remembers numbers 162 to 201, the shared one 122 to 201
            Object[] edge = s.execute(new StateOp.Fingerprint("nd2:x:c:alice", sent.get(161), "z", 8, 3_600_000, true),
                    new StateOp.Fingerprint("nd2:x:g", sent.get(120), "z", 8, 3_600_000, false));
            assertThat(edge).containsExactly(new StateOp.FingerprintMatch("m161", 50), StateOp.FingerprintMatch.NONE);
            Object[] next = s.execute(new StateOp.Fingerprint("nd2:x:c:alice", sent.get(199), "z2", 8, 3_600_000, true),
                    new StateOp.Fingerprint("nd2:x:g", sent.get(122), "z2", 8, 3_600_000, false));
            assertThat(next).containsExactly(new StateOp.FingerprintMatch("m199", 50),
                    new StateOp.FingerprintMatch("tag-m122", 50));
        }
        assertThatThrownBy(() -> RedisStateStore.builder(REDIS.url()).fingerprintIndexQueries(0, 4096))
                .hasMessage("fingerprint index bounds must be 1 to 100000000 queries, was 0");
    }

    /** The fields of the hashes whose keys match a pattern, together. */
    private static long entries(String pattern) throws Exception {
        return Long.parseLong(REDIS.command("EVAL", "local t = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do "
                + "t = t + redis.call('HLEN', k) end return t", "0", pattern));
    }

    private static long keysMatching(String pattern) throws Exception {
        return Long.parseLong(REDIS.command("EVAL", "return #redis.call('KEYS', ARGV[1])", "0", pattern));
    }

    @Test
    void batchesThatAStalledRedisReceivedAfterTheGuardGaveUpAreNotApplied() throws Exception {
        String caller = "stall-" + CLOCK.millis();
        RateLimit sixThenNone = new RateLimit(1e-6, 6);
        try (RedisStateStore s = RedisStateStore.builder(REDIS.url()).namespace("t:{stall}:")
                .timeout(Duration.ofMillis(200)).build()) {
            for (int i = 0; i < 2; i++) {
                assertThat(s.execute(new StateOp.Acquire(caller, sixThenNone, 0, CLOCK.millis())))
                        .containsExactly(StateOp.Permit.ALLOWED);
            }
            REDIS.pause();
            try {
                for (int i = 0; i < 4; i++) {
                    assertThatThrownBy(() -> s.execute(new StateOp.Acquire(caller, sixThenNone, 0, CLOCK.millis())))
                            .isInstanceOf(StateUnavailableException.class)
                            .hasMessageContaining("did not answer the state batch within 200 ms");
                }
                Thread.sleep(dev.veil.redis.internal.RedisBatchClient.DEADLINE_SLACK_MILLIS + 200); // past every deadline
            } finally {
                REDIS.resume();
            }
            // The four refused requests took nothing: four of the six tokens are left.
            for (int i = 0; i < 4; i++) {
                assertThat(s.execute(new StateOp.Acquire(caller, sixThenNone, 0, CLOCK.millis())))
                        .as("request %d after the stall", i).containsExactly(StateOp.Permit.ALLOWED);
            }
            assertThat(s.execute(new StateOp.Acquire(caller, sixThenNone, 0, CLOCK.millis())))
                    .containsExactly(StateOp.Permit.RATE_LIMITED);
        }
    }

    /**
     * The clocks step apart after build() (here this host's, as the store sees it): the periodic
     * check measures Redis's clock again and warns, saying what it does and how to fix it, once per
     * change (before, only build() measured it: batches then failed as late, or a stalled Redis
     * applied batches the Guard had given up on, without a word of why).
     */
    @Test
    void clocksThatStepApartAfterBuildAreWarnedOfByThePeriodicCheck() throws Exception {
        java.util.concurrent.atomic.AtomicLong offset = new java.util.concurrent.atomic.AtomicLong();
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(RedisStateStore.class.getName());
        Captured h = new Captured();
        List<java.util.logging.LogRecord> logged = h.records;
        jul.addHandler(h);
        try (RedisStateStore s = RedisStateStore.builder(REDIS.url()).namespace("t:{skew}:").clock(CLOCK)
                .timeout(Duration.ofMillis(300)).serverCheckInterval(Duration.ofHours(1))
                .hostClock(() -> System.currentTimeMillis() + offset.get()).build()) {
            StateOp count = new StateOp.CountInWindow("w", CLOCK.millis(), 60_000);
            s.checkServerAgain().get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(logged).isEmpty();

            offset.set(-2000); // this host's clock steps 2 s back: Redis's is 2 s ahead
            assertThatThrownBy(() -> s.execute(count)).isInstanceOf(StateUnavailableException.class)
                    .hasMessageContaining("VEIL_LATE");
            s.checkServerAgain().get(5, java.util.concurrent.TimeUnit.SECONDS);
            s.checkServerAgain().get(5, java.util.concurrent.TimeUnit.SECONDS); // said once
            assertThat(logged).singleElement().satisfies(r -> {
                assertThat(r.getLevel()).isEqualTo(java.util.logging.Level.WARNING);
                assertThat(r.getMessage()).startsWith("the clock of Redis at 127.0.0.1:" + REDIS.port() + " is now ")
                        .contains(" ms ahead of this host's (build() allows 250 ms)",
                                "Redis now takes every batch for late and applies none (VEIL_LATE",
                                "Synchronise the clocks of this host and of Redis's host (NTP)");
            });

            offset.set(0);
            s.checkServerAgain().get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(s.execute(count)).containsExactly(1L);
            assertThat(logged).hasSize(2);
            assertThat(logged.get(1).getLevel()).isEqualTo(java.util.logging.Level.INFO);
            assertThat(logged.get(1).getMessage()).contains("agrees with this host's again");

            offset.set(2000); // Redis's clock 2 s behind: batches run, but late ones too
            s.checkServerAgain().get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(s.execute(count)).containsExactly(2L);
            assertThat(logged).hasSize(3);
            assertThat(logged.get(2).getMessage()).contains(" ms behind this host's", "Redis now still applies a "
                    + "batch that reaches it up to ");
        } finally {
            jul.removeHandler(h);
        }
    }

    /** The measurement and the message, on given clocks. */
    @Test
    void theSkewIsRedisTimeMinusTheMidpointOfTheRoundTrip() {
        java.util.function.Function<String, byte[]> b = t -> t.getBytes(StandardCharsets.US_ASCII);
        // TIME 1790000001 s 250000 us = 1790000001250 ms, asked at ...000 and answered at ...100 (midpoint ...050)
        assertThat(dev.veil.redis.internal.RedisBatchClient.skewMillis(1_790_000_001_000L, 1_790_000_001_100L,
                List.of(b.apply("1790000001"), b.apply("250000")))).isEqualTo(200);
        assertThat(dev.veil.redis.internal.RedisBatchClient.skewMillis(1_790_000_001_600L, 1_790_000_001_600L,
                List.of(b.apply("1790000001"), b.apply("250999")))).isEqualTo(-350);
        Duration t = Duration.ofMillis(200);
        assertThat(RedisStateStore.clockApartMessage("h:1", 400, t)).contains("is now 400 ms ahead of this host's",
                "its timeout (200 ms) + 500 ms after it is sent",
                "takes a batch that reaches it more than 300 ms after it was sent for late");
        assertThat(RedisStateStore.clockApartMessage("h:1", 700, t)).contains("takes every batch for late");
        assertThat(RedisStateStore.clockApartMessage("h:1", -400, t)).contains("is now 400 ms behind this host's",
                "still applies a batch that reaches it up to 1100 ms after it was sent");
    }

    @Test
    void aFailedCheckAtBuildClosesTheConnection() throws Exception {
        REDIS.command("ACL", "SETUSER", "no-time", "on", ">pw", "~*", "+@all", "-time");
        try {
            String url = "redis://no-time:pw@127.0.0.1:" + REDIS.port();
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> RedisStateStore.builder(url).build())
                        .isInstanceOf(StateUnavailableException.class).hasMessageContaining("NOPERM");
            }
            assertThat(REDIS.command("CLIENT", "LIST")).doesNotContain("user=no-time");
        } finally {
            REDIS.command("ACL", "DELUSER", "no-time");
        }
    }

    @Test
    void aTlsHandshakeThatCannotCompleteFailsWithinTheConnectTimeout() {
        // rediss:// against this plain-text server: the TLS handshake never completes
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> RedisStateStore.builder("rediss://127.0.0.1:" + REDIS.port())
                .connectTimeout(Duration.ofMillis(500)).build())
                .isInstanceOf(StateUnavailableException.class)
                .hasMessageStartingWith("cannot connect to Redis at 127.0.0.1:" + REDIS.port() + ": ");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    // ------------------------------------------------------------------ keys

    @Test
    void everyKeyIsUnderTheNamespaceAndHasATimeToLive() throws Exception {
        long now = CLOCK.millis();
        store.execute(RoundTripTest.realisticBatch(1, now));
        store.execute(new StateOp.Charge("alice", 0.1, 0, new PrivacyBudget(1, 5, 3600, null), now),
                new StateOp.Block("bob", now + 60_000), new StateOp.Throttle("carol", 2, now + 60_000),
                new StateOp.Acquire("carol", null, 0, now));
        List<String> keys = new ArrayList<>(REDIS.keys("*"));
        assertThat(keys).isNotEmpty().allSatisfy(k -> assertThat(k).startsWith("t:{m}:"));
        // the three keys without a time to live: the state generation, the count of batches and the
        // tokens of the latest, whose losses the store reports
        for (String k : List.of("t:{m}:gen", "t:{m}:gen:count", "t:{m}:gen:marks")) {
            assertThat(keys.remove(k)).as(k).isTrue();
            assertThat(REDIS.command("PTTL", k)).as(k).isEqualTo("-1");
        }
        // BlockedUntil only reads: a caller without a block or throttle has no b: key.
        assertThat(keys).as("a fingerprint index's queries and buckets")
                .anyMatch(k -> k.matches("t:\\{m}:f:fp:g:q[0-9a-z]+\\.0"))
                .anyMatch(k -> k.matches("t:\\{m}:f:fp:g:h[0-9a-z]+\\.0"));
        assertThat(keys).doesNotContain("t:{m}:b:caller1").contains("t:{m}:r:caller1", "t:{m}:f:fp:g:m",
                "t:{m}:l:hist:caller1", "t:{m}:w:rate:c:caller1", "t:{m}:p:g", "t:{m}:p:c:alice", "t:{m}:b:bob",
                "t:{m}:b:carol");
        for (String k : keys) {
            long ttl = Long.parseLong(REDIS.command("PTTL", k));
            assertThat(ttl).as("time to live of " + k).isPositive();
        }
        assertThat(Long.parseLong(REDIS.command("PTTL", "t:{m}:b:bob"))).isBetween(50_000L, 60_000L);
        assertThat(Long.parseLong(REDIS.command("PTTL", "t:{m}:w:rate:c:caller1"))).isBetween(110_000L, 120_000L);
        // Privacy ledgers live until the end of their period plus a day.
        assertThat(Long.parseLong(REDIS.command("PTTL", "t:{m}:p:g"))).isBetween(86_400_000L, 90_000_000L);
    }

    @Test
    void aLedgerThatNeverRenewsHasNoTimeToLive() throws Exception {
        // period_seconds 0: spending counts for good, so an idle caller must not get a fresh budget
        // when a key expires (the in-memory ledger never forgets it either)
        long now = CLOCK.millis();
        PrivacyBudget never = new PrivacyBudget(1, 5, 0, null);
        store.execute(new StateOp.Charge("dora", 0.6, 0, new PrivacyBudget(1, 5, 3600, null), now));
        assertThat(Long.parseLong(REDIS.command("PTTL", "t:{m}:p:c:dora"))).isPositive();
        store.execute(new StateOp.Charge("dora", 0.3, 0, never, now));
        assertThat(Long.parseLong(REDIS.command("PTTL", "t:{m}:p:g"))).isEqualTo(-1L);
        assertThat(Long.parseLong(REDIS.command("PTTL", "t:{m}:p:c:dora"))).isEqualTo(-1L);
        assertThat(store.execute(new StateOp.Charge("dora", 0.2, 0, never, now))[0])
                .isEqualTo(StateOp.Budget.CALLER_EXHAUSTED);
    }

    /**
     * A caller spends its budget under a renewing period; the policy is reloaded to a budget that
     * never renews. Its refused charges must keep its ledger for good, as the global one: before,
     * a refusal wrote only the global ledger, so the caller's kept the old period's time to live
     * (the old hour's end + 1 day) and, once it ran out, the exhausted caller had a fresh budget
     * meant never to renew. The in-memory store answers the same sequence alike throughout.
     */
    @Test
    void aRefusedChargeKeepsTheCallersLedgerForGoodAfterAReloadToABudgetThatNeverRenews() throws Exception {
        long now = CLOCK.millis();
        PrivacyBudget hourly = new PrivacyBudget(1.0, 1.5, 3600, null);
        PrivacyBudget never = new PrivacyBudget(1.0, 1.5, 0, null);
        try (MemoryStateStore memory = new MemoryStateStore(64L << 20, CLOCK, 1000)) {
            List<StateOp> charges = List.of(new StateOp.Charge("eve", 0.6, 0, hourly, now),
                    new StateOp.Charge("eve", 0.6, 0, hourly, now), // caller exhausted
                    new StateOp.Charge("fay", 0.8, 0, hourly, now), // the global ledger holds 1.4 of 1.5
                    new StateOp.Charge("fay", 0.3, 0, never, now + 1000), // reload: fay refused (caller)
                    new StateOp.Charge("eve", 0.6, 0, never, now + 1000), // eve refused (caller)
                    new StateOp.Charge("fay", 0.15, 0, never, now + 1000)); // fay refused (global)
            List<Object> answers = new ArrayList<>();
            for (StateOp c : charges) {
                Object expected = memory.execute(c)[0];
                assertThat(store.execute(c)[0]).as("%s", c).isEqualTo(expected);
                answers.add(expected);
            }
            assertThat(answers).containsExactly(StateOp.Budget.GRANTED, StateOp.Budget.CALLER_EXHAUSTED,
                    StateOp.Budget.GRANTED, StateOp.Budget.CALLER_EXHAUSTED, StateOp.Budget.CALLER_EXHAUSTED,
                    StateOp.Budget.GLOBAL_EXHAUSTED);
            for (String k : List.of("t:{m}:p:g", "t:{m}:p:c:eve", "t:{m}:p:c:fay")) {
                assertThat(REDIS.command("PTTL", k)).as("time to live of %s", k).isEqualTo("-1");
            }
            // long after the old hour's end + 1 day (server time), both stores still refuse eve
            StateOp later = new StateOp.Charge("eve", 0.6, 0, never, now + 30L * 86_400_000);
            assertThat(memory.execute(later)[0]).isEqualTo(StateOp.Budget.CALLER_EXHAUSTED);
            assertThat(store.execute(later)[0]).isEqualTo(StateOp.Budget.CALLER_EXHAUSTED);
        }
    }

    /**
     * The reverse reload, from a budget that never renews to an hourly one: a refused charge gives
     * the caller's ledger the period's time to live as a granted one does, so that no ledger is left
     * without one (before, a refused caller's ledger stayed without a time to live for good).
     */
    @Test
    void aRefusedChargeGivesTheCallersLedgerTheTimeToLiveOfARenewingPeriodAfterAReload() throws Exception {
        long now = CLOCK.millis();
        PrivacyBudget never = new PrivacyBudget(1.0, 5, 0, null);
        PrivacyBudget hourly = new PrivacyBudget(1.0, 5, 3600, null);
        store.execute(new StateOp.Charge("gus", 0.6, 0, never, now), new StateOp.Charge("hal", 0.6, 0, never, now));
        assertThat(REDIS.command("PTTL", "t:{m}:p:c:gus")).isEqualTo("-1");
        // reloaded: what was spent counts until the end of the hour, so gus is refused and hal granted
        assertThat(store.execute(new StateOp.Charge("gus", 0.6, 0, hourly, now + 1000),
                new StateOp.Charge("hal", 0.1, 0, hourly, now + 1000)))
                .containsExactly(StateOp.Budget.CALLER_EXHAUSTED, StateOp.Budget.GRANTED);
        for (String k : List.of("t:{m}:p:g", "t:{m}:p:c:gus", "t:{m}:p:c:hal")) {
            assertThat(Long.parseLong(REDIS.command("PTTL", k))).as("time to live of %s", k)
                    .isBetween(86_400_000L, 86_400_000L + 3_600_000L);
        }
    }

    @Test
    void aLedgerWrittenByTheFormat1ScriptKeepsItsSpendingUntilTheEndOfTheCurrentPeriod() throws Exception {
        // The format 1 script kept the period as floor(epochSecond / periodSeconds), here of a day,
        // and no period end. The budget is now hourly: the day's spending must not be handed out again
        // at the upgrade (fail closed), so it counts until the end of the current hour. A caller key
        // of an earlier period does not count, as before.
        long now = CLOCK.millis(); // 14:13:20 UTC
        String day = Long.toString(Math.floorDiv(now, 86_400_000L));
        REDIS.command("HSET", "t:{m}:p:g", "p", day, "eh", "1000", "el", "0", "dh", "0", "dl", "0", "n", "1");
        REDIS.command("HSET", "t:{m}:p:c:alice", "p", day, "eh", "1000", "el", "0", "dh", "0", "dl", "0");
        REDIS.command("HSET", "t:{m}:p:c:bob", "p", Long.toString(Long.parseLong(day) - 1), "eh", "1000", "el", "0",
                "dh", "0", "dl", "0");
        PrivacyBudget hourly = new PrivacyBudget(1, 1.6, 3600, null);
        long hourEnd = (Math.floorDiv(now, 3_600_000L) + 1) * 3_600_000L;

        assertThat(store.execute(new StateOp.Charge("alice", 0.1, 0, hourly, now)))
                .containsExactly(StateOp.Budget.CALLER_EXHAUSTED);
        assertThat(store.execute(new StateOp.Charge("bob", 0.5, 0, hourly, now)))
                .containsExactly(StateOp.Budget.GRANTED);
        assertThat(store.execute(new StateOp.Charge("carol", 0.2, 0, hourly, hourEnd - 1)))
                .containsExactly(StateOp.Budget.GLOBAL_EXHAUSTED); // 1.0 + 0.5 spent of 1.6
        assertThat(store.execute(new StateOp.Charge("alice", 0.1, 0, hourly, hourEnd - 1)))
                .containsExactly(StateOp.Budget.CALLER_EXHAUSTED);
        assertThat(store.execute(new StateOp.Charge("alice", 1.0, 0, hourly, hourEnd)))
                .containsExactly(StateOp.Budget.GRANTED);
        assertThat(REDIS.command("HGET", "t:{m}:p:g", "r")).isEqualTo(Long.toString(hourEnd / 1000 + 3600));
    }

    @Test
    void storesWithDifferentNamespacesShareNothing() {
        try (RedisStateStore other = RedisStateStore.builder(REDIS.url()).namespace("t:{n}:").clock(CLOCK).timeout(TWO_S).build()) {
            long now = CLOCK.millis();
            store.execute(new StateOp.Block("mallory", now + 60_000));
            assertThat(store.execute(new StateOp.BlockedUntil("mallory", now))).containsExactly(now + 60_000);
            assertThat(other.execute(new StateOp.BlockedUntil("mallory", now))).containsExactly(0L);
        }
    }

    /**
     * Keys are the namespace, a kind ({@code b:}, {@code r:}, ...) and a name: with namespaces
     * {@code veil:} and {@code veil:r:} on one Redis, caller {@code r:bob} of the first was caller
     * {@code bob} of the second, and its caller {@code gen} the second's state generation. A
     * namespace that could be the start of another's keys is refused.
     */
    @Test
    void aNamespaceWhoseKeysCouldBeAnothersIsRefused() {
        RedisStateStore.Builder b = RedisStateStore.builder(REDIS.url());
        assertThatThrownBy(() -> b.namespace("veil")).isInstanceOf(IllegalArgumentException.class).hasMessage(
                "namespace must end with ':', e.g. 'veil:{fashion}:' (so that it is never the start of another "
                        + "namespace's keys), was 'veil'");
        for (String kind : List.of("b", "f", "l", "p", "r", "w")) {
            assertThatThrownBy(() -> b.namespace("veil:" + kind + ":")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("namespace must not have '" + kind + "' as a part between two ':' (b, f, l, p, r and w "
                            + "are kinds of Veil's keys): its keys would be keys of the namespace 'veil:' too; "
                            + "give that part a longer name, was 'veil:" + kind + ":'");
        }
        assertThatThrownBy(() -> b.namespace("veil:{a:p:c}:")).hasMessageContaining(
                "its keys would be keys of the namespace 'veil:{a:' too");
        for (String ok : List.of("veil:", "veil:{fashion}:", "t:{m}:", "veil:replay:0a1b2c:", "r:", "veil:rr:",
                "veil:{r}:", "veil:web:", "veil:ml:", "veil:gen:")) {
            assertThat(b.namespace(ok)).as(ok).isSameAs(b);
        }
    }

    /** Namespaces that begin alike (all accepted) share no key, whatever the callers are called. */
    @Test
    void storesWhoseNamespacesBeginAlikeShareNothing() throws Exception {
        try {
            namespacesThatBeginAlike();
        } finally {
            // callers named like generations, and the other stores' generations, which a flush keeps
            REDIS.command("EVAL", "for _, k in ipairs(redis.call('KEYS', 't:{m}:*')) do "
                    + "if k ~= 't:{m}:gen' then redis.call('DEL', k) end end return 'OK'", "0");
        }
    }

    private void namespacesThatBeginAlike() {
        long now = CLOCK.millis();
        for (String ns : List.of("t:{m}:rr:", "t:{m}:{r}:", "t:{m}:gen:", "t:{m}:x:")) {
            String tail = ns.substring("t:{m}:".length());
            List<String> callers = List.of(tail + "b:mallory", tail + "r:mallory", "r:b:mallory", "b:mallory",
                    "r:mallory", tail + "gen", "r:" + tail + "gen", "gen", "r:gen", tail + "p:g", "p:c:" + tail);
            try (RedisStateStore other = RedisStateStore.builder(REDIS.url()).namespace(ns).clock(CLOCK)
                    .timeout(TWO_S).build()) {
                for (String c : callers) {
                    store.execute(new StateOp.Block(c, now + 60_000));
                    store.execute(new StateOp.Acquire(c, new RateLimit(1e-6, 1), 5, now));
                }
                assertThat(other.execute(new StateOp.BlockedUntil("mallory", now))).as(ns).containsExactly(0L);
                assertThat(other.execute(new StateOp.Acquire("mallory", new RateLimit(1e-6, 1), 5, now)))
                        .as(ns).containsExactly(StateOp.Permit.ALLOWED);
                other.execute(new StateOp.Block("mallory", now + 60_000));
                for (String c : callers) {
                    assertThat(store.execute(new StateOp.BlockedUntil(c, now))).as(ns + " " + c)
                            .containsExactly(now + 60_000);
                    assertThat(store.execute(new StateOp.Acquire(c, new RateLimit(1e-6, 1), 5, now)))
                            .as(ns + " " + c).containsExactly(StateOp.Permit.RATE_LIMITED);
                }
                assertThat(other.execute(new StateOp.BlockedUntil("gen", now))).as(ns).containsExactly(0L);
            }
        }
    }

    @Test
    void aBatchEndsAtABlockAndWritesNothingAfterIt() throws Exception {
        long now = CLOCK.millis();
        MemoryStateStore memory = new MemoryStateStore(1 << 24, CLOCK, 1000);
        StateOp block = new StateOp.Block("caller1", now + 60_000);
        StateOp[] batch = RoundTripTest.realisticBatch(1, now);
        assertThat(store.execute(block)).containsExactly((Object) null);
        memory.execute(block);

        Object[] fromRedis = store.execute(batch);
        store.submit(batch); // a submitted batch ends there too
        Object[] fromMemory = memory.execute(batch);
        memory.submit(batch);

        // one result, the block's end; the permit, fingerprints, list and window were not run
        assertThat(fromRedis).containsExactly(now + 60_000, null, null, null, null, null);
        assertThat(fromMemory).containsExactly(fromRedis);
        store.execute(new StateOp.BlockedUntil("caller1", now)); // after the submit, on the same connection
        assertThat(REDIS.keys("t:{m}:*")).containsExactlyInAnyOrder("t:{m}:gen", "t:{m}:gen:count", "t:{m}:gen:marks",
                "t:{m}:b:caller1");
        // once the block is over the same batch runs whole, as on a first request
        CLOCK.set(now + 60_000);
        try {
            StateOp[] later = RoundTripTest.realisticBatch(1, now + 60_000);
            Object[] r = store.execute(later);
            assertThat(r[0]).isEqualTo(0L);
            assertThat(r[1]).isEqualTo(StateOp.Permit.ALLOWED);
            assertThat(r[5]).as("the window counts this request alone").isEqualTo(1L);
            assertThat(memory.execute(later)).containsExactly(r);
        } finally {
            CLOCK.set(now);
            memory.close();
        }
    }

    @Test
    void anEmptyBatchSendsNothing() throws Exception {
        RedisServer.Monitor m = REDIS.monitor();
        assertThat(store.execute()).isEmpty();
        store.submit();
        assertThat(m.stop()).isEmpty();
    }

    @Test
    void binaryValuesAndUnicodeNamesComeBackUnchanged() {
        byte[] v = new byte[256];
        for (int i = 0; i < v.length; i++) {
            v[i] = (byte) i;
        }
        store.execute(new StateOp.ListAppend("h:é\u0000x", v, 3, 60_000));
        Object[] r = store.execute(new StateOp.ListRead("h:é\u0000x"),
                new StateOp.Fingerprint("i", new long[] {Long.MIN_VALUE, -1}, "zoë", 2, 60_000),
                new StateOp.Fingerprint("i", new long[] {-1}, "ünïcode", 2, 60_000));
        assertThat((List<?>) r[0]).singleElement().isEqualTo(v);
        assertThat(r[1]).isEqualTo(StateOp.FingerprintMatch.NONE);
        assertThat(r[2]).isEqualTo(new StateOp.FingerprintMatch("zoë", 1));
    }

    // ------------------------------------------------------------------ failures

    @Test
    void aThrottleTheInMemoryStoreRefusesIsRefusedHereToo() {
        // The op itself cannot be made (StateOp.Throttle refuses it for both stores), as a rate limit that slow
        // or fast cannot (RateLimit refuses it): too slow, too fast for the in-memory store's Bucket4j, infinite.
        assertThatThrownBy(() -> store.execute(new StateOp.Throttle("a", 1e-9, CLOCK.millis() + 10_000)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("a throttle's perSecond must be a finite number of at least 1 / 31622400");
        for (double fast : new double[] {Math.nextUp(1e9), Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> store.execute(new StateOp.Throttle("a", fast, CLOCK.millis() + 10_000)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("a throttle's perSecond must be at most 1e9 (1000000000)");
        }
    }

    @Test
    void aScriptFlushedFromRedisIsSentAgain() throws Exception {
        long now = CLOCK.millis();
        REDIS.command("SCRIPT", "FLUSH");
        assertThat(store.execute(new StateOp.CountInWindow("k", now, 60_000))).containsExactly(1L);
        REDIS.command("SCRIPT", "FLUSH");
        store.submit(new StateOp.CountInWindow("k", now, 60_000));
        long deadline = System.nanoTime() + 5_000_000_000L;
        Object[] r;
        do {
            r = store.execute(new StateOp.ListRead("nothing"), new StateOp.CountInWindow("k", now, 60_000));
        } while ((Long) r[1] < 3 && System.nanoTime() < deadline);
        assertThat(r[1]).as("the submitted count arrived after NOSCRIPT").isEqualTo(3L);
        assertThat(store.failedSubmits()).isZero();
    }

    @Test
    void aRedisThatDoesNotAnswerInTimeIsUnavailable() throws Exception {
        try (RedisStateStore quick = RedisStateStore.builder(REDIS.url()).namespace("t:{m}:")
                .timeout(Duration.ofMillis(100)).build()) {
            REDIS.command("CLIENT", "PAUSE", "1500", "ALL");
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> quick.execute(new StateOp.ListRead("x")))
                    .isInstanceOf(StateUnavailableException.class)
                    .hasMessage("Redis at 127.0.0.1:" + REDIS.port() + " did not answer the state batch within 100 ms"
                            + " (raise RedisStateStore.builder(...).timeout if Redis is slow)");
            assertThat(System.nanoTime() - t0).as("gave up before the pause ended").isLessThan(1_200_000_000L);
            Thread.sleep(1600);
            assertThat(quick.execute(new StateOp.ListRead("x"))).containsExactly(List.of());
        }
    }

    /**
     * A Redis that lost Veil's state (here: FLUSHALL) is said so, once per store, as an error; the
     * stores go on with the state Redis has now (empty: the bucket is full again) under one new
     * generation.
     */
    @Test
    void aRedisThatLostVeilsStateIsSaidSoOncePerStoreAndTheStoresGoOn() throws Exception {
        RateLimit twoThenNone = new RateLimit(1e-6, 2);
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(RedisStateStore.class.getName());
        Captured h = new Captured();
        List<java.util.logging.LogRecord> logged = h.records;
        jul.addHandler(h);
        try (RedisStateStore a = RedisStateStore.builder(REDIS.url()).namespace("t:{lost}:").clock(CLOCK).timeout(TWO_S).build();
                RedisStateStore b = RedisStateStore.builder(REDIS.url()).namespace("t:{lost}:").clock(CLOCK).timeout(TWO_S).build()) {
            StateOp.Acquire take = new StateOp.Acquire("alice", twoThenNone, 0, CLOCK.millis());
            assertThat(a.execute(take)).containsExactly(StateOp.Permit.ALLOWED);
            assertThat(b.execute(take)).containsExactly(StateOp.Permit.ALLOWED);
            assertThat(a.execute(take)).containsExactly(StateOp.Permit.RATE_LIMITED);
            String before = REDIS.command("GET", "t:{lost}:gen");
            assertThat(logged).isEmpty();

            REDIS.command("FLUSHALL");

            assertThat(a.execute(take)).as("the bucket starts again").containsExactly(StateOp.Permit.ALLOWED);
            assertThat(b.execute(take)).containsExactly(StateOp.Permit.ALLOWED);
            assertThat(a.execute(take)).containsExactly(StateOp.Permit.RATE_LIMITED);
            assertThat(logged).hasSize(2).allSatisfy(r -> {
                assertThat(r.getLevel()).isEqualTo(java.util.logging.Level.SEVERE);
                assertThat(r.getMessage()).contains("lost Veil's state for namespace 't:{lost}:'")
                        .contains("start again from empty");
            });
            assertThat(REDIS.command("GET", "t:{lost}:gen")).isNotEqualTo(before);
        } finally {
            jul.removeHandler(h);
        }
    }

    /** Many threads of two stores meet one loss: each store says so once, and no batch fails. */
    @Test
    void oneLossMetByManyThreadsIsSaidOncePerStore() throws Exception {
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(RedisStateStore.class.getName());
        Captured h = new Captured();
        jul.addHandler(h);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
        try (RedisStateStore a = RedisStateStore.builder(REDIS.url()).namespace("t:{many}:").clock(CLOCK).timeout(TWO_S).build();
                RedisStateStore b = RedisStateStore.builder(REDIS.url()).namespace("t:{many}:").clock(CLOCK).timeout(TWO_S).build()) {
            java.util.concurrent.CountDownLatch flushed = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                RedisStateStore s = t % 2 == 0 ? a : b;
                String key = "k" + t;
                runs.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        if (i == 20) {
                            flushed.await();
                        }
                        s.execute(new StateOp.ListAppend(key, new byte[] {(byte) i}, 5, 60_000));
                    }
                    return null;
                }));
            }
            Thread.sleep(50);
            REDIS.command("FLUSHALL");
            flushed.countDown();
            for (java.util.concurrent.Future<?> r : runs) {
                r.get(60, java.util.concurrent.TimeUnit.SECONDS); // no batch failed
            }
            assertThat(h.records).filteredOn(r -> r.getMessage().contains("lost Veil's state"))
                    .as("one error per store for the one loss").hasSize(2);
        } finally {
            pool.shutdownNow();
            jul.removeHandler(h);
        }
    }

    @Test
    void anErrorReplyIsUnavailableWithRedisMessage() throws Exception {
        REDIS.command("SET", "t:{m}:l:wrong", "a string, not a list");
        assertThatThrownBy(() -> store.execute(new StateOp.ListAppend("wrong", new byte[1], 3, 60_000)))
                .isInstanceOf(StateUnavailableException.class)
                .hasMessageStartingWith("Redis at 127.0.0.1:" + REDIS.port() + " refused the state batch: ")
                .hasMessageContaining("WRONGTYPE");
    }

    @Test
    void aClosedStoreSaysSo() {
        RedisStateStore s = RedisStateStore.builder(REDIS.url()).timeout(TWO_S).build();
        assertThat(s.connected()).isTrue();
        s.close();
        s.close();
        assertThatThrownBy(() -> s.execute(new StateOp.ListRead("x"))).isInstanceOf(IllegalStateException.class)
                .hasMessage("this RedisStateStore (127.0.0.1:" + REDIS.port() + ") is closed");
        assertThat(s.toString()).isEqualTo("RedisStateStore[127.0.0.1:" + REDIS.port() + ", namespace=veil:]");
        assertThat(s.name()).isEqualTo("redis");
        assertThat(s.bytesUsed()).isEqualTo(-1);
    }

    @Test
    void theModuleExportsOnlyItsApiPackage() throws Exception {
        Path info = Path.of("target", "classes", "module-info.class");
        try (InputStream in = Files.newInputStream(info)) {
            ModuleDescriptor d = ModuleDescriptor.read(in);
            Set<String> exports = d.exports().stream().map(ModuleDescriptor.Exports::source)
                    .collect(Collectors.toSet());
            assertThat(d.name()).isEqualTo("dev.veil.redis");
            assertThat(exports).containsExactly("dev.veil.redis");
        }
        assertThat(new String(dev.veil.redis.internal.BatchScript.get().source(), StandardCharsets.UTF_8))
                .startsWith("#!lua\n-- Veil state batch (format 6)");
    }

    /** What the store logs through java.util.logging, kept for the test to read. */
    private static final class Captured extends java.util.logging.Handler {
        final List<java.util.logging.LogRecord> records = java.util.Collections.synchronizedList(new ArrayList<>());

        @Override
        public void publish(java.util.logging.LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }
}
