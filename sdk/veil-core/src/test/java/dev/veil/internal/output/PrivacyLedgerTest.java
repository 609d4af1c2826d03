package dev.veil.internal.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.veil.internal.output.PrivacyLedger.Charge;
import dev.veil.internal.output.PrivacyLedger.Status;
import dev.veil.spi.GuardSettings.PrivacyBudget;
import dev.veil.spi.GuardSettings.PrivacyBudget.OnExhausted;
import dev.veil.spi.ReleaseSpec.Noise;
import dev.veil.spi.ReleaseSpec.Noise.Mechanism;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class PrivacyLedgerTest {
    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        private volatile long millis;

        ManualClock(long millis) {
            this.millis = millis;
        }

        void setMillis(long millis) {
            this.millis = millis;
        }

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    private static PrivacyBudget budget(double perCaller, double global, long periodSeconds) {
        return new PrivacyBudget(perCaller, global, periodSeconds, OnExhausted.DENY);
    }

    private final ManualClock clock = new ManualClock(100_000);

    @Nested
    class Epsilon {
        @Test
        void shouldGrantUntilTheCallersBudgetIsSpent() {
            PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 0, 0), clock);

            Charge first = ledger.charge("alice", 0.4, 0);
            Charge second = ledger.charge("alice", 0.4, 0);
            Charge third = ledger.charge("alice", 0.4, 0);

            assertThat(first.status()).isEqualTo(Status.OK);
            assertThat(first.granted()).isTrue();
            assertThat(first.callerEpsilonRemaining()).isEqualTo(0.6);
            assertThat(second.callerEpsilonRemaining()).isEqualTo(0.2);
            assertThat(third.status()).isEqualTo(Status.CALLER_EXHAUSTED);
            assertThat(third.granted()).isFalse();
            assertThat(third.callerEpsilonRemaining()).isEqualTo(0.2);
            assertThat(ledger.charge("alice", 0.2, 0).status()).isEqualTo(Status.OK);
            assertThat(ledger.charge("alice", 1e-12, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
        }

        @Test
        void shouldAccountDecimalEpsilonsExactly() {
            PrivacyLedger ledger = new PrivacyLedger(budget(0.3, 0, 0), clock);

            // 0.1 + 0.1 + 0.1 is 0.30000000000000004 in doubles
            assertThat(ledger.charge("bob", 0.1, 0).granted()).isTrue();
            assertThat(ledger.charge("bob", 0.1, 0).granted()).isTrue();
            Charge third = ledger.charge("bob", 0.1, 0);
            assertThat(third.granted()).isTrue();
            assertThat(third.callerEpsilonRemaining()).isZero();
            assertThat(ledger.charge("bob", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
        }

        @Test
        void shouldKeepCallersApart() {
            PrivacyLedger ledger = new PrivacyLedger(budget(0.5, 0, 0), clock);

            assertThat(ledger.charge("alice", 0.5, 0).granted()).isTrue();
            assertThat(ledger.charge("bob", 0.5, 0).granted()).isTrue();
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
        }

        @Test
        void shouldReportInfiniteGlobalBudgetWithoutGlobalLedger() {
            PrivacyLedger ledger = new PrivacyLedger(budget(0.5, 0, 0), clock);

            Charge c = ledger.charge("alice", 0.1, 0);
            assertThat(c.globalEpsilonRemaining()).isEqualTo(Double.POSITIVE_INFINITY);
            assertThat(c.globalDeltaRemaining()).isEqualTo(Double.POSITIVE_INFINITY);
        }

        @Test
        void shouldRefuseChargeLargerThanAnyBudget() {
            PrivacyLedger ledger = new PrivacyLedger(budget(1e9, 0, 0), clock);

            assertThat(ledger.charge("alice", 1e6, 0).granted()).isTrue();
            assertThat(ledger.charge("bob", 2e6, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
        }
    }

    @Nested
    class Global {
        @Test
        void shouldRefuseWhenTheGlobalBudgetIsSpentAndChargeNeitherLedger() {
            PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 1.5, 0), clock);

            assertThat(ledger.charge("alice", 1.0, 0).granted()).isTrue();
            assertThat(ledger.charge("bob", 0.4, 0).granted()).isTrue();
            Charge refused = ledger.charge("bob", 0.2, 0);

            assertThat(refused.status()).isEqualTo(Status.GLOBAL_EXHAUSTED);
            assertThat(refused.callerEpsilonRemaining()).isEqualTo(0.6);
            assertThat(refused.globalEpsilonRemaining()).isEqualTo(0.1);
            // bob was not charged: 0.1 still fits both ledgers, and then nothing does
            Charge last = ledger.charge("bob", 0.1, 0);
            assertThat(last.granted()).isTrue();
            assertThat(last.callerEpsilonRemaining()).isEqualTo(0.5);
            assertThat(last.globalEpsilonRemaining()).isZero();
            assertThat(ledger.charge("carol", 0.01, 0).status()).isEqualTo(Status.GLOBAL_EXHAUSTED);
        }

        @Test
        void shouldNotChargeGlobalLedgerWhenTheCallerIsRefused() {
            PrivacyLedger ledger = new PrivacyLedger(budget(0.5, 1.0, 0), clock);

            assertThat(ledger.charge("alice", 0.6, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            Charge bob = ledger.charge("bob", 0.5, 0);
            assertThat(bob.globalEpsilonRemaining()).isEqualTo(0.5);
            assertThat(ledger.charge("carol", 0.5, 0).granted()).isTrue();
        }

        /**
         * A reload that sets a global budget mid-period must not hand out a fresh one: the ledger started
         * the global sum from zero, forgetting the 5.0 spent this period while it was off.
         */
        @Test
        void shouldCountWhatWasSpentThisPeriodBeforeAReloadSetAGlobalBudget() {
            PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 0, 86_400), clock);
            for (int c = 0; c < 5; c++) {
                assertThat(ledger.charge("caller" + c, 1.0, 0).granted()).isTrue();
            }
            ledger.withBudget(budget(1.0, 2.0, 86_400));
            Charge refused = ledger.charge("caller9", 1.0, 0);
            assertThat(refused.status()).isEqualTo(Status.GLOBAL_EXHAUSTED);
            assertThat(refused.globalEpsilonRemaining()).isEqualTo(-3.0);

            // off, 5 more spent, on again: the same; and the next day the global budget is whole
            ledger.withBudget(budget(1.0, 0, 86_400));
            ledger.charge("caller9", 0.5, 0);
            ledger.withBudget(budget(1.0, 6.0, 86_400));
            assertThat(ledger.charge("caller8", 0.6, 0).status()).isEqualTo(Status.GLOBAL_EXHAUSTED);
            assertThat(ledger.charge("caller8", 0.5, 0).granted()).isTrue();
            clock.setMillis(clock.millis() + 86_400_000L);
            assertThat(ledger.charge("caller8", 1.0, 0).globalEpsilonRemaining()).isEqualTo(5.0);
        }

        /** Everybody's sum saturates rather than wraps while no global budget tests it. */
        @Test
        void shouldNotWrapEverybodysSumWithoutAGlobalBudget() {
            PrivacyLedger ledger = new PrivacyLedger(budget(1e6, 0, 0), clock);
            for (int c = 0; c < 20; c++) {
                assertThat(ledger.charge("caller" + c, 1e6, 0).granted()).isTrue();
            }
            ledger.withBudget(budget(1e6, 1e6, 0));
            assertThat(ledger.charge("late", 1e-12, 0).status()).isEqualTo(Status.GLOBAL_EXHAUSTED);
        }

        @Test
        void shouldReportCallerRefusalFirstWhenBothAreExhausted() {
            PrivacyLedger ledger = new PrivacyLedger(budget(0.5, 0.5, 0), clock);

            assertThat(ledger.charge("alice", 0.5, 0).granted()).isTrue();
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            assertThat(ledger.charge("bob", 0.1, 0).status()).isEqualTo(Status.GLOBAL_EXHAUSTED);
        }
    }

    @Nested
    class Delta {
        @Test
        void shouldRefuseWhenTheCallersDeltaSumWouldExceedTheDeltaBudget() {
            PrivacyLedger ledger = new PrivacyLedger(budget(100, 0, 0), clock);

            assertThat(ledger.charge("alice", 0.1, 4e-4).granted()).isTrue();
            Charge second = ledger.charge("alice", 0.1, 4e-4);
            assertThat(second.granted()).isTrue();
            assertThat(second.callerDeltaRemaining()).isCloseTo(2e-4, within(1e-18));
            assertThat(ledger.charge("alice", 0.1, 4e-4).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            assertThat(ledger.charge("alice", 0.1, 2e-4).granted()).isTrue();
            assertThat(ledger.charge("alice", 0.1, 0).granted()).isTrue(); // Laplace spends no delta
        }

        @Test
        void shouldRefuseWhenTheGlobalDeltaSumWouldExceedTheDeltaBudget() {
            PrivacyLedger ledger = new PrivacyLedger(budget(100, 1000, 0), clock);

            assertThat(ledger.charge("alice", 0.1, 4e-4).granted()).isTrue();
            assertThat(ledger.charge("bob", 0.1, 4e-4).granted()).isTrue();
            Charge refused = ledger.charge("carol", 0.1, 4e-4);
            assertThat(refused.status()).isEqualTo(Status.GLOBAL_EXHAUSTED);
            assertThat(refused.globalDeltaRemaining()).isCloseTo(2e-4, within(1e-18));
            assertThat(refused.callerDeltaRemaining()).isEqualTo(PrivacyBudget.DEFAULT_DELTA);
        }
    }

    @Nested
    class Periods {
        @Test
        void shouldRenewAtThePeriodBoundaryAlignedToTheEpoch() {
            clock.setMillis(100_000); // period [60 s, 120 s)
            PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 2.0, 60), clock);
            assertThat(ledger.charge("alice", 1.0, 0).granted()).isTrue();

            clock.setMillis(119_999);
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            clock.setMillis(120_000);
            Charge renewed = ledger.charge("alice", 0.1, 0);
            assertThat(renewed.granted()).isTrue();
            assertThat(renewed.callerEpsilonRemaining()).isEqualTo(0.9);
            assertThat(renewed.globalEpsilonRemaining()).isEqualTo(1.9);
        }

        @Test
        void shouldNotRenewWhenTheClockMovesBackwards() {
            clock.setMillis(130_000);
            PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 0, 60), clock);
            assertThat(ledger.charge("alice", 1.0, 0).granted()).isTrue();

            clock.setMillis(10_000);
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            clock.setMillis(179_999);
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            clock.setMillis(180_000);
            assertThat(ledger.charge("alice", 0.1, 0).granted()).isTrue();
        }

        @Test
        void shouldNeverRenewWithoutAPeriod() {
            PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 0, 0), clock);
            assertThat(ledger.charge("alice", 1.0, 0).granted()).isTrue();

            clock.setMillis(100_000 + 10L * 365 * 24 * 3600 * 1000);
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
        }
    }

    /**
     * A policy reload that changes {@code period_seconds}: spending keeps counting until the period
     * it was recorded in ends, then budgets renew at the new length's boundaries.
     */
    @Nested
    class PeriodChanges {
        /** 2023-11-15T00:00Z. */
        private static final long DAY = 1_700_006_400_000L;
        private static final long HOUR = 3_600_000L;

        @Test
        void shouldKeepADaysSpendingUntilMidnightWhenThePeriodShortensToAnHour() {
            clock.setMillis(DAY + 10 * HOUR + HOUR / 2); // 10:30
            PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 0, 86_400), clock);
            assertThat(ledger.charge("alice", 1.0, 0).granted()).isTrue();
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);

            ledger.withBudget(budget(1.0, 0, 3600));
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            clock.setMillis(DAY + 11 * HOUR); // a new hour, but the day's spending still counts
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            clock.setMillis(DAY + 24 * HOUR - 1);
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);

            clock.setMillis(DAY + 24 * HOUR); // the day is over: hourly periods from here
            assertThat(ledger.charge("alice", 1.0, 0).granted()).isTrue();
            clock.setMillis(DAY + 25 * HOUR - 1);
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            clock.setMillis(DAY + 25 * HOUR);
            assertThat(ledger.charge("alice", 0.1, 0).callerEpsilonRemaining()).isEqualTo(0.9);
        }

        @Test
        void shouldRenewAtTheEndOfTheHourAndThenDailyWhenThePeriodLengthensToADay() {
            clock.setMillis(DAY + 10 * HOUR + HOUR / 2); // 10:30
            PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 0, 3600), clock);
            assertThat(ledger.charge("alice", 1.0, 0).granted()).isTrue();

            ledger.withBudget(budget(1.0, 0, 86_400));
            clock.setMillis(DAY + 11 * HOUR - 1);
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            clock.setMillis(DAY + 11 * HOUR); // the hour is over: daily periods from here
            assertThat(ledger.charge("alice", 1.0, 0).granted()).isTrue();
            clock.setMillis(DAY + 24 * HOUR - 1);
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            clock.setMillis(DAY + 24 * HOUR);
            assertThat(ledger.charge("alice", 0.1, 0).callerEpsilonRemaining()).isEqualTo(0.9);
        }

        @Test
        void shouldRenewAtTheNewBoundariesOnceAPeriodTheyDoNotDivideHasEnded() {
            clock.setMillis(100_000); // period [90 s, 180 s)
            PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 0, 90), clock);
            assertThat(ledger.charge("alice", 1.0, 0).granted()).isTrue();

            ledger.withBudget(budget(1.0, 0, 60)); // boundaries at 120 s, 180 s, 240 s
            clock.setMillis(120_000);
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            clock.setMillis(180_000); // the old period's end; the new period [180 s, 240 s)
            assertThat(ledger.charge("alice", 1.0, 0).granted()).isTrue();
            clock.setMillis(239_999);
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            clock.setMillis(240_000);
            assertThat(ledger.charge("alice", 0.1, 0).granted()).isTrue();
        }

        @Test
        void shouldNotRenewAtAReloadThatGivesANeverRenewingBudgetAPeriod() {
            clock.setMillis(DAY + 10 * HOUR + HOUR / 2);
            PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 0, 0), clock);
            assertThat(ledger.charge("alice", 1.0, 0).granted()).isTrue();

            ledger.withBudget(budget(1.0, 0, 3600));
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            clock.setMillis(DAY + 11 * HOUR - 1);
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            clock.setMillis(DAY + 11 * HOUR); // the end of the hour of the first charge after the reload
            assertThat(ledger.charge("alice", 0.1, 0).granted()).isTrue();
        }

        @Test
        void shouldNeverRenewAfterAReloadThatTakesThePeriodAway() {
            clock.setMillis(DAY + 10 * HOUR + HOUR / 2);
            PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 0, 3600), clock);
            assertThat(ledger.charge("alice", 1.0, 0).granted()).isTrue();

            ledger.withBudget(budget(1.0, 0, 0));
            clock.setMillis(DAY + 11 * HOUR);
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            clock.setMillis(DAY + 10L * 365 * 24 * HOUR);
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
        }

        @Test
        void shouldKeepTheGlobalLedgerAndTheCallerBoundAcrossAPeriodChange() {
            clock.setMillis(DAY + 10 * HOUR + HOUR / 2);
            PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 1.5, 86_400), clock, 2);
            assertThat(ledger.charge("alice", 1.0, 0).granted()).isTrue();
            assertThat(ledger.charge("bob", 0.5, 0).granted()).isTrue();

            ledger.withBudget(budget(1.0, 1.5, 3600));
            clock.setMillis(DAY + 12 * HOUR);
            Charge carol = ledger.charge("carol", 0.1, 0);
            assertThat(carol.status()).isEqualTo(Status.TOO_MANY_CALLERS);
            assertThat(carol.globalEpsilonRemaining()).isZero();
            assertThat(ledger.charge("bob", 0.1, 0).status()).isEqualTo(Status.GLOBAL_EXHAUSTED);
            assertThat(ledger.trackedCallers()).isEqualTo(2);
        }

        @Test
        void shouldNotRenewEarlyWhenTheClockStepsBackAfterAPeriodChange() {
            clock.setMillis(DAY + 10 * HOUR + HOUR / 2);
            PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 0, 86_400), clock);
            assertThat(ledger.charge("alice", 1.0, 0).granted()).isTrue();

            ledger.withBudget(budget(1.0, 0, 3600));
            clock.setMillis(DAY - HOUR); // yesterday, 23:00
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            clock.setMillis(DAY + 24 * HOUR); // renewed at midnight
            assertThat(ledger.charge("alice", 1.0, 0).granted()).isTrue();
            clock.setMillis(DAY + 23 * HOUR); // back into the day before: still the new hour's spending
            assertThat(ledger.charge("alice", 0.1, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
        }
    }

    @Nested
    class Capacity {
        @Test
        void shouldRefuseNewCallersWhenFullAndKeepServingTrackedOnes() {
            PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 0, 0), clock, 2);
            assertThat(ledger.charge("alice", 0.1, 0).granted()).isTrue();
            assertThat(ledger.charge("bob", 0.1, 0).granted()).isTrue();

            Charge carol = ledger.charge("carol", 0.1, 0);
            assertThat(carol.status()).isEqualTo(Status.TOO_MANY_CALLERS);
            assertThat(carol.callerEpsilonRemaining()).isZero();
            assertThat(ledger.charge("alice", 0.1, 0).granted()).isTrue();
            assertThat(ledger.trackedCallers()).isEqualTo(2);
            assertThat(ledger.maxCallers()).isEqualTo(2);
        }

        @Test
        void shouldAcceptNewCallersAgainAfterThePeriodBoundary() {
            clock.setMillis(0);
            PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 0, 3600), clock, 1);
            assertThat(ledger.charge("alice", 0.1, 0).granted()).isTrue();
            assertThat(ledger.charge("bob", 0.1, 0).status()).isEqualTo(Status.TOO_MANY_CALLERS);

            clock.setMillis(3_600_000);
            assertThat(ledger.charge("bob", 0.1, 0).granted()).isTrue();
            assertThat(ledger.trackedCallers()).isEqualTo(1);
        }

        @Test
        void shouldNotTrackCallersWhoseChargeIsRefused() {
            PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 0, 0), clock, 1);

            assertThat(ledger.charge("greedy", 2.0, 0).status()).isEqualTo(Status.CALLER_EXHAUSTED);
            assertThat(ledger.trackedCallers()).isZero();
            assertThat(ledger.charge("alice", 0.5, 0).granted()).isTrue();
        }
    }

    @Nested
    class Concurrency {
        @Test
        void shouldNeverGrantMoreThanTheBudgetsUnderEightThreads() throws Exception {
            double perCaller = 1.0;
            double global = 5.0;
            PrivacyLedger ledger = new PrivacyLedger(budget(perCaller, global, 0), clock);
            int threads = 8;
            int callers = 12;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<BigDecimal[]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = t;
                results.add(pool.submit(() -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    BigDecimal[] granted = new BigDecimal[callers];
                    java.util.Arrays.fill(granted, BigDecimal.ZERO);
                    start.await();
                    for (int i = 0; i < 5_000; i++) {
                        int caller = random.nextInt(callers);
                        double epsilon = (1 + random.nextInt(100)) / 1000.0; // 0.001 .. 0.1
                        if (ledger.charge("c" + caller, epsilon, 0).granted()) {
                            granted[caller] = granted[caller].add(BigDecimal.valueOf(epsilon));
                        }
                    }
                    return granted;
                }));
            }
            start.countDown();
            BigDecimal[] perCallerTotals = new BigDecimal[callers];
            java.util.Arrays.fill(perCallerTotals, BigDecimal.ZERO);
            for (Future<BigDecimal[]> f : results) {
                BigDecimal[] g = f.get(30, TimeUnit.SECONDS);
                for (int c = 0; c < callers; c++) {
                    perCallerTotals[c] = perCallerTotals[c].add(g[c]);
                }
            }
            pool.shutdown();
            BigDecimal total = BigDecimal.ZERO;
            for (BigDecimal c : perCallerTotals) {
                assertThat(c).isLessThanOrEqualTo(BigDecimal.valueOf(perCaller));
                total = total.add(c);
            }
            assertThat(total).isLessThanOrEqualTo(BigDecimal.valueOf(global));
            // 40 000 attempts of up to 0.1 each nearly exhaust the global ledger
            assertThat(total).isGreaterThan(BigDecimal.valueOf(global - 0.05));
        }
    }

    @Nested
    class BadInput {
        private final PrivacyLedger ledger = new PrivacyLedger(budget(1.0, 0, 0), clock);

        @Test
        void shouldRejectEpsilonThatIsNotPositiveAndFinite() {
            for (double bad : new double[] {0, -0.1, Double.NaN, Double.POSITIVE_INFINITY}) {
                assertThatThrownBy(() -> ledger.charge("alice", bad, 0))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("privacy charge epsilon must be a positive finite number, was " + bad);
            }
        }

        @Test
        void shouldRejectDeltaOutsideZeroToOne() {
            for (double bad : new double[] {-1e-9, 1, Double.NaN}) {
                assertThatThrownBy(() -> ledger.charge("alice", 0.1, bad))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("privacy charge delta must be in [0, 1), was " + bad);
            }
        }

        @Test
        void shouldRejectNullCaller() {
            assertThatThrownBy(() -> ledger.charge(null, 0.1, 0))
                    .isInstanceOf(NullPointerException.class)
                    .hasMessage("callerId");
        }

        @Test
        void shouldRejectMaxCallersBelowOne() {
            assertThatThrownBy(() -> new PrivacyLedger(budget(1.0, 0, 0), clock, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("privacy ledger maxCallers must be >= 1, was 0");
        }

        @Test
        void shouldRejectMissingBudgetOrClock() {
            assertThatThrownBy(() -> new PrivacyLedger(null, clock))
                    .isInstanceOf(NullPointerException.class).hasMessage("budget");
            assertThatThrownBy(() -> new PrivacyLedger(budget(1.0, 0, 0), null))
                    .isInstanceOf(NullPointerException.class).hasMessage("clock");
        }
    }

    /**
     * The load-time check ({@link PrivacyBudget#unpayable}) and the ledger agree on whether a release
     * can ever be charged: the check compared doubles while the ledger rounds charges up and budgets
     * down to units of 1e-12 epsilon and 1e-18 delta and caps epsilon at 1e6, so a budget of 1e-13 (0
     * units) or of 3e6 against a charge of 2e6 loaded, and the first charge was refused.
     */
    @Test
    void theLoadTimeCheckAgreesWithAFreshLedgerOnWhatCanEverBeCharged() {
        double[] epsilons = {1e-13, 1.5e-12, 1e-12, 2e-12, 2.5e-12, 0.1, 0.3, 0.1 + 0.2, 1.0000000000005, 1e6, 1e6 + 1,
            2e6, 3e6, 1e300};
        for (double budget : epsilons) {
            for (double global : new double[] {0, budget, 1.5e-12, 1e6, 5e6}) {
                for (double eps : epsilons) {
                    check(new PrivacyBudget(budget, global, 0, null, 1e-3, 1e-3), new Noise(Mechanism.LAPLACE, eps, 0,
                            0));
                }
            }
        }
        double[] deltas = {1e-19, 1.5e-18, 1e-18, 1e-6, 1e-6 + 1e-22, 5e-4};
        for (double budget : deltas) {
            for (double global : new double[] {budget, 1e-19, 1e-3}) {
                for (double delta : deltas) {
                    check(new PrivacyBudget(1, 2, 0, null, budget, global), new Noise(Mechanism.GAUSSIAN, 0.5, delta,
                            0));
                }
            }
        }
    }

    private static void check(PrivacyBudget b, Noise noise) {
        boolean granted = new PrivacyLedger(b, Clock.systemUTC()).charge("a", noise.epsilon(), noise.delta()).granted();
        assertThat(b.unpayable(noise) == null).as("%s, %s: %s", b, noise, b.unpayable(noise)).isEqualTo(granted);
    }

    @Test
    void shouldKeepTheConfiguredDeltaBudgetsPerCallerAndGlobally() {
        // per caller 3e-5, everybody 5e-5: two Gaussian releases at 1e-5 for bob, then the global
        // delta stops carol after two more, although epsilon is plentiful everywhere
        PrivacyLedger l = new PrivacyLedger(new PrivacyBudget(100, 1000, 0, null, 3e-5, 5e-5),
                java.time.Clock.systemUTC());
        assertThat(l.charge("bob", 0.1, 1e-5).status()).isEqualTo(PrivacyLedger.Status.OK);
        assertThat(l.charge("bob", 0.1, 1e-5).status()).isEqualTo(PrivacyLedger.Status.OK);
        assertThat(l.charge("bob", 0.1, 1e-5).status()).isEqualTo(PrivacyLedger.Status.OK);
        assertThat(l.charge("bob", 0.1, 1e-5).status()).isEqualTo(PrivacyLedger.Status.CALLER_EXHAUSTED);
        assertThat(l.charge("carol", 0.1, 1e-5).status()).isEqualTo(PrivacyLedger.Status.OK);
        assertThat(l.charge("carol", 0.1, 1e-5).status()).isEqualTo(PrivacyLedger.Status.OK);
        assertThat(l.charge("carol", 0.1, 1e-5).status()).isEqualTo(PrivacyLedger.Status.GLOBAL_EXHAUSTED);
        assertThat(l.charge("dan", 0.1, 0).status()).as("Laplace charges no delta").isEqualTo(PrivacyLedger.Status.OK);
    }

    @Test
    void shouldRefuseDeltaBudgetsOutsideZeroToOne() {
        assertThatThrownBy(() -> new PrivacyBudget(1, 0, 0, null, 1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("privacy.per_caller_delta must be in [0, 1), was 1.0");
        assertThatThrownBy(() -> new PrivacyBudget(1, 0, 0, null, 0, -1e-9))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("privacy.global_delta must be in [0, 1), was -1.0E-9");
    }

    /**
     * A reload sets the budgets as construction does (both go through one method): a ledger reloaded
     * to a budget of the same period before any charge answers every charge as a ledger built with it.
     */
    @Test
    void aLedgerReloadedBeforeItsFirstChargeAnswersAsOneBuiltWithTheBudget() {
        SplittableRandom random = new SplittableRandom(30);
        double[] epsilons = {1e-13, 0.1, 0.3, 0.7, 2.0, 1e6, 2e6};
        double[] deltas = {0, 1e-19, 1e-6, 1e-3, 0.5};
        for (int trial = 0; trial < 200; trial++) {
            PrivacyBudget budget = new PrivacyBudget(epsilons[random.nextInt(epsilons.length - 1)],
                    random.nextBoolean() ? 0 : epsilons[random.nextInt(epsilons.length)], random.nextInt(3) * 60L,
                    OnExhausted.DENY, deltas[random.nextInt(deltas.length)], deltas[random.nextInt(deltas.length)]);
            ManualClock time = new ManualClock(1_800_000_000_000L);
            PrivacyLedger built = new PrivacyLedger(budget, time, 3);
            PrivacyLedger reloaded = new PrivacyLedger(new PrivacyBudget(0.05, 0.05, budget.periodSeconds(), OnExhausted.DENY, 0, 0),
                    time, 3).withBudget(budget);
            for (int i = 0; i < 30; i++) {
                time.setMillis(time.millis() + random.nextInt(20_000));
                String caller = "c" + random.nextInt(5);
                double epsilon = epsilons[random.nextInt(epsilons.length)];
                double delta = deltas[random.nextInt(deltas.length - 1)];
                assertThat(reloaded.charge(caller, epsilon, delta)).as("trial %d, charge %d under %s", trial, i, budget)
                        .isEqualTo(built.charge(caller, epsilon, delta));
            }
        }
    }
}
