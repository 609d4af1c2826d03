package dev.veil.internal.output;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The fixed-point units in which privacy budgets are counted, shared by everything that must agree
 * with the ledger: {@link PrivacyLedger} charges in them, and the load-time check that a release
 * could ever be paid for ({@link dev.veil.spi.GuardSettings.PrivacyBudget#unpayable}) compares in
 * them, so that a release the check lets through is one the ledger can grant. (veil-redis, which
 * cannot see this package, converts the same way, and its conformance test with the in-memory
 * ledger holds it to that.)
 *
 * <p>Epsilon is counted in units of 1e-12 and delta in units of 1e-18, each number converted from
 * its shortest decimal form (so 0.1 is exactly 10^11 units). Charges round up and budgets round
 * down, so rounding never grants more than the budget. An epsilon budget above 1e6 counts as 1e6,
 * and a charge above 1e6 is always refused. Stateless.
 */
public final class PrivacyUnits {
    /** Epsilon's unit is {@code 10^-EPSILON_SCALE}. */
    static final int EPSILON_SCALE = 12;
    /** Delta's unit is {@code 10^-DELTA_SCALE}. */
    static final int DELTA_SCALE = 18;
    /** The largest epsilon budget, in units: epsilon 1e6. */
    static final long MAX_EPSILON_UNITS = 1_000_000_000_000_000_000L;
    /** The largest epsilon the ledger counts, as a number (budgets above count as it, charges above are refused). */
    public static final double MAX_EPSILON = 1e6;

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

    /** {@code a + b}, at most {@code Long.MAX_VALUE / 2} (the units' ceiling): sums of spending never wrap. */
    static long add(long a, long b) {
        long sum = a + b;
        return sum < 0 || sum > Long.MAX_VALUE / 2 ? Long.MAX_VALUE / 2 : sum;
    }

    private static long units(double value, int scale, RoundingMode mode) {
        BigDecimal units = BigDecimal.valueOf(value).movePointRight(scale).setScale(0, mode);
        return units.compareTo(BigDecimal.valueOf(Long.MAX_VALUE / 2)) > 0 ? Long.MAX_VALUE / 2 : units.longValue();
    }
}
