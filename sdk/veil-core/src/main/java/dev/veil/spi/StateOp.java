package dev.veil.spi;

import dev.veil.spi.GuardSettings.PrivacyBudget;
import java.util.Objects;

/**
 * One operation on a {@link StateStore}. A request's operations are handed over together, so that
 * a remote store answers them in one round trip. Each operation is atomic on its own; a batch is
 * not a transaction, with one exception: a {@link BlockedUntil} that finds its caller blocked ends
 * the batch (see there). The result type of each operation is given in its Javadoc.
 *
 * <p>Keys are chosen by Veil (prefixed by detector or purpose); a store may add its own namespace.
 * Times are milliseconds since the epoch from the Guard's clock, so that every replica uses the
 * same notion of "now" as its requests.
 *
 * <p><b>Which time each operation uses.</b> An operation that carries {@code nowMillis}
 * ({@link BlockedUntil}, {@link Acquire}, {@link Charge}, {@link CountInWindow},
 * {@link CountNewInWindow}) is answered at that time, the request's, read once from the Guard's clock
 * when the request begins: a store must not read a clock of its own for it, so that every store
 * answers it alike whatever its clock says (veil-core's in-memory store and veil-redis both do so;
 * MemoryRedisConformanceTest). {@link Block} and {@link Throttle} carry only their end: whether it
 * has passed, and from when a throttle's bucket refills, is decided by the store's clock (the Guard's
 * clock for the in-memory store, the clock given to {@code RedisStateStore.Builder.clock} for Redis).
 * Times to live ({@link ListAppend}, {@link Fingerprint}, the windows' counters) run on the store's
 * own time: the in-memory store's monotonic time (a replay's: its trace's), Redis's server clock.
 *
 * <p><b>New operations may be added</b> (the interface is sealed so that a store can switch over
 * it; a new version of Veil adds a permitted type when a detector needs one). A {@link StateStore}
 * written outside Veil must handle every type of the version it runs with. What an operation it does
 * not know costs depends on what the store throws: any exception but
 * {@link StateUnavailableException} fails the request's state batch, so the requests whose detectors
 * send that operation are denied ({@code internal_error} at stage {@code access}, where the batch
 * runs), and only those; a {@code StateUnavailableException} is taken for an outage, so those
 * requests get the policy's {@code on_state_unavailable} and the Guard logs an outage that comes
 * and goes with them. {@link CountNewInWindow} was added on 2026-12-01, for
 * the {@code smooth} detector's smooth queries, and {@code knn_global}'s cells use it too: a store written before must add it (its rules are
 * in its Javadoc; veil-core's {@code MemoryStateStore} and veil-redis implement it).
 */
public sealed interface StateOp {

    /**
     * Result: {@code Long}, the time until which the caller is blocked, or 0.
     *
     * <p>When that time is later than {@code nowMillis} (the caller is blocked at the request's
     * time), the store runs none of the batch's later operations, and their results are
     * {@code null}: a blocked caller's request is refused before anything else (docs/policy-reference.md,
     * 6.1), so it must take no rate token, no quota and no detector state. A remote store checks the
     * block and skips the rest in the same atomic step; the in-memory store skips what follows the
     * check.
     */
    record BlockedUntil(String caller, long nowMillis) implements StateOp {
        public BlockedUntil {
            Objects.requireNonNull(caller, "caller");
        }
    }

    /** Blocks a caller until the given time (a later block wins). Result: {@code null}. */
    record Block(String caller, long untilMillis) implements StateOp {
        public Block {
            Objects.requireNonNull(caller, "caller");
        }
    }

    /**
     * Limits a caller to {@code perSecond} until the given time: a bucket of
     * {@link RateLimit#defaultBurst max(1, ceil(perSecond))} tokens refilling at {@code perSecond}.
     * Result: {@code null}.
     *
     * <p>The rate must be one both state stores can count: positive, finite, and fast enough that the
     * bucket refills from empty within {@link RateLimit#MAX_REFILL} ({@link RateLimit#refillNanos}
     * not {@code -1}), i.e. at least {@code 1 / 31,622,400} per second, and slow enough that it adds
     * no more than one token a nanosecond, i.e. at most {@code 1e9} per second (the in-memory store's
     * Bucket4j builds no faster bucket; {@code RateLimit}'s check). A slower, faster or infinite one
     * is refused here, so that no store is handed a throttle it cannot apply, and both stores answer
     * alike (a policy's throttle is refused earlier, where {@link MonitoringAction} is built, naming
     * its rule).
     *
     * @throws IllegalArgumentException for a rate outside that range
     */
    record Throttle(String caller, double perSecond, long untilMillis) implements StateOp {
        public Throttle {
            Objects.requireNonNull(caller, "caller");
            if (perSecond > 0) {
                RateLimit.checkNotTooFast(RateLimit.defaultBurst(perSecond), perSecond, "a throttle's perSecond",
                        "a throttle");
            }
            if (!(perSecond > 0)
                    || RateLimit.refillNanos(RateLimit.defaultBurst(perSecond), perSecond) < 0) {
                throw new IllegalArgumentException("a throttle's perSecond must be a finite number of at least 1 / "
                        + RateLimit.MAX_REFILL.toSeconds() + " (its bucket of max(1, ceil(perSecond)) tokens refills"
                        + " within " + RateLimit.MAX_REFILL.toDays() + " days), was " + perSecond);
            }
        }
    }

    /**
     * Takes one request's permit from the caller's rate limit (and throttle, if any) and daily
     * quota, all or nothing. Result: {@link Permit}.
     *
     * @param caller the caller
     * @param limit the rate limit, or {@code null} for none
     * @param dailyQuota requests per UTC day, 0 for none
     * @param nowMillis the request's time
     */
    record Acquire(String caller, RateLimit limit, long dailyQuota, long nowMillis) implements StateOp {
        public Acquire {
            Objects.requireNonNull(caller, "caller");
            if (dailyQuota < 0) {
                throw new IllegalArgumentException("dailyQuota must be >= 0, was " + dailyQuota);
            }
        }
    }

    /** Outcome of {@link Acquire}. */
    enum Permit {
        ALLOWED,
        RATE_LIMITED,
        QUOTA_EXHAUSTED,
        /**
         * The caller has no rate or quota state and the store already tracks as many callers as it
         * may (the in-memory store's {@code maxCallers}); nothing was consumed. A store must refuse
         * a new caller rather than forget state that still counts. Stores without such a bound
         * (Redis) never answer it.
         */
        TOO_MANY_CALLERS,
        /**
         * The caller's own rate limit and quota would allow the request, but a monitoring throttle
         * ({@link Throttle}) does not; nothing was consumed. A store that cannot tell the two apart
         * may answer {@link #RATE_LIMITED} instead (the Guard then names the access rule's limit).
         */
        THROTTLED
    }

    /**
     * Charges a release's privacy cost to the caller's and the global ledger, both or neither.
     * Result: {@link Budget}.
     *
     * <p>The charge falls in the budget period that holds {@code nowMillis} (the request's time), not
     * in the one the store's clock is in.
     */
    record Charge(String caller, double epsilon, double delta, PrivacyBudget budget, long nowMillis)
            implements StateOp {
        public Charge {
            Objects.requireNonNull(caller, "caller");
            Objects.requireNonNull(budget, "budget");
            if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
                throw new IllegalArgumentException("epsilon must be a positive finite number, was " + epsilon);
            }
            if (!(delta >= 0 && delta < 1)) {
                throw new IllegalArgumentException("delta must be in [0, 1), was " + delta);
            }
        }
    }

    /** Outcome of {@link Charge}. */
    enum Budget {
        GRANTED,
        CALLER_EXHAUSTED,
        GLOBAL_EXHAUSTED,
        TOO_MANY_CALLERS
    }

    /**
     * Counts one event in a sliding window. Result: {@code Long}, the events in the window
     * including this one.
     */
    record CountInWindow(String key, long nowMillis, long windowMillis) implements StateOp {
        public CountInWindow {
            Objects.requireNonNull(key, "key");
            if (windowMillis < 1) {
                throw new IllegalArgumentException("windowMillis must be >= 1, was " + windowMillis);
            }
        }
    }

    /**
     * Counts one event in the sliding window of {@code key}, as {@link CountInWindow} does (the same
     * counter, if both are used on one key), unless it repeats a recent event of the key: one with
     * the same {@code member} (say, a hash of the query) that this key counted less than
     * {@code windowMillis} before {@code nowMillis} and still remembers. A repeat adds nothing: its
     * result is the count as it stands, read without adding to it. Result: {@code Long}, the events
     * in the window, this one included when it was counted.
     *
     * <p>Remembering, in this order, as both stores do (MemoryRedisConformanceTest):
     * <ol>
     *   <li>the key forgets the members it counted {@code windowMillis} or more before
     *       {@code nowMillis};</li>
     *   <li>a member it still remembers is a repeat: nothing else changes (a repeat does not renew
     *       the member's time, so a member sent all along counts once a window, as the window holds
     *       each count once);</li>
     *   <li>otherwise the event is counted and the member remembered with {@code nowMillis}; beyond
     *       {@code maxMembers} the key forgets the members counted earliest (on equal times, the
     *       smaller as an unsigned number). A member forgotten counts again when it comes back.</li>
     * </ol>
     * The window's count and its members age differently: the count forgets events by whole slots
     * (each a twelfth of the window, as {@link CountInWindow}'s counter in both stores), so an event's
     * count can leave the window up to one slot before its member is forgotten. A repeat in that
     * gap adds nothing, and for up to a twelfth of the window such a member counts zero times, not
     * once.
     * State per key: the counter and at most {@code maxMembers} members with their times, kept
     * as long as the counter (two windows after the last use).
     *
     * @param key the counter
     * @param member what makes two events the same (equal members: a repeat)
     * @param nowMillis the event's time
     * @param windowMillis the window, in which a member counts once
     * @param maxMembers most members the key remembers, in [1, {@value #MAX_MEMBERS}]
     */
    record CountNewInWindow(String key, long member, long nowMillis, long windowMillis, int maxMembers)
            implements StateOp {
        /** Most members one key may remember. */
        public static final int MAX_MEMBERS = 1024;

        public CountNewInWindow {
            Objects.requireNonNull(key, "key");
            if (windowMillis < 1) {
                throw new IllegalArgumentException("windowMillis must be >= 1, was " + windowMillis);
            }
            if (maxMembers < 1 || maxMembers > MAX_MEMBERS) {
                throw new IllegalArgumentException("maxMembers must be in [1, " + MAX_MEMBERS + "], was " + maxMembers);
            }
        }
    }

    /**
     * Reads a bounded list. Result: {@code java.util.List<byte[]>}, oldest first (empty when absent).
     */
    record ListRead(String key) implements StateOp {
        public ListRead {
            Objects.requireNonNull(key, "key");
        }
    }

    /**
     * Appends to a bounded list, dropping the oldest entries beyond {@code maxLength}, and
     * refreshes its time to live. Result: {@code java.util.List<byte[]>}, the entries before this
     * one (oldest first).
     */
    record ListAppend(String key, byte[] value, int maxLength, long ttlMillis) implements StateOp {
        public ListAppend {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (maxLength < 1) {
                throw new IllegalArgumentException("maxLength must be >= 1, was " + maxLength);
            }
            if (ttlMillis < 1) {
                throw new IllegalArgumentException("ttlMillis must be >= 1, was " + ttlMillis);
            }
        }
    }

    /**
     * Adds {@code member} under each of its fingerprint {@code hashes} in an index (keeping at most
     * {@code maxMembersPerHash} recent members per hash) and finds the earlier member that shares
     * the most hashes with it. Result: {@link FingerprintMatch}.
     *
     * <p>A store may keep {@code hashes} as it is (the in-memory store does, to save a copy per
     * remembered query): do not change the array after handing the operation over.
     *
     * <p>{@code perCaller} marks an index of one caller's queries: anyone can fill their own with
     * distinct queries, so a store with a memory cap holds it to a small share (the in-memory store:
     * 1/64 of its fingerprint share, at least 256 KiB; its oldest queries are forgotten first), and
     * one caller's flood cannot make it forget other callers' indexes. An index of everybody's
     * queries may take up to half of that share. The Redis store bounds each kind by a number of
     * queries ({@code RedisStateStore.Builder.fingerprintIndexQueries}).
     */
    record Fingerprint(String index, long[] hashes, String member, int maxMembersPerHash, long ttlMillis,
            boolean perCaller) implements StateOp {
        /** Most hashes one fingerprint may have. */
        public static final int MAX_HASHES = 1024;

        /** An index that is not one caller's ({@code perCaller} false). */
        public Fingerprint(String index, long[] hashes, String member, int maxMembersPerHash, long ttlMillis) {
            this(index, hashes, member, maxMembersPerHash, ttlMillis, false);
        }

        public Fingerprint {
            Objects.requireNonNull(index, "index");
            Objects.requireNonNull(hashes, "hashes");
            if (hashes.length > MAX_HASHES) {
                throw new IllegalArgumentException("a fingerprint has at most " + MAX_HASHES + " hashes, was "
                        + hashes.length);
            }
            Objects.requireNonNull(member, "member");
            if (maxMembersPerHash < 1) {
                throw new IllegalArgumentException("maxMembersPerHash must be >= 1, was " + maxMembersPerHash);
            }
            if (ttlMillis < 1) {
                throw new IllegalArgumentException("ttlMillis must be >= 1, was " + ttlMillis);
            }
        }
    }

    /**
     * The best earlier match of a {@link Fingerprint}.
     *
     * @param member the earlier member, or {@code ""} when none shares a hash
     * @param shared how many hashes it shares with the new one
     */
    record FingerprintMatch(String member, int shared) {
        public static final FingerprintMatch NONE = new FingerprintMatch("", 0);

        public FingerprintMatch {
            Objects.requireNonNull(member, "member");
        }
    }
}
