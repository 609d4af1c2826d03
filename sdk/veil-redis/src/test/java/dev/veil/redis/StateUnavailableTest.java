package dev.veil.redis;

import static dev.veil.redis.GuardFixture.code;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.Guard;
import dev.veil.Response;
import dev.veil.spi.StateOp;
import dev.veil.spi.StateUnavailableException;
import java.io.IOException;
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
    void close() throws Exception {
        guards.forEach(Guard::close);
        if (!REDIS.running()) {
            REDIS.start(); // a test that failed during its outage must not take the next test's server
        }
    }

    private Guard<double[]> guard(GuardFixture fx, String mode) {
        return guard(fx, mode, store());
    }

    private RedisStateStore store() {
        return RedisStateStore.builder(REDIS.url()).namespace("veil:{toy}:").clock(clock)
                // the outages here fail at once (commands refused while disconnected), not by these
                // times; a first connect of a cold JVM on a busy host can take longer than 500 ms
                .timeout(Duration.ofSeconds(2)).connectTimeout(Duration.ofSeconds(2)).build();
    }

    private Guard<double[]> guard(GuardFixture fx, String mode, RedisStateStore store) {
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
        // Each Guard's connection comes back on its own (reconnect attempts at most 1 s apart).
        assertThat(firstAnswer(deny, fx, "alice")).as("the deny Guard answers again once Redis is back")
                .isInstanceOfSatisfying(Response.Released.class, r -> assertThat(r.degraded()).isFalse());
        assertThat(firstAnswer(degrade, fx, "alice")).as("the degrade Guard answers in full again")
                .isInstanceOfSatisfying(Response.Released.class, r -> assertThat(r.degraded()).isFalse());
        assertThat(REDIS.keys("veil:{toy}:*")).as("state is written to the restarted Redis").isNotEmpty();
        // local is back on Redis, which restarted empty: ratey has a fresh burst there.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (REDIS.keys("veil:{toy}:r:ratey").isEmpty() && System.nanoTime() < deadline) {
            assertThat(code(local.predict(fx.request("ratey", 0.7)))).isIn("ok", "rate_limited");
            Thread.sleep(20);
        }
        assertThat(REDIS.keys("veil:{toy}:r:ratey")).hasSize(1);
        assertThat(code(local.predict(fx.request("ratey", 0.7)))).isEqualTo("ok");
    }

    /**
     * A request thread interrupted while it waits for Redis is not an outage: Redis is fine, so
     * neither {@code local} state (where the caller's limits would start afresh) nor an outage log
     * applies. The request is denied, and the thread keeps its interrupt.
     */
    @Test
    void anInterruptedRequestIsDeniedNotTakenForAnOutage() throws IOException, InterruptedException {
        GuardFixture fx = new GuardFixture(dir);
        try {
            interruptedRequest(fx);
        } finally {
            REDIS.command("FLUSHALL"); // ratey's spent burst must not reach the other tests
        }
    }

    private void interruptedRequest(GuardFixture fx) throws IOException, InterruptedException {
        Guard<double[]> local = guard(fx, "local");
        List<String> codes = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            codes.add(code(local.predict(fx.request("ratey", 0.7))));
        }
        assertThat(codes).containsExactly("ok", "ok", "ok", "ok", "ok", "ok", "rate_limited");

        // Paused, so that the request thread waits for the reply (a reply already there is taken
        // without looking at the interrupt).
        REDIS.pause();
        Response interrupted;
        boolean stillInterrupted;
        try {
            Thread.currentThread().interrupt();
            interrupted = local.predict(fx.request("ratey", 0.7));
            stillInterrupted = Thread.interrupted(); // clears it for the rest of the test
        } finally {
            REDIS.resume();
        }

        assertThat(code(interrupted)).as("not answered from fresh local state").isEqualTo("internal_error");
        assertThat(stillInterrupted).isTrue();
        assertThat(code(local.predict(fx.request("ratey", 0.7)))).as("Redis still counts").isEqualTo("rate_limited");
    }

    /**
     * Under {@code local}, what must survive the outage does: a block set on local state holds on
     * Redis once it is back, no privacy budget is spent locally, and the records say which
     * requests were decided on local state.
     */
    @Test
    void localStateKeepsItsBlocksAfterTheOutageSpendsNoBudgetAndMarksItsRecords() throws Exception {
        GuardFixture fx = new GuardFixture(dir);
        RedisStateStore store = store();
        Guard<double[]> local = guard(fx, "local", store);
        assertThat(code(local.predict(fx.request("alice", 0.7)))).isEqualTo("ok");
        assertThat(code(local.predict(fx.request("spender", 0.7)))).isEqualTo("ok");

        REDIS.kill();
        // flooder: 8 queries in the minute reach rate high, and the 8th is blocked for 10 minutes
        List<String> flood = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            flood.add(code(local.predict(fx.request("flooder", 0.7))));
        }
        assertThat(flood).containsExactly("ok", "ok", "ok", "ok", "ok", "ok", "ok", "blocked");
        assertThat(code(local.predict(fx.request("spender", 0.7)))).as("no budget is spent on local state")
                .isEqualTo("budget_exhausted");

        REDIS.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!store.connected() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        // back on Redis once a request's state lands there (local answers look the same meanwhile);
        // callers in turn, since the test's clock stands still and 8 queries of one caller in its
        // minute are a block (one caller polling a slow reconnect was blocked)
        List<String> pollers = List.of("alice", "bob", "carol", "mallory");
        for (int i = 0; REDIS.keys("veil:{toy}:*").isEmpty() && System.nanoTime() < deadline; i++) {
            assertThat(code(local.predict(fx.request(pollers.get(i % pollers.size()), 0.7)))).isEqualTo("ok");
            Thread.sleep(20);
        }
        assertThat(REDIS.keys("veil:{toy}:*")).as("the block set during the outage was written to Redis first")
                .contains("veil:{toy}:b:flooder");
        assertThat(code(local.predict(fx.request("flooder", 0.7)))).as("the block set during the outage holds")
                .isEqualTo("blocked");
        assertThat(code(local.predict(fx.request("spender", 0.7)))).isEqualTo("ok");

        local.close();
        List<String> lines = java.nio.file.Files.readAllLines(dir.resolve("local.jsonl"));
        assertThat(lines.subList(0, 2)).as("before the outage").noneMatch(l -> l.contains("\"state:local\""));
        List<String> flooder = lines.stream().filter(l -> l.contains("\"id\":\"flooder\"")).toList();
        assertThat(flooder).hasSize(9);
        assertThat(flooder.subList(0, 8)).as("during the outage").allMatch(l -> l.contains("\"state:local\""));
        assertThat(flooder.get(8)).as("back on Redis").doesNotContain("\"state:local\"");
    }

    /**
     * A block set on local state is written when the Guard closes, not only at its next request
     * (a replica that closed before one took the block along); with Redis still down, the close
     * says which blocks the other replicas do not enforce.
     */
    @Test
    void aGuardClosingAfterAnOutageWritesTheBlocksItSetOnLocalStateOrNamesThem() throws Exception {
        GuardFixture fx = new GuardFixture(dir);
        RedisStateStore store = store();
        Guard<double[]> local = guard(fx, "local", store);
        assertThat(code(local.predict(fx.request("alice", 0.7)))).isEqualTo("ok");
        REDIS.kill();
        for (int i = 0; i < 8; i++) {
            local.predict(fx.request("flooder", 0.7));
        }
        REDIS.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!store.connected() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        local.close(); // no request since the outage
        assertThat(REDIS.keys("veil:{toy}:*")).as("written by close").contains("veil:{toy}:b:flooder");

        REDIS.flushKeepingGenerations();
        Guard<double[]> second = guard(fx, "local", store());
        assertThat(code(second.predict(fx.request("alice", 0.7)))).isEqualTo("ok");
        REDIS.kill();
        for (int i = 0; i < 8; i++) {
            second.predict(fx.request("flooder", 0.7));
        }
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger("dev.veil.Guard");
        List<String> warned = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                    warned.add(r.getMessage());
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        jul.addHandler(h);
        try {
            second.close();
        } finally {
            jul.removeHandler(h);
        }
        assertThat(warned).anySatisfy(m -> assertThat(m).contains("is still unreachable as the Guard closes: 1 "
                + "block(s) and throttle(s) set on local state during the outage were not written to it, so other "
                + "replicas do not enforce them: block of flooder until "));
    }

    /**
     * An idle replica does not keep a block set on local state from the others: once Redis is back,
     * the block reaches it without a request or a close of that Guard, and another replica's Guard
     * refuses the blocked caller.
     */
    @Test
    void aBlockSetOnLocalStateReachesRedisWithoutAnotherRequest() throws Exception {
        GuardFixture fx = new GuardFixture(dir);
        RedisStateStore store = store();
        Guard<double[]> idle = guard(fx, "local", store);
        assertThat(code(idle.predict(fx.request("alice", 0.7)))).isEqualTo("ok");
        REDIS.kill();
        List<String> flood = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            flood.add(code(idle.predict(fx.request("flooder", 0.7))));
        }
        assertThat(flood).last().isEqualTo("blocked");
        REDIS.start();
        // no request to the idle Guard from here on
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!REDIS.keys("veil:{toy}:*").contains("veil:{toy}:b:flooder") && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(REDIS.keys("veil:{toy}:*")).as("written by the idle replica's background try")
                .contains("veil:{toy}:b:flooder");
        Guard<double[]> other = guard(fx, "deny"); // its own audit log
        assertThat(code(other.predict(fx.request("flooder", 0.7)))).as("another replica enforces the block")
                .isEqualTo("blocked");
        assertThat(code(other.predict(fx.request("alice", 0.7)))).isEqualTo("ok");
    }

    /** The first answer that is neither state_unavailable nor degraded, within 10 s (else the last one). */
    private static Response firstAnswer(Guard<double[]> g, GuardFixture fx, String caller) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Response r;
        do {
            r = g.predict(fx.request(caller, 0.7));
            if (r instanceof Response.Released ok && !ok.degraded()) {
                return r;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        return r;
    }

    @Test
    void whileRedisIsDownBatchesFailFastAndSubmitsAreRefusedAtOnce() throws Exception {
        try (RedisStateStore store = RedisStateStore.builder(REDIS.url()).namespace("veil:{toy}:").clock(clock)
                .timeout(Duration.ofSeconds(2)).build()) {
            StateOp op = new StateOp.CountInWindow("w", clock.millis(), 60_000);
            assertThat(store.execute(op)).containsExactly(1L);
            REDIS.kill();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (store.connected() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(store.connected()).isFalse();
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> store.execute(op)).isInstanceOf(StateUnavailableException.class)
                    .hasMessage("Redis at 127.0.0.1:" + REDIS.port() + " is unavailable: Currently not connected."
                            + " Commands are rejected.");
            assertThatThrownBy(() -> store.submit(op)).isInstanceOf(StateUnavailableException.class)
                    .hasMessage("Redis at 127.0.0.1:" + REDIS.port() + " is not connected; the ops were not sent");
            assertThat(System.nanoTime() - t0).as("no waiting for the 2 s timeout").isLessThan(1_000_000_000L);
            assertThat(store.failedSubmits()).isEqualTo(1);

            long down = System.nanoTime();
            REDIS.start();
            long started = System.nanoTime();
            deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!store.connected() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            System.out.printf("redis-server restart took %d ms, reconnection %d ms more%n",
                    (started - down) / 1_000_000, (System.nanoTime() - started) / 1_000_000);
            // Restarted empty, without the script: NOSCRIPT, sent again, answered.
            assertThat(store.execute(op)).containsExactly(1L);
        }
    }
}
