package dev.veil.internal.access;

import static dev.veil.internal.access.CallerLimiter.Outcome.ALLOWED;
import static dev.veil.internal.access.CallerLimiter.Outcome.QUOTA_EXHAUSTED;
import static dev.veil.internal.access.CallerLimiter.Outcome.RATE_LIMITED;
import static dev.veil.internal.access.CallerLimiter.Outcome.THROTTLED;
import static dev.veil.internal.access.CallerLimiter.Outcome.TOO_MANY_CALLERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.spi.MonitoringAction;
import dev.veil.spi.RateLimit;
import dev.veil.spi.StateOp;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CallerLimiterTest {
    private static final Instant NOON = Instant.parse("2026-06-01T12:00:00Z");
    private static final Instant MIDNIGHT = Instant.parse("2026-06-02T00:00:00Z");
    private static final int THREADS = 8;
    private static ExecutorService pool;

    private final TestClock clock = new TestClock(NOON);
    private final CallerLimiter limiter = new CallerLimiter(clock);

    @BeforeAll
    static void startPool() {
        pool = Executors.newFixedThreadPool(THREADS);
    }

    @AfterAll
    static void stopPool() {
        pool.shutdownNow();
    }

    private List<CallerLimiter.Outcome> acquire(int n, String caller, RateLimit limit, long quota) {
        List<CallerLimiter.Outcome> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(limiter.tryAcquire(caller, limit, quota));
        }
        return out;
    }

    private static List<CallerLimiter.Outcome> times(int n, CallerLimiter.Outcome o) {
        return java.util.Collections.nCopies(n, o);
    }

    // ---- rate limits ----

    @Test
    void shouldAllowTheBurstThenRateLimit() {
        RateLimit limit = new RateLimit(2.0, 5);
        assertThat(acquire(5, "a", limit, 0)).isEqualTo(times(5, ALLOWED));
        assertThat(limiter.tryAcquire("a", limit, 0)).isEqualTo(RATE_LIMITED);
        clock.advance(Duration.ofMillis(499));
        assertThat(limiter.tryAcquire("a", limit, 0)).isEqualTo(RATE_LIMITED);
        clock.advance(Duration.ofMillis(1));
        assertThat(limiter.tryAcquire("a", limit, 0)).isEqualTo(ALLOWED);
        assertThat(limiter.tryAcquire("a", limit, 0)).isEqualTo(RATE_LIMITED);
    }

    @Test
    void givesTheSameOutcomesWithTheRequestsTimeAsWithItsOwnReadingOfTheClock() {
        // Random steps of whole milliseconds (the Guard's request time), random limits and quotas
        // (crossing a UTC midnight now and then): a second limiter told each request's time must
        // answer as the one that reads the clock itself.
        qt().withExamples(200).forAll(longs().all()).checkAssert(seed -> {
            java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
            TestClock c = new TestClock(Instant.parse("2026-06-01T23:59:50Z"));
            CallerLimiter reading = new CallerLimiter(c);
            CallerLimiter told = new CallerLimiter(c);
            RateLimit limit = new RateLimit(1 + r.nextInt(20), 1 + r.nextInt(10));
            long quota = r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(40);
            for (int i = 0; i < 300; i++) {
                c.advance(Duration.ofMillis(r.nextInt(4) == 0 ? r.nextInt(2_000) : r.nextInt(20)));
                String caller = "c" + r.nextInt(3);
                RateLimit l = r.nextInt(10) == 0 ? null : limit;
                assertThat(told.tryAcquire(caller, l, quota, c.millis()))
                        .as("request %d", i).isEqualTo(reading.tryAcquire(caller, l, quota));
            }
        });
    }

    @Test
    void shouldNotRefillWhileTheClockStepsBackAndCatchesUp() {
        RateLimit limit = new RateLimit(2.0, 2);
        assertThat(acquire(2, "a", limit, 0)).isEqualTo(times(2, ALLOWED));
        Instant before = clock.instant();
        clock.advance(Duration.ofSeconds(-10)); // the wall clock is set back
        assertThat(limiter.tryAcquire("a", limit, 0)).isEqualTo(RATE_LIMITED);
        clock.set(before.plusMillis(499)); // back where it was, and 499 ms on: not yet a token
        assertThat(limiter.tryAcquire("a", limit, 0)).isEqualTo(RATE_LIMITED);
        clock.advance(Duration.ofMillis(1));
        assertThat(limiter.tryAcquire("a", limit, 0)).isEqualTo(ALLOWED);
        assertThat(limiter.tryAcquire("a", limit, 0)).isEqualTo(RATE_LIMITED);
    }

    @Test
    void shouldKeepCallersApart() {
        RateLimit limit = new RateLimit(1.0, 1);
        assertThat(limiter.tryAcquire("a", limit, 0)).isEqualTo(ALLOWED);
        assertThat(limiter.tryAcquire("a", limit, 0)).isEqualTo(RATE_LIMITED);
        assertThat(limiter.tryAcquire("b", limit, 0)).isEqualTo(ALLOWED);
    }

    @Test
    void shouldNotLimitWithoutALimitOrQuota() {
        assertThat(acquire(10_000, "a", null, 0)).containsOnly(ALLOWED);
    }

    @Test
    void shouldFollowANewLimitAfterAPolicyReload() {
        assertThat(acquire(2, "a", new RateLimit(1.0, 10), 0)).containsOnly(ALLOWED);
        // Burst lowered to 3: the 8 remaining tokens are capped at 3.
        RateLimit lower = new RateLimit(1.0, 3);
        assertThat(acquire(4, "a", lower, 0)).containsExactly(ALLOWED, ALLOWED, ALLOWED, RATE_LIMITED);
        // Rate raised to 100/s: 100 ms later there are 10 tokens.
        RateLimit faster = new RateLimit(100.0, 100);
        assertThat(limiter.tryAcquire("a", faster, 0)).isEqualTo(RATE_LIMITED);
        clock.advance(Duration.ofMillis(100));
        assertThat(acquire(11, "a", faster, 0)).isEqualTo(
                java.util.stream.Stream.concat(times(10, ALLOWED).stream(), times(1, RATE_LIMITED).stream()).toList());
    }

    @Test
    void shouldNotGrantAFreshBurstWhenALiftedLimitReturns() {
        RateLimit limit = new RateLimit(1.0, 2);
        assertThat(acquire(3, "a", limit, 0)).containsExactly(ALLOWED, ALLOWED, RATE_LIMITED);
        assertThat(acquire(100, "a", null, 0)).containsOnly(ALLOWED);
        assertThat(limiter.tryAcquire("a", limit, 0)).isEqualTo(RATE_LIMITED);
        clock.advance(Duration.ofSeconds(2));
        assertThat(acquire(3, "a", limit, 0)).containsExactly(ALLOWED, ALLOWED, RATE_LIMITED);
        // Lifted while a quota still applies: same rule.
        assertThat(acquire(5, "a", null, 1000)).containsOnly(ALLOWED);
        assertThat(limiter.tryAcquire("a", limit, 1000)).isEqualTo(RATE_LIMITED);
    }

    @Test
    void shouldGiveAFullBurstToACallerWhoseFirstLimitArrives() {
        assertThat(acquire(3, "a", null, 1)).containsExactly(ALLOWED, QUOTA_EXHAUSTED, QUOTA_EXHAUSTED);
        assertThat(acquire(3, "a", new RateLimit(1.0, 2), 0)).containsExactly(ALLOWED, ALLOWED, RATE_LIMITED);
    }

    /**
     * The bound of RateLimit's constructor is the limiter's own: a limit that can be made can be counted,
     * and one is refused only when it really takes longer than 366 days to refill (exact arithmetic, to
     * a double's rounding), not by a bound the limiter's computation got wrong.
     */
    @Test
    void everyRateLimitThatCanBeMadeCanBeCounted() {
        long maxSeconds = CallerLimiter.MAX_REFILL.toSeconds();
        qt().withExamples(2_000)
                .forAll(longs().between(0, 1_000_000_000L), doubles().between(0.999, 1.001))
                .checkAssert((burst, factor) -> {
                    double perSecond = Math.max(1, burst) / (double) maxSeconds * factor;
                    RateLimit made;
                    try {
                        made = new RateLimit(perSecond, burst);
                    } catch (IllegalArgumentException refused) {
                        assertThat(exactRefillSeconds(Math.max(1, burst), perSecond))
                                .as("refused, so slower than 366 days: %s/%s", perSecond, burst)
                                .isGreaterThan(BARELY_UNDER_MAX_REFILL);
                        return;
                    }
                    assertThat(RateLimit.refillNanos(made.burst(), made.perSecond()))
                            .isLessThanOrEqualTo(CallerLimiter.MAX_REFILL.toNanos());
                    assertThat(new CallerLimiter(clock).tryAcquire("a", made, 0)).isEqualTo(ALLOWED);
                });
    }

    /**
     * MonitoringAction's bound is the limiter's own: a throttle that can be made can be applied, and one
     * is refused only when its bucket really takes longer than 366 days to refill (exact arithmetic, to a
     * double's rounding); such a throttle cannot be handed to a store either.
     */
    @Test
    void everyThrottleThatCanBeMadeCanBeApplied() {
        long maxSeconds = CallerLimiter.MAX_REFILL.toSeconds();
        qt().withExamples(2_000)
                .forAll(doubles().between(0.999, 1.001), integers().between(0, 12))
                .checkAssert((factor, scale) -> {
                    double perSecond = factor / maxSeconds * Math.pow(10, scale);
                    try {
                        new MonitoringAction(MonitoringAction.Kind.THROTTLE, "r", "rate", 60, perSecond);
                    } catch (IllegalArgumentException refused) {
                        assertThat(exactRefillSeconds(RateLimit.defaultBurst(perSecond), perSecond))
                                .as("refused, so slower than 366 days: %s", perSecond)
                                .isGreaterThan(BARELY_UNDER_MAX_REFILL);
                        assertThatThrownBy(() -> throttle(new CallerLimiter(clock), "a", perSecond, NOON.plusSeconds(60)))
                                .hasMessageContaining("at least 1 / 31622400");
                        return;
                    }
                    CallerLimiter l = new CallerLimiter(clock);
                    throttle(l, "a", perSecond, NOON.plusSeconds(60));
                    assertThat(l.tryAcquire("a", null, 0)).isEqualTo(ALLOWED);
                });
    }

    /**
     * At the fast edge too the bound of RateLimit's constructor is the limiter's own: a limit that can
     * be made near one token a nanosecond, with bursts up to the largest that can refill within 366
     * days, can be counted (Bucket4j builds its bucket); one refused below 1e9 per second is one
     * Bucket4j refuses to build.
     */
    @Test
    void everyRateLimitNearOneTokenANanosecondThatCanBeMadeCanBeCounted() {
        long most = CallerLimiter.MAX_REFILL.toSeconds() * 1_000_000_000L;
        qt().withExamples(3_000)
                .forAll(longs().between(0, most + 10), integers().between(-40, 40), integers().between(0, 3))
                .checkAssert((drawn, ulps, shape) -> {
                    long burst = shape == 0 ? drawn : shape == 1 ? drawn % 1_000_000_001L
                            : shape == 2 ? (1L << 52) + drawn % (1L << 52) : drawn % 2;
                    double perSecond = 1e9;
                    for (int i = 0; i < Math.abs(ulps); i++) {
                        perSecond = ulps > 0 ? Math.nextUp(perSecond) : Math.nextDown(perSecond);
                    }
                    RateLimit made;
                    try {
                        made = new RateLimit(perSecond, burst);
                    } catch (IllegalArgumentException refused) {
                        long capacity = burst == 0 ? RateLimit.defaultBurst(perSecond) : burst;
                        if (perSecond <= 1e9 && capacity <= most) {
                            assertThat(bucket4jBuilds(capacity, perSecond))
                                    .as("refused, so Bucket4j cannot build it: %s/%s", perSecond, burst).isFalse();
                        } else {
                            assertThat(refused).hasMessageContaining("at most");
                        }
                        return;
                    }
                    assertThat(made.perSecond()).isLessThanOrEqualTo(1e9);
                    assertThat(new CallerLimiter(clock).tryAcquire("a", made, 0)).isEqualTo(ALLOWED);
                });
    }

    @Test
    void theFastestThrottleCanBeAppliedAndTheNextCannotBeMade() {
        CallerLimiter l = new CallerLimiter(clock);
        throttle(l, "a", 1e9, NOON.plusSeconds(60));
        assertThat(l.tryAcquire("a", null, 0)).isEqualTo(ALLOWED);
        assertThat(l.tryAcquire("a", new RateLimit(1e9, 0), 0)).isEqualTo(ALLOWED);
        assertThatThrownBy(() -> throttle(l, "b", Math.nextUp(1e9), NOON.plusSeconds(60)))
                .hasMessageContaining("must be at most 1e9");
    }

    private static boolean bucket4jBuilds(long capacity, double perSecond) {
        try {
            io.github.bucket4j.Bucket.builder().addLimit(io.github.bucket4j.Bandwidth.builder().capacity(capacity)
                    .refillGreedy(capacity, Duration.ofNanos(RateLimit.refillNanos(capacity, perSecond))).build())
                    .build();
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Test
    void shouldKeepARefillingBucketPastTheIdleTime() {
        CallerLimiter l = new CallerLimiter(clock, 1000, Duration.ofMinutes(1), 1000);
        RateLimit hourly = new RateLimit(1.0 / 3600, 2);
        assertThat(l.tryAcquire("a", hourly, 0)).isEqualTo(ALLOWED);
        assertThat(l.tryAcquire("a", hourly, 0)).isEqualTo(ALLOWED);
        clock.advance(Duration.ofMinutes(10));
        // Forgetting the bucket after the idle minute would hand out a fresh burst here.
        assertThat(l.tryAcquire("a", hourly, 0)).isEqualTo(RATE_LIMITED);
        clock.advance(Duration.ofMinutes(50));
        assertThat(l.tryAcquire("a", hourly, 0)).isEqualTo(ALLOWED);
    }

    // ---- quotas ----

    @Test
    void shouldExhaustTheQuotaUntilTheNextUtcMidnight() {
        clock.set(MIDNIGHT.minusSeconds(2));
        assertThat(acquire(4, "a", null, 3)).containsExactly(ALLOWED, ALLOWED, ALLOWED, QUOTA_EXHAUSTED);
        assertThat(limiter.quotaUsedToday("a")).isEqualTo(3);
        assertThat(limiter.quotaResetsAt()).isEqualTo(MIDNIGHT);
        clock.set(MIDNIGHT.minusNanos(1));
        assertThat(limiter.tryAcquire("a", null, 3)).isEqualTo(QUOTA_EXHAUSTED);
        clock.set(MIDNIGHT);
        assertThat(limiter.quotaUsedToday("a")).isZero();
        assertThat(acquire(4, "a", null, 3)).containsExactly(ALLOWED, ALLOWED, ALLOWED, QUOTA_EXHAUSTED);
    }

    @Test
    void shouldCompareTheDaysCountWithANewQuota() {
        assertThat(acquire(3, "a", null, 3)).containsOnly(ALLOWED);
        assertThat(limiter.tryAcquire("a", null, 3)).isEqualTo(QUOTA_EXHAUSTED);
        assertThat(acquire(3, "a", null, 5)).containsExactly(ALLOWED, ALLOWED, QUOTA_EXHAUSTED);
        assertThat(limiter.tryAcquire("a", null, 2)).isEqualTo(QUOTA_EXHAUSTED);
    }

    @Test
    void shouldNotConsumeRateTokensWhenTheQuotaRefuses() {
        RateLimit slow = new RateLimit(1e-6, 5);
        assertThat(acquire(2, "a", slow, 2)).containsOnly(ALLOWED);
        assertThat(acquire(10, "a", slow, 2)).containsOnly(QUOTA_EXHAUSTED);
        clock.set(MIDNIGHT);
        assertThat(acquire(4, "a", slow, 100)).containsExactly(ALLOWED, ALLOWED, ALLOWED, RATE_LIMITED);
    }

    @Test
    void shouldNotConsumeQuotaWhenTheRateRefuses() {
        RateLimit limit = new RateLimit(1.0, 1);
        assertThat(acquire(6, "a", limit, 3)).containsExactly(ALLOWED, RATE_LIMITED, RATE_LIMITED, RATE_LIMITED,
                RATE_LIMITED, RATE_LIMITED);
        assertThat(limiter.quotaUsedToday("a")).isEqualTo(1);
        clock.advance(Duration.ofSeconds(1));
        assertThat(limiter.tryAcquire("a", limit, 3)).isEqualTo(ALLOWED);
        assertThat(limiter.quotaUsedToday("a")).isEqualTo(2);
    }

    @Test
    void shouldKeepTheQuotaCountPastTheIdleTime() {
        CallerLimiter l = new CallerLimiter(clock, 1000, Duration.ofMinutes(1), 1000);
        assertThat(l.tryAcquire("a", null, 2)).isEqualTo(ALLOWED);
        assertThat(l.tryAcquire("a", null, 2)).isEqualTo(ALLOWED);
        clock.advance(Duration.ofHours(11));
        assertThat(l.quotaUsedToday("a")).isEqualTo(2);
        assertThat(l.tryAcquire("a", null, 2)).isEqualTo(QUOTA_EXHAUSTED);
    }

    @Test
    void shouldRejectANegativeQuota() {
        assertThatThrownBy(() -> limiter.tryAcquire("a", null, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("daily_quota must be >= 0, was -1");
    }

    // ---- the bound on callers ----

    @Test
    void refusesNewCallersRatherThanForgetTheirQuotasWhenFull() {
        // The security review's probe: 300 identities with a quota of 1 a day, 100 callers at most,
        // every identity asking again and again. Evicting the least valuable entry forgot quotas and
        // let through 3,293 of these 4,500 requests (4,446 in the review's run): 300 identities
        // made the quota meaningless. Now the first 100 get their one request, the others are
        // refused as newcomers for as long as the 100 quotas count (until midnight).
        CallerLimiter l = new CallerLimiter(clock, 100, Duration.ofMinutes(1), 100);
        int[] allowed = new int[300];
        long total = 0;
        for (int round = 0; round < 15; round++) {
            for (int i = 0; i < 300; i++) {
                CallerLimiter.Outcome o = l.tryAcquire("id-" + i, null, 1);
                if (o == ALLOWED) {
                    allowed[i]++;
                    total++;
                } else if (i < 100) {
                    assertThat(o).as("known caller %d in round %d", i, round).isEqualTo(QUOTA_EXHAUSTED);
                } else {
                    assertThat(o).as("new caller %d in round %d", i, round).isEqualTo(TOO_MANY_CALLERS);
                }
                clock.advance(Duration.ofMillis(100));
            }
        }
        assertThat(total).isEqualTo(100);
        for (int i = 0; i < 100; i++) {
            assertThat(allowed[i]).as("caller %d", i).isEqualTo(1);
            assertThat(l.quotaUsedToday("id-" + i)).isEqualTo(1);
        }
        assertThat(l.estimatedCallers()).isEqualTo(l.maxCallers()).isEqualTo(100);
        // A rate-limited newcomer is refused too (its bucket would need a slot); one with neither
        // limit nor quota needs no state and is served.
        assertThat(l.tryAcquire("id-200", new RateLimit(1.0, 1), 0)).isEqualTo(TOO_MANY_CALLERS);
        assertThat(l.tryAcquire("id-200", null, 0)).isEqualTo(ALLOWED);
        // Late in the day, still full: the quotas still count.
        clock.set(MIDNIGHT.minusSeconds(1));
        assertThat(l.tryAcquire("id-250", null, 1)).isEqualTo(TOO_MANY_CALLERS);
        assertThat(l.tryAcquire("id-0", null, 1)).isEqualTo(QUOTA_EXHAUSTED);
        // A new day: the known callers start over at once; the slots are free a minute later (the
        // cache's grace), and the newcomers are admitted until the table is full again.
        clock.set(MIDNIGHT);
        assertThat(l.tryAcquire("id-0", null, 1)).isEqualTo(ALLOWED);
        clock.set(MIDNIGHT.plusSeconds(62));
        for (int i = 100; i < 199; i++) {
            assertThat(l.tryAcquire("id-" + i, null, 1)).as("caller %d", i).isEqualTo(ALLOWED);
        }
        assertThat(l.tryAcquire("id-199", null, 1)).isEqualTo(TOO_MANY_CALLERS);
        assertThat(l.tryAcquire("id-0", null, 1)).isEqualTo(QUOTA_EXHAUSTED);
    }

    @Test
    void forgetsCallersWhoseStateNoLongerCountsToMakeRoom() {
        CallerLimiter l = new CallerLimiter(clock, 3, Duration.ofMinutes(1), 100);
        RateLimit fast = new RateLimit(10.0, 1); // refilled in 100 ms: kept for the idle minute
        RateLimit hourly = new RateLimit(1.0 / 3600, 1); // refilled in an hour: kept an hour
        assertThat(l.tryAcquire("fast", fast, 0)).isEqualTo(ALLOWED);
        assertThat(l.tryAcquire("slow", hourly, 0)).isEqualTo(ALLOWED);
        assertThat(l.tryAcquire("quota", null, 5)).isEqualTo(ALLOWED); // kept until midnight
        assertThat(l.tryAcquire("n1", fast, 0)).isEqualTo(TOO_MANY_CALLERS);
        clock.advance(Duration.ofSeconds(30));
        assertThat(l.tryAcquire("n1", fast, 0)).isEqualTo(TOO_MANY_CALLERS);
        assertThat(l.tryAcquire("slow", hourly, 0)).as("known callers are served").isEqualTo(RATE_LIMITED);
        // The idle minute and the cache's minute of grace after the fast caller's last request: gone.
        clock.set(NOON.plusSeconds(122));
        assertThat(l.tryAcquire("n1", fast, 0)).isEqualTo(ALLOWED);
        assertThat(l.tryAcquire("n2", fast, 0)).isEqualTo(TOO_MANY_CALLERS);
        assertThat(l.tryAcquire("slow", hourly, 0)).as("still refilling, still known").isEqualTo(RATE_LIMITED);
        // An hour (and the grace) after the slow caller's last request (refused requests count too),
        // its hourly bucket has refilled and n1 has been idle: both gone.
        clock.set(NOON.plusSeconds(122).plus(Duration.ofHours(1)).plusSeconds(62));
        assertThat(l.tryAcquire("n2", fast, 0)).isEqualTo(ALLOWED);
        assertThat(l.tryAcquire("n3", fast, 0)).isEqualTo(ALLOWED);
        assertThat(l.tryAcquire("n4", fast, 0)).isEqualTo(TOO_MANY_CALLERS);
        assertThat(l.quotaUsedToday("quota")).isEqualTo(1);
        // The quota's day ends at midnight: its slot is free after the grace.
        clock.set(MIDNIGHT.plusSeconds(62));
        assertThat(l.tryAcquire("n4", fast, 0)).isEqualTo(ALLOWED);
        assertThat(l.quotaUsedToday("quota")).isZero();
        assertThat(l.estimatedCallers()).isLessThanOrEqualTo(3);
    }

    @Test
    void noCallerIsEverAllowedMoreThanItsQuotaInADay() {
        // Any sequence of requests by 8 callers (each with its quota of 1 to 3, some also with a
        // rate limit that refills in 100 ms or in 2 hours), time moving on by 0 to 7 hours, a limiter
        // of 1 to 4 callers: the requests allowed per caller and UTC day never exceed the quota,
        // a newcomer is only refused while the table is full, and it never holds more than its bound.
        long[] steps = {0, 1, 1_000, 60_000, 61_000, 121_000, 600_000, 3_600_000, 7_260_000, 25_200_000};
        RateLimit[] limits = {null, new RateLimit(10.0, 1), null, new RateLimit(1.0 / 3600, 2)};
        qt().withExamples(300)
                .forAll(integers().between(1, 4), integers().between(1, 120),
                        lists().of(integers().between(0, 8 * steps.length - 1)).ofSizeBetween(1, 400))
                .checkAssert((max, idleSeconds, requests) -> {
                    TestClock c = new TestClock(Instant.parse("2026-06-01T20:00:00Z"));
                    CallerLimiter l = new CallerLimiter(c, max, Duration.ofSeconds(idleSeconds), 100);
                    java.util.Map<String, Long> allowedPerCallerAndDay = new java.util.HashMap<>();
                    for (int r : requests) {
                        int caller = r % 8;
                        c.advance(Duration.ofMillis(steps[r / 8]));
                        long quota = 1 + caller % 3;
                        CallerLimiter.Outcome o = l.tryAcquire("c" + caller, limits[caller % 4], quota);
                        if (o == ALLOWED) {
                            long day = Math.floorDiv(c.millis(), 86_400_000L);
                            long n = allowedPerCallerAndDay.merge("c" + caller + "@" + day, 1L, Long::sum);
                            assertThat(n).as("requests allowed to c%d on day %d", caller, day)
                                    .isLessThanOrEqualTo(quota);
                        } else if (o == TOO_MANY_CALLERS) {
                            assertThat(l.estimatedCallers()).as("a newcomer refused").isEqualTo(max.longValue());
                        }
                        assertThat(l.estimatedCallers()).isLessThanOrEqualTo(max);
                    }
                });
    }

    // ---- blocks and throttles ----

    @Test
    void shouldBlockUntilTheCoolDownEnds() {
        Instant until = NOON.plusSeconds(60);
        limiter.block("a", until);
        assertThat(limiter.blockedUntil("a")).contains(until);
        assertThat(limiter.isBlocked("a")).isTrue();
        assertThat(limiter.isBlocked("b")).isFalse();
        clock.advance(Duration.ofSeconds(59));
        assertThat(limiter.isBlocked("a")).isTrue();
        clock.advance(Duration.ofSeconds(1));
        assertThat(limiter.blockedUntil("a")).isEmpty();
        assertThat(limiter.coolDownCount()).isZero();
    }

    @Test
    void shouldKeepTheLongerOfTwoBlocksAndIgnoreAPastOne() {
        limiter.block("a", NOON.plusSeconds(60));
        limiter.block("a", NOON.plusSeconds(10));
        assertThat(limiter.blockedUntil("a")).contains(NOON.plusSeconds(60));
        limiter.block("a", NOON.plusSeconds(90));
        assertThat(limiter.blockedUntil("a")).contains(NOON.plusSeconds(90));
        limiter.block("b", NOON);
        assertThat(limiter.isBlocked("b")).isFalse();
    }

    @Test
    void shouldThrottleUntilTheCoolDownEnds() {
        throttle(limiter, "a", 1.0, NOON.plusSeconds(10));
        assertThat(limiter.throttledUntil("a")).contains(NOON.plusSeconds(10));
        assertThat(acquire(2, "a", null, 0)).containsExactly(ALLOWED, THROTTLED);
        clock.advance(Duration.ofSeconds(1));
        assertThat(acquire(2, "a", null, 0)).containsExactly(ALLOWED, THROTTLED);
        assertThat(limiter.isBlocked("a")).isFalse();
        clock.set(NOON.plusSeconds(10));
        assertThat(limiter.throttledUntil("a")).isEmpty();
        assertThat(acquire(100, "a", null, 0)).containsOnly(ALLOWED);
    }

    @Test
    void shouldNotRefillAThrottleThatIsRepeated() {
        throttle(limiter, "a", 1.0, NOON.plusSeconds(10));
        assertThat(limiter.tryAcquire("a", null, 0)).isEqualTo(ALLOWED);
        throttle(limiter, "a", 1.0, NOON.plusSeconds(20));
        assertThat(limiter.tryAcquire("a", null, 0)).isEqualTo(THROTTLED);
        assertThat(limiter.throttledUntil("a")).contains(NOON.plusSeconds(20));
        throttle(limiter, "a", 5.0, NOON.plusSeconds(5));
        assertThat(limiter.tryAcquire("a", null, 0)).isEqualTo(THROTTLED);
        assertThat(limiter.throttledUntil("a")).contains(NOON.plusSeconds(20));
    }

    @Test
    void shouldLowerTheRateOfAnActiveThrottle() {
        throttle(limiter, "a", 1.0, NOON.plusSeconds(60));
        assertThat(limiter.tryAcquire("a", null, 0)).isEqualTo(ALLOWED);
        throttle(limiter, "a", 0.25, NOON.plusSeconds(60));
        clock.advance(Duration.ofSeconds(3));
        assertThat(limiter.tryAcquire("a", null, 0)).isEqualTo(THROTTLED);
        clock.advance(Duration.ofSeconds(1));
        assertThat(limiter.tryAcquire("a", null, 0)).isEqualTo(ALLOWED);
    }

    @Test
    void shouldNotConsumeRateOrQuotaWhenTheThrottleRefuses() {
        RateLimit slow = new RateLimit(1e-6, 10);
        throttle(limiter, "a", 1.0, NOON.plusSeconds(10));
        assertThat(acquire(5, "a", slow, 100)).containsExactly(ALLOWED, THROTTLED, THROTTLED, THROTTLED,
                THROTTLED);
        assertThat(limiter.quotaUsedToday("a")).isEqualTo(1);
        clock.set(NOON.plusSeconds(10));
        assertThat(acquire(10, "a", slow, 100)).isEqualTo(
                java.util.stream.Stream.concat(times(9, ALLOWED).stream(), times(1, RATE_LIMITED).stream()).toList());
        assertThat(limiter.quotaUsedToday("a")).isEqualTo(10);
    }

    @Test
    void shouldForgetACallerExactlyAtItsRetentionInRequestTime() {
        // The second request comes a second after the first: Caffeine leaves an expiry alone when a
        // read would move it by a second or less, so its own expiry stays a second early. The
        // request's time decides instead, as the Redis store does: half a second before the
        // retention (1 h, the idle time) runs out the caller's bucket is still there.
        RateLimit fast = new RateLimit(1.0, 1);
        RateLimit slow = new RateLimit(0.001, 3);
        assertThat(limiter.tryAcquire("a", fast, 0)).isEqualTo(ALLOWED);
        clock.advance(Duration.ofSeconds(1));
        assertThat(limiter.tryAcquire("a", fast, 0)).isEqualTo(ALLOWED);
        clock.advance(Duration.ofHours(1).minusMillis(500));
        // kept: the full one-token bucket, reconfigured with its token (not a fresh burst of 3)
        assertThat(acquire(2, "a", slow, 0)).containsExactly(ALLOWED, RATE_LIMITED);
        clock.advance(Duration.ofHours(1).plusSeconds(1));
        // forgotten an hour after its last request: a new caller, with the burst of 3
        assertThat(acquire(4, "a", slow, 0)).containsExactly(ALLOWED, ALLOWED, ALLOWED, RATE_LIMITED);
    }

    @Test
    void shouldKeepBlocksAndThrottlesWhileTheCallerTableIsFull() {
        CallerLimiter l = new CallerLimiter(clock, 1, Duration.ofSeconds(1), 100);
        l.block("a", NOON.plusSeconds(600));
        throttle(l, "b", 1.0, NOON.plusSeconds(600));
        assertThat(l.tryAcquire("b", null, 0)).isEqualTo(ALLOWED);
        for (int i = 0; i < 500; i++) {
            assertThat(l.tryAcquire("other-" + i, new RateLimit(1.0, 1), 0)).isEqualTo(i == 0 ? ALLOWED
                    : TOO_MANY_CALLERS);
            clock.advance(Duration.ofMillis(10));
        }
        assertThat(l.estimatedCallers()).isEqualTo(1);
        assertThat(l.isBlocked("a")).isTrue();
        assertThat(l.tryAcquire("b", null, 0)).isEqualTo(ALLOWED);
        assertThat(l.tryAcquire("b", null, 0)).isEqualTo(THROTTLED);
    }

    @Test
    void shouldBlockEveryCallerWhenTheCoolDownTableOverflows() {
        CallerLimiter l = new CallerLimiter(clock, 1000, Duration.ofMinutes(1), 2);
        l.block("a", NOON.plusSeconds(100));
        throttle(l, "b", 1.0, NOON.plusSeconds(100));
        assertThat(l.overflowing()).isFalse();
        l.block("c", NOON.plusSeconds(30));
        assertThat(l.overflowing()).isTrue();
        assertThat(l.overflowUntil()).contains(NOON.plusSeconds(30));
        assertThat(l.blockedUntil("c")).contains(NOON.plusSeconds(30));
        assertThat(l.blockedUntil("innocent")).contains(NOON.plusSeconds(30));
        assertThat(l.blockedUntil("a")).contains(NOON.plusSeconds(100));
        throttle(l, "d", 1.0, NOON.plusSeconds(50));
        assertThat(l.blockedUntil("innocent")).contains(NOON.plusSeconds(50));
        clock.set(NOON.plusSeconds(50));
        assertThat(l.overflowing()).isFalse();
        assertThat(l.isBlocked("innocent")).isFalse();
        assertThat(l.isBlocked("a")).isTrue();
    }

    /**
     * An overflow ends once the table has room for every cool-down that found it full (those that
     * filled it ended), not only when the longest of those ends: callers blocked for 15 minutes each
     * filled it, and a one-day block that came then does not block everybody for a day. The
     * cool-downs that found it full are recorded then. When more found it full than the table holds,
     * the overflow runs its course (fail closed).
     */
    @Test
    void shouldEndTheOverflowOnceTheTableHasRoomForWhatFoundItFull() {
        CallerLimiter l = new CallerLimiter(clock, 1000, Duration.ofMinutes(1), 3);
        for (String c : new String[] {"a1", "a2", "a3"}) {
            l.block(c, NOON.plusSeconds(900));
        }
        l.block("a4", NOON.plus(Duration.ofDays(1)));
        throttle(l, "t", 1.0, NOON.plus(Duration.ofHours(2)));
        assertThat(l.overflowUntil()).contains(NOON.plus(Duration.ofDays(1)));
        clock.set(NOON.plusSeconds(899));
        assertThat(l.blockedUntil("innocent")).as("the table is still full").contains(NOON.plus(Duration.ofDays(1)));
        clock.set(NOON.plusSeconds(901));
        assertThat(l.isBlocked("innocent")).isFalse();
        assertThat(l.overflowing()).isFalse();
        assertThat(l.blockedUntil("a4")).contains(NOON.plus(Duration.ofDays(1)));
        assertThat(l.throttledUntil("t")).contains(NOON.plus(Duration.ofHours(2)));
        assertThat(l.coolDownCount()).isEqualTo(2);

        CallerLimiter one = new CallerLimiter(clock, 1000, Duration.ofMinutes(1), 1);
        one.block("b1", NOON.plusSeconds(1800));
        one.block("b2", NOON.plus(Duration.ofDays(1)));
        one.block("b3", NOON.plus(Duration.ofDays(2))); // more than the table holds found it full: not kept
        clock.set(NOON.plusSeconds(1801));
        assertThat(one.blockedUntil("innocent")).as("the overflow runs its course")
                .contains(NOON.plus(Duration.ofDays(2)));
    }

    @Test
    void shouldPurgeEndedCoolDownsBeforeOverflowing() {
        CallerLimiter l = new CallerLimiter(clock, 1000, Duration.ofMinutes(1), 2);
        l.block("a", NOON.plusSeconds(10));
        l.block("b", NOON.plusSeconds(10));
        clock.advance(Duration.ofSeconds(10));
        l.block("c", NOON.plusSeconds(100));
        assertThat(l.overflowing()).isFalse();
        assertThat(l.isBlocked("c")).isTrue();
        assertThat(l.coolDownCount()).isEqualTo(1);
    }

    @Test
    void shouldRejectInvalidSettings() {
        assertThatThrownBy(() -> new CallerLimiter(clock, 0, Duration.ofMinutes(1), 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxCallers must be >= 1, was 0");
        assertThatThrownBy(() -> new CallerLimiter(clock, 1, Duration.ZERO, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("idle must be > 0 and <= 30 days, was PT0S");
        assertThatThrownBy(() -> new CallerLimiter(clock, 1, Duration.ofMinutes(1), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxCoolDowns must be >= 1, was 0");
    }

    // ---- properties ----

    @Test
    void neverAllowsMoreThanBurstPlusRateTimesElapsedUnderConcurrency() {
        qt().withExamples(25)
                .forAll(doubles().between(0.5, 5000), integers().between(1, 50), longs().between(0, 3_000_000),
                        integers().between(0, 400))
                .checkAssert((rate, burst, maxStepNanos, quota) -> {
                    TestClock c = new TestClock(NOON);
                    CallerLimiter l = new CallerLimiter(c);
                    RateLimit limit = new RateLimit(rate, burst);
                    AtomicLong allowed = new AtomicLong();
                    AtomicLong quotaRefusals = new AtomicLong();
                    CountDownLatch go = new CountDownLatch(1);
                    long start = c.nanos();
                    List<Future<?>> done = new ArrayList<>();
                    for (int t = 0; t < THREADS; t++) {
                        done.add(pool.submit(() -> {
                            go.await();
                            ThreadLocalRandom r = ThreadLocalRandom.current();
                            for (int i = 0; i < 300; i++) {
                                c.advanceNanos(r.nextLong(maxStepNanos + 1));
                                CallerLimiter.Outcome o = l.tryAcquire("x", limit, quota);
                                if (o == ALLOWED) {
                                    allowed.incrementAndGet();
                                } else if (o == QUOTA_EXHAUSTED) {
                                    quotaRefusals.incrementAndGet();
                                }
                            }
                            return null;
                        }));
                    }
                    go.countDown();
                    for (Future<?> f : done) {
                        try {
                            f.get();
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    }
                    double elapsed = (c.nanos() - start) / 1e9;
                    long bound = burst + (long) Math.floor(rate * elapsed + 1e-9);
                    assertThat(allowed.get()).as("allowed with burst %d, rate %f, %f s", burst, rate, elapsed)
                            .isLessThanOrEqualTo(quota > 0 ? Math.min(bound, quota) : bound)
                            .isGreaterThanOrEqualTo(quota > 0 ? Math.min(burst, quota) : burst);
                    if (quota > 0) {
                        assertThat(l.quotaUsedToday("x")).isEqualTo(allowed.get());
                        if (quotaRefusals.get() > 0) {
                            assertThat(allowed.get()).isEqualTo(quota.longValue());
                        }
                    }
                });
    }

    @Test
    void quotaIsExhaustedUntilTheNextUtcMidnightThenAllowedAgain() {
        long dayMillis = 86_400_000L;
        qt().withExamples(200)
                .forAll(integers().between(1, 20), longs().between(0, dayMillis - 1), integers().between(1, 20))
                .checkAssert((quota, offsetMillis, probes) -> {
                    Instant dayStart = Instant.parse("2026-03-10T00:00:00Z");
                    Instant next = dayStart.plusMillis(dayMillis);
                    TestClock c = new TestClock(dayStart.plusMillis(offsetMillis));
                    CallerLimiter l = new CallerLimiter(c);
                    for (int i = 0; i < quota; i++) {
                        assertThat(l.tryAcquire("q", null, quota)).isEqualTo(ALLOWED);
                    }
                    long step = Duration.between(c.instant(), next).toNanos() / (probes + 1);
                    for (int i = 0; i < probes; i++) {
                        assertThat(l.tryAcquire("q", null, quota)).isEqualTo(QUOTA_EXHAUSTED);
                        c.advanceNanos(step);
                    }
                    c.set(next.minusNanos(1));
                    assertThat(l.tryAcquire("q", null, quota)).isEqualTo(QUOTA_EXHAUSTED);
                    assertThat(l.quotaResetsAt()).isEqualTo(next);
                    c.set(next);
                    assertThat(l.tryAcquire("q", null, quota)).isEqualTo(ALLOWED);
                    assertThat(l.quotaUsedToday("q")).isEqualTo(1);
                });
    }

    @Test
    void blocksAndThrottlesEndAfterTheirCoolDown() {
        qt().withExamples(300)
                .forAll(longs().between(1, 7 * 86_400), doubles().between(0.0, 0.999_999), doubles().between(0.01, 50))
                .checkAssert((cooldownSeconds, fraction, throttleRate) -> {
                    TestClock c = new TestClock(NOON);
                    CallerLimiter l = new CallerLimiter(c);
                    Instant until = NOON.plusSeconds(cooldownSeconds);
                    l.block("b", until);
                    throttle(l, "t", throttleRate, until);
                    c.advanceNanos((long) (fraction * cooldownSeconds * 1e9));
                    assertThat(l.blockedUntil("b")).isEqualTo(Optional.of(until));
                    assertThat(l.throttledUntil("t")).isEqualTo(Optional.of(until));
                    assertThat(l.isBlocked("t")).isFalse();
                    c.set(until);
                    assertThat(l.blockedUntil("b")).isEmpty();
                    assertThat(l.throttledUntil("t")).isEmpty();
                    for (int i = 0; i < 100; i++) {
                        assertThat(l.tryAcquire("t", null, 0)).isEqualTo(ALLOWED);
                    }
                    c.advance(Duration.ofDays(30));
                    assertThat(l.isBlocked("b")).isFalse();
                    assertThat(l.isBlocked("t")).isFalse();
                    assertThat(l.coolDownCount()).isZero();
                });
    }

    /** 366 days in seconds less a double's rounding: a bucket slower than this may be refused, no faster one. */
    private static final BigDecimal BARELY_UNDER_MAX_REFILL = BigDecimal.valueOf(CallerLimiter.MAX_REFILL.toSeconds())
            .multiply(BigDecimal.ONE.subtract(new BigDecimal("1e-12")));

    /** The exact time {@code capacity} tokens take to refill at {@code perSecond}, in seconds. */
    private static BigDecimal exactRefillSeconds(long capacity, double perSecond) {
        return BigDecimal.valueOf(capacity).divide(new BigDecimal(perSecond), MathContext.DECIMAL128);
    }

    /** A throttle as the in-memory store applies one: through its {@link StateOp.Throttle}. */
    private static void throttle(CallerLimiter l, String caller, double perSecond, Instant until) {
        l.throttle(new StateOp.Throttle(caller, perSecond, until.toEpochMilli()));
    }
}
