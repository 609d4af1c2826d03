package dev.veil.spi;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The fixed-point units in which privacy budgets are counted, and the periods in which they renew:
 * the one computation of both, shared by everything that must agree with the ledger. The in-memory
 * state store's ledger charges in them, a {@link StateStore} that keeps the ledger elsewhere (veil-redis)
 * must count {@link StateOp.Charge} in them too, and the load-time check that a release could ever be
 * paid for ({@link GuardSettings.PrivacyBudget#unpayable}) compares in them, so that a release the
 * check lets through is one the ledger can grant.
 *
 * <p>Epsilon is counted in units of 1e-12 and delta in units of 1e-18, each number converted from
 * its shortest decimal form (so 0.1 is exactly 10^11 units). Charges round up and budgets round
 * down, so rounding never grants more than the budget. An epsilon budget above 1e6 counts as 1e6,
 * and a charge above 1e6 is always refused. Numbers beyond {@code Long.MAX_VALUE / 2} units count
 * as it.
 *
 * <p>Periods of {@code periodSeconds > 0} are aligned to the epoch: they end at the multiples of
 * {@code periodSeconds} in epoch seconds ({@link #periodEnd}), whatever the time zone or daylight
 * saving. A charge at epoch millisecond {@code t} belongs to the period holding epoch second
 * {@code floorDiv(t, 1000)}. Stateless.
 *
 * <p>Every conversion takes a finite number {@code >= 0} and throws {@link IllegalArgumentException}
 * for any other ({@link StateOp.Charge} and {@link GuardSettings.PrivacyBudget} refuse them before).
 */
public final class PrivacyUnits {
    /** Epsilon's unit is {@code 10^-EPSILON_SCALE}. */
    private static final int EPSILON_SCALE = 12;
    /** Delta's unit is {@code 10^-DELTA_SCALE}. */
    private static final int DELTA_SCALE = 18;
    /** The largest epsilon budget, in units: epsilon 1e6. */
    private static final long MAX_EPSILON_UNITS = 1_000_000_000_000_000_000L;
    /** The largest epsilon the ledger counts, as a number (budgets above count as it, charges above are refused). */
    public static final double MAX_EPSILON = 1e6;
    /** What {@link #periodEnd} answers for a period that never ends. */
    public static final long NEVER = Long.MAX_VALUE;

    private PrivacyUnits() {
    }

    /** An epsilon charge in units: rounded up, and above {@link #MAX_EPSILON} one unit more than any budget. */
    public static long epsilonCharge(double epsilon) {
        return Math.min(units(epsilon, EPSILON_SCALE, RoundingMode.CEILING), MAX_EPSILON_UNITS + 1);
    }

    /** An epsilon budget in units: rounded down, at most {@link #MAX_EPSILON}'s. */
    public static long epsilonBudget(double epsilon) {
        return Math.min(units(epsilon, EPSILON_SCALE, RoundingMode.FLOOR), MAX_EPSILON_UNITS);
    }

    /** A delta charge in units, rounded up. */
    public static long deltaCharge(double delta) {
        return units(delta, DELTA_SCALE, RoundingMode.CEILING);
    }

    /** A delta budget in units, rounded down. */
    public static long deltaBudget(double delta) {
        return units(delta, DELTA_SCALE, RoundingMode.FLOOR);
    }

    /** Epsilon units as a number. */
    public static double epsilonOf(long units) {
        return units / 1e12;
    }

    /** Delta units as a number. */
    public static double deltaOf(long units) {
        return units / 1e18;
    }

    /**
     * The end (exclusive, in epoch seconds) of the budget period holding epoch second {@code second}:
     * the next multiple of {@code periodSeconds} above it, or {@link #NEVER} when budgets never renew
     * ({@code periodSeconds == 0}) or the end lies at or beyond {@code Long.MAX_VALUE} (no clock's
     * second comes near it).
     *
     * @param second the epoch second, {@code floorDiv(epochMillis, 1000)}
     * @param periodSeconds the period's length, {@code >= 0} ({@link GuardSettings.PrivacyBudget#periodSeconds})
     * @return the period's end in epoch seconds, or {@link #NEVER}
     * @throws IllegalArgumentException if {@code periodSeconds} is negative
     */
    public static long periodEnd(long second, long periodSeconds) {
        if (periodSeconds < 0) {
            throw new IllegalArgumentException("privacy period_seconds must be >= 0, was " + periodSeconds);
        }
        if (periodSeconds == 0) {
            return NEVER;
        }
        long current = Math.floorDiv(second, periodSeconds); // + 1 would wrap at Long.MAX_VALUE
        return current >= NEVER / periodSeconds ? NEVER : (current + 1) * periodSeconds;
    }

    private static long units(double value, int scale, RoundingMode mode) {
        if (!(value >= 0) || Double.isInfinite(value)) { // a negative charge would be a refund
            throw new IllegalArgumentException("a privacy epsilon or delta must be a finite number >= 0, was " + value);
        }
        BigDecimal units = BigDecimal.valueOf(value).movePointRight(scale).setScale(0, mode);
        return units.compareTo(BigDecimal.valueOf(Long.MAX_VALUE / 2)) > 0 ? Long.MAX_VALUE / 2 : units.longValue();
    }
}
