package dev.veil.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.longs;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The units and periods both state stores count privacy budgets in (the in-memory ledger and
 * veil-redis call these, so they agree by construction; these tests pin what they agree on).
 */
class PrivacyUnitsTest {
    private static final long DAY = 86_400;

    @Test
    void unitsComeFromTheShortestDecimalFormChargesUpBudgetsDown() {
        assertThat(PrivacyUnits.epsilonCharge(0.1)).isEqualTo(100_000_000_000L);
        assertThat(3 * PrivacyUnits.epsilonCharge(0.1)).isEqualTo(PrivacyUnits.epsilonBudget(0.3));
        assertThat(PrivacyUnits.epsilonCharge(1e-13)).isEqualTo(1);
        assertThat(PrivacyUnits.epsilonBudget(1e-13)).isZero();
        assertThat(PrivacyUnits.epsilonCharge(1.5e-12)).isEqualTo(2);
        assertThat(PrivacyUnits.epsilonBudget(1.5e-12)).isEqualTo(1);
        assertThat(PrivacyUnits.deltaCharge(1e-19)).isEqualTo(1);
        assertThat(PrivacyUnits.deltaBudget(1e-19)).isZero();
        assertThat(PrivacyUnits.deltaBudget(1e-3)).isEqualTo(1_000_000_000_000_000L);
        assertThat(PrivacyUnits.deltaCharge(Math.nextDown(1.0))).isEqualTo(999_999_999_999_999_900L); // 0.9999999999999999
    }

    @Test
    void epsilonAbove1e6IsABudgetOf1e6AndAChargeNoBudgetGrants() {
        long max = PrivacyUnits.epsilonBudget(PrivacyUnits.MAX_EPSILON);
        assertThat(PrivacyUnits.epsilonBudget(1e7)).isEqualTo(max);
        assertThat(PrivacyUnits.epsilonBudget(Double.MAX_VALUE)).isEqualTo(max);
        assertThat(PrivacyUnits.epsilonCharge(PrivacyUnits.MAX_EPSILON)).isEqualTo(max);
        assertThat(PrivacyUnits.epsilonCharge(Math.nextUp(PrivacyUnits.MAX_EPSILON))).isEqualTo(max + 1);
        assertThat(PrivacyUnits.epsilonCharge(Double.MAX_VALUE)).isEqualTo(max + 1);
        assertThat(PrivacyUnits.deltaCharge(Double.MAX_VALUE)).isEqualTo(Long.MAX_VALUE / 2);
    }

    @Test
    void unitsAreTheDecimalFormRoundedAsSaid() {
        Gen<Double> values = doubles().between(0, 2e6).mix(doubles().between(0, 1e-9))
                .mix(Generate.pick(java.util.List.of(0.0, Double.MIN_VALUE, 1e-12, 1e-18, 0.1, 0.3, 1e6)));
        qt().withExamples(5000).forAll(values).checkAssert(v -> {
            BigDecimal d = BigDecimal.valueOf(v);
            assertThat(PrivacyUnits.epsilonCharge(v)).isEqualTo(Math.min(
                    d.movePointRight(12).setScale(0, RoundingMode.CEILING).longValueExact(), 1_000_000_000_000_000_001L));
            assertThat(PrivacyUnits.epsilonBudget(v)).isEqualTo(Math.min(
                    d.movePointRight(12).setScale(0, RoundingMode.FLOOR).longValueExact(), 1_000_000_000_000_000_000L));
            BigInteger delta = d.movePointRight(18).setScale(0, RoundingMode.CEILING).toBigInteger();
            assertThat(PrivacyUnits.deltaCharge(v)).isEqualTo(delta.min(BigInteger.valueOf(Long.MAX_VALUE / 2)).longValue());
        });
    }

    @Test
    void aNegativeOrNonFiniteNumberIsRefusedNotCounted() {
        // a public SPI: an outside StateStore passing an unchecked value must not turn a charge into a refund
        for (double bad : new double[] {-0.5, -Double.MIN_VALUE, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> PrivacyUnits.epsilonCharge(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("a privacy epsilon or delta must be a finite number >= 0, was " + bad);
            assertThatThrownBy(() -> PrivacyUnits.deltaBudget(bad)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(PrivacyUnits.epsilonCharge(0)).isZero();
    }

    @Test
    void aDayEndsAtMidnightUtcAndItsLastSecondBelongsToIt() {
        long midnight = Instant.parse("2026-03-29T00:00:00Z").getEpochSecond(); // a DST change in Europe: no matter
        assertThat(PrivacyUnits.periodEnd(midnight - DAY, DAY)).isEqualTo(midnight);
        assertThat(PrivacyUnits.periodEnd(midnight - 1, DAY)).isEqualTo(midnight);
        assertThat(PrivacyUnits.periodEnd(midnight, DAY)).isEqualTo(midnight + DAY);
        // The last millisecond of a period is second midnight - 1, as a charge counts it.
        assertThat(PrivacyUnits.periodEnd(Math.floorDiv(midnight * 1000 - 1, 1000L), DAY)).isEqualTo(midnight);
        assertThat(PrivacyUnits.periodEnd(-1, DAY)).isZero();
        assertThat(PrivacyUnits.periodEnd(-DAY - 1, DAY)).isEqualTo(-DAY);
    }

    @Test
    void noPeriodNeverEndsAndAnEndBeyondALongNeither() {
        assertThat(PrivacyUnits.periodEnd(1_800_000_000L, 0)).isEqualTo(PrivacyUnits.NEVER);
        assertThat(PrivacyUnits.periodEnd(0, Long.MAX_VALUE)).isEqualTo(PrivacyUnits.NEVER);
        assertThat(PrivacyUnits.periodEnd(Long.MAX_VALUE - 1, 2)).isEqualTo(PrivacyUnits.NEVER);
        // Unreachable from a clock's millis (the second is at most Long.MAX_VALUE / 1000), but public: it wrapped.
        assertThat(PrivacyUnits.periodEnd(Long.MAX_VALUE, 1)).isEqualTo(PrivacyUnits.NEVER);
        assertThat(PrivacyUnits.periodEnd(-1, Long.MAX_VALUE)).isZero();
        assertThatThrownBy(() -> PrivacyUnits.periodEnd(0, -1))
                .hasMessage("privacy period_seconds must be >= 0, was -1");
    }

    @Test
    void thePeriodEndIsTheNextMultipleOfTheLength() {
        qt().withExamples(5000).forAll(longs().all(), longs().between(1, Long.MAX_VALUE)).checkAssert((second, length) -> {
            BigInteger exact = BigInteger.valueOf(Math.floorDiv(second, length)).add(BigInteger.ONE)
                    .multiply(BigInteger.valueOf(length));
            long end = PrivacyUnits.periodEnd(second, length);
            if (exact.compareTo(BigInteger.valueOf(Long.MAX_VALUE)) >= 0) {
                assertThat(end).isEqualTo(PrivacyUnits.NEVER);
            } else {
                assertThat(end).isEqualTo(exact.longValueExact()).isGreaterThan(second);
                assertThat(end - second).isLessThanOrEqualTo(length);
            }
        });
    }
}
