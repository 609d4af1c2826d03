package dev.veil.internal.access;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import dev.veil.internal.text.ControlChars;
import dev.veil.spi.RateLimit;
import dev.veil.spi.StateOp;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.local.SynchronizationStrategy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-caller rate limits, daily quotas and monitoring cool-downs (blocks and throttles), kept in
 * memory for one Guard.
 *
 * <h2>Rate limits and quotas</h2>
 *
 * <p>{@link #tryAcquire} takes one request's permit from the caller's token bucket (Bucket4j,
 * greedy refill: {@code burst} tokens, refilled at {@code perSecond}) and from the caller's daily
 * quota, which resets at UTC midnight. It is all or nothing: a request refused for one reason
 * consumes neither the rate token, nor a throttle token, nor the quota. When both apply, the quota
 * is reported. The limit and quota are passed on every call because they come from the policy's
 * {@code access} decision: when a hot reload changes a caller's limit, the caller's bucket is
 * reconfigured (tokens kept as they are, capped at the new burst) and the quota count of the day
 * is kept and compared with the new quota. A limit that is lifted and later restored finds the
 * caller's bucket as it was, refilled by the time passed, never a fresh burst; a request with
 * neither limit nor quota touches no per-caller state at all (only an active throttle applies). Requests
 * are counted against the quota only while a quota applies, so a quota introduced mid-day counts
 * from then on.
 *
 * <p>Per-caller state lives in a Caffeine cache that forgets by time only. An entry stays at
 * least {@code idle} after its last use, at least as long as its bucket needs to refill from empty
 * (so that forgetting it never hands out tokens the caller would not have had), and, while a quota
 * applies, until the next UTC midnight (so that the day's count is not forgotten). The request's
 * time decides: a request at or after that time finds the caller forgotten, whatever the cache did
 * meanwhile, exactly as the Redis store decides (its script keeps the same time). The cache itself
 * keeps an entry one minute longer, so that its expiry, which lags a read by up to a second
 * (Caffeine leaves an expiry alone when a read would move it by less), or a clock set back a
 * little, never forgets a caller first.
 *
 * <p><b>Fail closed when full.</b> At most {@code maxCallers} callers have rate or quota state,
 * and no state is forgotten before its retention ends to make room: not a bucket that has not
 * refilled, not a quota count whose UTC day has not ended (forgetting them would hand the caller a
 * fresh burst and a fresh quota, so that anyone holding more than {@code maxCallers} valid
 * credentials would have no limit at all), not even a caller within its idle time. When
 * {@code maxCallers} callers have state and another caller needs some, the entries the cache has
 * expired (retention and grace over) are purged first; if the table is still full, the new
 * caller's request is refused with {@link Outcome#TOO_MANY_CALLERS} (nothing consumed), until an
 * entry expires, a minute after its retention ends. Callers already tracked are served as before,
 * and a request with neither limit nor quota needs no state and is never refused for this.
 * {@link #estimatedCallers()} against {@link #maxCallers()} tells monitoring how close the table is
 * to full, and the limiter logs a warning (logger {@code dev.veil.Guard}) once each time the
 * table fills. The Redis store has no such bound (its keys expire by time to live alone), so the two
 * stores answer alike whenever the bound is not reached.
 *
 * <h2>Cool-downs</h2>
 *
 * <p>{@link #block} and {@link #throttle} record monitoring actions in a separate bounded map that
 * cache eviction never touches; an entry is removed only once its cool-downs are over. A repeated
 * block extends the block to the later end; a repeated throttle keeps the existing throttle bucket
 * (it is not refilled), lowers its rate to the lower of the two and extends it to the later end.
 * <b>Fail closed when full:</b> if {@code maxCoolDowns} callers have active cool-downs and another
 * one must be recorded, expired entries are purged first; if the map is still full the limiter
 * enters <em>overflow</em> until that cool-down's end: {@link #blockedUntil} then reports
 * <em>every</em> caller as blocked, so no block or throttle is ever silently dropped.
 * {@link #overflowing()} tells monitoring that this happened.
 *
 * <h2>Time and threads</h2>
 *
 * <p>All time comes from the injected {@link Clock} (buckets, quota days, cache expiry), so tests
 * advance time deterministically; the in-memory state store passes the Guard's reading of it for
 * the request ({@link #tryAcquire(String, RateLimit, long, long)}) instead of reading it again. A
 * clock that steps back never refills a bucket. Thread-safe.
 * {@link #tryAcquire} takes a lock on the one caller's state only (uncontended unless the same
 * caller sends concurrently; a new caller's first request also takes a short lock to be admitted)
 * and allocates nothing on the hot path; {@link #blockedUntil} and
 * {@link #isBlocked} take no lock and do not read the clock while no cool-down exists.
 */
public final class CallerLimiter {
    /** Outcome of {@link #tryAcquire}. */
    public enum Outcome {
        /** The request may proceed; one rate token (and one unit of quota, if any) was consumed. */
        ALLOWED,
        /** The caller's rate limit is exceeded; nothing was consumed. */
        RATE_LIMITED,
        /** The caller's daily quota is used up until the next UTC midnight; nothing was consumed. */
        QUOTA_EXHAUSTED,
        /**
         * The caller has no rate or quota state and the limiter already tracks {@code maxCallers}
         * callers whose state still counts; nothing was consumed (fail closed until one of them
         * expires: raise {@code maxCallers} if this happens to legitimate callers).
         */
        TOO_MANY_CALLERS,
        /** The caller's monitoring throttle is exceeded (its own rate and quota allow it); nothing was consumed. */
        THROTTLED
    }

    /** Default bound on callers with rate or quota state (new callers beyond it are refused). */
    public static final long DEFAULT_MAX_CALLERS = 100_000;
    /** Default time an idle caller's state is kept (at least). */
    public static final Duration DEFAULT_IDLE = Duration.ofHours(1);
    /** Default bound on callers with active blocks or throttles. */
    public static final int DEFAULT_MAX_COOL_DOWNS = 100_000;
    /**
     * Longest time a bucket may take to refill from empty; a slower limit or throttle cannot be made
     * ({@link RateLimit}'s and {@link StateOp.Throttle}'s constructors refuse it).
     */
    public static final Duration MAX_REFILL = RateLimit.MAX_REFILL;

    private static final long DAY_MILLIS = 86_400_000L;
    private static final long DAY_NANOS = DAY_MILLIS * 1_000_000L;
    private static final long MAX_RETAIN_NANOS = MAX_REFILL.toNanos() + DAY_NANOS;
    /** How much longer than its retention the cache keeps a caller's state (see the class comment). */
    private static final long GRACE_NANOS = Duration.ofMinutes(1).toNanos();

    private final Clock clock;
    private final TimeMeter meter;
    private final long idleNanos;
    private final long maxCallers;
    private final Cache<String, CallerState> callers;
    /** Held while a new caller is admitted: every insertion into {@link #callers} takes it, so the bound holds. */
    private final Object admissionLock = new Object();
    private final Policy.VarExpiration<String, CallerState> expiration;
    private final ConcurrentHashMap<String, CoolDown> coolDowns = new ConcurrentHashMap<>();
    private final int maxCoolDowns;
    private final Object coolDownLock = new Object();
    private volatile Instant overflowUntil;
    /**
     * The blocks and throttles that found the table full during the overflow, recorded once it has
     * room again so that the overflow can end then, not only when the longest of them ends (guarded
     * by coolDownLock; at most {@link #maxCoolDowns} together, beyond which the overflow runs its course).
     */
    private final Map<String, Instant> pendingBlocks = new java.util.LinkedHashMap<>();
    private final Map<String, StateOp.Throttle> pendingThrottles = new java.util.LinkedHashMap<>();
    private boolean pendingIncomplete;
    /** When (epoch nanoseconds) a blocked check may next look whether the table has room (once a second). */
    private volatile long nextRoomCheckNanos;
    /** Whether the last new caller was refused for a full table (guarded by admissionLock): logged once per time it fills. */
    private boolean tableFull;

    /** The Guard's logger: a full table is the operator's to fix (raise {@code maxCallers}). */
    private static final System.Logger LOG = System.getLogger("dev.veil.Guard");
    /** Whether full tables (and their end) are logged; off where the caller reports them itself. */
    private final boolean logFullTables;

    /** A limiter with the default bounds. */
    public CallerLimiter(Clock clock) {
        this(clock, DEFAULT_MAX_CALLERS, DEFAULT_IDLE, DEFAULT_MAX_COOL_DOWNS);
    }

    /**
     * A limiter.
     *
     * @param clock the time source for buckets, quota days, cool-downs and cache expiry
     * @param maxCallers bound on callers with rate or quota state ({@code >= 1}); a new caller
     *     beyond it is refused ({@link Outcome#TOO_MANY_CALLERS}) rather than state forgotten
     * @param idle minimum time an idle caller's state is kept ({@code > 0})
     * @param maxCoolDowns bound on callers with active blocks or throttles ({@code >= 1})
     * @throws IllegalArgumentException if a bound is out of range
     */
    public CallerLimiter(Clock clock, long maxCallers, Duration idle, int maxCoolDowns) {
        this(clock, maxCallers, idle, maxCoolDowns, true);
    }

    /**
     * As {@link #CallerLimiter(Clock, long, Duration, int)}; with {@code logFullTables} false a full
     * table (and its end) is not logged: for a user of the limiter that reports it itself in its own
     * terms (a replay, whose bound is a command-line option, not {@code Guard.Builder.maxCallers}).
     */
    public CallerLimiter(Clock clock, long maxCallers, Duration idle, int maxCoolDowns, boolean logFullTables) {
        this.logFullTables = logFullTables;
        this.clock = Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(idle, "idle");
        if (maxCallers < 1) {
            throw new IllegalArgumentException("maxCallers must be >= 1, was " + maxCallers);
        }
        if (idle.isNegative() || idle.isZero() || idle.compareTo(Duration.ofDays(30)) > 0) {
            throw new IllegalArgumentException("idle must be > 0 and <= 30 days, was " + idle);
        }
        if (maxCoolDowns < 1) {
            throw new IllegalArgumentException("maxCoolDowns must be >= 1, was " + maxCoolDowns);
        }
        this.meter = new ClockTimeMeter(clock);
        this.idleNanos = idle.toNanos();
        this.maxCallers = maxCallers;
        this.maxCoolDowns = maxCoolDowns;
        // No maximumSize: size eviction would forget state that still counts (admit() bounds the size).
        this.callers = Caffeine.newBuilder()
                .expireAfter(new Retention())
                .ticker(meter::currentTimeNanos)
                .executor(Runnable::run)
                .build();
        this.expiration = callers.policy().expireVariably().orElseThrow();
    }

    /**
     * Takes one request's permit, all or nothing.
     *
     * @param callerId the authenticated caller's id
     * @param limitOrNull the caller's rate limit from the access decision, or {@code null} for none
     * @param dailyQuota requests per UTC day, {@code 0} for none
     * @return {@link Outcome#ALLOWED}, or why not; on a refusal nothing was consumed.
     *     {@link Outcome#TOO_MANY_CALLERS} only for a caller with neither rate nor quota state while
     *     the limiter is full (see the class comment)
     * @throws IllegalArgumentException if {@code dailyQuota < 0} (a {@link RateLimit} whose bucket
     *     would take longer than {@link #MAX_REFILL} to refill cannot be made)
     */
    public Outcome tryAcquire(String callerId, RateLimit limitOrNull, long dailyQuota) {
        return tryAcquireAt(callerId, limitOrNull, dailyQuota, meter.currentTimeNanos());
    }

    /**
     * {@link #tryAcquire(String, RateLimit, long)} at a time the caller has read from this
     * limiter's clock already (the Guard reads it once per request), to the millisecond.
     *
     * @param nowMillis the request's time, from the clock this limiter was made with
     * @throws ArithmeticException if {@code nowMillis} is beyond the year 2262 (time is counted in
     *     nanoseconds in a long), besides the exceptions of the other form
     */
    public Outcome tryAcquire(String callerId, RateLimit limitOrNull, long dailyQuota, long nowMillis) {
        return tryAcquireAt(callerId, limitOrNull, dailyQuota, Math.multiplyExact(nowMillis, 1_000_000L));
    }

    private Outcome tryAcquireAt(String callerId, RateLimit limitOrNull, long dailyQuota, long now) {
        Objects.requireNonNull(callerId, "callerId");
        if (dailyQuota < 0) {
            throw new IllegalArgumentException("daily_quota must be >= 0, was " + dailyQuota);
        }
        CoolDown cd = coolDowns.isEmpty() ? null : coolDowns.get(callerId);
        if (limitOrNull == null && dailyQuota == 0) {
            // Nothing of the caller's own to count: only a throttle can refuse (its bucket has its own lock).
            boolean throttled = cd != null && cd.throttleActive(now) && !cd.throttle().tryConsume(1);
            return throttled ? Outcome.THROTTLED : Outcome.ALLOWED;
        }
        // One time for the whole decision (read once, here or by the caller): the quota day, the
        // throttle and the caller's rate bucket (through its state's time meter) all see it.
        CallerState s = callers.getIfPresent(callerId);
        if (s == null) {
            s = admit(callerId);
            if (s == null) { // full of state that still counts: refuse the newcomer, forget nothing
                return Outcome.TOO_MANY_CALLERS;
            }
        }
        boolean retentionChanged;
        Outcome outcome;
        long keep;
        synchronized (s) {
            if (now >= s.forgetAtNanos) { // its retention is over in this request's time: a new caller
                s.reset();
            }
            // The bucket sees this request's own time, even when an earlier request (of another
            // thread, or before the wall clock was set back) had a later one: Bucket4j then refills
            // nothing, and the Redis store's bucket does the same. (Taking the latest time any request
            // of the caller had, including requests that never touch the bucket, made the two stores
            // disagree: MemoryRedisConformanceTest.)
            s.nowNanos = now;
            retentionChanged = s.configure(limitOrNull, dailyQuota > 0);
            outcome = null;
            if (dailyQuota > 0) {
                long day = Math.floorDiv(now, DAY_NANOS);
                if (day > s.quotaDay) {
                    s.quotaDay = day;
                    s.used = 0;
                }
                if (s.used >= dailyQuota) {
                    outcome = Outcome.QUOTA_EXHAUSTED;
                }
            }
            if (outcome == null) {
                Bucket rate = limitOrNull == null ? null : s.rate;
                if (rate != null && !rate.tryConsume(1)) {
                    outcome = Outcome.RATE_LIMITED;
                } else if (cd != null && cd.throttleActive(now) && !cd.throttle().tryConsume(1)) {
                    if (rate != null) {
                        rate.addTokens(1);
                    }
                    outcome = Outcome.THROTTLED;
                } else {
                    if (dailyQuota > 0) {
                        s.used++;
                    }
                    outcome = Outcome.ALLOWED;
                }
            }
            keep = retention(s, now);
            s.forgetAtNanos = saturatedAdd(now, keep);
        }
        if (retentionChanged) {
            expiration.setExpiresAfter(callerId, Duration.ofNanos(cacheRetention(keep)));
        }
        return outcome;
    }

    /**
     * A new caller's state, or {@code null} when {@code maxCallers} callers already have state that
     * the cache has not expired (fail closed; see the class comment). Only new callers take the
     * lock, once per retention; a known caller's request never does.
     */
    private CallerState admit(String callerId) {
        synchronized (admissionLock) {
            CallerState s = callers.getIfPresent(callerId);
            if (s != null) { // admitted by another thread meanwhile
                return s;
            }
            if (callers.estimatedSize() >= maxCallers) {
                // Removes the entries whose retention (and grace) is over; Caffeine's timer wheel
                // makes this cost what there is to remove, not the size of the table.
                callers.cleanUp();
                if (callers.estimatedSize() >= maxCallers) {
                    if (!tableFull) { // once per time the table fills, not once per refused request
                        tableFull = true;
                        log(System.Logger.Level.WARNING, "the rate limiter's table of callers is full ("
                                + maxCallers + " callers with rate-limit or quota state that still counts): new callers"
                                + " with a rate_limit or daily_quota are refused (rate_limited, rule max_callers) until"
                                + " another caller's state expires; raise Guard.Builder.maxCallers");
                    }
                    return null;
                }
            }
            if (tableFull) {
                tableFull = false;
                log(System.Logger.Level.INFO, "the rate limiter's table of callers has room again; new callers"
                        + " are admitted");
            }
            s = new CallerState();
            callers.put(callerId, s);
            return s;
        }
    }

    /**
     * Requests counted against the caller's quota today (UTC), {@code 0} for an unknown caller.
     * For monitoring and tests; does not touch the caller's expiry.
     */
    public long quotaUsedToday(String callerId) {
        CallerState s = callers.policy().getIfPresentQuietly(callerId);
        if (s == null) {
            return 0;
        }
        synchronized (s) {
            long now = meter.currentTimeNanos();
            long day = Math.floorDiv(now, DAY_NANOS);
            return s.quotaDay == day && now < s.forgetAtNanos ? s.used : 0;
        }
    }

    /** When the daily quotas next reset: the next UTC midnight after now. */
    public Instant quotaResetsAt() {
        long day = Math.floorDiv(clock.millis(), DAY_MILLIS);
        return Instant.ofEpochMilli((day + 1) * DAY_MILLIS);
    }

    /**
     * Blocks a caller until {@code until} (a monitoring {@code block} action). A block that is
     * already longer is kept; an {@code until} that has passed changes nothing.
     *
     * @param callerId the caller
     * @param until when the block ends
     */
    public void block(String callerId, Instant until) {
        Objects.requireNonNull(callerId, "callerId");
        Objects.requireNonNull(until, "until");
        synchronized (coolDownLock) {
            Instant now = clock.instant();
            if (!until.isAfter(now)) {
                return;
            }
            CoolDown old = live(callerId, now);
            if (old == null && !roomFor(now, until)) {
                if (pendingBlocks.containsKey(callerId) || pendingSize() < maxCoolDowns) {
                    pendingBlocks.merge(callerId, until, CallerLimiter::later);
                } else {
                    pendingIncomplete = true;
                }
                return;
            }
            CoolDown next = old == null
                    ? new CoolDown(until, null, 0, null)
                    : new CoolDown(later(old.blockedUntil(), until), old.throttle(), old.throttleRate(),
                            old.throttleUntil());
            coolDowns.put(callerId, next);
        }
    }

    /**
     * Limits a caller to {@code perSecond} requests per second until {@code until} (a monitoring
     * {@code throttle} action), on top of its policy rate limit. An active throttle keeps its
     * bucket, takes the lower of the two rates and the later of the two ends.
     *
     * @param t the caller, its reduced rate (a rate {@link StateOp.Throttle} accepts; the throttle's
     *     burst is {@code max(1, ceil(perSecond))}) and when the throttle ends
     */
    public void throttle(StateOp.Throttle t) {
        String callerId = t.caller();
        double perSecond = t.perSecond();
        Instant until = Instant.ofEpochMilli(t.untilMillis());
        synchronized (coolDownLock) {
            Instant now = clock.instant();
            if (!until.isAfter(now)) {
                return;
            }
            CoolDown old = live(callerId, now);
            if (old == null && !roomFor(now, until)) {
                if (pendingThrottles.containsKey(callerId) || pendingSize() < maxCoolDowns) {
                    // as two throttles merge: the lower rate until the later end
                    pendingThrottles.merge(callerId, t, (a, b) -> new StateOp.Throttle(callerId,
                            Math.min(a.perSecond(), b.perSecond()), Math.max(a.untilMillis(), b.untilMillis())));
                } else {
                    pendingIncomplete = true;
                }
                return;
            }
            long nowNanos = toNanos(now);
            Bucket bucket;
            double rate;
            Instant end;
            if (old != null && old.throttleActive(nowNanos)) {
                bucket = old.throttle();
                rate = Math.min(old.throttleRate(), perSecond);
                end = later(old.throttleUntil(), until);
                if (rate != old.throttleRate()) {
                    bucket.replaceConfiguration(throttleConfig(rate), TokensInheritanceStrategy.AS_IS);
                }
            } else {
                // Synchronized, not Bucket4j's default lock-free bucket: a lock-free bucket drops the
                // refill a refused request computed (it works on a copy), while the rate bucket and
                // the Redis script keep it. The two only differ in what a later reconfiguration at an
                // earlier time (a clock set back) scales, but then they do (MemoryRedisConformanceTest).
                bucket = Bucket.builder().addLimit(throttleBandwidth(perSecond)).withCustomTimePrecision(meter)
                        .withSynchronizationStrategy(SynchronizationStrategy.SYNCHRONIZED).build();
                rate = perSecond;
                end = until;
            }
            coolDowns.put(callerId, new CoolDown(old == null ? null : old.blockedUntil(), bucket, rate, end));
        }
    }

    /**
     * When the caller's block ends, if it is blocked now (by its own block, or by every caller
     * being blocked during {@linkplain #overflowing() overflow}).
     */
    public Optional<Instant> blockedUntil(String callerId) {
        Instant until = blockedUntilOrNull(callerId, NOW);
        return until == null ? Optional.empty() : Optional.of(until);
    }

    /**
     * {@link #blockedUntil(String)} at {@code nowMillis} (the request's time, ms since the epoch), not
     * at this limiter's clock: what {@link StateOp.BlockedUntil} asks, answered at its own time as
     * the Redis store does.
     */
    public Optional<Instant> blockedUntil(String callerId, long nowMillis) {
        Instant until = blockedUntilOrNull(callerId, nowMillis);
        return until == null ? Optional.empty() : Optional.of(until);
    }

    /** Whether the caller is blocked now; the check made before the access policy. Lock-free. */
    public boolean isBlocked(String callerId) {
        return blockedUntilOrNull(callerId, NOW) != null;
    }

    /** {@link #blockedUntilOrNull}'s time for "this limiter's clock's now". */
    private static final long NOW = Long.MIN_VALUE;

    /**
     * When the caller's block ends, if it is blocked at {@code atMillis} ({@link #NOW}: this limiter's
     * clock's now; read, like the instant made of a request's time, only when some block exists).
     */
    private Instant blockedUntilOrNull(String callerId, long atMillis) {
        Objects.requireNonNull(callerId, "callerId");
        Instant overflow = overflowUntil;
        if (overflow == null && coolDowns.isEmpty()) {
            return null;
        }
        Instant now = atMillis == NOW ? clock.instant() : Instant.ofEpochMilli(atMillis);
        Instant result = null;
        CoolDown cd = coolDowns.get(callerId);
        if (cd != null) {
            if (cd.blockedUntil() != null && now.isBefore(cd.blockedUntil())) {
                result = cd.blockedUntil();
            } else if (cd.over(now)) {
                coolDowns.remove(callerId, cd);
            }
        }
        if (overflow != null) {
            if (now.isBefore(overflow)) {
                long nowNanos = toNanos(now);
                if (nowNanos - nextRoomCheckNanos >= 0) {
                    nextRoomCheckNanos = nowNanos + 1_000_000_000L;
                    if (endOverflowEarly(now)) {
                        return blockedUntilOrNull(callerId, atMillis); // its own block may have been pending
                    }
                }
                result = later(result, overflow);
            } else {
                endOverflow(overflow);
            }
        }
        return result;
    }

    private int pendingSize() {
        return pendingBlocks.size() + pendingThrottles.size();
    }

    /**
     * Ends the overflow before its end when the table has room again for every cool-down that found
     * it full (the cool-downs that filled it have ended): those are recorded, and callers are no
     * longer all blocked. Not when one of them could not be kept ({@link #pendingIncomplete}).
     *
     * @return whether it ended the overflow
     */
    private boolean endOverflowEarly(Instant now) {
        synchronized (coolDownLock) {
            Instant ended = overflowUntil;
            if (ended == null || !now.isBefore(ended) || pendingIncomplete) {
                return false;
            }
            coolDowns.entrySet().removeIf(e -> e.getValue().over(now));
            pendingBlocks.values().removeIf(until -> !until.isAfter(now));
            pendingThrottles.values().removeIf(t -> t.untilMillis() <= now.toEpochMilli());
            java.util.Set<String> needed = new java.util.HashSet<>(pendingBlocks.keySet());
            needed.addAll(pendingThrottles.keySet());
            needed.removeAll(coolDowns.keySet());
            if (coolDowns.size() + needed.size() > maxCoolDowns) {
                return false;
            }
            int recorded = pendingSize();
            Map<String, Instant> blocks = new java.util.LinkedHashMap<>(pendingBlocks);
            List<StateOp.Throttle> throttles = new ArrayList<>(pendingThrottles.values());
            pendingBlocks.clear();
            pendingThrottles.clear();
            // recorded before the overflow ends: a lock-free check that sees it ended sees them too
            blocks.forEach(this::block);
            throttles.forEach(this::throttle);
            overflowUntil = null;
            log(System.Logger.Level.WARNING, "callers are no longer all blocked: the table of callers with blocks or"
                    + " throttles has room again (the overflow was to last until " + ended + "); the " + recorded
                    + " block(s) and throttle(s) that found it full are recorded");
            return true;
        }
    }

    /** Clears an overflow that has ended (once: the first request after its end logs it). */
    private void endOverflow(Instant ended) {
        synchronized (coolDownLock) {
            if (overflowUntil == ended) {
                overflowUntil = null;
                pendingBlocks.clear(); // over by now: the overflow lasted until the latest of them
                pendingThrottles.clear();
                pendingIncomplete = false;
                log(System.Logger.Level.WARNING, "callers are no longer all blocked: the overflow of the table of"
                        + " callers with blocks or throttles ended at " + ended);
            }
        }
    }

    /**
     * Whether the caller is blocked now only because every caller is blocked during
     * {@linkplain #overflowing() overflow}, not by a block of its own.
     */
    public boolean blockedOnlyByOverflow(String callerId) {
        Objects.requireNonNull(callerId, "callerId");
        Instant overflow = overflowUntil;
        if (overflow == null) {
            return false;
        }
        Instant now = clock.instant();
        if (!now.isBefore(overflow)) {
            return false;
        }
        CoolDown cd = coolDowns.get(callerId);
        return cd == null || cd.blockedUntil() == null || !now.isBefore(cd.blockedUntil());
    }

    /** When the caller's throttle ends, if one is active now. */
    public Optional<Instant> throttledUntil(String callerId) {
        CoolDown cd = coolDowns.get(callerId);
        if (cd == null || !cd.throttleActive(meter.currentTimeNanos())) {
            return Optional.empty();
        }
        return Optional.of(cd.throttleUntil());
    }

    /**
     * Whether the cool-down map was full and every caller is treated as blocked until
     * {@link #overflowUntil()}. Monitoring should alert on this: raise {@code maxCoolDowns}. The
     * limiter logs a warning (logger {@code dev.veil.Guard}) when an overflow begins and when the
     * first request after its end finds it over.
     */
    public boolean overflowing() {
        Instant o = overflowUntil;
        return o != null && clock.instant().isBefore(o);
    }

    /** End of the current overflow, if {@link #overflowing()}. */
    public Optional<Instant> overflowUntil() {
        return overflowing() ? Optional.ofNullable(overflowUntil) : Optional.empty();
    }

    /**
     * Number of callers with rate or quota state (for monitoring), including entries whose retention
     * is over but that the cache has not removed yet. New callers are refused while it is at
     * {@link #maxCallers()} and none of them has expired.
     */
    public long estimatedCallers() {
        return callers.estimatedSize();
    }

    /** The bound on callers with rate or quota state. */
    public long maxCallers() {
        return maxCallers;
    }

    /** Number of callers with a block or throttle entry (active or not yet purged). */
    public int coolDownCount() {
        return coolDowns.size();
    }

    /** The caller's cool-down entry if it is still active, else {@code null} (and drops it). */
    private CoolDown live(String callerId, Instant now) {
        CoolDown old = coolDowns.get(callerId);
        if (old != null && old.over(now)) {
            coolDowns.remove(callerId, old);
            return null;
        }
        return old;
    }

    /** Called under coolDownLock before adding a new entry: purges, else enters overflow. */
    private boolean roomFor(Instant now, Instant until) {
        if (coolDowns.size() < maxCoolDowns) {
            return true;
        }
        coolDowns.entrySet().removeIf(e -> e.getValue().over(now));
        if (coolDowns.size() < maxCoolDowns) {
            return true;
        }
        Instant o = overflowUntil;
        if (o != null && now.isBefore(o)) {
            overflowUntil = later(o, until);
        } else {
            overflowUntil = until;
            pendingBlocks.clear(); // a new overflow: what an earlier one left is over
            pendingThrottles.clear();
            pendingIncomplete = false;
            log(System.Logger.Level.WARNING, "every caller is blocked until " + until + ": the table of callers"
                    + " with blocks or throttles is full (" + maxCoolDowns + " callers whose cool-down is still"
                    + " running) and monitoring could not record another; requests are denied (blocked, rule"
                    + " max_callers) until then. Raise Guard.Builder.maxCallers, or shorten the policy's"
                    + " cooldown_seconds");
        }
        return false;
    }

    private void log(System.Logger.Level level, String message) {
        if (logFullTables) {
            LOG.log(level, ControlChars.escaped(message));
        }
    }

    private static Instant later(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isAfter(b) ? a : b;
    }

    static long toNanos(Instant i) {
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    /** How long a caller's state must be kept from {@code nowNanos}. */
    private long retention(CallerState s, long nowNanos) {
        long keep = Math.max(idleNanos, s.refillNanos);
        if (s.tracksQuota) {
            keep = Math.max(keep, DAY_NANOS - Math.floorMod(nowNanos, DAY_NANOS));
        }
        return Math.min(keep, MAX_RETAIN_NANOS);
    }

    /** How long the cache keeps a state whose retention is {@code keep}: a grace longer (see the class comment). */
    private static long cacheRetention(long keep) {
        return keep + GRACE_NANOS;
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    static BucketConfiguration config(RateLimit limit) {
        return BucketConfiguration.builder().addLimit(bandwidth(limit.burst(), limit.perSecond())).build();
    }

    private static BucketConfiguration throttleConfig(double perSecond) {
        return BucketConfiguration.builder().addLimit(throttleBandwidth(perSecond)).build();
    }

    private static Bandwidth throttleBandwidth(double perSecond) {
        return bandwidth(RateLimit.defaultBurst(perSecond), perSecond);
    }

    /**
     * A bucket of {@code capacity} tokens refilling at {@code perSecond}: a {@link RateLimit}'s or a
     * {@link StateOp.Throttle}'s, whose constructors refused a rate too slow to count (so
     * {@link RateLimit#refillNanos} is never -1 here).
     */
    private static Bandwidth bandwidth(long capacity, double perSecond) {
        return Bandwidth.builder().capacity(capacity)
                .refillGreedy(capacity, Duration.ofNanos(RateLimit.refillNanos(capacity, perSecond))).build();
    }

    /**
     * Per-caller rate and quota state; guarded by its own monitor. It is also its rate bucket's time
     * meter: {@link #tryAcquire} sets {@link #nowNanos} (the request's time, read once from the
     * clock, here or by the caller) under the monitor before it touches the bucket, so the bucket
     * costs no clock reading of its own.
     */
    private static final class CallerState implements TimeMeter {
        /** The time of the request being decided; guarded by this. */
        long nowNanos = Long.MIN_VALUE;
        RateLimit limit;
        Bucket rate;
        long quotaDay;
        long used;
        /** Read by the cache's expiry policy from any thread. */
        volatile long refillNanos;
        volatile boolean tracksQuota;
        /** When, in request time, the state is forgotten: its last request's time plus its retention. */
        long forgetAtNanos;

        CallerState() {
            reset();
        }

        /** A new caller's state: at creation, and again when its retention has run out. */
        void reset() {
            limit = null;
            rate = null;
            quotaDay = Long.MIN_VALUE;
            used = 0;
            refillNanos = 0;
            tracksQuota = false;
            forgetAtNanos = Long.MAX_VALUE;
        }

        /**
         * Applies the current limit; returns whether the retention this state needs changed. A
         * {@code null} limit leaves the bucket as it is (unused while no limit applies), so that a
         * limit lifted and restored does not start over with a full burst.
         */
        boolean configure(RateLimit newLimit, boolean hasQuota) {
            boolean changed = false;
            if (hasQuota && !tracksQuota) {
                tracksQuota = true;
                changed = true;
            }
            if (newLimit == null || newLimit.equals(limit)) {
                return changed;
            }
            long refill = RateLimit.refillNanos(newLimit.burst(), newLimit.perSecond());
            if (rate == null) {
                rate = Bucket.builder().addLimit(bandwidth(newLimit.burst(), newLimit.perSecond()))
                        .withCustomTimePrecision(this)
                        .withSynchronizationStrategy(SynchronizationStrategy.NONE)
                        .build();
            } else {
                rate.replaceConfiguration(config(newLimit), TokensInheritanceStrategy.AS_IS);
            }
            refillNanos = refill;
            limit = newLimit;
            return true;
        }

        @Override
        public long currentTimeNanos() {
            return nowNanos;
        }

        @Override
        public boolean isWallClockBased() {
            return true;
        }
    }

    /**
     * A caller's cool-downs. Immutable; the throttle bucket is thread-safe (its own lock: see
     * {@link #throttle} for why not lock-free).
     *
     * @param blockedUntil end of the block, or {@code null}
     * @param throttle the throttle bucket, or {@code null}
     * @param throttleRate the throttle's rate
     * @param throttleUntil end of the throttle, or {@code null}
     */
    private record CoolDown(Instant blockedUntil, Bucket throttle, double throttleRate, Instant throttleUntil) {
        boolean throttleActive(long nowNanos) {
            return throttle != null && nowNanos < toNanos(throttleUntil);
        }

        boolean over(Instant now) {
            return (blockedUntil == null || !now.isBefore(blockedUntil))
                    && (throttleUntil == null || !now.isBefore(throttleUntil));
        }
    }

    /** Cache expiry: the longest of idle time, refill time and (with a quota) the rest of the day. */
    private final class Retention implements Expiry<String, CallerState> {
        @Override
        public long expireAfterCreate(String key, CallerState value, long currentTime) {
            return cacheRetention(retention(value, currentTime));
        }

        @Override
        public long expireAfterUpdate(String key, CallerState value, long currentTime, long currentDuration) {
            return cacheRetention(retention(value, currentTime));
        }

        @Override
        public long expireAfterRead(String key, CallerState value, long currentTime, long currentDuration) {
            return cacheRetention(retention(value, currentTime));
        }
    }

    /** Bucket4j time from the injected clock, in nanoseconds since the epoch. */
    private static final class ClockTimeMeter implements TimeMeter {
        private final Clock clock;

        ClockTimeMeter(Clock clock) {
            this.clock = clock;
        }

        @Override
        public long currentTimeNanos() {
            return toNanos(clock.instant());
        }

        @Override
        public boolean isWallClockBased() {
            return true;
        }
    }
}
