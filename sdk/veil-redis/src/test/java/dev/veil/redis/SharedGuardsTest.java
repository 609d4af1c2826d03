package dev.veil.redis;

import static dev.veil.redis.GuardFixture.code;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.Guard;
import dev.veil.PolicyBundle;
import dev.veil.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two independent Guards (each with its own RedisStateStore connection, same namespace) act as
 * one: a caller's rate limit is shared, a block set by one is enforced by the other, and privacy
 * budget spent through one is spent for the other. Requests alternate between the two Guards;
 * with separate state each Guard alone would allow more.
 */
class SharedGuardsTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_790_000_000_000L);
    private Guard<double[]> a;
    private Guard<double[]> b;
    private GuardFixture fx;

    @BeforeEach
    void twoGuards() throws Exception {
        REDIS.command("FLUSHALL");
        fx = new GuardFixture(dir);
        PolicyBundle bundle = fx.bundle("shared", "deny");
        a = fx.guard(bundle, store(), clock, "a");
        b = fx.guard(bundle, store(), clock, "b");
    }

    private RedisStateStore store() {
        return RedisStateStore.builder(REDIS.url()).namespace("veil:{toy}:").clock(clock)
                .timeout(Duration.ofSeconds(2)).build();
    }

    @AfterEach
    void close() {
        if (a != null) {
            a.close();
            b.close();
        }
    }

    @Test
    void aCallersRateLimitIsSharedByBothGuards() {
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            got.add(code((i % 2 == 0 ? a : b).predict(fx.request("ratey", 0.7))));
        }
        // Burst 6 with a refill of one token per 1000 s: six answers in all, not six per Guard.
        assertThat(got).containsExactly("ok", "ok", "ok", "ok", "ok", "ok", "rate_limited", "rate_limited");
    }

    @Test
    void aBlockSetThroughOneGuardIsEnforcedByTheOther() {
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            clock.advance(100);
            got.add(code((i % 2 == 0 ? a : b).predict(fx.request("flooder", 0.7))));
        }
        // The 8th query in 60 s (4 through each Guard) reaches the rate detector's high level at Guard b.
        assertThat(got).containsExactly("ok", "ok", "ok", "ok", "ok", "ok", "ok", "blocked");
        clock.advance(1000);
        Response r = a.predict(fx.request("flooder", 0.7));
        assertThat(code(r)).isEqualTo("blocked");
        assertThat(((Response.Denied) r).reason().message()).startsWith("blocked by monitoring until");
        // Other callers are not affected, and the block ends after its cool-down.
        assertThat(code(a.predict(fx.request("alice", 0.7)))).isEqualTo("ok");
        clock.advance(600_000);
        assertThat(code(a.predict(fx.request("flooder", 0.7)))).isEqualTo("ok");
    }

    @Test
    void privacyBudgetSpentThroughOneGuardIsSpentForTheOther() {
        // epsilon 0.4 per answer against a budget of 1.0: two answers, whichever Guard gives them.
        assertThat(code(a.predict(fx.request("spender", 0.7)))).isEqualTo("ok");
        assertThat(code(b.predict(fx.request("spender", 0.7)))).isEqualTo("ok");
        Response third = a.predict(fx.request("spender", 0.7));
        assertThat(code(third)).isEqualTo("budget_exhausted");
        assertThat(code(b.predict(fx.request("spender", 0.7)))).isEqualTo("budget_exhausted");
        // Callers without noise spend nothing.
        assertThat(code(b.predict(fx.request("alice", 0.7)))).isEqualTo("ok");
    }

    /**
     * The mark a refused charge leaves in Redis (every release to a spent caller is then unpayable)
     * holds only under the budget it was set under: after both Guards reload with a larger budget,
     * the caller gets the difference, as the shared ledger says, through either Guard.
     */
    @Test
    void aSpentMarkInRedisDoesNotOutliveARaiseOfTheBudget() throws Exception {
        assertThat(code(a.predict(fx.request("spender", 0.7)))).isEqualTo("ok");
        assertThat(code(b.predict(fx.request("spender", 0.7)))).isEqualTo("ok");
        assertThat(code(a.predict(fx.request("spender", 0.7)))).isEqualTo("budget_exhausted");
        long deadline = System.nanoTime() + 5_000_000_000L; // the mark is written without waiting
        while (REDIS.keys("*budget-spent*").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(REDIS.keys("*budget-spent*")).as("the spent mark in Redis").hasSize(1);

        PolicyBundle raised = fx.bundle("raised", "deny", 2.0);
        a.reload(raised);
        b.reload(raised);
        // 0.8 spent of 2.0: three more answers of epsilon 0.4, whichever Guard gives them.
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 4; i++) { // 7 queries in all: below the rate detector's block at 8
            got.add(code((i % 2 == 0 ? b : a).predict(fx.request("spender", 0.7))));
        }
        assertThat(got).containsExactly("ok", "ok", "ok", "budget_exhausted");
    }
}
