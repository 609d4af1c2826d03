package dev.veil.redis;

import static dev.veil.redis.GuardFixture.code;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.Guard;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.StateStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A caller blocked by monitoring is refused before the limits, the detectors and the privacy
 * ledger (docs/policy-reference.md 6.1): retrying through the block takes no rate token, no quota,
 * no detector count and no budget, in Redis as in memory. Each test runs a Guard on Redis and one
 * on the in-memory store, with the same clock and requests, and both must answer as expected.
 */
class BlockedCallerTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    /** bob: a daily quota of 30; ratey: 10 tokens, one more every 1000 s; spender: 10 answers of budget. */
    private static final String POLICY = """
            veil: 1
            name: blocked
            authentication:
              api_keys: { file: keys.json }
            access:
              default: { effect: allow }
              rules:
                - { id: bulk, when: { callers: [bob] }, effect: allow, daily_quota: 30 }
                - { id: metered, when: { callers: [ratey] }, effect: allow,
                    rate_limit: { per_second: 0.001, burst: 10 } }
            validation:
              default: { shape: [4] }
            monitoring:
              detectors:
                rate: { window_seconds: 60, low: 3, medium: 4, high: 5 }
              rules:
                - { id: flood, when: { signals: { rate: high } }, action: block, cooldown_seconds: 600 }
            output:
              default: { form: top_k, top_k: 1 }
              rules:
                - id: noisy
                  when: { callers: [spender] }
                  release: { noise: { mechanism: laplace, epsilon: 0.1 } }
              privacy: { per_caller_epsilon: 1.0, on_exhausted: deny }
            """;

    @TempDir
    Path dir;

    /** 2026-09-22T12:00:00Z: each run stays within one quota day. */
    private final MutableClock clock = new MutableClock(1_790_078_400_000L);
    private GuardFixture fx;
    private Guard<double[]> guard;

    @BeforeEach
    void flush() throws Exception {
        REDIS.command("FLUSHALL");
        fx = new GuardFixture(dir);
    }

    @AfterEach
    void close() {
        if (guard != null) {
            guard.close();
        }
    }

    private Guard<double[]> guard(String store) {
        StateStore s = store.equals("redis")
                ? RedisStateStore.builder(REDIS.url()).namespace("veil:{toy}:").clock(clock)
                        .timeout(Duration.ofSeconds(2)).build()
                : new MemoryStateStore(1 << 24, clock, 1000);
        guard = fx.guard(fx.bundleOf("blocked", POLICY), s, clock, store);
        return guard;
    }

    /**
     * The reviewer's run: five queries 1 s apart (the fifth is blocked), 25 retries 1 s apart
     * during the block, then from 700 s later (the block is over) queries 20 s apart, three in a
     * window (below high), until one is refused or 40 were sent: every answer, in order.
     */
    private List<String> blockedAndRetrying(Guard<double[]> g, String caller) {
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            got.add(code(g.predict(fx.request(caller, 0.7))));
            clock.advance(1000);
        }
        clock.advance(700_000);
        for (int i = 0; i < 40; i++) {
            String c = code(g.predict(fx.request(caller, 0.7)));
            got.add(c);
            if (!c.equals("ok")) {
                break;
            }
            clock.advance(20_000);
        }
        return got;
    }

    private static List<String> blockedThen(String... after) {
        List<String> expected = new ArrayList<>(List.of("ok", "ok", "ok", "ok", "blocked"));
        expected.addAll(Collections.nCopies(25, "blocked"));
        expected.addAll(List.of(after));
        return expected;
    }

    @ParameterizedTest
    @ValueSource(strings = {"redis", "memory"})
    void retriesDuringABlockLeaveTheDailyQuotaAsTheBlockFoundIt(String store) {
        List<String> got = blockedAndRetrying(guard(store), "bob");

        // 5 of 30 counted before the block (the fifth was refused by monitoring, after the limits):
        // 25 after it, not a lockout until UTC midnight
        List<String> after = new ArrayList<>(Collections.nCopies(25, "ok"));
        after.add("quota_exhausted");
        assertThat(got).containsExactlyElementsOf(blockedThen(after.toArray(String[]::new)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"redis", "memory"})
    void retriesDuringABlockTakeNoRateTokens(String store) {
        List<String> got = blockedAndRetrying(guard(store), "ratey");

        // burst 10, five taken before the block, under one refilled since
        assertThat(got).containsExactlyElementsOf(blockedThen("ok", "ok", "ok", "ok", "ok", "rate_limited"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"redis", "memory"})
    void retriesDuringABlockEnterNoDetectorWindow(String store) {
        Guard<double[]> g = guard(store);
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            got.add(code(g.predict(fx.request("alice", 0.7))));
            clock.advance(1000);
        }
        // retries every 10 s while the block lasts (it ends 600 s after the fifth query)
        for (int i = 0; i < 59; i++) {
            clock.advance(10_000);
            got.add(code(g.predict(fx.request("alice", 0.7))));
        }
        clock.advance(9000);
        // the last minute's retries would have filled the rate window: blocked again at once
        got.add(code(g.predict(fx.request("alice", 0.7))));

        List<String> expected = new ArrayList<>(List.of("ok", "ok", "ok", "ok", "blocked"));
        expected.addAll(Collections.nCopies(59, "blocked"));
        expected.add("ok");
        assertThat(got).containsExactlyElementsOf(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"redis", "memory"})
    void retriesDuringABlockSpendNoPrivacyBudget(String store) {
        List<String> got = blockedAndRetrying(guard(store), "spender");

        // epsilon 0.1 a release against 1.0: four before the block, six after it
        assertThat(got).containsExactlyElementsOf(blockedThen("ok", "ok", "ok", "ok", "ok", "ok", "budget_exhausted"));
    }
}
