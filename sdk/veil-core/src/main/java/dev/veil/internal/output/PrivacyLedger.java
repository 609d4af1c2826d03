package dev.veil.internal.output;

import dev.veil.spi.GuardSettings.PrivacyBudget;
import dev.veil.spi.PrivacyUnits;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * In-memory privacy-budget ledger for releases with noise: one ledger per caller and, when
 * {@link PrivacyBudget#globalEpsilon()} is positive, a global one (Sybil accounts pool their
 * answers, so the training-data guarantee is the composition over everybody's releases). The
 * global sum is kept whether or not a global budget is set, and tested only while one is: a reload
 * that sets a global budget mid-period finds everything granted earlier in the period, so it never
 * hands out fresh budget (the sum saturates rather than wraps).
 *
 * <p><b>Composition.</b> Basic (sequential) composition: a caller's releases in a period cost the
 * sum of their epsilons and the sum of their deltas. A charge is granted only if, after it, both
 * <ul>
 *   <li>the caller's epsilon sum is at most {@code perCallerEpsilon} and the caller's delta sum is
 *       at most {@code perCallerDelta}, and</li>
 *   <li>when a global ledger is kept ({@code globalEpsilon > 0}), everybody's epsilon sum is at most
 *       {@code globalEpsilon} and everybody's delta sum is at most {@code globalDelta}.</li>
 * </ul>
 * The delta budgets default to {@link PrivacyBudget#DEFAULT_DELTA} (1e-3: for example a thousand
 * Gaussian releases at delta 1e-6). Laplace releases charge delta 0.
 *
 * <p><b>Exact accounting.</b> Sums are kept in fixed point ({@link PrivacyUnits}), epsilon in units
 * of 1e-12 and delta in units of 1e-18, converting each number from its shortest decimal form: three
 * charges of 0.1 spend exactly a budget of 0.3. Charges round up and budgets round down to those
 * units, so rounding never grants more than the budget. Epsilon budgets above 1e6 are treated as
 * 1e6, and a charge above 1e6 is always refused. The load-time check that a release could ever be
 * charged ({@link PrivacyBudget#unpayable}) counts in the same units, so a policy loads only with
 * releases this ledger can grant.
 *
 * <p><b>Atomicity.</b> {@link #charge} charges the caller's and the global ledger together or
 * neither; concurrent charges never overspend either. When both would refuse, the caller's
 * refusal is reported.
 *
 * <p><b>Periods.</b> With {@code periodSeconds > 0}, budgets renew at period boundaries aligned to
 * the epoch (the multiples of {@code periodSeconds} in epoch seconds, at the charge's time: the clock
 * given, or the time a charge carries). The
 * ledger keeps the end of the period its spending belongs to as an absolute time (an epoch second)
 * and renews the first time it is charged at or after that time; a clock that moves backwards
 * therefore never renews a budget early. With {@code periodSeconds == 0} budgets never renew.
 *
 * <p><b>Period changes.</b> A reload ({@link #withBudget}) that changes {@code periodSeconds} never
 * hands out fresh budget: what was spent keeps counting until the period it was spent in ends, and
 * budgets renew at the new length's boundaries after that. From a day to an hour at 10:30, the day's
 * spending counts until midnight, then budgets renew every hour; from an hour to a day at 10:30,
 * the hour's spending counts until 11:00, the budgets renewed then last until midnight, and they
 * renew daily after that. A change to {@code periodSeconds == 0} keeps what was spent forever. A change from
 * {@code 0} (whose period never ends) keeps what was spent until the end of the new length's period
 * holding the first charge after the reload. The ledger applies a new length at its next charge,
 * so the answers depend on the lengths in force at the charges, not on when reloads happened (a
 * store that only sees the budget with each charge can give the same answers).
 *
 * <p><b>Bounded memory, fail closed.</b> A caller's spending is never forgotten within its period
 * (forgetting would hand out a fresh budget). Instead the number of callers tracked per period is
 * capped: once {@code maxCallers} callers have spent budget in the current period, charges by any
 * further caller are refused with {@link Status#TOO_MANY_CALLERS} until the next period (forever if
 * budgets never renew); callers already tracked keep their remaining budget. All callers are
 * forgotten together when their period ends.
 *
 * <p>Thread-safety: thread-safe. Each charge holds one short lock (a hash lookup and a few long
 * additions); charges only happen for releases with noise, whose sampling costs more.
 */
public final class PrivacyLedger {
    /** Callers tracked per period by {@link #PrivacyLedger(PrivacyBudget, Clock)}. */
    public static final int DEFAULT_MAX_CALLERS = 100_000;

    /** {@link #renewsAt} of spending that never renews. */
    private static final long NEVER = PrivacyUnits.NEVER;

    /** Outcome of a charge. */
    public enum Status {
        /** Both ledgers were charged. */
        OK,
        /** The caller's epsilon or delta budget for this period would be exceeded; nothing charged. */
        CALLER_EXHAUSTED,
        /** The global epsilon or delta budget for this period would be exceeded; nothing charged. */
        GLOBAL_EXHAUSTED,
        /**
         * The caller has not spent budget in this period and the ledger already tracks
         * {@code maxCallers} callers; nothing charged (fail closed until the next period).
         */
        TOO_MANY_CALLERS
    }

    /**
     * The result of {@link #charge}: the status and the budgets that remain afterwards (after the
     * charge when granted, unchanged when refused).
     *
     * @param status whether the charge was granted
     * @param callerEpsilonRemaining the caller's remaining epsilon this period (0 for
     *     {@link Status#TOO_MANY_CALLERS})
     * @param callerDeltaRemaining the caller's remaining delta this period (0 for
     *     {@link Status#TOO_MANY_CALLERS})
     * @param globalEpsilonRemaining the global remaining epsilon, or positive infinity when no
     *     global ledger is kept
     * @param globalDeltaRemaining the global remaining delta, or positive infinity when no global
     *     ledger is kept
     */
    public record Charge(
            Status status, double callerEpsilonRemaining, double callerDeltaRemaining,
            double globalEpsilonRemaining, double globalDeltaRemaining) {
        public Charge {
            Objects.requireNonNull(status, "status");
        }

        /** Whether the release may go ahead (both ledgers were charged). */
        public boolean granted() {
            return status == Status.OK;
        }
    }

    /** Spending of one ledger in the current period; guarded by the ledger's lock. */
    private static final class Account {
        long epsilon;
        long delta;
    }

    private final Clock clock;
    private final int maxCallers;
    // Budgets: written under the lock by withBudget, read under it by charge.
    private volatile long periodSeconds;
    private long callerEpsilonBudget;
    private long globalEpsilonBudget;
    private long deltaBudget;
    private long globalDeltaBudget;
    private boolean global;

    private final Object lock = new Object();
    private final Map<String, Account> callers = new HashMap<>();
    private final Account everybody = new Account();
    // The epoch second at which the spending above stops counting (the end of the period it belongs
    // to), or NEVER. Only moves forward.
    private long renewsAt;

    /**
     * A ledger tracking at most {@link #DEFAULT_MAX_CALLERS} callers per period.
     *
     * @param budget the budgets and period
     * @param clock the time source for periods
     */
    public PrivacyLedger(PrivacyBudget budget, Clock clock) {
        this(budget, clock, DEFAULT_MAX_CALLERS);
    }

    /**
     * A ledger tracking at most {@code maxCallers} callers per period.
     *
     * @param budget the budgets and period
     * @param clock the time source for periods
     * @param maxCallers how many callers may spend budget per period, {@code >= 1}
     * @throws IllegalArgumentException if {@code maxCallers < 1}
     */
    public PrivacyLedger(PrivacyBudget budget, Clock clock, int maxCallers) {
        this(budget, Objects.requireNonNull(clock, "clock"), maxCallers, clock.millis());
    }

    /**
     * A ledger whose charges carry their own time ({@link #charge(String, double, double, long)}),
     * its first period the one holding {@code startMillis}: the state store's, which charges at each
     * request's time ({@link dev.veil.spi.StateOp.Charge#nowMillis}), as the Redis store does.
     * {@link #charge(String, double, double)} still reads {@code clock}.
     *
     * @param budget the budgets and period
     * @param clock the time source of {@link #charge(String, double, double)}
     * @param maxCallers how many callers may spend budget per period, {@code >= 1}
     * @param startMillis the time of the first charge, in ms since the epoch
     * @throws IllegalArgumentException if {@code maxCallers < 1}
     */
    public PrivacyLedger(PrivacyBudget budget, Clock clock, int maxCallers, long startMillis) {
        Objects.requireNonNull(budget, "budget");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (maxCallers < 1) {
            throw new IllegalArgumentException("privacy ledger maxCallers must be >= 1, was " + maxCallers);
        }
        this.maxCallers = maxCallers;
        setBudget(budget);
        this.renewsAt = PrivacyUnits.periodEnd(Math.floorDiv(startMillis, 1000L), periodSeconds);
    }

    /**
     * Changes the budgets in place (a policy reload), keeping everything already spent in the
     * current period: a reload must never hand out fresh budget, and in-flight charges are never
     * lost because the ledger stays the same object. A new {@code periodSeconds} takes effect at the
     * next charge, as the class Javadoc describes (the current period still ends when it would have).
     *
     * @param budget the new budgets and period
     * @return this ledger
     */
    public PrivacyLedger withBudget(PrivacyBudget budget) {
        Objects.requireNonNull(budget, "budget");
        synchronized (lock) {
            setBudget(budget);
        }
        return this;
    }

    /** Sets the budgets and period in units; the one place they are set. Holds the lock, or constructs. */
    private void setBudget(PrivacyBudget budget) {
        this.periodSeconds = budget.periodSeconds();
        this.callerEpsilonBudget = PrivacyUnits.epsilonBudget(budget.perCallerEpsilon());
        this.global = budget.globalEpsilon() > 0;
        this.globalEpsilonBudget = PrivacyUnits.epsilonBudget(budget.globalEpsilon());
        this.deltaBudget = PrivacyUnits.deltaBudget(budget.perCallerDelta());
        this.globalDeltaBudget = PrivacyUnits.deltaBudget(budget.globalDelta());
    }

    /**
     * Charges {@code epsilon} and {@code delta} to {@code callerId}'s ledger and to the global one,
     * atomically: both or neither.
     *
     * @param callerId the caller's id (the same string each time for the same caller)
     * @param epsilon the release's epsilon, positive and finite
     * @param delta the release's delta, in [0, 1) (0 for Laplace)
     * @return the outcome and the remaining budgets; never null
     * @throws IllegalArgumentException if epsilon or delta is out of range
     */
    public Charge charge(String callerId, double epsilon, double delta) {
        return charge(callerId, epsilon, delta, clock.millis());
    }

    /**
     * {@link #charge(String, double, double)} at {@code nowMillis} (ms since the epoch), not at the
     * clock's time: the period it falls in is that of the request it pays for.
     *
     * @param nowMillis the charge's time, in ms since the epoch
     */
    public Charge charge(String callerId, double epsilon, double delta, long nowMillis) {
        Objects.requireNonNull(callerId, "callerId");
        if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
            throw new IllegalArgumentException(
                    "privacy charge epsilon must be a positive finite number, was " + epsilon);
        }
        if (!(delta >= 0 && delta < 1)) {
            throw new IllegalArgumentException("privacy charge delta must be in [0, 1), was " + delta);
        }
        long eps = PrivacyUnits.epsilonCharge(epsilon);
        long del = PrivacyUnits.deltaCharge(delta);
        long second = Math.floorDiv(nowMillis, 1000L);
        synchronized (lock) {
            advance(second);
            Account account = callers.get(callerId);
            if (account == null && callers.size() >= maxCallers) {
                return new Charge(Status.TOO_MANY_CALLERS, 0, 0, globalEpsilonLeft(), globalDeltaLeft());
            }
            long spentEps = account == null ? 0 : account.epsilon;
            long spentDelta = account == null ? 0 : account.delta;
            if (eps > callerEpsilonBudget - spentEps || del > deltaBudget - spentDelta) {
                return new Charge(Status.CALLER_EXHAUSTED, epsilonOf(callerEpsilonBudget - spentEps),
                        deltaOf(deltaBudget - spentDelta), globalEpsilonLeft(), globalDeltaLeft());
            }
            if (global && (eps > globalEpsilonBudget - everybody.epsilon || del > globalDeltaBudget - everybody.delta)) {
                return new Charge(Status.GLOBAL_EXHAUSTED, epsilonOf(callerEpsilonBudget - spentEps),
                        deltaOf(deltaBudget - spentDelta), globalEpsilonLeft(), globalDeltaLeft());
            }
            if (account == null) {
                account = new Account();
                callers.put(callerId, account);
            }
            account.epsilon += eps;
            account.delta += del;
            // Always summed, tested only while a global budget is set: a reload that sets one mid-period
            // must find what was spent this period without it, not start from zero.
            everybody.epsilon = add(everybody.epsilon, eps);
            everybody.delta = add(everybody.delta, del);
            return new Charge(Status.OK, epsilonOf(callerEpsilonBudget - account.epsilon),
                    deltaOf(deltaBudget - account.delta), globalEpsilonLeft(), globalDeltaLeft());
        }
    }

    /** How many callers have spent budget in the current period (as of the last charge). */
    public int trackedCallers() {
        synchronized (lock) {
            return callers.size();
        }
    }

    /** The cap on callers tracked per period. */
    public int maxCallers() {
        return maxCallers;
    }

    private double globalEpsilonLeft() {
        return global ? epsilonOf(globalEpsilonBudget - everybody.epsilon) : Double.POSITIVE_INFINITY;
    }

    private double globalDeltaLeft() {
        return global ? deltaOf(globalDeltaBudget - everybody.delta) : Double.POSITIVE_INFINITY;
    }

    /**
     * Brings {@link #renewsAt} up to a charge at {@code second} under the current
     * {@code periodSeconds}, renewing every ledger if the spending's period has ended. Holds the lock.
     */
    private void advance(long second) {
        long length = periodSeconds;
        if (length == 0) {
            renewsAt = NEVER; // budgets never renew from now on
        } else if (renewsAt == NEVER) {
            renewsAt = PrivacyUnits.periodEnd(second, length); // the period that never ended ends with this one
        } else if (second >= renewsAt) {
            callers.clear();
            everybody.epsilon = 0;
            everybody.delta = 0;
            renewsAt = PrivacyUnits.periodEnd(second, length);
        }
    }

    /** {@code a + b}, at most {@code Long.MAX_VALUE / 2} (the units' ceiling): sums of spending never wrap. */
    private static long add(long a, long b) {
        long sum = a + b;
        return sum < 0 || sum > Long.MAX_VALUE / 2 ? Long.MAX_VALUE / 2 : sum;
    }

    private static double epsilonOf(long units) {
        return PrivacyUnits.epsilonOf(units);
    }

    private static double deltaOf(long units) {
        return PrivacyUnits.deltaOf(units);
    }
}
