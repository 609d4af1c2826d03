package dev.veil.internal.monitor.replay;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Features;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.Signal;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.monitor.StatefulDetector;
import dev.veil.internal.policy.YamlPolicyEngine;
import dev.veil.internal.validation.CompiledContract;
import dev.veil.internal.validation.Violation;
import dev.veil.spi.AccessDecision;
import dev.veil.spi.CompiledPolicy;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.InputContract;
import dev.veil.spi.MonitoringAction;
import dev.veil.spi.MonitoringDecision;
import dev.veil.spi.PolicyInput;
import dev.veil.spi.Query;
import dev.veil.internal.state.StateKeys;
import dev.veil.spi.StateOp;
import dev.veil.spi.StateStore;
import dev.veil.spi.StateUnavailableException;
import dev.veil.spi.ValidationDecision;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Replays a trace of queries through a bundle's monitoring, exactly as the Guard runs it
 * ({@code DefaultGuard}), against a given state store (in memory or Redis), and records for every
 * caller when monitoring rules first fired.
 *
 * <p>Per trace line, in file order, with the {@link TraceClock} set to the line's time:
 * <ol>
 *   <li>the caller is authenticated by API key, with the line's {@code tenant}, {@code roles} and
 *       {@code attributes} (none by default), and the policy's {@code access} question is asked; a
 *       denied query stops here, as in the Guard (no state is touched), and so does one on which the
 *       question fails (throws): the Guard denies it, {@code internal_error}, whatever
 *       {@code on_error} says ({@link Refusal#ACCESS_FAILED}), and the replay goes on (an
 *       {@link OutOfMemoryError} or another {@link VirtualMachineError} other than a
 *       {@link StackOverflowError} ends it instead: the figures after it could not be trusted).
 *       A line that does not describe its caller (no roles, tenant or attributes: the replay contract's minimal format)
 *       and that only the access
 *       {@code default} refuses (no rule matched it) is monitored anyway: the trace does not say who
 *       its caller is, so it is taken as a caller the access rules let through, without a rate
 *       limit or daily quota (its throttles apply; {@link #undescribed()} counts such lines). A
 *       line of caller {@code anonymous} that describes no caller is the anonymous caller;
 *   <li>{@code validation}: the input contract is checked (an unnamed feature vector of 8 bytes per
 *       feature; the model is named {@code model}, version {@code 0}, age 0 days); a query on which
 *       the {@code validation} question fails is refused here as on access
 *       ({@link Refusal#VALIDATION_FAILED}); for a valid input,
 *       each built-in detector plans its state operations: one that cannot take the input (features
 *       that form no image of its {@code width}, in a bundle that fixes no shape) refuses the query
 *       here ({@link Refusal#DETECTOR_FAILED}), as the Guard denies it, and nothing is counted;
 *   <li>one batch to the state store: the caller's block, its rate limit and daily quota from the
 *       access decision, and, for a valid input, every built-in detector's operations; a caller
 *       found blocked ends the batch at the block, as in the Guard (nothing else is counted);
 *   <li>a blocked, rate-limited or quota-exhausted caller, and an invalid input, are refused here:
 *       no signal, no monitoring rule (the detectors' operations have run, as in the Guard, except
 *       for a blocked caller's);
 *   <li>the detectors' signals: a detector that fails to give its signal is handled as the policy's
 *       {@code on_error} says, as in the Guard: under {@code deny} the query is refused here
 *       ({@link Refusal#DETECTOR_FAILED}; its rate token and the detectors' state are already
 *       counted), under {@code degrade} its signal is left out and the others' go on. A built-in
 *       detector's failure that is an {@link Error} (an assertion, a stack overflow) reaches the
 *       Guard's last line of defence: the query is refused under either {@code on_error}, and one
 *       while remembering the answer leaves it remembered by no detector (the Guard's learning
 *       stops there); an {@link OutOfMemoryError} or another {@link VirtualMachineError} but a
 *       {@link StackOverflowError} ends the replay, in any phase;
 *   <li>the policy's {@code monitoring} question; when it fails (throws) for the query, the
 *       policy's {@code on_error} decides, as in the Guard: under {@code deny} the query is
 *       refused here ({@link Refusal#MONITORING_FAILED}; its rate token and the detectors' state
 *       are already counted), under {@code degrade} no rule applies to it and the replay goes
 *       on to the answer; either way the line is listed ({@link #monitoringFailures}). A failure that
 *       is an {@link Error} (a {@link StackOverflowError}) is refused under either {@code on_error},
 *       as the Guard, whose last line of defence catches it, denies it; an {@link OutOfMemoryError}
 *       or another {@link VirtualMachineError} ends the replay (rethrown): the figures after it
 *       could not be trusted. (The Rego engine turns a stack overflow of its own into an ordinary
 *       failure, an exception, and limits the depth of evaluation: there on_error decides.) Every rule that
 *       fires is an <b>alarm</b> for this query, credited to every detector the rule needed: each
 *       one its {@code when.signals} names (a YAML rule on several signals fires only when all of
 *       them reach their levels, while its action, as the decision document carries it, names the
 *       first), or, for a policy of another engine, the signal its action names; blocks and
 *       throttles are written to the store
 *       (so the caller's later queries are refused as by the Guard) and a block ends the query;
 *   <li>after the "model": when the line has {@code scores}, the detectors record the answer (a
 *       classification with labels {@code "0"} to {@code "n-1"}); without scores nothing is
 *       recorded, so detectors that read answers stay silent. A detector that fails to record it
 *       is listed, whatever {@code on_error} says (a Guard withholds the answer under {@code deny}
 *       and degrades it under {@code degrade}, and in both cases stores what the other detectors
 *       recorded), and the replay goes on.
 * </ol>
 * Every detector failure is listed ({@link #detectorFailures}) and counted
 * ({@link #detectorFailureCount}).
 * Custom detectors (added in code) cannot be replayed: a policy that configures one is refused.
 * Output minimisation, the model-age question and audit records play no part in monitoring and
 * are left out. Replaying the same trace into a fresh store gives the same results.
 *
 * <p>Time: rate limits, quotas, blocks and detector windows run on the trace's time; so does the
 * time to live of detector state (histories: their {@code ttl_seconds}; a rate window's counter:
 * twice its window) in an in-memory store made by {@code MemoryStateStore.onClockTime} on the
 * replay's clock, so that a caller who pauses longer than a time to live in the trace loses its
 * history as in a live Guard. In Redis the time to live runs on the server's wall clock: a replay
 * faster than the trace (the usual case) keeps an idle caller's history across gaps that a live
 * Guard would have forgotten, and one slower than the trace can lose a counter that a live Guard
 * would have kept ({@link #ttlPauses} counts the lines after a pause longer than the shortest time
 * to live written before it, where the two can differ). The in-memory store also evicts under its memory cap
 * ({@code DefaultGuard.DEFAULT_STATE_BYTES}), as the Guard's does.
 *
 * <p>Not thread-safe: one thread replays one trace.
 */
public final class MonitorReplay {
    /** The in-memory store's bound on callers with rate, block or budget state (as Guard.Builder). */
    public static final int DEFAULT_MAX_CALLERS = 100_000;
    /** The latest end of a block or throttle, as in DefaultGuard: the limiter counts nanoseconds in a long. */
    private static final long LATEST_COOL_DOWN_END_MILLIS = (Long.MAX_VALUE / 1_000_000_000L - 1) * 1000L;

    /** How many {@link Refusal#DETECTOR_FAILED} lines {@link #detectorFailures()} lists (the rest are counted). */
    public static final int LISTED_DETECTOR_FAILURES = 100;

    /** The rule of an access decision that no rule matched (both engines' default decision). */
    private static final String DEFAULT_RULE = "default";

    /**
     * Why a query was not observed, as the Guard would refuse or deny it: refused before the
     * monitoring stage, or, for {@link #DETECTOR_FAILED} and {@link #MONITORING_FAILED}, denied
     * because monitoring failed on it (not a refusal before monitoring: the Guard denies such a
     * failure, {@code internal_error}).
     */
    public enum Refusal {
        /** The access policy denied the caller. */
        ACCESS_DENIED,
        /**
         * The policy's {@code access} question failed on the query (a Rego rule that errs or is
         * undefined for this input, say): the Guard denies that request ({@code internal_error},
         * stage access, whatever {@code on_error} says) before it touches any state, so the query
         * counts for no rate, quota or detector.
         */
        ACCESS_FAILED,
        /** An earlier block of the monitoring policy still held. */
        BLOCKED,
        /** The caller's rate limit (or a throttle) was exceeded, or the in-memory limiter was full and the caller new. */
        RATE_LIMITED,
        /** The caller's daily quota was used up. */
        QUOTA_EXHAUSTED,
        /** The input broke the validation contract. */
        INVALID_INPUT,
        /**
         * The policy's {@code validation} question failed on the query (or the contract it answered
         * could not be checked): as for {@link #ACCESS_FAILED}, the Guard denies that request
         * ({@code internal_error}, stage validation, whatever {@code on_error} says) before it
         * touches any state.
         */
        VALIDATION_FAILED,
        /**
         * A built-in detector could not take the input (features that form no image of its
         * {@code width}, in a bundle whose validation fixes no shape): the Guard denies such a
         * request as a failure ({@code internal_error}, stage observe, whatever {@code on_error}
         * says) before it touches any state, so the query counts for no rate, quota or detector.
         * Also a detector that failed to give its signal under {@code on_error: deny}: the Guard
         * denies that request ({@code internal_error}) after the state batch, so the query has
         * counted for its caller's rate limit and quota and for the detectors' state.
         */
        DETECTOR_FAILED,
        /**
         * The policy's {@code monitoring} question failed on the query (a Rego rule that errs or is
         * undefined for this input, say) under {@code on_error: deny}: the Guard denies that request
         * ({@code internal_error}) after the state batch, so, as for a detector that fails to give
         * its signal, the query has counted for its caller's rate limit and quota and for the
         * detectors' state. Under {@code on_error: degrade} the Guard answers degraded, with no
         * monitoring rule applied: the replay observes the query without an alarm instead. A failure
         * that is an {@link Error} (a {@link StackOverflowError}, an assertion) is refused here under
         * either {@code on_error}, as the Guard denies it; see {@link #accept}.
         */
        MONITORING_FAILED
    }

    /**
     * What happened to one query.
     *
     * @param caller the caller
     * @param index the query's 0-based index among the caller's queries
     * @param refusal why it was not observed (refused before monitoring, or denied because monitoring
     *     failed on it), or {@code null} when it was observed
     * @param signals the built-in detectors' signals (empty when refused)
     * @param actions the monitoring rules that fired (empty when refused or when none fired)
     */
    public record Step(String caller, long index, Refusal refusal, List<Signal> signals,
            List<MonitoringAction> actions) {
        /** Whether a monitoring rule fired. */
        public boolean alarm() {
            return !actions.isEmpty();
        }
    }

    /**
     * A pause in the trace longer than a time to live of detector state the replay has written
     * before it: the in-memory store (on trace time) forgets that state there, as a live Guard
     * would; Redis, whose times to live run on its server's clock, keeps it when the replay runs
     * faster than the trace.
     *
     * @param line the 1-based line after the pause
     * @param caller the line's caller
     * @param previousLine the line before the pause: the caller's previous query, or for a pause of
     *     the whole trace the line before this one
     * @param wholeTrace whether the whole trace pauses (no query of any caller in between), so that
     *     state shared by callers (global or tenant scopes) is forgotten too
     * @param pauseMillis how long the pause is in the trace's time
     * @param ttlMillis the shortest time to live of detector state written before the pause
     */
    public record TtlPause(long line, String caller, long previousLine, boolean wholeTrace, long pauseMillis,
            long ttlMillis) {}

    private final CompiledPolicy policy;
    private final List<String> names;
    private final Map<String, Integer> detectorIndex = new HashMap<>();
    /** For each YAML monitoring rule, the detectors its {@code when.signals} names. */
    private final Map<String, int[]> ruleDetectors = new HashMap<>();
    private final StatefulDetector[] detectors;
    private final StateStore store;
    private final TraceClock clock;
    private final boolean enforce;
    /** Whether the policy's {@code on_error} is {@code degrade} (else {@code deny}). */
    private final boolean degradeOnError;
    private boolean failAtCallerBound;
    private final Map<String, CallerState> callers = new LinkedHashMap<>();
    private final Map<InputContract, CompiledContract> contracts = new HashMap<>();
    private final Map<Integer, List<String>> labels = new HashMap<>();
    private final EnumMap<Refusal, Long> refusals = new EnumMap<>(Refusal.class);
    private final Map<Refusal, String> firstRefusal = new EnumMap<>(Refusal.class);
    /** The lines refused for each reason, the first {@link #LISTED_REFUSALS} of them. */
    private final Map<Refusal, List<Long>> refusedLines = new EnumMap<>(Refusal.class);
    /** How many refused lines per reason {@link #refusedLines()} names. */
    public static final int LISTED_REFUSALS = 20;
    private final List<String> detectorFailures = new ArrayList<>();
    private long detectorFailureCount;
    private final List<String> monitoringFailures = new ArrayList<>();
    private long monitoringFailureCount;
    private String firstOfAll;
    private long queries;
    private long undescribed;
    private String firstUndescribed;
    private long lastTimeMillis = Long.MIN_VALUE;
    private long lastLine;
    /** The shortest time to live of the histories and fingerprints written so far. */
    private long shortestTtlMillis = Long.MAX_VALUE;
    private long ttlPauses;
    private TtlPause firstTtlPause;
    private final Tally backwards = new Tally();
    private final Tally secondsLike = new Tally();
    /** Lines that carry the model's scores. */
    private long queriesWithScores;
    /** The number of scores of the first line that carries scores, or -1 before it. */
    private int scoreLength = -1;
    private final Tally otherScoreLengths = new Tally();
    private int firstOtherScoreLength;

    /** How many lines of the trace were of a kind, and the first of them (0 when none). */
    public record Lines(long count, long first) {}

    private static final class Tally {
        private long count;
        private long first;

        /** Counts {@code line}; returns whether it is the first. */
        boolean add(long line) {
            if (count++ == 0) {
                first = line;
                return true;
            }
            return false;
        }

        Lines lines() {
            return new Lines(count, first);
        }
    }

    /**
     * The {@code ts_ms} of a time in seconds since the epoch from 2001 to 2286, read as milliseconds:
     * January to April 1970. A trace in seconds parses, but every caller looks 1000 times faster.
     */
    public static final long SECONDS_LIKE_FROM = 1_000_000_000L;
    public static final long SECONDS_LIKE_TO = 9_999_999_999L;

    private MonitorReplay(CompiledPolicy policy, List<StatefulDetector> detectors, StateStore store, TraceClock clock,
            boolean enforce) {
        this.policy = policy;
        this.detectors = detectors.toArray(StatefulDetector[]::new);
        List<String> n = new ArrayList<>(detectors.size());
        for (StatefulDetector d : detectors) {
            detectorIndex.put(d.name(), n.size());
            n.add(d.name());
        }
        this.names = List.copyOf(n);
        YamlPolicyEngine.monitoringRuleSignals(policy).forEach((rule, signals) -> ruleDetectors.put(rule,
                signals.stream().filter(detectorIndex::containsKey).mapToInt(detectorIndex::get).toArray()));
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.enforce = enforce;
        this.degradeOnError = policy.settings().onError() == GuardSettings.OnError.DEGRADE;
        for (Refusal r : Refusal.values()) {
            refusals.put(r, 0L);
        }
    }

    /**
     * A replay of {@code bundle}'s monitoring: its built-in detectors, created as the Guard creates
     * them, and its monitoring rules with their blocks and throttles. The store's clock must be
     * {@code clock}.
     *
     * @throws IllegalArgumentException when the policy configures a custom detector or a detector
     *     cannot be created (the message names it)
     */
    public static MonitorReplay of(PolicyBundle bundle, StateStore store, TraceClock clock) {
        return new MonitorReplay(bundle.policy(), detectors(bundle), store, clock, true);
    }

    /**
     * As {@link #of}, with {@code detectors} in place of the bundle's (one per entry of the policy's
     * {@code monitoring.detectors}, in its order, each named as its entry): for tests, which need
     * detectors that fail where a built-in must not.
     */
    static MonitorReplay withDetectors(PolicyBundle bundle, List<StatefulDetector> detectors, StateStore store,
            TraceClock clock) {
        return new MonitorReplay(bundle.policy(), detectors, store, clock, true);
    }

    /**
     * Runs the given detectors and no monitoring rule (so no block, throttle, rate limit or quota
     * ever refuses a query, and every valid query of an allowed caller is observed): what
     * calibration measures.
     */
    static MonitorReplay observing(PolicyBundle bundle, List<StatefulDetector> detectors, StateStore store,
            TraceClock clock) {
        return new MonitorReplay(bundle.policy(), detectors, store, clock, false);
    }

    /**
     * Makes the replay fail with {@link CallerBoundException} where the in-memory store reaches its
     * bound on callers (its {@code maxCallers}), instead of refusing new callers
     * ({@link Refusal#RATE_LIMITED}) or blocking everybody as a Guard with that bound would: from
     * there on the figures would be the bound's, not the detectors'. A Redis store has no such bound.
     *
     * @return this replay
     */
    public MonitorReplay failAtCallerBound() {
        this.failAtCallerBound = true;
        return this;
    }

    /** The bundle's built-in detectors in the policy's order, as the Guard creates them. */
    static List<StatefulDetector> detectors(PolicyBundle bundle) {
        List<StatefulDetector> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : bundle.policy().settings().detectors().entrySet()) {
            String name = e.getKey();
            if (BuiltinDetectors.typeOf(name, e.getValue()) == null) {
                throw new IllegalArgumentException("monitoring.detectors." + name + ": '" + name + "' is a custom "
                        + "detector (added in code with Guard.Builder.detector); a replay runs built-in detectors only "
                        + "(" + new java.util.TreeSet<>(BuiltinDetectors.TYPES) + ")");
            }
            try {
                out.add(BuiltinDetectors.create(name, e.getValue(), bundle.contents()));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("monitoring.detectors." + name + ": " + ex.getMessage(), ex);
            }
        }
        return out;
    }

    /**
     * For tests: sets the number of queries already replayed for a caller (created if new), so that
     * a test can reach per-caller counts near {@link Integer#MAX_VALUE} without that many lines.
     */
    void presetQueries(String caller, String tenant, long queries) {
        callers.computeIfAbsent(StateKeys.of(caller, tenant), k -> new CallerState(caller, tenant, detectors.length))
                .queries = queries;
    }

    /** The detectors' names, in the policy's order. */
    public List<String> detectorNames() {
        return names;
    }

    /**
     * Replays every line of a trace.
     *
     * @throws TraceFormatException for a malformed line ({@code SOURCE:LINE: what is wrong})
     * @throws StateUnavailableException when the state store fails (the message names the line)
     * @throws IllegalStateException when the replay itself fails on a line (the message names it; a
     *     failure of the policy's access, validation or monitoring question, or of a detector, is
     *     that query's, handled as a Guard handles it: see the class Javadoc)
     */
    public void replay(InputStream in, String source) {
        TraceReader.forEach(in, source, this::accept);
    }

    /** Replays one query (see the class Javadoc). */
    public Step accept(TraceQuery q) {
        if (q.timeMillis() < lastTimeMillis) {
            backwards.add(q.line());
        }
        if (q.scores() != null) {
            queriesWithScores++;
            if (scoreLength < 0) {
                scoreLength = q.scores().length;
            } else if (q.scores().length != scoreLength && otherScoreLengths.add(q.line())) {
                firstOtherScoreLength = q.scores().length;
            }
        }
        if (q.timeMillis() >= SECONDS_LIKE_FROM && q.timeMillis() <= SECONDS_LIKE_TO) {
            secondsLike.add(q.line());
        }
        long previousMillis = lastTimeMillis;
        long previousLine = lastLine;
        lastTimeMillis = q.timeMillis();
        lastLine = q.line();
        clock.set(q.timeMillis());
        queries++;
        // one result per caller within its tenant, as the state is kept
        CallerState cs = callers.computeIfAbsent(StateKeys.of(q.caller(), q.tenant()),
                k -> new CallerState(q.caller(), q.tenant(), detectors.length));
        notePause(q, cs, previousMillis, previousLine);
        long index = cs.queries++;
        long now = q.timeMillis();
        boolean described = !q.roles().isEmpty() || !q.tenant().isEmpty() || !q.attributes().isEmpty();
        // "anonymous" is what audit records name a request without credentials (no key or token may
        // carry that id), so a line of that caller is replayed as one
        Caller caller = !described && q.caller().equals(Caller.ANONYMOUS.id()) ? Caller.ANONYMOUS
                : new Caller(q.caller(), AuthMethod.API_KEY, Set.copyOf(q.roles()), q.tenant(), q.attributes());
        Features features = q.toFeatures();
        long payload = 8L * features.size();
        PolicyInput in = new PolicyInput(caller, new ModelInfo("model", "0", Instant.ofEpochMilli(now)), 0,
                features.size(), payload, features.names(), List.of(), false, null);

        AccessDecision ad;
        try {
            ad = policy.access(in);
        } catch (Exception | Error e) {
            // as DefaultGuard: a question that cannot be evaluated denies the request (internal_error)
            // whatever on_error says, before the state batch
            return refuse(q, index, Refusal.ACCESS_FAILED, questionFailed("access", e));
        }
        boolean limited = true;
        if (!ad.allow()) {
            // Only a line that describes no caller, refused only because no access rule matched it:
            // a rule that refuses it by name, method or attributes refuses it here as in a Guard.
            if (described || !ad.rule().equals(DEFAULT_RULE)) {
                return refuse(q, index, Refusal.ACCESS_DENIED, "access rule " + ad.rule() + ": " + ad.message());
            }
            if (undescribed++ == 0) {
                firstUndescribed = "line " + q.line() + " (caller " + q.caller() + "): access rule " + ad.rule()
                        + ": " + ad.message();
            }
            limited = false;
        }
        ValidationDecision vd;
        Violation violation;
        try {
            vd = policy.validation(in);
            violation = contracts.computeIfAbsent(vd.contract(), CompiledContract::compile).check(features, payload);
        } catch (Exception | Error e) {
            return refuse(q, index, Refusal.VALIDATION_FAILED, questionFailed("validation", e));
        }

        Query query = new Query(caller, now, features);
        Object[] contexts = new Object[detectors.length];
        int[] from = new int[detectors.length];
        List<StateOp> ops = new ArrayList<>(2 + 2 * detectors.length);
        if (enforce) {
            ops.add(new StateOp.BlockedUntil(StateKeys.of(caller), now));
            // without the rule's rate limit and quota when access let an undescribed line through, but
            // with the caller's throttle, which the same operation enforces
            ops.add(new StateOp.Acquire(StateKeys.of(caller), limited ? ad.rateLimit() : null, limited ? ad.dailyQuota() : 0,
                    now));
        }
        if (violation == null) {
            for (int i = 0; i < detectors.length; i++) {
                from[i] = ops.size();
                try {
                    contexts[i] = detectors[i].plan(query, ops);
                } catch (RuntimeException | Error e) {
                    // as DefaultGuard: a detector that cannot plan fails the request closed, before the
                    // state batch (no block read, no rate token, no detector state), an Error too
                    String why = "detector " + detectors[i].name() + ": " + failure(e);
                    detectorFailed("not observed: " + at(q, why) + " (a Guard denies such a request, internal_error, "
                            + "before it counts it: the bundle's validation fixes no shape that the detector can take)");
                    return refuse(q, index, Refusal.DETECTOR_FAILED, why);
                }
            }
        }
        noteTtls(ops);
        Object[] results = ops.isEmpty() ? new Object[0] : store.execute(ops.toArray(StateOp[]::new));
        if (enforce) {
            long blockedUntil = (Long) results[0];
            if (blockedUntil > now) {
                if (failAtCallerBound && blockedUntil > cs.blockedUntil) {
                    // no block of this caller's ends then: the store's cool-down table overflowed
                    throw new CallerBoundException(CallerBoundException.Kind.COOL_DOWNS, q.line(), q.caller());
                }
                return refuse(q, index, Refusal.BLOCKED, "blocked until " + Instant.ofEpochMilli(blockedUntil));
            }
            switch ((StateOp.Permit) results[1]) {
                case ALLOWED -> { }
                case RATE_LIMITED -> {
                    return refuse(q, index, Refusal.RATE_LIMITED, "rate limit of access rule " + ad.rule());
                }
                case QUOTA_EXHAUSTED -> {
                    return refuse(q, index, Refusal.QUOTA_EXHAUSTED, "daily quota of access rule " + ad.rule());
                }
                case TOO_MANY_CALLERS -> {
                    if (failAtCallerBound) {
                        throw new CallerBoundException(CallerBoundException.Kind.RATE_LIMITER, q.line(), q.caller());
                    }
                    return refuse(q, index, Refusal.RATE_LIMITED,
                            "new caller refused: the in-memory rate limiter is at its max_callers bound");
                }
                case THROTTLED -> {
                    return refuse(q, index, Refusal.RATE_LIMITED, "throttled by monitoring");
                }
            }
        }
        if (violation != null) {
            // Without the values (a trace is real traffic: the report must not carry one caller's data).
            return refuse(q, index, Refusal.INVALID_INPUT, vd.rule() + ":" + violation.rule() + ": "
                    + violation.redacted());
        }

        List<Signal> signals = new ArrayList<>(detectors.length);
        for (int i = 0; i < detectors.length; i++) {
            try {
                signals.add(Objects.requireNonNull(detectors[i].evaluate(query, contexts[i], results, from[i]),
                        "detector " + detectors[i].name() + " returned null"));
            } catch (RuntimeException | Error e) {
                // as DefaultGuard.detectorFailed: on_error decides, after the state batch, for an
                // exception; a built-in detector's Error reaches the Guard's last line of defence, which
                // denies the request whatever on_error says
                failure(e); // an OutOfMemoryError ends the replay
                String why = "detector " + detectors[i].name() + " failed to give its signal: " + e;
                if (!degradeOnError || e instanceof Error) {
                    detectorFailed("not observed: " + at(q, why) + " (a Guard denies such a request, internal_error, "
                            + (e instanceof Error ? "whatever on_error says, since the failure is an Error"
                                    : "as the bundle's on_error: deny says")
                            + ", after counting it for rate limits, quotas and the detectors' state)");
                    return refuse(q, index, Refusal.DETECTOR_FAILED, why);
                }
                detectorFailed(at(q, why) + "; its signal was left out (a Guard answers such a request degraded, as "
                        + "the bundle's on_error: degrade says: the other detectors' signals still reach the "
                        + "monitoring rules)");
            }
        }
        List<MonitoringAction> fired = List.of();
        boolean blocked = false;
        if (enforce) {
            MonitoringDecision md;
            try {
                md = policy.monitoring(in.withSignals(signals, false));
            } catch (Exception | Error e) {
                // as DefaultGuard's observe stage: on_error decides, after the state batch, for an
                // Exception; an Error (a StackOverflowError) reaches the Guard's last line of defence,
                // which denies the request whatever on_error says
                String why = "the bundle's monitoring question failed: " + failure(e);
                if (e instanceof Error) {
                    monitoringFailed("not observed: " + at(q, why) + " (a Guard denies such a request, "
                            + "internal_error, whatever on_error says, since the failure is an Error, after counting it "
                            + "for rate limits, quotas and the detectors' state)");
                    return refuse(q, index, Refusal.MONITORING_FAILED, why);
                }
                if (!degradeOnError) {
                    monitoringFailed("not observed: " + at(q, why) + " (a Guard denies such a request, "
                            + "internal_error, as the bundle's on_error: deny says, after counting it for rate limits, "
                            + "quotas and the detectors' state)");
                    return refuse(q, index, Refusal.MONITORING_FAILED, why);
                }
                monitoringFailed(at(q, why) + "; no monitoring rule was applied to it (a Guard answers such a "
                        + "request degraded, as the bundle's on_error: degrade says, and its detectors remember the "
                        + "answer)");
                md = MonitoringDecision.NONE;
            }
            fired = md.actions();
            List<StateOp> actions = new ArrayList<>(2);
            for (MonitoringAction a : fired) {
                if (cs.firstAlarm < 0) {
                    cs.firstAlarm = index;
                }
                // every detector the rule needed: its action names only the first of them
                int[] needed = ruleDetectors.get(a.rule());
                if (needed != null) {
                    for (int d : needed) {
                        if (cs.firstByDetector[d] < 0) {
                            cs.firstByDetector[d] = index;
                        }
                    }
                } else {
                    Integer d = detectorIndex.get(a.signal());
                    if (d != null && cs.firstByDetector[d] < 0) {
                        cs.firstByDetector[d] = index;
                    }
                }
                long until = coolDownEnd(now, a.cooldownSeconds());
                switch (a.action()) {
                    case ALERT, DEGRADE -> { }
                    case THROTTLE -> actions.add(new StateOp.Throttle(StateKeys.of(caller), a.throttlePerSecond(), until));
                    case BLOCK -> {
                        actions.add(new StateOp.Block(StateKeys.of(caller), until));
                        cs.blockedUntil = Math.max(cs.blockedUntil, until);
                        blocked = true;
                    }
                }
            }
            if (!actions.isEmpty()) {
                store.execute(actions.toArray(StateOp[]::new));
            }
        }
        if (!blocked && q.scores() != null) {
            Prediction raw = Prediction.classification(labels(q.scores().length), q.scores());
            List<StateOp> later = new ArrayList<>(detectors.length);
            for (int i = 0; i < detectors.length; i++) {
                try {
                    detectors[i].record(query, contexts[i], raw, later);
                } catch (Error e) {
                    // a built-in detector's Error leaves the Guard's learning at once for its last line of
                    // defence (the answer withheld, internal_error): no detector remembers the answer
                    failure(e); // an OutOfMemoryError ends the replay
                    detectorFailed(at(q, "detector " + detectors[i].name() + " failed to remember the answer: " + e)
                            + " (a Guard withholds such an answer, internal_error, whatever on_error says, since the "
                            + "failure is an Error; no detector remembers it)");
                    later.clear();
                    break;
                } catch (RuntimeException e) {
                    // as DefaultGuard.learn: the others still remember the query; the answer's fate
                    // (withheld or degraded) changes nothing a replay counts
                    detectorFailed(at(q, "detector " + detectors[i].name() + " failed to remember the answer: " + e)
                            + (degradeOnError
                                    ? " (a Guard releases such an answer degraded, as the bundle's on_error: degrade says"
                                    : " (a Guard withholds such an answer, internal_error, as the bundle's on_error: "
                                            + "deny says")
                            + "; the other detectors remember it)");
                }
            }
            if (!later.isEmpty()) {
                noteTtls(later);
                store.submit(later.toArray(StateOp[]::new));
            }
        }
        return new Step(q.caller(), index, null, Collections.unmodifiableList(signals), fired);
    }

    /** Counts a pause longer than the shortest time to live written so far, of the caller or of the whole trace. */
    private void notePause(TraceQuery q, CallerState cs, long previousMillis, long previousLine) {
        long now = q.timeMillis();
        if (shortestTtlMillis != Long.MAX_VALUE) {
            boolean whole = queries > 1 && now - previousMillis > shortestTtlMillis;
            boolean own = cs.queries > 0 && now - cs.lastMillis > shortestTtlMillis;
            if (whole || own) {
                if (ttlPauses++ == 0) {
                    firstTtlPause = whole
                            ? new TtlPause(q.line(), q.caller(), previousLine, true, now - previousMillis,
                                    shortestTtlMillis)
                            : new TtlPause(q.line(), q.caller(), cs.lastLine, false, now - cs.lastMillis,
                                    shortestTtlMillis);
                }
            }
        }
        cs.lastMillis = now;
        cs.lastLine = q.line();
    }

    /**
     * Notes the times to live of histories and fingerprints (a window counter's does not matter: its
     * slots count by the query's time, however long Redis keeps them).
     */
    private void noteTtls(List<StateOp> ops) {
        for (StateOp op : ops) {
            long ttl = op instanceof StateOp.ListAppend a ? a.ttlMillis()
                    : op instanceof StateOp.Fingerprint f ? f.ttlMillis() : Long.MAX_VALUE;
            if (ttl < shortestTtlMillis) {
                shortestTtlMillis = ttl;
            }
        }
    }

    /**
     * Lines that follow a pause (of their caller, or of the whole trace) longer than the shortest time
     * to live of the detector state written before them; see {@link TtlPause}.
     */
    public long ttlPauses() {
        return ttlPauses;
    }

    /** The first of the {@link #ttlPauses}, or {@code null} when there is none. */
    public TtlPause firstTtlPause() {
        return firstTtlPause;
    }

    /**
     * What a failed access or validation question says, and what a Guard does about it.
     *
     * @throws VirtualMachineError when {@code e} is one other than a {@link StackOverflowError} (see {@link #failure})
     */
    private static String questionFailed(String question, Throwable e) {
        return "the bundle's " + question + " question failed: " + failure(e) + " (a Guard denies such a request, "
                + "internal_error, whatever on_error says, before it counts it for rate limits, quotas or the "
                + "detectors' state)";
    }

    /**
     * The message of a policy question's failure. A Guard denies the request whatever the failure
     * (its last line of defence catches every {@link Error} too), and so does the replay for one
     * query, except after the JVM itself failed: an {@link OutOfMemoryError} or another
     * {@link VirtualMachineError} is rethrown and ends the replay, whose further figures could not
     * be trusted (a {@link StackOverflowError} is one query's evaluation running too deep: that
     * query's failure).
     */
    private static String failure(Throwable e) {
        if (e instanceof VirtualMachineError vm && !(e instanceof StackOverflowError)) {
            throw vm;
        }
        return Objects.toString(e.getMessage(), e.toString());
    }

    private static String at(TraceQuery q, String why) {
        return "line " + q.line() + " (caller " + q.caller() + "): " + why;
    }

    /** Counts a detector failure and lists the first {@value #LISTED_DETECTOR_FAILURES}. */
    private void detectorFailed(String note) {
        if (detectorFailureCount++ < LISTED_DETECTOR_FAILURES) {
            detectorFailures.add(note);
        }
    }

    /** Counts a failure of the monitoring question and lists the first {@value #LISTED_DETECTOR_FAILURES}. */
    private void monitoringFailed(String note) {
        if (monitoringFailureCount++ < LISTED_DETECTOR_FAILURES) {
            monitoringFailures.add(note);
        }
    }

    private Step refuse(TraceQuery q, long index, Refusal r, String why) {
        refusals.merge(r, 1L, Long::sum);
        String at = at(q, why);
        firstRefusal.putIfAbsent(r, at);
        List<Long> lines = refusedLines.computeIfAbsent(r, k -> new ArrayList<>());
        if (lines.size() < LISTED_REFUSALS) {
            lines.add(q.line());
        }
        if (firstOfAll == null) {
            firstOfAll = at;
        }
        return new Step(q.caller(), index, r, List.of(), List.of());
    }

    private List<String> labels(int n) {
        return labels.computeIfAbsent(n, k -> {
            List<String> l = new ArrayList<>(k);
            for (int i = 0; i < k; i++) {
                l.add(Integer.toString(i));
            }
            return List.copyOf(l);
        });
    }

    /** As DefaultGuard.coolDownEnd: a cool-down longer than the limiter can count ends in 2262. */
    static long coolDownEnd(long nowMillis, long cooldownSeconds) {
        long maxSeconds = Math.max(0, (LATEST_COOL_DOWN_END_MILLIS - nowMillis) / 1000);
        return Instant.ofEpochMilli(nowMillis).plusSeconds(Math.min(cooldownSeconds, maxSeconds)).toEpochMilli();
    }

    /** Every caller's result, in order of first appearance in the trace. */
    public List<CallerResult> results() {
        List<CallerResult> out = new ArrayList<>(callers.size());
        callers.forEach((key, cs) -> {
            Map<String, Long> d = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                d.put(names.get(i), cs.firstByDetector[i] < 0 ? null : cs.firstByDetector[i]);
            }
            out.add(new CallerResult(cs.id, cs.tenant, cs.queries, cs.firstAlarm < 0 ? null : cs.firstAlarm, d));
        });
        return out;
    }

    /** Callers seen so far. */
    public int callers() {
        return callers.size();
    }

    /** Lines whose {@code ts_ms} is earlier than the line before them (the replay keeps file order). */
    public Lines backwards() {
        return backwards.lines();
    }

    /**
     * Lines whose {@code ts_ms} reads as January to April 1970, as a time in seconds since the epoch
     * (2001 to 2286) does when read as milliseconds.
     */
    public Lines secondsLike() {
        return secondsLike.lines();
    }

    /**
     * Lines whose {@code scores} hold another number of values than the first line with scores
     * does: the answer detectors name classes by position ({@code "0"} to {@code "n-1"}), so a trace
     * that mixes lengths (top-k answers, several models) mixes their classes.
     */
    public Lines otherScoreLengths() {
        return otherScoreLengths.lines();
    }

    /** The number of scores of the first line with scores, or -1 when no line has any. */
    public int scoreLength() {
        return scoreLength;
    }

    /** The number of scores of the first of the {@link #otherScoreLengths} lines, or 0 when there is none. */
    public int firstOtherScoreLength() {
        return firstOtherScoreLength;
    }

    /** Lines replayed so far that carry the model's scores ({@code scores}). */
    public long queriesWithScores() {
        return queriesWithScores;
    }

    /** Queries replayed so far. */
    public long queries() {
        return queries;
    }

    /**
     * How many queries the access rules denied but were monitored, because their lines do not
     * describe the caller (no roles, tenant or attributes).
     */
    public long undescribed() {
        return undescribed;
    }

    /** The first of those: line, caller and the access rule that denied it; {@code null} if none. */
    public String firstUndescribed() {
        return firstUndescribed;
    }

    /**
     * How many queries were not observed, by reason (every reason present, 0 if none): refused
     * before monitoring, or denied because monitoring failed on them ({@link Refusal#DETECTOR_FAILED},
     * {@link Refusal#MONITORING_FAILED}).
     */
    public Map<Refusal, Long> refusals() {
        return Collections.unmodifiableMap(new EnumMap<>(refusals));
    }

    /** The first refused query of any reason, in file order, or {@code null} when none was refused. */
    public String firstRefusal() {
        return firstOfAll;
    }

    /**
     * The first {@value #LISTED_DETECTOR_FAILURES} detector failures, in file order, each a note of
     * its own: line, caller, the detector, what failed (planning, giving its signal or remembering
     * the answer) and what a Guard does about it. A query refused as {@link Refusal#DETECTOR_FAILED}
     * starts with {@code not observed: }.
     */
    public List<String> detectorFailures() {
        return Collections.unmodifiableList(detectorFailures);
    }

    /**
     * How many times a detector failed: could not take a query, give its signal or remember the
     * answer (one query can count more than once when several detectors fail on it).
     */
    public long detectorFailureCount() {
        return detectorFailureCount;
    }

    /**
     * The first {@value #LISTED_DETECTOR_FAILURES} lines on which the policy's {@code monitoring}
     * question failed, in file order, each a note of its own: line, caller, the failure and what a
     * Guard does about it ({@code on_error}). A query refused as {@link Refusal#MONITORING_FAILED}
     * starts with {@code not observed: }.
     */
    public List<String> monitoringFailures() {
        return Collections.unmodifiableList(monitoringFailures);
    }

    /** How many lines the policy's {@code monitoring} question failed on. */
    public long monitoringFailureCount() {
        return monitoringFailureCount;
    }

    /** For each reason a line was refused for, its first {@link #LISTED_REFUSALS} lines, in file order. */
    public Map<Refusal, List<Long>> refusedLines() {
        Map<Refusal, List<Long>> copy = new EnumMap<>(Refusal.class);
        refusedLines.forEach((r, l) -> copy.put(r, List.copyOf(l)));
        return Collections.unmodifiableMap(copy);
    }

    /** The first refusal of each reason that occurred: line, caller and why. */
    public Map<Refusal, String> firstRefusals() {
        return Collections.unmodifiableMap(new EnumMap<>(firstRefusal));
    }

    /** The summary line {@code callers: N, flagged: K}. */
    public String summary() {
        long flagged = callers.values().stream().filter(c -> c.firstAlarm >= 0).count();
        return "callers: " + callers.size() + ", flagged: " + flagged;
    }

    private static final class CallerState {
        final String id;
        final String tenant;
        // longs: one caller's trace may hold more than 2^31 lines
        long queries;
        long firstAlarm = -1;
        long lastMillis;
        long lastLine;
        /** The latest end of the blocks this replay wrote for the caller. */
        long blockedUntil = Long.MIN_VALUE;
        final long[] firstByDetector;

        CallerState(String id, String tenant, int detectors) {
            this.id = id;
            this.tenant = tenant;
            firstByDetector = new long[detectors];
            java.util.Arrays.fill(firstByDetector, -1);
        }
    }
}
