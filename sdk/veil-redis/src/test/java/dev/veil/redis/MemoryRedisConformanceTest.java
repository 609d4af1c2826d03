package dev.veil.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.GuardSettings.PrivacyBudget;
import dev.veil.spi.RateLimit;
import dev.veil.spi.StateOp;
import dev.veil.spi.StateStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.quicktheories.core.Gen;

/**
 * The Redis store gives the same answers as the in-memory store (the reference, whose rate buckets
 * are Bucket4j's and whose ledger is PrivacyLedger) for the same operations at the same times.
 *
 * <p>Each example is a random sequence of batches over a few callers and keys: blocks and
 * throttles (a BlockedUntil that finds its caller blocked ends its batch in both), permits under rate limits that change, daily quotas across a UTC midnight, privacy
 * charges over periods and budgets that change, windows, lists and fingerprints, with time moving
 * by 0 ms to a day, sometimes backwards; callers and keys beyond ASCII; about one batch in five sent
 * with {@code submit} (no answer; the batches after it must find its effect alike). Both stores run
 * it against one {@link MutableClock}; every result must be identical. One property reloads privacy budgets whose only difference is the
 * period (none, 60 s, 90 s, an hour, a day), with the clock moving across their boundaries.
 *
 * <p>Where the two legitimately differ is outside what is generated here, and in the README: the
 * in-memory store forgets least recently used monitoring state under its memory cap and bounds
 * callers with rate or cool-down state (Redis relies on time to live and its own maxmemory); a
 * time to live in Redis runs on the server's clock while the logic runs on the Guard's, so the
 * cool-downs generated here last at least a minute (longer than an example takes) and then expire
 * by the Guard's clock in both stores.
 */
class MemoryRedisConformanceTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    /** UTC midnight of 2023-11-15, minus five minutes: quota days roll over early in most examples. */
    private static final long T0 = 1_700_006_400_000L - 300_000L;

    /** Ids and keys beyond ASCII too (UTF-8 in Redis's keys and values; valid UTF-16 only: a lone surrogate has no UTF-8). */
    private static final String[] CALLERS = {"alice", "zoë", "用户🦊"};
    private static final String[] KEYS = {"rate:r:c:alice", "hist:knn:bøb"};
    private static final RateLimit[] LIMITS = {null, new RateLimit(1, 1), new RateLimit(2, 5), new RateLimit(0.7, 3),
        new RateLimit(3, 0), new RateLimit(50, 100), new RateLimit(1.0 / 3, 2), new RateLimit(0.02, 2), null,
        // burst x refill period beyond 2^53 ns: the exact long-hand refill in the Lua script
        new RateLimit(0.001, 3), new RateLimit(0.0003, 1000)};
    private static final long[] QUOTAS = {0, 0, 2, 5};
    private static final double[] THROTTLES = {0.5, 1.0, 2.5, 3.0, 10.0, 0.3};
    private static final long[] COOL_DOWNS = {-1000, 0, 60_000, 90_000, 600_000};
    private static final double[] EPSILONS = {0.1, 0.25, 0.3, 0.5, 1e-7, 0.7};
    private static final double[] DELTAS = {0, 0, 1e-6, 1e-4, 5e-4};
    private static final PrivacyBudget[] BUDGETS = {
        new PrivacyBudget(1.0, 0, 0, null), new PrivacyBudget(1.0, 2.0, 60, null),
        new PrivacyBudget(0.5, 1.2, 3600, null), new PrivacyBudget(2.0, 2.5, 86_400, null),
        // delta budgets of their own, each binding before the other at the deltas charged
        new PrivacyBudget(1.0, 2.0, 60, null, 2e-4, 6e-4), new PrivacyBudget(2.0, 2.5, 86_400, null, 1e-3, 3e-4)};
    /** One budget with different periods: what a charge gets depends on the period alone. */
    private static final PrivacyBudget[] PERIODS = {
        new PrivacyBudget(1.0, 1.5, 86_400, null), new PrivacyBudget(1.0, 1.5, 3600, null),
        new PrivacyBudget(1.0, 1.5, 0, null), new PrivacyBudget(1.0, 1.5, 60, null),
        new PrivacyBudget(1.0, 1.5, 90, null)};
    /**
     * One period, with and without a global budget (and global delta budgets of their own): a reload
     * that sets a global budget mid-period must count what was spent in the period without one.
     */
    private static final PrivacyBudget[] GLOBAL_SWITCHES = {
        new PrivacyBudget(1.0, 0, 3600, null), new PrivacyBudget(1.0, 1.5, 3600, null),
        new PrivacyBudget(2.0, 0, 3600, null, 1e-3, 1e-3), new PrivacyBudget(2.0, 2.5, 3600, null, 1e-3, 3e-4)};
    private static final int DAILY = 0;
    private static final int HOURLY = 1;
    private static final long[] WINDOWS = {12_000, 60_000, 100_000, 300_000};
    private static final long[] STEPS = {0, 0, 0, 0, 1, 7, 100, 333, 1000, 1000, 4999, 60_000, 3_600_000, 86_400_000,
        -20, -2000};

    private static MutableClock clock;
    private static RedisStateStore redis;
    private static RedisStateStore redisTwoCallers;

    @BeforeAll
    static void connect() {
        clock = new MutableClock(T0);
        redis = RedisStateStore.builder(REDIS.url()).namespace("conf:").clock(clock).timeout(Duration.ofSeconds(2))
                .maxLedgerCallers(1000).build();
        redisTwoCallers = RedisStateStore.builder(REDIS.url()).namespace("conf2:").clock(clock)
                .timeout(Duration.ofSeconds(2)).maxLedgerCallers(2).build();
    }

    @AfterAll
    static void close() {
        if (redis != null) {
            redis.close();
            redisTwoCallers.close();
        }
    }

    /**
     * One generated step: what to do ({@code kind}), to whom, three choices, and how far the
     * clock moves before it (0 joins the previous batch).
     */
    record Step(int kind, int who, int a, int b, int c, int step) {
        @Override
        public String toString() {
            return "Step(" + kind + "," + who + "," + a + "," + b + "," + c + "," + step + ")";
        }
    }

    private static Gen<Step> steps(Profile p) {
        Gen<Integer> any = integers().between(0, 9999);
        Gen<Integer> kind = integers().between(0, p.kinds() - 1);
        Gen<Integer> step = integers().between(0, p.steps().length - 1);
        return in -> new Step(kind.generate(in), any.generate(in), any.generate(in), any.generate(in),
                any.generate(in), step.generate(in));
    }

    /**
     * What a property generates: which kinds of op, how many callers, how the clock moves, and the
     * privacy budgets a charge picks from.
     */
    record Profile(int kinds, int callers, long[] steps, boolean chargesOnly, PrivacyBudget[] budgets) {}

    private static final Profile EVERYTHING = new Profile(13, 2, STEPS, false, BUDGETS);
    /**
     * Window counts only, with and without members ({@code kinds} 7 and 12: see {@link #op}), the
     * clock moving within and across the windows, sometimes backwards, so that members repeat, leave
     * the window and are forgotten beyond their bound (ties on equal times included).
     */
    private static final Profile WINDOWS_ONLY = new Profile(2, 2,
            new long[] {0, 0, 0, 1, 100, 1000, 4999, 11_999, 12_000, 30_000, 60_000, 100_000, -20, -2000, -12_000},
            false, BUDGETS);
    /** Blocks, throttles and permits of one caller, the clock moving by less than the cool-downs. */
    private static final Profile LIMITS_OF_ONE_CALLER = new Profile(6, 1,
            new long[] {0, 0, 0, 1, 50, 250, 700, 1000, 1500, 3000, 60_000, 3_600_000, -300}, false, BUDGETS);
    private static final Profile LEDGER = new Profile(1, 4, STEPS, true, BUDGETS);
    /** Charges under one period's budgets, a global one switched on and off between them. */
    private static final Profile GLOBAL_ON_AND_OFF = new Profile(1, 3, STEPS, true, GLOBAL_SWITCHES);
    /** Charges under one budget whose period changes, the clock moving across its boundaries. */
    private static final Profile PERIOD_CHANGES = new Profile(1, 3,
            new long[] {0, 0, 0, 1000, 29_999, 30_000, 60_000, 300_000, 1_800_000, 3_600_000, 21_600_000, 86_400_000,
                -1000, -60_000, -3_600_000}, true, PERIODS);

    @Test
    void everyOperationAnswersAsInMemory() {
        qt().withExamples(150).withShrinkCycles(200)
                .forAll(lists().of(steps(EVERYTHING)).ofSizeBetween(1, 80))
                .checkAssert(s -> replay(s, EVERYTHING, redis, 1000, true));
    }

    @Test
    void windowCountsOfNewMembersAnswerAsInMemory() {
        qt().withExamples(200).withShrinkCycles(200)
                .forAll(lists().of(steps(WINDOWS_ONLY)).ofSizeBetween(1, 80))
                .checkAssert(s -> replay(s, WINDOWS_ONLY, redis, 1000, true));
    }

    /**
     * A member counts once in its window, is forgotten when the window has passed or beyond the
     * bound (the earliest first; on equal times the smaller as an unsigned number), and then counts
     * again: the same answers in both stores.
     */
    @Test
    void aRepeatedMemberCountsOnceUntilForgotten() {
        // kind 12 with who 0 (key 0), a: window 12 s, b: max members 1 + b % 4, c: member (c % 6) - 2
        List<Step> s = List.of(new Step(12, 0, 0, 1, 3, 0), // member 1, max 2: 1
                new Step(12, 0, 0, 1, 3, 3), // +1 ms, a repeat: 1
                new Step(12, 0, 0, 1, 0, 0), // member -2: 2
                new Step(12, 0, 0, 1, 1, 0), // member -1: 3; forgets 1 (the earliest)
                new Step(12, 0, 0, 1, 3, 0), // member 1 again: 4; forgets 1 again (equal times: the smaller
                                             // unsigned, where signed it would be -2)
                new Step(12, 0, 0, 1, 0, 0), // -2 is remembered: 4
                new Step(12, 0, 0, 1, 3, 0), // 1 was forgotten: 5
                new Step(7, 0, 0, 1, 0, 0), // CountInWindow on the same key: 6
                new Step(12, 0, 0, 1, 3, 8), // +12 s: the window has passed; 1 counts again: 1
                new Step(12, 0, 0, 1, 3, 13)); // -2 s: 1 was counted at a later time, a repeat: 1
        assertThat(replay(s, WINDOWS_ONLY, redis, 1000)).containsExactly(1L, 1L, 2L, 3L, 4L, 4L, 5L, 6L, 1L, 1L);
    }

    @Test
    void limitsQuotasAndCoolDownsAnswerAsInMemory() {
        qt().withExamples(150).withShrinkCycles(200)
                .forAll(lists().of(steps(LIMITS_OF_ONE_CALLER)).ofSizeBetween(1, 80))
                .checkAssert(s -> replay(s, LIMITS_OF_ONE_CALLER, redis, 1000, true));
    }

    @Test
    void privacyLedgersRefuseTheSameCallersBeyondTheirBound() {
        qt().withExamples(60).withShrinkCycles(200)
                .forAll(lists().of(steps(LEDGER)).ofSizeBetween(1, 40))
                .checkAssert(s -> replay(s, LEDGER, redisTwoCallers, 2, true));
    }

    @Test
    void privacyLedgersAnswerAsInMemoryWhileAGlobalBudgetIsSwitchedOnAndOff() {
        qt().withExamples(100).withShrinkCycles(200)
                .forAll(lists().of(steps(GLOBAL_ON_AND_OFF)).ofSizeBetween(1, 40))
                .checkAssert(s -> replay(s, GLOBAL_ON_AND_OFF, redis, 1000, true));
    }

    /**
     * Three callers spend 0.7 each while no global budget is set; a reload then sets one of 1.5. Both
     * stores count the 2.1 already spent (they started the global sum from zero: a reload handed out
     * a fresh global budget).
     */
    @Test
    void aGlobalBudgetSetMidPeriodCountsWhatWasSpentWithoutOneInBothStores() {
        // who: the caller; a 5: epsilon 0.7, a 0: 0.1; c: the budget (0 without a global one, 1 with 1.5)
        List<Step> s = List.of(new Step(0, 0, 5, 0, 0, 0), new Step(0, 1, 5, 0, 0, 0), new Step(0, 2, 5, 0, 0, 0),
                new Step(0, 0, 0, 0, 1, 4), new Step(0, 1, 0, 0, 0, 0));
        assertThat(replay(s, GLOBAL_ON_AND_OFF, redis, 1000)).containsExactly(StateOp.Budget.GRANTED,
                StateOp.Budget.GRANTED, StateOp.Budget.GRANTED, StateOp.Budget.GLOBAL_EXHAUSTED, StateOp.Budget.GRANTED);
    }

    @Test
    void privacyPeriodChangesAnswerAsInMemory() {
        qt().withExamples(100).withShrinkCycles(200)
                .forAll(lists().of(steps(PERIOD_CHANGES)).ofSizeBetween(1, 40))
                .checkAssert(s -> replay(s, PERIOD_CHANGES, redis, 1000, true));
        qt().withExamples(40).withShrinkCycles(200)
                .forAll(lists().of(steps(PERIOD_CHANGES)).ofSizeBetween(1, 40))
                .checkAssert(s -> replay(s, PERIOD_CHANGES, redisTwoCallers, 2, true));
    }

    @Test
    void aDaysSpendingCountsUntilMidnightAfterTheBudgetTurnsHourlyInBothStores() {
        // T0 is 23:55. A caller spends its daily budget; the reload to an hour must not renew it
        // before the day ends, then budgets renew every hour.
        List<Step> s = List.of(new Step(0, 0, 3, 0, DAILY, 0), new Step(0, 0, 3, 0, DAILY, 0),
                new Step(0, 0, 0, 0, HOURLY, 3), // +1 s: the day's spending still counts
                new Step(0, 0, 0, 0, HOURLY, 6), // 23:56:01
                new Step(0, 0, 3, 0, HOURLY, 7), // 00:01:01: the day is over
                new Step(0, 0, 3, 0, HOURLY, 0), new Step(0, 0, 0, 0, HOURLY, 8), // 00:31:01
                new Step(0, 0, 0, 0, HOURLY, 8)); // 01:01:01: the next hour
        assertThat(replay(s, PERIOD_CHANGES, redis, 1000)).containsExactly(StateOp.Budget.GRANTED,
                StateOp.Budget.GRANTED, StateOp.Budget.CALLER_EXHAUSTED, StateOp.Budget.CALLER_EXHAUSTED,
                StateOp.Budget.GRANTED, StateOp.Budget.GRANTED, StateOp.Budget.CALLER_EXHAUSTED,
                StateOp.Budget.GRANTED);
    }

    @Test
    void anHoursSpendingRenewsAtTheEndOfTheHourThenDailyAfterTheBudgetTurnsDailyInBothStores() {
        List<Step> s = List.of(new Step(0, 0, 3, 0, HOURLY, 0), new Step(0, 0, 3, 0, HOURLY, 0),
                new Step(0, 0, 0, 0, DAILY, 3), // +1 s: the hour's spending still counts
                new Step(0, 0, 3, 0, DAILY, 7), // 00:00:01: the hour is over
                new Step(0, 0, 3, 0, DAILY, 0), new Step(0, 0, 0, 0, DAILY, 9), // 01:00:01: the same day
                new Step(0, 0, 0, 0, DAILY, 11)); // the next day
        assertThat(replay(s, PERIOD_CHANGES, redis, 1000)).containsExactly(StateOp.Budget.GRANTED,
                StateOp.Budget.GRANTED, StateOp.Budget.CALLER_EXHAUSTED, StateOp.Budget.GRANTED,
                StateOp.Budget.GRANTED, StateOp.Budget.CALLER_EXHAUSTED, StateOp.Budget.GRANTED);
    }

    @Test
    void aRequestWithoutALimitDoesNotMoveTheBucketsTimeWhenTheClockStepsBack() {
        // A sequence limitsQuotasAndCoolDownsAnswerAsInMemory found (2026-11-29): after the clock is
        // set back, a request of the caller without a rate limit had moved the in-memory bucket's time
        // to its own later time, so that bucket later refilled less than Redis's (RATE_LIMITED where
        // Redis said ALLOWED). The bucket's time is now the time of the request that uses it.
        // (Without the sequence's BlockedUntil checks, which read only but now end a batch when they
        // find the caller blocked: they would skip the permits this is about. Their clock moves stay.)
        List<Step> s = List.of(new Step(1, 527, 1767, 2712, 418, 1), new Step(1, 1219, 5454, 4, 39, 2),
                new Step(3, 378, 8, 288, 11, 6), new Step(4, 750, 1810, 6730, 7886, 8),
                new Step(5, 6414, 262, 313, 2897, 1), new Step(4, 3588, 1218, 171, 3129, 7),
                new Step(4, 542, 4580, 196, 8398, 12), new Step(2, 407, 23, 380, 5547, 6),
                new Step(3, 162, 2239, 1, 1843, 0), new Step(2, 59, 448, 939, 23, 5),
                new Step(1, 2081, 838, 5, 4550, 8), new Step(3, 3724, 383, 5140, 3802, 1),
                new Step(2, 229, 139, 1983, 450, 0), new Step(3, 4109, 158, 546, 1596, 1));
        List<Object> results = replay(s, LIMITS_OF_ONE_CALLER, redis, 1000); // fails at the first disagreement
        assertThat(results).containsExactly(null, null, StateOp.Permit.ALLOWED, StateOp.Permit.ALLOWED,
                StateOp.Permit.ALLOWED, StateOp.Permit.ALLOWED, StateOp.Permit.RATE_LIMITED, null,
                StateOp.Permit.ALLOWED, null, null, StateOp.Permit.ALLOWED, null, StateOp.Permit.QUOTA_EXHAUSTED);
    }

    @Test
    void aCallerIsForgottenAtItsRetentionInTheRequestsTimeEvenAfterTheClockStepsBack() {
        // A sequence limitsQuotasAndCoolDownsAnswerAsInMemory found (2026-11-29, 19:06): an hour after
        // the caller's last request, with the clock set back by 300 ms across the end of its
        // retention, the in-memory limiter had already forgotten the caller while Redis, which
        // decides by the request's time, still had its nearly empty bucket.
        List<Step> s = List.of(new Step(1, 7278, 1849, 547, 1035, 0), new Step(0, 1, 6718, 6668, 344, 1),
                new Step(0, 645, 581, 3791, 7967, 0), new Step(0, 2258, 386, 1103, 1967, 0),
                new Step(3, 3538, 62, 1543, 18, 0), new Step(3, 610, 6989, 450, 6147, 8),
                new Step(0, 793, 1847, 606, 3693, 5), new Step(1, 4664, 47, 30, 2033, 0),
                new Step(0, 5938, 1678, 277, 9512, 1), new Step(3, 1393, 3114, 4338, 8465, 1),
                new Step(5, 908, 3165, 755, 330, 7), new Step(0, 7435, 2120, 401, 8824, 11),
                new Step(3, 2015, 1725, 275, 8758, 12), new Step(0, 7305, 78, 4596, 666, 9),
                new Step(1, 31, 5713, 899, 2403, 10), new Step(4, 2984, 5393, 1055, 2017, 5),
                new Step(1, 23, 4451, 4290, 1940, 11), new Step(0, 8230, 871, 5941, 5135, 0),
                new Step(0, 2373, 334, 141, 34, 7), new Step(1, 590, 3, 25, 1181, 0),
                new Step(0, 4131, 8715, 727, 1498, 0), new Step(4, 2815, 1814, 3886, 702, 0),
                new Step(2, 1126, 1308, 7843, 9835, 4), new Step(3, 1178, 3415, 1980, 911, 9),
                new Step(0, 8742, 1667, 3376, 915, 3), new Step(0, 7981, 0, 981, 2384, 3),
                new Step(1, 1625, 14, 554, 1798, 8), new Step(2, 6305, 9558, 1749, 3218, 1),
                new Step(2, 2398, 21, 1207, 2833, 5), new Step(4, 7625, 2643, 3, 168, 7),
                new Step(0, 86, 5210, 3073, 3059, 0), new Step(1, 8195, 984, 4872, 133, 10),
                new Step(4, 5174, 248, 2131, 683, 0), new Step(1, 257, 5242, 8009, 6502, 10),
                new Step(5, 2363, 1509, 1, 604, 1));
        replay(s, LIMITS_OF_ONE_CALLER, redis, 1000); // fails at the first disagreement
    }

    @Test
    void aThrottleLoweredAfterTheClockStepsBackRefillsAsInMemory() {
        // A sequence limitsQuotasAndCoolDownsAnswerAsInMemory found with 3000 examples (2026-11-29, 19:14):
        // a request refused by the throttle at 60.251 s, then the throttle lowered at 59.951 s (the
        // clock set back). The in-memory throttle bucket (Bucket4j's lock-free kind) had dropped the
        // refused request's refill, the Redis script kept it, and the lowering scaled the two
        // different rounding errors: 2.7 s later Redis allowed a request that memory refused.
        List<Step> s = List.of(new Step(2, 879, 7363, 198, 3308, 2), new Step(3, 1230, 3617, 1573, 4529, 1),
                new Step(3, 7861, 348, 3013, 3714, 10), new Step(1, 806, 3810, 3403, 446, 3),
                new Step(1, 1251, 666, 2561, 3060, 5), new Step(3, 500, 8128, 8924, 23, 1),
                new Step(2, 5511, 5012, 4640, 833, 1), new Step(2, 5824, 2261, 1018, 3, 12),
                new Step(4, 6250, 2618, 1263, 786, 9), new Step(2, 367, 8454, 2008, 285, 1),
                new Step(0, 28, 7545, 1315, 2160, 10), new Step(5, 6077, 92, 479, 4197, 0),
                new Step(2, 6432, 449, 130, 4966, 5), new Step(0, 11, 466, 3625, 852, 10),
                new Step(2, 243, 4399, 323, 2361, 6), new Step(0, 3983, 3472, 1847, 42, 5),
                new Step(0, 3652, 5184, 612, 7617, 11), new Step(5, 264, 949, 7042, 163, 1),
                new Step(0, 4645, 5602, 1108, 242, 1), new Step(1, 6858, 43, 1801, 3772, 2),
                new Step(2, 5339, 5196, 4624, 5756, 5), new Step(1, 134, 5476, 6563, 2934, 7),
                new Step(2, 7303, 96, 7943, 3996, 1), new Step(0, 670, 559, 242, 1971, 4),
                new Step(2, 1580, 5784, 124, 6346, 5), new Step(1, 695, 833, 1912, 9185, 12),
                new Step(3, 2747, 9095, 6402, 6913, 1), new Step(5, 628, 5658, 585, 95, 3),
                new Step(0, 794, 190, 2693, 3343, 5), new Step(0, 8007, 208, 9862, 161, 7),
                new Step(1, 27, 5032, 3407, 2357, 3), new Step(5, 7730, 640, 4425, 4013, 1),
                new Step(1, 9159, 202, 5367, 2526, 9), new Step(0, 761, 750, 4191, 211, 0));
        replay(s, LIMITS_OF_ONE_CALLER, redis, 1000); // fails at the first disagreement
    }

    @Test
    void aRateLimitedCallerGetsExactlyBurstThenOneTokenPerRefill() {
        // A hand-written case the properties also cover, spelled out: burst 3 at 0.7/s.
        List<Step> s = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            s.add(new Step(4, 0, 3, 0, 0, 0));
        }
        s.add(new Step(4, 0, 3, 0, 0, 8)); // 1000 ms later: 0.7 tokens, still refused
        s.add(new Step(4, 0, 3, 0, 0, 8)); // 2000 ms: 1.4 tokens, one allowed
        s.add(new Step(4, 0, 3, 0, 0, 0));
        List<Object> results = replay(s, EVERYTHING, redis, 1000);
        assertThat(results).containsExactly(StateOp.Permit.ALLOWED, StateOp.Permit.ALLOWED, StateOp.Permit.ALLOWED,
                StateOp.Permit.RATE_LIMITED, StateOp.Permit.RATE_LIMITED, StateOp.Permit.RATE_LIMITED,
                StateOp.Permit.ALLOWED, StateOp.Permit.RATE_LIMITED);
    }

    /**
     * Throttles at the edges of what {@link StateOp.Throttle} accepts: the slowest (its one token
     * refills in 366 days) answers alike in both stores, and so does the fastest, 1e9 per second (one
     * token a nanosecond); just beyond either edge (a slower rate, a faster or an infinite one) no
     * throttle can be made, so neither store is ever handed one.
     */
    @Test
    void throttlesAtTheEdgesOfTheAcceptedRatesAnswerAsInMemory() {
        double slowest = 1.0 / 31_622_400;
        while (RateLimit.refillNanos(1, Math.nextDown(slowest)) >= 0) {
            slowest = Math.nextDown(slowest);
        }
        while (RateLimit.refillNanos(1, slowest) < 0) {
            slowest = Math.nextUp(slowest);
        }
        double tooSlow = Math.nextDown(slowest);
        assertThatThrownBy(() -> new StateOp.Throttle("alice", tooSlow, T0 + 1000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1 / 31622400");
        for (double refused : new double[] {Math.nextUp(1e9), Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> new StateOp.Throttle("alice", refused, T0 + 1000))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be at most 1e9");
        }
        long[] steps = {0, 0, 1, 1000, 86_400_000, 364L * 86_400_000, 2L * 86_400_000, 1};
        for (double rate : new double[] {slowest, 1e-3, 0.999_999, 1.5, 1e6, 1e9}) {
            StateOp throttle = new StateOp.Throttle("alice", rate, T0 + 400L * 86_400_000);
            List<List<Object>> answers = inBothStores(new StateOp[] {throttle}, steps, now -> new StateOp[] {
                new StateOp.Acquire("alice", null, 0, now), new StateOp.Acquire("alice", null, 0, now)});
            List<Object> inMemory = answers.get(0);
            List<Object> inRedis = answers.get(1);
            assertThat(inRedis).as("throttle at %s per second", rate).isEqualTo(inMemory);
            if (rate == slowest) { // one token, then none until 366 days have passed (at 367 days: one more)
                assertThat(inMemory.subList(1, 3)).containsExactly(StateOp.Permit.ALLOWED, StateOp.Permit.THROTTLED);
                assertThat(inMemory.subList(3, 13)).containsOnly(StateOp.Permit.THROTTLED);
                assertThat(inMemory.subList(13, 17)).containsExactly(StateOp.Permit.ALLOWED,
                        StateOp.Permit.THROTTLED, StateOp.Permit.THROTTLED, StateOp.Permit.THROTTLED);
            }
        }
    }

    /**
     * Rate limits at the fast edge of what {@link RateLimit} accepts (one token a nanosecond, 1e9 per
     * second, with bursts from 1 to 2^52, and the largest burst refused at exactly 1e9 taken a little
     * below it) answer alike in both stores; the next rate up cannot be made, so neither store is ever
     * handed one (the in-memory store's Bucket4j could not build it).
     */
    @Test
    void rateLimitsAtTheFastestAcceptedRateAnswerAsInMemory() {
        for (long burst : new long[] {0, 1}) {
            assertThatThrownBy(() -> new RateLimit(Math.nextUp(1e9), burst))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be at most 1e9");
        }
        RateLimit[] limits = {new RateLimit(1e9, 1), new RateLimit(1e9, 3), new RateLimit(1e9, 0),
            new RateLimit(1e9, 1L << 52), new RateLimit(999_999_999, 23_719_852_203_367_748L)};
        long[] steps = {0, 0, 1, 0, 1000, 86_400_000, 1};
        for (RateLimit limit : limits) {
            List<List<Object>> answers = inBothStores(new StateOp[0], steps, now -> {
                StateOp[] ops = new StateOp[4];
                Arrays.fill(ops, new StateOp.Acquire("alice", limit, 0, now));
                return ops;
            });
            List<Object> inMemory = answers.get(0);
            List<Object> inRedis = answers.get(1);
            assertThat(inRedis).as("%s", limit).isEqualTo(inMemory);
            if (limit.burst() == 1) { // one token a nanosecond: the same instant has one, a millisecond later one again
                assertThat(inMemory.subList(0, 4)).containsExactly(StateOp.Permit.ALLOWED, StateOp.Permit.RATE_LIMITED,
                        StateOp.Permit.RATE_LIMITED, StateOp.Permit.RATE_LIMITED);
                assertThat(inMemory.get(8)).isEqualTo(StateOp.Permit.ALLOWED);
            }
        }
    }

    /**
     * {@code first} at {@link #T0}, then {@code batch} at the time after each of {@code steps} (ms),
     * in a fresh in-memory store and in the flushed Redis: the in-memory answers, then Redis's, in order.
     */
    private List<List<Object>> inBothStores(StateOp[] first, long[] steps,
            java.util.function.LongFunction<StateOp[]> batch) {
        flush();
        long now = T0;
        clock.set(now);
        List<Object> inMemory = new ArrayList<>();
        List<Object> inRedis = new ArrayList<>();
        try (StateStore memory = new MemoryStateStore(64L << 20, clock, 1000)) {
            if (first.length > 0) {
                inMemory.addAll(Arrays.asList(memory.execute(first)));
                inRedis.addAll(Arrays.asList(redis.execute(first)));
            }
            for (long step : steps) {
                now += step;
                clock.set(now);
                StateOp[] ops = batch.apply(now);
                inMemory.addAll(Arrays.asList(memory.execute(ops)));
                inRedis.addAll(Arrays.asList(redis.execute(ops)));
            }
        }
        return List.of(inMemory, inRedis);
    }

    /**
     * Charges and block checks are answered at the request's time (their {@code nowMillis}), not at
     * the store's clock, in both stores: here the clock stands still at {@link #T0} while the
     * requests' time moves past a block's end and into the next budget period. The in-memory store
     * read its own clock for both (it answered the block as running and the budget as spent).
     */
    @Test
    void chargesAndBlockChecksAnswerAtTheRequestsTimeNotTheStoresClock() {
        flush();
        clock.set(T0);
        PrivacyBudget daily = new PrivacyBudget(1, 0, 86_400, PrivacyBudget.OnExhausted.DENY);
        long later = T0 + 2_000;
        long nextDay = T0 + 86_400_000;
        StateOp[][] batches = {
            {new StateOp.Block("alice", T0 + 1_000)},
            {new StateOp.BlockedUntil("alice", later), new StateOp.Charge("alice", 0.5, 0, daily, later)},
            {new StateOp.Charge("alice", 0.5, 0, daily, later)},
            {new StateOp.Charge("alice", 0.5, 0, daily, later)},
            {new StateOp.Charge("alice", 0.5, 0, daily, nextDay)},
        };
        List<Object> inMemory = new ArrayList<>();
        List<Object> inRedis = new ArrayList<>();
        try (StateStore memory = new MemoryStateStore(64L << 20, clock, 1000)) {
            for (StateOp[] batch : batches) {
                inMemory.addAll(Arrays.asList(memory.execute(batch)));
                inRedis.addAll(Arrays.asList(redis.execute(batch)));
            }
        }
        assertThat(inRedis).containsExactly(null, 0L, StateOp.Budget.GRANTED, StateOp.Budget.GRANTED,
                StateOp.Budget.CALLER_EXHAUSTED, StateOp.Budget.GRANTED);
        assertThat(inMemory).isEqualTo(inRedis);
    }

    @Test
    void aThrottleRefusalGivesTheRateTokenBack() {
        // Slow bucket (cap 2, one token per 50 s) under a throttle of 0.5/s for 60 s.
        List<Step> s = new ArrayList<>();
        s.add(new Step(2, 0, 0, 2, 0, 0)); // Throttle 0.5/s until +60 s
        s.add(new Step(4, 0, 7, 0, 0, 0)); // allowed: rate 2 -> 1, throttle 1 -> 0
        s.add(new Step(4, 0, 7, 0, 0, 0)); // throttled: the rate token comes back
        s.add(new Step(4, 0, 7, 0, 0, 11)); // +60 s, throttle over: rate 1 + 1.2 -> 2, allowed
        s.add(new Step(4, 0, 7, 0, 0, 0)); // allowed only if the refused request gave its token back
        assertThat(replay(s, EVERYTHING, redis, 1000)).containsExactly(null, StateOp.Permit.ALLOWED,
                StateOp.Permit.THROTTLED, StateOp.Permit.ALLOWED, StateOp.Permit.ALLOWED);
    }

    @Test
    void aSlowBucketRefillsExactlyWhenBurstTimesPeriodPasses2To53() {
        // Drain a 3-token bucket, switch to 1000 tokens per 38.6 days (AS_IS keeps 0 tokens), wait
        // 2 h: 1000 x 7.2e15 ns passes 2^53, so the script takes its long-hand path; 2.16 tokens.
        List<Step> s = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            s.add(new Step(4, 0, 9, 0, 0, 0));
        }
        s.add(new Step(4, 0, 10, 0, 0, 0));
        s.add(new Step(0, 0, 0, 0, 0, 12)); // +1 h
        s.add(new Step(4, 0, 10, 0, 0, 12)); // +1 h
        s.add(new Step(4, 0, 10, 0, 0, 0));
        s.add(new Step(4, 0, 10, 0, 0, 0));
        assertThat(replay(s, EVERYTHING, redis, 1000)).containsExactly(StateOp.Permit.ALLOWED, StateOp.Permit.ALLOWED,
                StateOp.Permit.ALLOWED, StateOp.Permit.RATE_LIMITED, 0L, StateOp.Permit.ALLOWED,
                StateOp.Permit.ALLOWED, StateOp.Permit.RATE_LIMITED);
    }

    /** Runs the steps against a fresh in-memory store and the flushed Redis store; returns the results. */
    private static List<Object> replay(List<Step> steps, Profile p, RedisStateStore store, int maxCallers) {
        return replay(steps, p, store, maxCallers, false);
    }

    /**
     * As {@link #replay(List, Profile, RedisStateStore, int)}; with {@code submits}, a batch whose first
     * step says so ({@link #submitted}) is sent with {@code submit} to both stores (what the Guard does
     * with the detectors' records): it answers nothing, and the batches after it must see its effect
     * alike (Redis runs a connection's commands in order, so the next {@code execute} finds it applied).
     */
    private static List<Object> replay(List<Step> steps, Profile p, RedisStateStore store, int maxCallers,
            boolean submits) {
        flush();
        long now = T0;
        clock.set(now);
        List<Object> all = new ArrayList<>();
        List<String> trace = new ArrayList<>();
        try (StateStore memory = new MemoryStateStore(64L << 20, clock, maxCallers)) {
            List<StateOp> batch = new ArrayList<>();
            for (int i = 0; i < steps.size(); i++) {
                Step st = steps.get(i);
                long dt = p.steps()[st.step()];
                if (dt != 0 && !batch.isEmpty()) {
                    run(batch, memory, store, all, trace, now, submits && submitted(steps, i - batch.size()));
                    batch.clear();
                }
                now += dt;
                batch.add(p.chargesOnly() ? charge(st, now, p)
                        : p == WINDOWS_ONLY ? op(new Step(st.kind() % 7 == 0 ? 7 : 12, st.who(), st.a(), st.b(), st.c(),
                                st.step()), now, p)
                        : op(st, now, p));
            }
            run(batch, memory, store, all, trace, now, submits && submitted(steps, steps.size() - batch.size()));
        }
        // Redis runs the connection's commands in order: once this read is answered, every submitted
        // batch has been applied (and the next replay's flush does not race one)
        store.execute(new StateOp.ListRead("drain"));
        return all;
    }

    /** Whether the batch beginning at step {@code first} is submitted: about one in five. */
    private static boolean submitted(List<Step> steps, int first) {
        Step s = steps.get(first);
        return (s.a() + s.b() + s.c()) % 5 == 0;
    }

    private static void run(List<StateOp> batch, StateStore memory, StateStore store, List<Object> all,
            List<String> trace, long now, boolean submit) {
        clock.set(now);
        StateOp[] ops = batch.toArray(StateOp[]::new);
        if (submit) {
            memory.submit(ops);
            store.submit(ops);
            for (StateOp op : ops) {
                trace.add("t=" + (now - T0) + " " + describe(op) + " (submitted)");
            }
            return;
        }
        Object[] expected = memory.execute(ops);
        Object[] actual = store.execute(ops);
        for (int i = 0; i < ops.length; i++) {
            trace.add("t=" + (now - T0) + " " + describe(ops[i]) + " -> " + show(expected[i]));
            if (!same(expected[i], actual[i])) {
                fail("Redis answered " + show(actual[i]) + " where memory answered " + show(expected[i])
                        + " for the last op of:\n  " + String.join("\n  ", trace));
            }
            all.add(expected[i]);
        }
    }

    private static StateOp op(Step s, long now, Profile p) {
        String caller = CALLERS[s.who() % p.callers()];
        String key = KEYS[s.who() % KEYS.length];
        return switch (s.kind()) {
            case 0 -> new StateOp.BlockedUntil(caller, now);
            case 1 -> new StateOp.Block(caller, now + COOL_DOWNS[s.a() % COOL_DOWNS.length]);
            case 2 -> new StateOp.Throttle(caller, THROTTLES[s.a() % THROTTLES.length],
                    now + COOL_DOWNS[s.b() % COOL_DOWNS.length]);
            case 3, 4, 5 -> new StateOp.Acquire(caller, LIMITS[s.a() % LIMITS.length], QUOTAS[s.b() % QUOTAS.length],
                    now);
            case 6 -> charge(s, now, p);
            case 7 -> new StateOp.CountInWindow(key, now, WINDOWS[s.a() % WINDOWS.length]);
            case 8 -> new StateOp.ListRead(key);
            case 9 -> new StateOp.ListAppend(key, ("v" + s.a()).getBytes(StandardCharsets.UTF_8), 1 + s.b() % 4,
                    60_000);
            // few members, negative ones (large unsigned) included, so that they repeat and tie
            case 12 -> new StateOp.CountNewInWindow(key, s.c() % 6 - 2, now, WINDOWS[s.a() % WINDOWS.length],
                    1 + s.b() % 4);
            default -> fingerprint(s);
        };
    }

    private static StateOp charge(Step s, long now, Profile p) {
        return new StateOp.Charge("callér" + (s.who() % p.callers()), EPSILONS[s.a() % EPSILONS.length],
                DELTAS[s.b() % DELTAS.length], p.budgets()[s.c() % p.budgets().length], now);
    }

    private static StateOp fingerprint(Step s) {
        long[] hashes = new long[1 + s.b() % 6];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = (s.c() >> i) % 9 - 2; // small overlapping sets, negative hashes and repeats included
        }
        return new StateOp.Fingerprint("idx" + s.who() % 2, hashes, "q€" + s.a() % 7, 1 + s.b() % 3, 60_000);
    }

    private static boolean same(Object a, Object b) {
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if (la.size() != lb.size()) {
                return false;
            }
            for (int i = 0; i < la.size(); i++) {
                if (!Arrays.equals((byte[]) la.get(i), (byte[]) lb.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return Objects.equals(a, b);
    }

    private static String show(Object o) {
        if (o instanceof List<?> l) {
            List<String> s = new ArrayList<>();
            for (Object e : l) {
                s.add(new String((byte[]) e, StandardCharsets.UTF_8));
            }
            return s.toString();
        }
        return String.valueOf(o);
    }

    private static String describe(StateOp op) {
        if (op instanceof StateOp.Fingerprint f) {
            return "Fingerprint[" + f.index() + ", " + Arrays.toString(f.hashes()) + ", " + f.member() + ", max "
                    + f.maxMembersPerHash() + "]";
        }
        if (op instanceof StateOp.ListAppend a) {
            return "ListAppend[" + a.key() + ", " + new String(a.value(), StandardCharsets.UTF_8) + ", max "
                    + a.maxLength() + "]";
        }
        return op.toString();
    }

    /**
     * Empties Redis for the next replay, except the stores' state generations, counts of batches and
     * marks (a flush they would take for a loss).
     */
    private static void flush() {
        try {
            REDIS.flushKeepingGenerations();
            assertThat(REDIS.keys("*")).allMatch(k -> k.endsWith(":gen") || k.endsWith(":gen:count")
                    || k.endsWith(":gen:marks"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
