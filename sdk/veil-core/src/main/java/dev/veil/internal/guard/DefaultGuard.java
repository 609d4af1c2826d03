package dev.veil.internal.guard;

import dev.veil.Alert;
import dev.veil.AuditException;
import dev.veil.AuditLog;
import dev.veil.Caller;
import dev.veil.Features;
import dev.veil.Guard;
import dev.veil.GuardListener;
import dev.veil.Level;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.PolicyLoadException;
import dev.veil.Prediction;
import dev.veil.Reason;
import dev.veil.ReasonCode;
import dev.veil.ReleasedPrediction;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.Signal;
import dev.veil.Stage;
import dev.veil.internal.access.AuthResult;
import dev.veil.internal.audit.AuditRecord;
import dev.veil.internal.audit.AuditUnavailableException;
import dev.veil.internal.audit.AuditWriter;
import dev.veil.internal.audit.AuditWriters;
import dev.veil.internal.audit.StageOutcome;
import dev.veil.internal.monitor.StatefulDetector;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.internal.state.StateKeys;
import dev.veil.internal.output.ReleaseTransformer;
import dev.veil.internal.text.ControlChars;
import dev.veil.internal.validation.NotANumberException;
import dev.veil.internal.validation.Violation;
import dev.veil.spi.AccessDecision;
import dev.veil.spi.Detector;
import dev.veil.spi.FieldMode;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.LoggingDecision;
import dev.veil.spi.ModelDecision;
import dev.veil.spi.MonitoringAction;
import dev.veil.spi.MonitoringDecision;
import dev.veil.spi.PolicyInput;
import dev.veil.spi.PredictionSummary;
import dev.veil.spi.PrivacyUnits;
import dev.veil.spi.Query;
import dev.veil.spi.ReleaseSpec;
import dev.veil.spi.StaleAction;
import dev.veil.spi.ValidationDecision;
import dev.veil.spi.StateOp;
import dev.veil.spi.StateStore;
import dev.veil.spi.StateUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * The Guard: runs the six stages in order over an immutable snapshot of the policy runtime and the
 * model, failing closed. See {@link Guard} for the contract.
 */
public final class DefaultGuard<I> implements Guard<I> {
    private static final System.Logger LOG = System.getLogger("dev.veil.Guard");
    /** Memory cap of the default in-memory state store. */
    public static final long DEFAULT_STATE_BYTES = 256L << 20;
    /** The latest end of a block or throttle: the limiter's nanosecond clock (a long) ends in 2262. */
    private static final long LATEST_COOL_DOWN_END_MILLIS = (Long.MAX_VALUE / 1_000_000_000L - 1) * 1000L;
    /**
     * Why a new caller is refused when the in-memory limiter is full
     * ({@link StateOp.Permit#TOO_MANY_CALLERS}): reported as {@code rate_limited} with the rule
     * {@code max_callers}, as a full privacy ledger is reported as {@code budget_exhausted} with its
     * own message.
     */
    private static final String TOO_MANY_CALLERS_MESSAGE = "the rate limiter tracks as many callers as it may (its "
            + "max_callers bound) and cannot take a new one until another caller's limits and quota expire; "
            + "raise the bound with Guard.Builder.maxCallers";
    /**
     * Why every caller is refused while the in-memory limiter's table of blocked and throttled
     * callers is full (fail closed: a block monitoring could not record must not be dropped);
     * reported as {@code blocked} with the rule {@code max_callers}, not as a monitoring block.
     */
    private static final String COOL_DOWN_OVERFLOW_MESSAGE = "every caller is refused: the table of blocked and "
            + "throttled callers is full (its max_callers bound), so monitoring could not record another block or "
            + "throttle and blocks every caller until ";
    
    private final Clock clock;
    /** Called in the order they were added, each on its own ({@link #safely}). */
    private final List<GuardListener> listeners;
    private final List<Detector> customDetectors;
    private final GuardState state;
    /** Outages of the state store, logged once and then at most once a minute, not once per request. */
    private final OutageLog outages = new OutageLog("state store", LOG, System::nanoTime);
    /** Requests refused because the audit log could not take their record, logged the same way. */
    private final OutageLog auditOutages = new OutageLog("audit log", LOG, System::nanoTime);
    /** Charges the privacy ledger could not take: those releases are treated as over budget. */
    private final OutageLog ledgerOutages = new OutageLog("privacy ledger", LOG, System::nanoTime);
    /** Failures of the logging question: its records get the most protective treatment. */
    private final OutageLog loggingOutages = new OutageLog("logging question", LOG, System::nanoTime);
    /** Detector failures, at most a line a minute per detector. */
    /** Detector failures and stages that cannot be evaluated: logged at most once a minute each. */
    private final FailureLog failures = new FailureLog(LOG, System::nanoTime);
    /** The rule a record lists when its logging question failed. */
    static final String LOGGING_ERROR = "logging:error";
    private final AuditWriter audit;
    private final ReleaseTransformer transformer = new ReleaseTransformer();
    private final SecureRandoms randoms = new SecureRandoms();
    private final Object reloadLock = new Object();

    /**
     * The policy and the model in force, as one pair: a request reads it once, so it never sees a
     * policy with a model that was not in force beside it (two fields read one after the other
     * could give a reload's old policy with the next swap's model). Replaced under reloadLock.
     */
    private volatile InForce<I> inForce;

    /** A policy runtime and a model that were in force together. */
    private record InForce<I>(PolicyRuntime runtime, Model<I> model) {}
    /** No new request is admitted (set first by {@link #close}). */
    private volatile boolean closed;
    /** The audit log is closing: a request still running finds no log for its record. */
    private volatile boolean auditClosing;
    /**
     * Requests that entered {@link #predict}, and those of them whose record was appended (or
     * refused) since: {@link #close} waits until the two are equal, not for the listeners, which
     * run after. Two striped counters rather than one shared count, so that threads serving
     * requests do not contend for one cache line.
     */
    private final LongAdder entered = new LongAdder();
    private final LongAdder left = new LongAdder();
    private final Duration closeTimeout;
    /** Counted down when the first {@link #close} has finished: later calls wait for it. */
    private final java.util.concurrent.CountDownLatch closeFinished = new java.util.concurrent.CountDownLatch(1);
    /** What the first {@link #close} threw because records accepted earlier could not be written, or null. */
    private volatile AuditException lostRecords;

    public DefaultGuard(
            Model<I> model, PolicyBundle policy, AuditLog auditLog, Clock clock, List<GuardListener> listeners,
            List<Detector> customDetectors, int maxCallers, StateStore stateStore, long stateMemory,
            Duration closeTimeout, java.nio.file.Path revisionFile, String bundleName) {
        // The Guard owns the state store from here: one that is not built closes it, and the audit
        // log it opened, since the caller may have created the store inline and gets no Guard to close.
        GuardState takenState = null;
        AuditWriter opened = null;
        try {
            this.closeTimeout = Objects.requireNonNull(closeTimeout, "closeTimeout");
            Objects.requireNonNull(model, "model");
            this.clock = clock;
            this.listeners = List.copyOf(listeners);
            this.customDetectors = customDetectors;
            this.state = takenState = new GuardState(stateStore != null ? stateStore
                    : new MemoryStateStore(stateMemory, clock, maxCallers),
                    () -> new MemoryStateStore(stateMemory, clock, maxCallers), clock);
            requireTrainedBeforeNow(model.info(), clock);
            this.bundleName = bundleName;
            refuseOtherName(policy);
            this.marks = revisionFile == null ? null : RevisionMarks.open(revisionFile);
            if (marks != null) {
                marks.marks().forEach(this::raiseHighWater);
            }
            refuseRollback(policy);
            PolicyRuntime runtime = PolicyRuntime.create(policy, null, customDetectors, clock, maxCallers);
            this.inForce = new InForce<>(runtime, model);
            warnIfLedgerInMemory(policy, runtime);
            noteSigned(policy);
            this.audit = opened = AuditWriters.open(auditLog);
            keepMark(policy); // the last step that can fail: a Guard that is not built raises no mark
        } catch (RuntimeException | Error e) {
            if (opened != null) {
                closeAfterFailedBuild(opened, e);
            }
            closeAfterFailedBuild(takenState != null ? takenState : stateStore, e);
            throw e;
        }
    }

    /** Closes what a build that failed with {@code failure} had taken; a failure to close is added to it. */
    private static void closeAfterFailedBuild(AutoCloseable taken, Throwable failure) {
        if (taken == null) {
            return;
        }
        try {
            taken.close();
        } catch (Exception | Error closing) {
            failure.addSuppressed(closing);
        }
    }

    /** The state store in use (for tests of the builder's options). */
    StateStore stateStore() {
        return state.primary();
    }

    @Override
    public PolicyBundle policy() {
        return inForce.runtime().bundle();
    }

    @Override
    public ModelInfo model() {
        return inForce.model().info();
    }

    @Override
    public void reload(PolicyBundle bundle) {
        Objects.requireNonNull(bundle, "bundle");
        PolicyBundle previous;
        synchronized (reloadLock) {
            requireOpen();
            InForce<I> now = inForce;
            PolicyRuntime old = now.runtime();
            if (marks != null && bundle.signed()) { // another Guard on the file may have raised it since
                String kept = marks.mark(bundle.name());
                if (kept != null) {
                    raiseHighWater(bundle.name(), kept);
                }
            }
            refuseOtherName(bundle);
            refuseOtherSignedName(bundle);
            refuseRollback(bundle);
            PolicyRuntime next = PolicyRuntime.create(bundle, old, customDetectors, clock, old.maxCallers());
            keepMark(bundle);
            inForce = new InForce<>(next, now.model());
            warnIfLedgerInMemory(bundle, next);
            noteSigned(bundle);
            previous = old.bundle();
            for (GuardListener l : listeners) {
                enqueueChange(() -> l.onPolicyReloaded(previous, bundle));
            }
        }
        deliverChangeEvents();
    }

    /**
     * A privacy budget on the default in-memory store lasts as long as this process and holds for
     * this replica only: said at every load of a bundle with {@code output.privacy}, since nothing
     * else would (budgets that "never renew" renew at each restart, and n replicas give n budgets).
     */
    private void warnIfLedgerInMemory(PolicyBundle bundle, PolicyRuntime rt) {
        if (rt.settings().privacy() != null && state.primary() instanceof MemoryStateStore) {
            LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("bundle '" + bundle.name() + "' sets output.privacy, but the privacy "
                    + "ledger is kept in this process's memory (the default state store): what callers spent is "
                    + "forgotten at every restart, even under period_seconds: 0 (never renews), and every replica "
                    + "keeps its own, so each caller gets a full budget from each replica and after each restart. "
                    + "For one ledger that replicas share and that outlives restarts, build the Guard with "
                    + "veil-redis's RedisStateStore (Guard.Builder.stateStore) on a Redis with persistence "
                    + "(appendonly yes); docs/policy-reference.md section 5.6"));
        }
    }

    /**
     * What a rate-limited caller reads: the access rule's limit (a store that does not tell a
     * monitoring throttle apart, {@link dev.veil.spi.StateOp.Permit#THROTTLED}, reports it so too,
     * hence the last clause).
     */
    public static String rateLimited(dev.veil.spi.RateLimit limit) {
        if (limit == null) {
            return "rate limit exceeded; slow down and retry later";
        }
        return "rate limit exceeded; slow down and retry later (this access rule allows at most "
                + java.math.BigDecimal.valueOf(limit.perSecond()).stripTrailingZeros().toPlainString() + " per second"
                + (limit.burst() > 0 ? ", bursts of " + limit.burst() : "") + "; a monitoring throttle can allow less)";
    }

    /**
     * What a caller a monitoring throttle refuses reads (rule {@code monitoring}, as a block's): not
     * the throttle's rate, which is the service's to change, not the caller's to plan on.
     */
    static final String THROTTLED_MESSAGE = "rate limit exceeded: monitoring throttles this caller for now; slow "
            + "down and retry later";

    /**
     * The newest ordered revision of each signed bundle name this Guard has had in force (guarded
     * by reloadLock): a rollback is judged against it, not only against the bundle in force, so
     * that an unsigned bundle or one of another name in between does not open the way back.
     */
    private final Map<String, String> signedHighWater = new java.util.HashMap<>();
    /** Where the marks are kept across restarts ({@code Guard.Builder.revisionFile}), or null. */
    private final RevisionMarks marks;

    /**
     * Writes a signed bundle's ordered revision to the revision file when it is newer than the mark
     * there, before the bundle takes effect; throws (and the bundle does not take effect) when the
     * file cannot be written.
     */
    private void keepMark(PolicyBundle b) {
        if (marks != null && b.signed() && Revisions.ordered(b.revision())) {
            marks.raise(b.name(), b.revision());
        }
    }

    private void noteSigned(PolicyBundle b) {
        if (b.signed() && signedName == null) {
            signedName = b.name();
        }
        if (b.signed() && Revisions.ordered(b.revision())) {
            raiseHighWater(b.name(), b.revision());
        } else if (b.signed()) {
            LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("signed bundle '" + b.name() + "' has revision '" + b.revision()
                    + "', which has no order (a commit id, or no number): a rollback to an older signed release of "
                    + "it cannot be told; give signed releases a date or version revision (2026-11-30.2, v1.4.10)"));
        }
    }

    /**
     * Makes {@code revision} the mark of bundle {@code name} when it is newer; a revision with no
     * order against the mark does not replace it (it cannot be shown newer).
     */
    private void raiseHighWater(String name, String revision) {
        signedHighWater.merge(name, revision, (a, n) -> {
            Integer c = Revisions.compare(n, a);
            return c != null && c > 0 ? n : a;
        });
    }

    /** The only bundle name this Guard serves ({@code Guard.Builder.bundleName}), or null for any. */
    private final String bundleName;

    /**
     * A bundle of another name than {@code Guard.Builder.bundleName}: refused at build and reload,
     * signed or not; unlike the signed name a reload keeps to, it holds from the first bundle, across
     * restarts.
     */
    private void refuseOtherName(PolicyBundle next) {
        if (bundleName != null && !bundleName.equals(next.name())) {
            throw PolicyLoadException.of("<bundle>", "bundle '" + next.name() + "' is not the bundle this Guard "
                    + "serves ('" + bundleName + "', Guard.Builder.bundleName): a valid signature says who made a "
                    + "bundle, not which service it is for; put the service's own bundle where it loads from");
        }
    }

    /** The name of the first signed bundle this Guard had in force (guarded by reloadLock), or null. */
    private String signedName;

    /**
     * A signed bundle of another name than the signed bundle this Guard serves: refused. A valid
     * signature says who made a bundle, not which service it is for: a lab bundle signed with the
     * release key must not replace the production one through the directory the Guard reloads from.
     */
    private void refuseOtherSignedName(PolicyBundle next) {
        if (next.signed() && signedName != null && !signedName.equals(next.name())) {
            throw PolicyLoadException.of(".manifest", "signed bundle '" + next.name() + "' is not the signed bundle "
                    + "this Guard serves ('" + signedName + "'): a valid signature says who made a bundle, not which "
                    + "service it is for, so a reload keeps to one signed bundle name; build a new Guard to serve "
                    + "another bundle");
        }
    }

    /**
     * A signed bundle whose revision comes before one this Guard has had in force, or has no order
     * against it (so cannot be shown newer: an old release revisioned by a commit id, or with no
     * manifest, would otherwise come back at will): refused.
     */
    private void refuseRollback(PolicyBundle next) {
        String high = signedHighWater.get(next.name());
        Integer order = high == null || !next.signed() ? null : Revisions.compare(next.revision(), high);
        if (high != null && next.signed() && order == null) {
            throw PolicyLoadException.of(".manifest", "revision '" + next.revision() + "' of signed bundle '"
                    + next.name() + "' has no order against the signed revision '" + high + "' this Guard has had in "
                    + "force" + (marks == null ? "" : " (or another Guard using " + marks.file() + ")") + ", so it "
                    + "cannot be shown newer and is refused as a possible rollback to an older signed release: sign it "
                    + "with a date or version revision that orders after '" + high + "' (2026-11-30.2, v1.4.10)");
        }
        if (order != null && order < 0) {
            throw PolicyLoadException.of(".manifest", "revision '" + next.revision() + "' of signed bundle '"
                    + next.name() + "' is older than the signed revision '" + high + "' this Guard has had in force"
                    + (marks == null ? "" : " (or another Guard using " + marks.file() + ")") + ": "
                    + "a rollback to an older signed release is refused (it may restore a revoked key or a weaker "
                    + "rule); to roll back on purpose, sign the old content again with a newer revision");
        }
    }

    @Override
    public void swapModel(Model<I> next) {
        Objects.requireNonNull(next, "model");
        synchronized (reloadLock) {
            requireOpen(); // a closed Guard says so first, whatever the model
            requireTrainedBeforeNow(next.info(), clock);
            InForce<I> now = inForce;
            Model<I> previous = now.model();
            inForce = new InForce<>(now.runtime(), next);
            for (GuardListener l : listeners) {
                enqueueChange(() -> l.onModelSwapped(previous.info(), next.info()));
            }
        }
        deliverChangeEvents();
    }

    /**
     * Reload and swap events not delivered yet, in the order the changes took effect (added under
     * reloadLock, together with the change). Guarded by itself.
     */
    private final java.util.ArrayDeque<Runnable> changeEvents = new java.util.ArrayDeque<>();
    /** A thread is delivering {@link #changeEvents} (guarded by changeEvents). */
    private boolean deliveringChanges;

    /** Queues the event of a change; called under reloadLock, with the change, so the queue keeps their order. */
    private void enqueueChange(Runnable event) {
        synchronized (changeEvents) {
            changeEvents.add(event);
        }
    }

    /**
     * Delivers the change events one at a time, in order, holding no lock of the Guard while the
     * listener runs: a thread that finds another delivering leaves its event to that thread (which
     * delivers it after the ones before it), so that a listener may call the Guard, reload and swap
     * included, and may wait for a thread that does, without a deadlock. A callback that calls
     * reload or swapModel has that change's event delivered after it returns.
     */
    private void deliverChangeEvents() {
        synchronized (changeEvents) {
            if (deliveringChanges) {
                return;
            }
            deliveringChanges = true;
        }
        boolean emptied = false;
        try {
            while (true) {
                Runnable event;
                synchronized (changeEvents) {
                    event = changeEvents.poll();
                    if (event == null) {
                        deliveringChanges = false;
                        emptied = true;
                        return;
                    }
                }
                safely("onPolicyReloaded or onModelSwapped", event);
            }
        } finally {
            if (!emptied) { // a VirtualMachineError: the next change delivers what is left
                synchronized (changeEvents) {
                    deliveringChanges = false;
                }
            }
        }
    }

    /**
     * A training date in the future (a typo: 2062 for 2026) would make the model's age negative, so
     * that no maximum age would ever apply. A day of tolerance for clocks that disagree.
     */
    private static void requireTrainedBeforeNow(ModelInfo info, Clock clock) {
        Instant now = clock.instant();
        if (info.trainedAt().isAfter(now.plus(java.time.Duration.ofDays(1)))) {
            throw new IllegalArgumentException("model " + info.name() + "@" + info.version() + " was trained at "
                    + info.trainedAt() + ", after the Guard clock's time " + now + ": a training date in the "
                    + "future would keep the policy's maximum model age from ever applying; check ModelInfo.trainedAt");
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the Guard is closed");
        }
    }

    @Override
    public void close() {
        boolean first;
        synchronized (reloadLock) {
            first = !closed;
            closed = true;
        }
        if (!first) {
            awaitFirstClose();
            return;
        }
        try {
            awaitRunningRequests();
        } finally {
            auditClosing = true;
            try {
                audit.close();
            } catch (AuditException e) {
                lostRecords = e;
                throw e;
            } finally {
                try {
                    state.close();
                } finally {
                    closeFinished.countDown();
                }
            }
        }
    }

    /**
     * A later close: returns once the first has finished (a shutdown hook and a finally block that
     * both close must not let the process exit before the records are written), and reports records
     * the first could not write as the first did. Not interruptible: returning early would break
     * that promise; an interrupt is kept for the caller.
     */
    private void awaitFirstClose() {
        boolean interrupted = false;
        while (true) {
            try {
                closeFinished.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        AuditException lost = lostRecords;
        if (lost != null) {
            throw new AuditException(lost.getMessage(), lost);
        }
    }

    /**
     * Waits, up to the close timeout, until every request admitted before {@link #closed} was set
     * has had its record appended (or refused), so that each gets its record. Polled: close is rare
     * and the request path stays two uncontended counter increments.
     */
    private void awaitRunningRequests() {
        // A timeout beyond what a long of nanoseconds holds (about 292 years) waits without a deadline.
        boolean forever = closeTimeout.compareTo(Duration.ofNanos(Long.MAX_VALUE / 2)) >= 0;
        long deadline = forever ? 0 : System.nanoTime() + closeTimeout.toNanos();
        long running;
        while ((running = running()) > 0) {
            if (!forever && System.nanoTime() - deadline >= 0) {
                LOG.log(System.Logger.Level.WARNING, ControlChars.escaped(running + " request(s) whose audit record the log had not taken "
                        + "were still running " + closeTimeout.toMillis() + " ms after close() began; closing the audit "
                        + "log: a request whose record it has not taken by then is refused with audit_unavailable "
                        + "(raise Guard.Builder.closeTimeout to wait longer)"));
                return;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("close() was interrupted while " + running + " request(s) whose "
                        + "audit record the log had not taken were running; closing the audit log: a request whose "
                        + "record it has not taken by then is refused with audit_unavailable"));
                return;
            }
        }
    }

    /**
     * How many admitted requests have not left yet, at some instant during the call (never fewer):
     * {@code left} is read before {@code entered}, and each request counts itself in before it
     * counts itself out, so a 0 means that at the instant {@code left} was read, every request that
     * had entered had left; one entering later sees {@link #closed}.
     */
    private long running() {
        long out = left.sum();
        return entered.sum() - out;
    }

    @Override
    public Response predict(Request<I> request) {
        Objects.requireNonNull(request, "request");
        if (closed) {
            // Not counted in: close() waits only for requests admitted before it began, and a steady
            // stream of refusals counted in and out would rarely let the count reach 0.
            Exchange refused = unrecorded(closedDenial());
            publish(refused);
            return refused.answer;
        }
        // Counted in before closed is read again: close() either sees this request or this request
        // sees closed (both are volatile accesses).
        entered.increment();
        Exchange x;
        try {
            x = admitted(request);
        } finally {
            // Counted out once its record was appended (or refused): that is what close() waits for.
            // The listeners run after, unwaited: a request blocked in one has its answer and record.
            left.increment();
        }
        publish(x);
        if (x.interrupted) {
            // Set again only now, after the record and the listeners: an interrupted thread would
            // have the record refused (an async log's wait for queue space is interruptible) and a
            // listener's hand-over (a queue, an HTTP call) fail.
            Thread.currentThread().interrupt();
        }
        return x.answer;
    }

    /**
     * The answer of a closed Guard: nothing can be recorded any more, so nothing may be answered; ask
     * neither the policy nor the model (no rate token, no privacy budget, no model call for a withheld
     * answer).
     */
    private static Response.Denied closedDenial() {
        return new Response.Denied(DecisionIds.next(), List.of(Reason.of(
                ReasonCode.AUDIT_UNAVAILABLE, Stage.AUDIT, "", "the Guard is closed: no audit record can be "
                        + "written, so nothing is released")));
    }

    /** A request refused before it ran, with no record: {@code d} is its answer, published as any other. */
    private static Exchange unrecorded(Response.Denied d) {
        Exchange x = new Exchange(d.decisionId(), 0); // no record, so no time: no caller, no alerts
        x.answer = d;
        return x;
    }

    /**
     * Runs an admitted request up to its audit record: returns its exchange with its answer
     * ({@link Exchange#answer}), whose listeners {@link #predict} calls.
     */
    private Exchange admitted(Request<I> request) {
        if (closed) {
            return unrecorded(closedDenial());
        }
        AuditUnavailableException refused = audit.refusal();
        if (refused != null) {
            // The log refuses records now (a full disk it waits out, or a failure for good): this
            // request's record would be refused too, so run nothing that spends (quota, rate tokens,
            // privacy budget, detector counts) and do not ask the model. No record, as for any
            // answer whose record cannot be written.
            Response.Denied d = new Response.Denied(DecisionIds.next(), List.of(Reason.of(
                    ReasonCode.AUDIT_UNAVAILABLE, Stage.AUDIT, "", "the audit log cannot take records now; nothing "
                            + "is released unrecorded")));
            auditOutages.failed(d.decisionId(), "refused before it ran (audit_unavailable)", refused);
            return unrecorded(d);
        }
        long t0 = System.nanoTime();
        InForce<I> now = inForce;
        PolicyRuntime rt = now.runtime();
        Model<I> m = now.model();
        Exchange x = new Exchange(DecisionIds.next(), clock.millis());
        try {
            run(rt, m, request, x);
        } catch (Exception | Error e) {
            // Last line of defence: a bug in the pipeline itself, or an extension point written in a
            // language without checked exceptions (Kotlin, Scala) throwing an undeclared one. Deny.
            keepInterrupt(x, e);
            x.deny(Reason.of(ReasonCode.INTERNAL_ERROR, x.stage, "", "the request could not be evaluated"));
            x.outcome(x.stage, StageOutcome.ERROR);
            LOG.log(System.Logger.Level.ERROR, ControlChars.escaped("stage " + x.stage.id() + " failed for decision " + x.id),
                    Failures.loggable(e));
        }
        Response response = x.response();
        if (Thread.interrupted()) {
            // Interrupted and not yet reported by user code (a Redis wait, a model that sets the flag
            // and throws a wrapper): kept and set again at the end, not left to refuse the record.
            x.interrupted = true;
        }
        try {
            if (auditClosing) {
                throw new IllegalStateException("the Guard was closed while this request ran, and did not wait for "
                        + "it (Guard.Builder.closeTimeout)");
            }
            AuditRecord rec;
            try {
                rec = record(rt, m, x, response, System.nanoTime() - t0);
            } catch (RuntimeException | Error e) { // an Error too (a policy that ran out of memory): still a record
                // A record that cannot be built must not cost the request its record: withhold the
                // answer and record that, with what is sure to be recordable.
                LOG.log(System.Logger.Level.ERROR, ControlChars.escaped("audit record for decision " + x.id + " could not be built; "
                        + "answer withheld, a minimal record written"), Failures.loggable(e));
                response = new Response.Denied(x.id, List.of(Reason.of(ReasonCode.INTERNAL_ERROR, Stage.AUDIT, "",
                        "the audit record could not be built; nothing is released unrecorded")));
                rec = minimalRecord(rt, m, x, response, System.nanoTime() - t0);
            }
            audit.append(rec);
            auditOutages.succeeded();
        } catch (Exception | Error e) {
            auditOutages.failed(x.id, "refused (audit_unavailable)", e);
            response = new Response.Denied(x.id, List.of(Reason.of(ReasonCode.AUDIT_UNAVAILABLE, Stage.AUDIT, "",
                    "the audit record could not be written; nothing is released unrecorded")));
        }
        x.answer = response;
        return x;
    }

    private void run(PolicyRuntime rt, Model<I> m, Request<I> request, Exchange x) {
        GuardSettings settings = rt.settings();
        // ---------------------------------------------------------------- 1 ACCESS (local part)
        x.stage = Stage.ACCESS;
        PolicyInput in;
        Features features;
        AccessDecision ad;
        ValidationDecision vd;
        Violation violation;
        try {
            AuthResult auth = rt.authenticator().authenticate(request.credentials());
            if (auth instanceof AuthResult.Failure f) {
                x.deny(Reason.of(ReasonCode.UNAUTHENTICATED, Stage.ACCESS, "", f.message()));
                x.outcome(Stage.ACCESS, StageOutcome.DENY);
                return;
            }
            x.caller = ((AuthResult.Success) auth).caller();
            try {
                // Features nobody else can change: what is validated, monitored and recorded must not
                // change under the Guard (a model normalising its input in place, a caller reusing its
                // array). Features that own their vector need no copy (Features, "Ownership"), nor do
                // features that nothing reads after the model has had them (PolicyRuntime.copiesFeatures).
                features = Objects.requireNonNull(m.featureView().features(request.input()), "feature view returned null");
                if (!features.isOwned()) {
                    if (rt.copiesFeatures()) {
                        features = features.copy();
                    } else {
                        x.featuresBorrowed = true;
                    }
                }
            } catch (OutOfMemoryError | InternalError e) {
                throw e;
            } catch (Exception | Error e) {
                if (interrupted(e)) {
                    // The service cancelled the request while its input was read: not the caller's fault.
                    keepInterrupt(x, e);
                    LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("the feature view was interrupted for decision " + x.id
                            + "; refused as internal_error"));
                    x.deny(Reason.of(ReasonCode.INTERNAL_ERROR, Stage.ACCESS, "", "the request was interrupted "
                            + "while its input was read as features (the service stopped it); try again"));
                    x.outcome(Stage.ACCESS, StageOutcome.ERROR);
                    return;
                }
                // the exception's message may quote the input: the log says what failed, not what it read
                LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("the feature view failed for decision " + x.id + " with "
                        + e.getClass().getName() + (e instanceof NotANumberException ? ": " + e.getMessage() : "")
                        + "; refused as invalid_input"));
                x.deny(Reason.of(ReasonCode.INVALID_INPUT, Stage.ACCESS, "features",
                        "the input could not be read as features (the failure is in the service's log, logger "
                                + "dev.veil.Guard)"));
                x.outcome(Stage.ACCESS, StageOutcome.DENY);
                return;
            }
            x.features = features;
            long payload = request.payloadBytes() >= 0 ? request.payloadBytes() : 8L * features.size();
            x.payloadBytes = payload;
            in = new PolicyInput(x.caller, m.info(), ageDays(m.info(), x.nowMillis), features.size(), payload,
                    features.names(), List.of(), false, null);
            ad = rt.policy().access(in);
            x.rules.add(rt.label(PolicyRuntime.ACCESS, ad.rule()));
            if (!ad.allow()) {
                x.deny(Reason.of(ReasonCode.FORBIDDEN, Stage.ACCESS, ad.rule(), ad.message()));
                x.outcome(Stage.ACCESS, StageOutcome.DENY);
                return;
            }

            // ------------------------------------------------------------ 2 VALIDATION (checked now,
            // reported after the rate limit: a refused input still counts against the caller's rate
            // and quota, so the validation boundary cannot be probed for free)
            x.stage = Stage.VALIDATION;
            vd = rt.policy().validation(in);
            // -1 when the application gave no size: the contract then says its figure is an estimate
            violation = rt.contract(vd.contract()).check(features, request.payloadBytes());
        } catch (Exception e) {
            failClosed(x, e);
            return;
        }

        // ---------------------------------------------------------------- state: one batch
        // Blocks, the rate limit and quota (stage 1) and, for a valid input, every built-in
        // detector's reads and writes (stage 3) go to the state store together: one round trip to a
        // shared store. The block comes first, and a caller found blocked ends the batch there
        // (StateOp.BlockedUntil): its request takes no rate token, no quota and no detector state,
        // as a request refused before the limits must not (docs/policy-reference.md 6.1); otherwise a
        // client retrying through a 10-minute block would use up its quota until UTC midnight.
        // Detectors also see valid requests the limiter then refuses (which only gives them more to
        // go on); they never see an invalid input or a blocked caller's.
        Query query = new Query(x.caller, x.nowMillis, features);
        StatefulDetector[] builtins = rt.builtins();
        Object[] contexts = new Object[builtins.length];
        int[] from = new int[builtins.length];
        List<StateOp> ops = new ArrayList<>(2 + 2 * builtins.length);
        String stateKey = StateKeys.of(x.caller); // a caller is its id within its tenant
        x.stateKey = stateKey;
        ops.add(new StateOp.BlockedUntil(stateKey, x.nowMillis));
        ops.add(new StateOp.Acquire(stateKey, ad.rateLimit(), ad.dailyQuota(), x.nowMillis));
        int spentAt = -1;
        int globalSpentAt = -1;
        if (settings.privacy() != null) { // whether this caller's budget was found spent this period
            spentAt = ops.size();
            ops.add(new StateOp.ListRead(BUDGET_SPENT + stateKey));
            if (settings.privacy().globalEpsilon() > 0) { // and everybody's, where there is a global ledger
                globalSpentAt = ops.size();
                ops.add(new StateOp.ListRead(GLOBAL_SPENT));
            }
        }
        Object[] results;
        boolean[] local = settings.onStateUnavailable() == GuardSettings.OnStateUnavailable.LOCAL
                ? new boolean[1] : null;
        try {
            x.stage = Stage.OBSERVE;
            if (violation == null) {
                for (int i = 0; i < builtins.length; i++) {
                    from[i] = ops.size();
                    contexts[i] = builtins[i].plan(query, ops);
                }
            }
            x.stage = Stage.ACCESS;
            results = state.execute(settings.onStateUnavailable(), local, ops.toArray(new StateOp[ops.size()]));
            if (local != null && local[0]) {
                x.rules.add("state:local"); // decided on this replica's state alone: the record says so
            }
            outages.succeeded();
        } catch (StateUnavailableException e) {
            if (!stateUnavailable(settings, x, e, Stage.ACCESS,
                    "rate limits and monitoring state cannot be reached; try again later")) {
                return;
            }
            results = null;
        } catch (Exception e) {
            failClosed(x, e);
            return;
        }
        if (results != null) {
            x.stage = Stage.ACCESS;
            long blockedUntil = (Long) results[0];
            if (blockedUntil > x.nowMillis) { // the store ran nothing after the block: the other results are null
                if (state.blockedByOverflow(stateKey, local != null && local[0])) {
                    x.deny(Reason.of(ReasonCode.BLOCKED, Stage.ACCESS, "max_callers",
                            COOL_DOWN_OVERFLOW_MESSAGE + Instant.ofEpochMilli(blockedUntil)
                                    + "; raise the bound with Guard.Builder.maxCallers (the service's log, logger"
                                    + " dev.veil.Guard, says when this began)"));
                } else {
                    x.deny(Reason.of(ReasonCode.BLOCKED, Stage.ACCESS, "monitoring", "blocked by monitoring until "
                            + Instant.ofEpochMilli(blockedUntil)));
                }
                x.outcome(Stage.ACCESS, StageOutcome.DENY);
                return;
            }
            if (spentAt >= 0) {
                x.budgetSpentUntil = spentUntil(results[spentAt], settings.privacy(), false);
            }
            if (globalSpentAt >= 0) {
                x.globalSpentUntil = spentUntil(results[globalSpentAt], settings.privacy(), true);
            }
            switch ((StateOp.Permit) results[1]) {
                case ALLOWED -> { }
                case RATE_LIMITED -> {
                    x.deny(Reason.of(ReasonCode.RATE_LIMITED, Stage.ACCESS, ad.rule(), rateLimited(ad.rateLimit())));
                    x.outcome(Stage.ACCESS, StageOutcome.DENY);
                    return;
                }
                case QUOTA_EXHAUSTED -> {
                    x.deny(Reason.of(ReasonCode.QUOTA_EXHAUSTED, Stage.ACCESS, ad.rule(),
                            "daily quota of " + ad.dailyQuota() + " requests used up; it renews at 00:00 UTC"));
                    x.outcome(Stage.ACCESS, StageOutcome.DENY);
                    return;
                }
                case TOO_MANY_CALLERS -> {
                    x.deny(Reason.of(ReasonCode.RATE_LIMITED, Stage.ACCESS, "max_callers", TOO_MANY_CALLERS_MESSAGE));
                    x.outcome(Stage.ACCESS, StageOutcome.DENY);
                    return;
                }
                case THROTTLED -> {
                    x.deny(Reason.of(ReasonCode.RATE_LIMITED, Stage.ACCESS, "monitoring", THROTTLED_MESSAGE));
                    x.outcome(Stage.ACCESS, StageOutcome.DENY);
                    return;
                }
            }
        }
        x.outcome(Stage.ACCESS, results == null ? StageOutcome.DEGRADE : StageOutcome.ALLOW);
        x.stage = Stage.VALIDATION;
        // the contract the input was checked against is part of the decision, passed or not (a rule
        // may widen the default's)
        x.rules.add(rt.label(PolicyRuntime.VALIDATION, vd.rule()));
        if (violation != null) {
            Reason reason = Reason.of(violation.code(), Stage.VALIDATION, vd.rule() + ":" + violation.rule(),
                    violation.message());
            x.deny(reason);
            if (!violation.redacted().equals(violation.message())) {
                x.quoted = reason;
                x.redacted = Reason.of(violation.code(), Stage.VALIDATION, reason.rule(), violation.redacted());
            }
            x.outcome(Stage.VALIDATION, StageOutcome.DENY);
            return;
        }
        x.outcome(Stage.VALIDATION, StageOutcome.ALLOW);

        // ---------------------------------------------------------------- 3 OBSERVE
        x.stage = Stage.OBSERVE;
        Detector[] customs = rt.detectors();
        // Custom detectors get their own copy of the features (the SPI's Query): one that writes
        // them (normalising in place) must not change what the built-in detectors read and the
        // record keeps. Made only when custom detectors are listed: the built-in ones are Veil's.
        Query customQuery = customs.length == 0 ? null : new Query(x.caller, x.nowMillis, features.copy());
        try {
            Signal[] signals = new Signal[(results != null ? builtins.length : 0) + customs.length];
            int count = 0;
            boolean detectorFailed = false;
            if (results != null) {
                for (int i = 0; i < builtins.length; i++) {
                    try {
                        signals[count] = Objects.requireNonNull(builtins[i].evaluate(query, contexts[i], results,
                                from[i]), "detector " + builtins[i].name() + " returned null");
                        count++;
                    } catch (RuntimeException e) {
                        detectorFailed = true;
                        detectorFailed(settings, x, builtins[i].name(), e);
                    }
                }
            }
            for (Detector d : customs) {
                try {
                    Signal sig = d.observe(customQuery);
                    if (sig == null) {
                        throw new DetectorContractException("custom detector '" + printable(d.name())
                                + "' returned null; a detector must return a signal (new Signal(name(), Level.NONE, "
                                + "0) when it sees nothing)");
                    }
                    if (!sig.name().equals(d.name())) {
                        // another name could repeat a signal's, and the policy would read the wrong one
                        throw new DetectorContractException("custom detector '" + printable(d.name())
                                + "' returned a signal named '" + printable(sig.name()) + "'; a detector's signal must "
                                + "carry the detector's name ('" + printable(d.name()) + "')");
                    }
                    signals[count] = sig;
                    count++;
                } catch (OutOfMemoryError | InternalError e) {
                    throw e; // the JVM itself: the last line of defence in predict denies (internal_error)
                } catch (Exception | Error e) { // undeclared checked exceptions and assertions too, as for the model
                    detectorFailed = true;
                    detectorFailed(settings, x, d.name(), e);
                }
            }
            // immutable (up to two without an array): kept as is downstream
            x.signals = List.of(count == signals.length ? signals : Arrays.copyOf(signals, count));
            in = in.withSignals(x.signals, false);
            x.input = in;
            MonitoringDecision md = rt.policy().monitoring(in);
            StageOutcome outcome = detectorFailed ? StageOutcome.ERROR
                    : results == null ? StageOutcome.DEGRADE : StageOutcome.ALLOW;
            List<StateOp> actions = null;
            RuntimeException unappliable = null; // an action that cannot be made: thrown once the others are written
            for (MonitoringAction a : md.actions()) {
                x.rules.add(rt.label(PolicyRuntime.MONITORING, a.rule()));
                Signal s = in.signal(a.signal());
                x.alert(a.rule(), a.action().name().toLowerCase(java.util.Locale.ROOT), s);
                long until = coolDownEnd(x.nowMillis, a.cooldownSeconds()).toEpochMilli();
                switch (a.action()) {
                    case ALERT -> { }
                    case THROTTLE -> {
                        actions = actions == null ? new ArrayList<>(2) : actions;
                        try {
                            actions.add(new StateOp.Throttle(x.stateKey, a.throttlePerSecond(), until));
                        } catch (IllegalArgumentException e) {
                            // a rate no store can count (an engine's infinite one): a block of the same
                            // decision is still written, and this request's denial stands
                            unappliable = unappliable == null ? e : unappliable;
                        }
                    }
                    case DEGRADE -> {
                        x.degraded = true;
                        outcome = outcome == StageOutcome.ERROR ? outcome : StageOutcome.DEGRADE; // a failure stays said
                    }
                    case BLOCK -> {
                        actions = actions == null ? new ArrayList<>(2) : actions;
                        actions.add(new StateOp.Block(x.stateKey, until));
                        x.deny(Reason.of(ReasonCode.BLOCKED, Stage.OBSERVE, a.rule(),
                                "blocked by monitoring until " + Instant.ofEpochMilli(until)));
                        outcome = StageOutcome.DENY;
                    }
                }
            }
            if (actions != null && !actions.isEmpty()) {
                // Blocks and throttles must hold on every replica before the next request: wait for them.
                try {
                    state.execute(settings.onStateUnavailable(), actions.toArray(StateOp[]::new));
                } catch (StateUnavailableException e) {
                    // The store went away since this request's batch (local never gets here): an
                    // outage, which on_state_unavailable decides, not on_error. A block's denial of
                    // this request stands whatever it says (degrade never turns a block into an
                    // answer); the record says the block was not written. A throttle that was not
                    // written denies the request (deny) or degrades it (degrade).
                    if (x.denied()) {
                        outages.failed(x.id, "denied", e);
                        addOnce(x.rules, "state:unavailable"); // the first batch may have failed too
                    } else if (!stateUnavailable(settings, x, e, Stage.OBSERVE,
                            "monitoring state cannot be reached; try again later")) {
                        return;
                    } else if (outcome != StageOutcome.ERROR) {
                        outcome = StageOutcome.DEGRADE;
                    }
                }
            }
            if (unappliable != null) {
                throw unappliable; // a monitoring failure, after what could be written was
            }
            x.outcome(Stage.OBSERVE, outcome);
            if (x.denied()) {
                return;
            }
        } catch (Exception e) {
            // A denial reached before the failure (a block) stands: degrade never turns it into an answer.
            if (settings.onError() != GuardSettings.OnError.DEGRADE || x.denied() || interrupted(e)) {
                failClosed(x, e);
                return;
            }
            failures.log("stage observe", System.Logger.Level.WARNING, "monitoring failed for decision " + x.id
                    + "; degrading", "stage", e);
            x.outcome(Stage.OBSERVE, StageOutcome.ERROR);
            x.degraded = true;
        }

        modelAndOutput(rt, m, request, x, in, query, customQuery, contexts, results != null, settings);
    }

    /**
     * The state store could not be reached at {@code stage}: under {@code on_state_unavailable: deny}
     * the request is denied ({@code state_unavailable}) and this returns false; otherwise (degrade;
     * local never gets here) the request goes on degraded, marked {@code state:unavailable}.
     */
    private boolean stateUnavailable(GuardSettings settings, Exchange x, StateUnavailableException e, Stage stage,
            String message) {
        if (settings.onStateUnavailable() != GuardSettings.OnStateUnavailable.DEGRADE) {
            outages.failed(x.id, "denied", e);
            x.deny(Reason.of(ReasonCode.STATE_UNAVAILABLE, stage, "on_state_unavailable", message));
            x.outcome(stage, StageOutcome.ERROR);
            return false;
        }
        outages.failed(x.id, "degraded", e);
        x.degraded = true;
        addOnce(x.rules, "state:unavailable");
        return true;
    }

    /**
     * One detector failed to give its signal. Under {@code on_error: degrade} the request goes on
     * degraded without that signal, and the others' signals still reach the {@code monitoring}
     * question (so that an input that trips one detector does not switch off the blocks of the
     * others); otherwise the failure is rethrown, and the request denied.
     */
    private void detectorFailed(GuardSettings settings, Exchange x, String detector, Throwable e) {
        // an interrupt is rethrown, and failClosed keeps it
        if (settings.onError() != GuardSettings.OnError.DEGRADE || interrupted(e)) {
            throw e instanceof RuntimeException r ? r : new IllegalStateException("detector " + detector + " failed", e);
        }
        failures.failed(detector, x.id, "to give its signal (left out, the request degraded)", e);
        x.degraded = true;
        x.rules.add("monitoring:" + detector + ":error");
    }

    /**
     * Stages 4 (model, with the model-age check) and 5 (output) of {@link #run}. A method of its own so
     * that the JIT compiles it as a unit: inside one method with the first three stages, it
     * reached the compiler's node limit, which then stopped inlining the output stage's calls.
     */
    private void modelAndOutput(PolicyRuntime rt, Model<I> m, Request<I> request, Exchange x, PolicyInput in,
            Query query, Query customQuery, Object[] contexts, boolean stateOk, GuardSettings settings) {
        // The model's age is checked even when monitoring failed: a stale model under a deny policy
        // must not answer, degraded or not. A failure here always denies.
        x.stage = Stage.MODEL;
        try {
            ModelDecision mdl = rt.policy().model(in);
            if (mdl.stale()) {
                x.rules.add(rt.label(PolicyRuntime.MODEL, mdl.rule()));
                x.alert(mdl.rule(), "model_stale", null);
                if (mdl.action() == StaleAction.DENY) {
                    // the caller's text: not the model's name and version (the record and the alert carry them)
                    x.deny(Reason.of(ReasonCode.MODEL_STALE, Stage.MODEL, mdl.rule(),
                            "the model is older than the policy allows"));
                    x.outcome(Stage.MODEL, StageOutcome.DENY);
                    return;
                } else if (mdl.action() == StaleAction.DEGRADE) {
                    x.degraded = true;
                }
            }
        } catch (Exception e) {
            failClosed(x, e);
            return;
        }

        // ---------------------------------------------------------------- 4 MODEL
        x.stage = Stage.MODEL;
        Prediction raw;
        try {
            raw = m.predictFunction().predict(request.input());
        } catch (OutOfMemoryError | InternalError e) {
            throw e; // the JVM itself: the last line of defence in predict denies (internal_error)
        } catch (Exception | Error e) {
            keepInterrupt(x, e); // a predict function's own timeout, say (Future.get), interrupted
            // an assertion or a linkage error of the model's code is the model's failure too. Its message
            // (and a cause's, in the stack trace) may quote the input, which the policy may mask in the
            // audit log: as for the feature view, the log says what failed, not what it read. Prediction's
            // own refusals quote counts only, and say what to fix: those are logged.
            LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("model failed for decision " + x.id + " with "
                    + (e instanceof InvalidPredictionException ipe ? "a Prediction it could not build: " + ipe.getMessage()
                    : e.getClass().getName() + " (its message and stack trace are left out: they may quote the input; "
                    + "a model that needs them logs them in its own predict function)")));
            x.deny(Reason.of(ReasonCode.MODEL_ERROR, Stage.MODEL, "", "the model could not answer; the service's log "
                    + "says why"));
            x.outcome(Stage.MODEL, StageOutcome.ERROR);
            return;
        }
        String problem = predictionProblem(raw);
        if (problem != null) {
            LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("the model's answer for decision " + x.id + " was refused: " + problem));
            x.deny(Reason.of(ReasonCode.MODEL_ERROR, Stage.MODEL, "", "the model's answer was refused: " + problem));
            x.outcome(Stage.MODEL, StageOutcome.ERROR);
            return;
        }
        x.outcome(Stage.MODEL, StageOutcome.ALLOW);
        x.rawPrediction = raw;
        // Made now only for an output question that reads it; otherwise by the record, if it shows it.
        x.summary = rt.outputReadsPrediction() ? PredictionSummary.of(raw) : null;
        if (!learn(rt, query, customQuery, contexts, raw, stateOk, settings, x)) {
            return;
        }

        // ---------------------------------------------------------------- 5 OUTPUT
        x.stage = Stage.OUTPUT;
        try {
            ReleaseSpec spec;
            boolean borrowedNoise = false; // a degraded answer carrying the normal release's noise
            ReleaseSpec normalRelease = null; // a regression's, for a degraded value no finer than it
            if (x.degraded) {
                spec = settings.degradedRelease();
                x.rules.add("output:degraded");
                boolean regression = raw.kind() == Prediction.Kind.REGRESSION;
                boolean unpaid = spec.noise() == null && settings.privacy() != null;
                if (regression || unpaid) { // the normal release for this request, as the output rules choose it
                    normalRelease = rt.policy().output(in.withPrediction(x.summary, false)).release();
                }
                // A degraded answer must never tell more than the normal one. Under a budget it carries the
                // normal release's noise, and is charged for it like the normal one: a classification's when
                // that noise may change the label (next to a noisy label, the exact top label is more, and
                // free); a regression's always (it is never released without its noise), rounded as the
                // degraded release says, and then no finer than the normal one (below).
                if (unpaid && normalRelease.noise() != null && (regression || normalRelease.allowLabelChange())) {
                    spec = new ReleaseSpec(ReleaseSpec.Form.LABEL_ONLY, 0, spec.round(), 0, null, normalRelease.noise(),
                            true);
                    borrowedNoise = true;
                }
            } else {
                var od = rt.policy().output(in.withPrediction(x.summary, false));
                x.rules.add(rt.label(PolicyRuntime.OUTPUT, od.rule()));
                spec = od.release();
                normalRelease = spec;
            }
            // a release for a regression's value answering a classification: refused before any charge,
            // with the policy's fault named (the message quotes the release, not the request)
            try {
                ReleaseTransformer.requireApplicable(raw, spec);
            } catch (IllegalArgumentException e) {
                throw new UnreleasableException(e.getMessage());
            }
            String spent = null; // why the budget could not pay, when it could not
            if (x.budgetSpentUntil > x.nowMillis) {
                // Spent earlier this period: every release to this caller is treated as unpayable, not
                // only the noisy ones, or the form of the answer (plain here, refused or degraded there)
                // would keep telling, for free, which rule the raw prediction chose.
                spent = budgetMessage(StateOp.Budget.CALLER_EXHAUSTED, settings, x.nowMillis);
            } else if (x.globalSpentUntil > x.nowMillis) {
                // The same for everybody once the global budget is spent: the denial of a noisy release
                // beside a plain one would tell any caller, for free, which rule answered.
                spent = budgetMessage(StateOp.Budget.GLOBAL_EXHAUSTED, settings, x.nowMillis);
            } else if (borrowedNoise && !stateOk) {
                // The store did not answer this request's batch: the ledger cannot be asked either
                // (asking would cost a second timeout), so the noise cannot be paid for.
                spent = LEDGER_UNREACHABLE;
            } else if (spec.noise() != null) {
                // Checked before charging (the YAML engine refuses both at load; a Rego decision is
                // read per request): no budget, or a release no budget can pay, spends nothing.
                String unpayable = unpayable(rt, settings, spec);
                // Noise that cannot be sampled for this model's class count (Laplace at a tiny epsilon
                // and many classes: the spec checks one value only) is refused here, before the charge,
                // saying why, rather than charged and then failing in the transform as internal_error.
                String unsampleable = unpayable == null ? ReleaseTransformer.noiseProblem(raw, spec) : null;
                if (unpayable != null) {
                    spent = "this release can never be charged: " + unpayable;
                } else if (unsampleable != null) {
                    spent = "this release's noise cannot be sampled for " + (raw.kind() == Prediction.Kind.REGRESSION
                            ? "a regression" : raw.scores().length + " classes") + ": " + unsampleable;
                } else {
                    StateOp.Budget charge = charge(settings, x, spec);
                    if (charge != StateOp.Budget.GRANTED) {
                        // an outage is not a spent budget: no renewal time to give, only to retry
                        spent = x.ledgerUnreachable ? LEDGER_UNREACHABLE : budgetMessage(charge, settings, x.nowMillis);
                        // a ledger that refused, not one that could not be reached (taken as spent for this
                        // request only: a mark would make one timeout a whole period's refusals)
                        if (!x.ledgerUnreachable && (charge == StateOp.Budget.CALLER_EXHAUSTED
                                || charge == StateOp.Budget.GLOBAL_EXHAUSTED)) {
                            markSpent(settings, x, charge == StateOp.Budget.GLOBAL_EXHAUSTED);
                        }
                    }
                }
            }
            if (spent != null) {
                if (settings.privacy().onExhausted() == GuardSettings.PrivacyBudget.OnExhausted.DENY) {
                    x.deny(Reason.of(ReasonCode.BUDGET_EXHAUSTED, Stage.OUTPUT, "privacy", spent));
                    x.outcome(Stage.OUTPUT, StageOutcome.DENY);
                    return;
                }
                x.degraded = true;
                x.rules.add("output:budget_exhausted");
                borrowedNoise = false;
                spec = settings.degradedRelease().noise() == null ? settings.degradedRelease() : ReleaseSpec.LABEL_ONLY;
            }
            // Under a privacy budget a regression is never released without its noise: it has no label
            // to fall back on, and its degraded form is its value, rounded. One rule for every degraded
            // answer, whether monitoring, the model's age or a spent budget degraded it.
            if (x.degraded && spec.noise() == null && settings.privacy() != null
                    && raw.kind() == Prediction.Kind.REGRESSION) {
                x.deny(Reason.of(ReasonCode.BUDGET_EXHAUSTED, Stage.OUTPUT, "privacy", (spent != null ? spent
                        : "a degraded answer of a regression would carry no noise while output.privacy is set")
                        + " (a regression's answer is never released without its noise)"));
                x.outcome(Stage.OUTPUT, StageOutcome.DENY);
                return;
            }
            if (borrowedNoise) {
                x.rules.add("output:degraded_with_noise"); // paid for: the answer carries it
            }
            ReleasedPrediction release = transformer.apply(raw, spec, spec.noise() == null ? null : randoms.get());
            if (x.degraded && normalRelease != null && raw.kind() == Prediction.Kind.REGRESSION) {
                // a degraded request never gets more than a normal one: not a finer value either
                release = transformer.noFinerThan(release, normalRelease);
            }
            x.release(release);
            x.outcome(Stage.OUTPUT, x.degraded ? StageOutcome.DEGRADE : StageOutcome.ALLOW);
        } catch (Exception e) {
            if (settings.onError() != GuardSettings.OnError.DEGRADE || interrupted(e)) {
                failClosed(x, e);
                return;
            }
            if (settings.privacy() != null
                    && settings.privacy().onExhausted() == GuardSettings.PrivacyBudget.OnExhausted.DENY) {
                // Under on_exhausted: deny an answer nobody paid for is never released: the label below
                // would be free, whether the budget is spent (marked or not yet), the global one is, or
                // the ledger was never asked.
                if (x.budgetSpentUntil > x.nowMillis || x.globalSpentUntil > x.nowMillis) {
                    boolean own = x.budgetSpentUntil > x.nowMillis;
                    LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("output minimisation failed for decision " + x.id
                            + "; the " + (own ? "caller's" : "global") + " privacy budget is spent (on_exhausted: deny), "
                            + "so denying"), Failures.loggable(e));
                    x.deny(Reason.of(ReasonCode.BUDGET_EXHAUSTED, Stage.OUTPUT, "privacy",
                            budgetMessage(own ? StateOp.Budget.CALLER_EXHAUSTED : StateOp.Budget.GLOBAL_EXHAUSTED,
                            settings, x.nowMillis)));
                    x.outcome(Stage.OUTPUT, StageOutcome.ERROR);
                } else {
                    failClosed(x, e);
                }
                return;
            }
            if (raw.kind() == Prediction.Kind.REGRESSION) {
                failClosed(x, e); // no label to fall back on: a regression's most minimised release is none
                return;
            }
            failures.log("stage output", System.Logger.Level.WARNING, "output minimisation failed for decision "
                    + x.id + "; degrading", "stage", e);
            x.degraded = true;
            x.release(labelOnly(raw));
            x.outcome(Stage.OUTPUT, StageOutcome.ERROR);
        }
    }

    /**
     * The state list that marks a caller's privacy budget spent for the period: one entry, the
     * period's end and the caller's budget it was spent under ({@link #spentMark}). Protecting
     * state: the in-memory store never evicts it ({@link StateKeys#BUDGET_SPENT}).
     */
    private static final String BUDGET_SPENT = StateKeys.BUDGET_SPENT;
    /** Bytes of a spent mark: its end, then period_seconds, per_caller_epsilon and per_caller_delta. */
    private static final int SPENT_MARK_BYTES = 4 * Long.BYTES;
    /**
     * The state list that marks the global budget spent for the period, as {@link #BUDGET_SPENT} a
     * caller's: its suffix is empty, which no caller's state key is (an id is never empty). Its entry
     * holds the end and the global budget it was spent under ({@link #spentUntil}).
     */
    private static final String GLOBAL_SPENT = BUDGET_SPENT;

    /**
     * The latest end among a spent-budget list's entries (millis) that were set under the budget in
     * force ({@code privacy}'s period, and its per-caller epsilon and delta, or with {@code global}
     * its global ones), 0 when none. A mark set under other settings says nothing about these: after
     * a reload that changes them the ledger alone decides (policy reference 5.6), and its next
     * refusal sets a mark again. Entries of another length (from a release that kept only the end)
     * are ignored the same way.
     */
    private static long spentUntil(Object list, GuardSettings.PrivacyBudget privacy, boolean global) {
        long until = 0;
        if (list instanceof List<?> entries && privacy != null) {
            byte[] budget = null; // made only for a mark: nearly every request finds none
            for (Object e : entries) {
                if (e instanceof byte[] b && b.length == SPENT_MARK_BYTES) {
                    if (budget == null) {
                        budget = spentMark(0, privacy, global);
                    }
                    if (Arrays.equals(b, Long.BYTES, SPENT_MARK_BYTES, budget, Long.BYTES, SPENT_MARK_BYTES)) {
                        until = Math.max(until, java.nio.ByteBuffer.wrap(b).getLong());
                    }
                }
            }
        }
        return until;
    }

    /**
     * A spent mark: {@code end}, then the budget it holds for ({@link #spentUntil}): the period and the
     * per-caller epsilon and delta, or with {@code global} the global ones.
     */
    private static byte[] spentMark(long end, GuardSettings.PrivacyBudget privacy, boolean global) {
        return java.nio.ByteBuffer.allocate(SPENT_MARK_BYTES).putLong(end).putLong(privacy.periodSeconds())
                .putLong(Double.doubleToLongBits(global ? privacy.globalEpsilon() : privacy.perCallerEpsilon()))
                .putLong(Double.doubleToLongBits(global ? privacy.globalDelta() : privacy.perCallerDelta())).array();
    }

    /**
     * Marks the caller's budget spent until its period ends (budgets that never renew: for good),
     * so that later releases to it are treated as unpayable whatever their form; with
     * {@code global}, the global budget, so that every release to every caller is. Not waited for;
     * lost with the store (never to make room in it), the ledger itself still refuses every charge.
     * The mark holds only while the budget stays what it was set under ({@link #spentUntil}).
     */
    private void markSpent(GuardSettings settings, Exchange x, boolean global) {
        long end = spentMarkEnd(x.nowMillis, settings.privacy().periodSeconds());
        long ttl = end == Long.MAX_VALUE ? NEVER_ENDING_MARK_TTL
                : Math.min(Math.max(1, end - x.nowMillis), MAX_MARK_TTL);
        byte[] value = spentMark(end, settings.privacy(), global);
        try {
            state.submit(settings.onStateUnavailable(), new StateOp.ListAppend(global ? GLOBAL_SPENT
                    : BUDGET_SPENT + x.stateKey, value, 1, ttl));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("could not mark the privacy budget of "
                    + (global ? "all callers" : "decision " + x.id + "'s caller") + " spent"), e);
        }
    }

    /** How long a spent mark that never ends is kept (the ledger itself keeps refusing after it goes). */
    private static final long NEVER_ENDING_MARK_TTL = 400L * 86_400_000L;
    /** The longest time to live of a spent mark: 2^53 ms (285,000 years), as the Redis ledger's own. */
    private static final long MAX_MARK_TTL = 1L << 53;

    /**
     * The end, in epoch millis, of the privacy period of {@code periodSeconds} holding
     * {@code nowMillis}: the ledger's own period end ({@link PrivacyUnits#periodEnd}, in epoch seconds)
     * in millis, {@link Long#MAX_VALUE} for budgets that never renew ({@code 0}) and for a period whose
     * end lies beyond what a long of millis holds. Saturating, not overflowing: a
     * {@code period_seconds} of 9.3e15 (accepted, as the ledger renews at epoch seconds and
     * saturates the same way) wrapped {@code periodSeconds * 1000} negative, the mark ended at 0
     * and was ignored, and a spent caller's plain answers went on telling which rule chose noise.
     */
    static long spentMarkEnd(long nowMillis, long periodSeconds) {
        long end = PrivacyUnits.periodEnd(Math.floorDiv(nowMillis, 1000L), periodSeconds);
        return end > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : end * 1000;
    }

    /**
     * A custom detector that broke the SPI's contract (no signal, or one under another name). The
     * message is Veil's, naming the detector, so the log keeps it ({@link Failures}).
     */
    static final class DetectorContractException extends IllegalStateException {
        DetectorContractException(String message) {
            super(message);
        }
    }

    /** A detector's or signal's name as the log may quote it: escaped and cut like a feature name. */
    private static String printable(String name) {
        return dev.veil.internal.validation.FeatureNames.printable(name);
    }

    /**
     * An output decision the Guard cannot carry out because of how the policy is written; its
     * message names the cause and is safe to tell the caller (it quotes the policy, not the request).
     */
    static final class UnreleasableException extends IllegalStateException {
        UnreleasableException(String message) {
            super(message);
        }
    }

    /**
     * Why a release with noise can never be charged under the policy's budgets (its epsilon or
     * delta exceeds a whole period's), or null when it can.
     *
     * @throws UnreleasableException when the policy has no {@code output.privacy} at all
     */
    private static String unpayable(PolicyRuntime rt, GuardSettings settings, ReleaseSpec spec) {
        GuardSettings.PrivacyBudget budget = settings.privacy();
        if (budget == null) {
            throw new UnreleasableException("a release with noise needs output.privacy, the budget its epsilon is "
                    + "charged to: this output decision names noise and the policy's settings have no output.privacy");
        }
        // A YAML policy refused at load any release its budgets could never pay: only an engine that
        // decides per request (Rego) needs the exact unit conversions again here.
        return rt.noiseCheckedAtLoad() ? null : budget.unpayable(spec.noise());
    }

    /** Charges a noisy release; an unreachable store under degrade or deny counts as a spent budget. */
    private StateOp.Budget charge(GuardSettings settings, Exchange x, ReleaseSpec spec) {
        try {
            StateOp.Budget b = (StateOp.Budget) state.execute(settings.onStateUnavailable(), new StateOp.Charge(
                    x.stateKey, spec.noise().epsilon(), spec.noise().delta(), settings.privacy(), x.nowMillis))[0];
            ledgerOutages.succeeded();
            return b;
        } catch (StateUnavailableException e) {
            ledgerOutages.failed(x.id, "treated as over budget", e);
            x.ledgerUnreachable = true;
            return StateOp.Budget.GLOBAL_EXHAUSTED;
        }
    }

    /**
     * Detectors store what later queries need to know about this answer; nothing waits for it. A
     * detector that cannot store it, or a store that refuses it now, is handled as the policy says
     * for a detector failure ({@code on_error}) or an unreachable store ({@code on_state_unavailable}).
     *
     * @return false when the request was denied for it ({@code x} says why)
     */
    private boolean learn(PolicyRuntime rt, Query query, Query customQuery, Object[] contexts, Prediction raw,
            boolean stateOk, GuardSettings settings, Exchange x) {
        StatefulDetector[] builtins = rt.builtins();
        Stage at = x.stage;
        x.stage = Stage.OBSERVE; // what fails here is the detectors' part of the request
        try {
            // Every detector remembers what it can, whichever failed: one that throws on a chosen input
            // must not keep the others from seeing the query.
            Throwable failed = null;
            boolean interrupt = false; // any failure, not only the first, may be an interrupted wait
            List<StateOp> later = stateOk && builtins.length > 0 ? new ArrayList<>(builtins.length) : null;
            if (later != null) {
                for (int i = 0; i < builtins.length; i++) {
                    try {
                        builtins[i].record(query, contexts[i], raw, later);
                    } catch (RuntimeException e) {
                        failed = rememberFailed(x, builtins[i].name(), e, failed);
                        interrupt |= interrupted(e);
                    }
                }
            }
            Detector[] customs = rt.detectors();
            // Their own copy of the scores too: one that sorts them in place must not change the
            // answer released from them after this. (Labels and a regression's value are immutable.)
            Prediction theirs = customs.length == 0 || raw.kind() == Prediction.Kind.REGRESSION ? raw
                    : Prediction.classification(raw.labels(), raw.scores().clone());
            for (Detector d : customs) {
                try {
                    d.afterPrediction(customQuery, theirs);
                } catch (OutOfMemoryError | InternalError e) {
                    throw e; // the JVM itself: the last line of defence in predict denies (internal_error)
                } catch (Exception | Error e) { // undeclared checked exceptions and assertions too, as for the model
                    failed = rememberFailed(x, d.name(), e, failed);
                    interrupt |= interrupted(e);
                }
            }
            if (later != null && !later.isEmpty()) {
                try {
                    state.submit(settings.onStateUnavailable(), later.toArray(StateOp[]::new));
                } catch (StateUnavailableException e) {
                    // The store went away since this request read it: the detectors would not
                    // remember this query. on_state_unavailable decides, as for a read.
                    if (!stateUnavailable(settings, x, e, Stage.OBSERVE,
                            "monitoring state cannot be reached; try again later")) {
                        return false;
                    }
                } catch (RuntimeException e) { // a store that fails otherwise (closed, a bug): a detector failure
                    LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("the detectors' state of decision " + x.id + " could not be "
                            + "stored"), Failures.loggable(e));
                    failed = failed != null ? failed : e;
                    interrupt |= interrupted(e);
                }
            }
            if (failed != null) {
                // A detector that cannot remember this query is a detector failure (policy reference
                // 6.3): deny, or under on_error: degrade answer with the degraded release.
                if (settings.onError() != GuardSettings.OnError.DEGRADE || interrupt) {
                    failClosed(x, failed);
                    return false;
                }
                x.outcome(Stage.OBSERVE, StageOutcome.ERROR);
                x.degraded = true;
            }
        } finally {
            x.stage = at;
        }
        return true;
    }

    /** A detector failed to remember the query: logged and named in the record; the first failure is kept. */
    private Throwable rememberFailed(Exchange x, String detector, Throwable e, Throwable first) {
        keepInterrupt(x, e);
        failures.failed(detector, x.id, "to remember the query", e);
        addOnce(x.rules, "monitoring:" + detector + ":error"); // it may have failed in observe too
        return first != null ? first : e;
    }

    private static void addOnce(List<String> rules, String rule) {
        if (!rules.contains(rule)) {
            rules.add(rule);
        }
    }

    /**
     * Whether {@code e} comes from an interrupted wait (the state store's, say). An interrupt is not a
     * failure a policy degrades around: the thread is being stopped, so the request is denied.
     */
    static boolean interrupted(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Notes that {@code e} comes from an interrupted wait (an InterruptedException that user code,
     * the feature view, the model or a custom detector, let through, which cleared the thread's
     * interrupt flag): the flag is set again once the request's record was appended and its
     * listeners have run ({@link #predict}), so that the service's thread still knows it was
     * interrupted, and neither the record (an asynchronous log's wait for queue space is
     * interruptible) nor a listener's hand-over is refused for it.
     */
    private static void keepInterrupt(Exchange x, Throwable e) {
        if (interrupted(e)) {
            x.interrupted = true;
        }
    }

    /**
     * When a cool-down that starts now ends. A cool-down longer than the limiter can count (it keeps
     * time in nanoseconds since the epoch in a long, i.e. until 2262) ends then: a policy's
     * {@code cooldown_seconds: 100000000000000000} means "for good", not an exception that would
     * let the caller through degraded under {@code on_error: degrade}.
     */
    static Instant coolDownEnd(long nowMillis, long cooldownSeconds) {
        long maxSeconds = Math.max(0, (LATEST_COOL_DOWN_END_MILLIS - nowMillis) / 1000);
        return Instant.ofEpochMilli(nowMillis).plusSeconds(Math.min(cooldownSeconds, maxSeconds));
    }

    /** Why a noisy release is refused while the ledger cannot be asked (an outage, or local state). */
    private static final String LEDGER_UNREACHABLE = "the privacy ledger cannot be reached (the state store is "
            + "unavailable); retry later";

    /** Why a release cannot be paid for, and when the budget renews (as the quota's refusal says). */
    private static String budgetMessage(StateOp.Budget b, GuardSettings settings, long nowMillis) {
        long period = settings.privacy() == null ? -1 : settings.privacy().periodSeconds();
        long end = period > 0 ? spentMarkEnd(nowMillis, period) : Long.MAX_VALUE;
        String span = period == 0 ? "" : " for the current period";
        String renewal = period == 0 ? "; it never renews (period_seconds: 0)"
                : end == Long.MAX_VALUE ? "" : "; it renews at " + Instant.ofEpochMilli(end);
        return switch (b) {
            case CALLER_EXHAUSTED -> "this caller's privacy budget (epsilon or delta) is spent" + span + renewal;
            case GLOBAL_EXHAUSTED -> "the global privacy budget (epsilon or delta) is spent" + span
                    + " (or cannot be read)" + renewal;
            case TOO_MANY_CALLERS -> "the privacy ledger tracks as many callers as it may; " + (period == 0
                    ? "new callers are refused while it is full (period_seconds 0 has no next period)"
                    : "new callers wait for the next period"
                            + (end == Long.MAX_VALUE ? "" : ", which begins at " + Instant.ofEpochMilli(end)));
            case GRANTED -> "granted";
        };
    }

    private static ReleasedPrediction labelOnly(Prediction raw) {
        if (raw.kind() == Prediction.Kind.REGRESSION) {
            throw new IllegalStateException("no label-only release for a regression");
        }
        return new ReleasedPrediction(raw.labels().get(raw.topIndex()), List.of(), java.util.OptionalDouble.empty(),
                List.of("label_only"));
    }

    private void failClosed(Exchange x, Throwable e) {
        keepInterrupt(x, e);
        failures.log("stage " + x.stage.id(), System.Logger.Level.ERROR, "stage " + x.stage.id()
                + " could not be evaluated for decision " + x.id + "; denying", "stage", e);
        x.deny(Reason.of(ReasonCode.INTERNAL_ERROR, x.stage, "", "stage " + x.stage.id() + " could not be evaluated"
                + (e instanceof UnreleasableException ? ": " + e.getMessage() : "")));
        x.outcome(x.stage, StageOutcome.ERROR);
    }

    /** What is wrong with a model's answer, or {@code null} when nothing is. */
    private String predictionProblem(Prediction p) {
        if (p == null) {
            return "the model returned null";
        }
        if (p.kind() == Prediction.Kind.REGRESSION) {
            return Double.isFinite(p.value()) ? null : "the model returned a non-finite value";
        }
        for (double s : p.scores()) {
            if (!(s >= 0) || Double.isInfinite(s)) {
                return "the model returned a negative or non-finite score";
            }
        }
        return repeatedLabel(p.labels());
    }

    /**
     * The last label list found distinct: a model returns the same list instance with every answer as a
     * rule ({@link Prediction#classification} keeps an immutable list as it is), so the check costs one
     * comparison. Racy but safe: a list is only ever stored after it was found distinct.
     */
    private volatile List<String> distinctLabels;

    /**
     * Why {@code labels} cannot be released: a label given twice would be released twice, with two
     * scores, and the answer would not say which class it meant. {@code null} when they are distinct.
     * The labels are not quoted (they are the model's, and may hold anything).
     */
    private String repeatedLabel(List<String> labels) {
        if (labels == distinctLabels) {
            return null;
        }
        int n = labels.size();
        if (n <= 32) { // pairwise, on the strings' cached hash codes first: no map for a model's few classes
            for (int i = 1; i < n; i++) {
                String b = labels.get(i);
                int h = b.hashCode();
                for (int j = 0; j < i; j++) {
                    String a = labels.get(j);
                    if (a.hashCode() == h && a.equals(b)) {
                        return repeated(j, i);
                    }
                }
            }
        } else {
            Map<String, Integer> seen = new java.util.HashMap<>(n * 2);
            for (int i = 0; i < n; i++) {
                Integer first = seen.putIfAbsent(labels.get(i), i);
                if (first != null) {
                    return repeated(first, i);
                }
            }
        }
        distinctLabels = labels;
        return null;
    }

    private static String repeated(int first, int second) {
        return "the model returned the same label at " + first + " and " + second
                + " (a classification's labels must be distinct)";
    }

    private static double ageDays(ModelInfo info, long nowMillis) {
        return (nowMillis - info.trainedAt().toEpochMilli()) / 86_400_000.0;
    }

    private AuditRecord record(PolicyRuntime rt, Model<I> m, Exchange x, Response response, long latencyNanos) {
        LoggingDecision logging;
        try {
            Caller c = x.caller != null ? x.caller : Caller.ANONYMOUS;
            PolicyInput in = x.input;
            if (in == null || in.degraded() != x.degraded || in.model() != m.info()) {
                in = new PolicyInput(c, m.info(), ageDays(m.info(), x.nowMillis),
                        x.features == null ? 0 : x.features.size(), Math.max(0, x.payloadBytes),
                        x.features == null ? List.of() : x.features.names(), x.signals, x.degraded, null);
            }
            logging = rt.policy().logging(in);
            loggingOutages.succeeded();
        } catch (Exception | Error e) {
            // The most protective treatment when the logging question cannot be answered, said in the
            // record's rules and in the log (at most once a minute while it keeps failing). The input
            // is masked, as by default: a digest of features with few possible values is reversible.
            logging = new LoggingDecision("error", FieldMode.MASK, FieldMode.DIGEST, FieldMode.MASK, FieldMode.DIGEST);
            x.rules.add(LOGGING_ERROR);
            loggingOutages.failed(x.id, "recorded with output and caller digested and input and raw masked",
                    Failures.loggable(e));
        }
        if (x.featuresBorrowed && logging.input() != FieldMode.MASK) {
            // Not copied because the policy masks the input in every logging rule: an answer that does
            // not would record values that may have changed since they were checked. The caller
            // catches this: the answer is withheld and a minimal record written.
            throw new IllegalStateException("logging rule '" + logging.rule() + "' records the input ("
                    + logging.input().name().toLowerCase(java.util.Locale.ROOT) + "), but the policy was "
                    + "compiled as masking it in every logging rule, and the features were not copied");
        }
        Response logged = logging.input() == FieldMode.KEEP ? response : withoutQuotedValues(x, response);
        AuditRecord.Builder b = AuditRecord.builder(x.id, Instant.ofEpochMilli(x.nowMillis))
                .bundle(rt.bundle().name(), rt.bundle().revision())
                .model(m.info())
                .result(logged)
                .signals(x.signals)
                .alerts(x.alertRules())
                .rules(x.rules)
                .logging(logging)
                .latencyNanos(latencyNanos);
        b.caller(x.caller != null ? x.caller : Caller.ANONYMOUS); // unauthenticated: recorded as anonymous
        if (x.features != null) {
            b.features(x.features).payloadBytes(x.payloadBytes);
        }
        if (x.rawPrediction != null) {
            // The summary the output question read or, where it read none, made now when the record shows
            // it (an erased summary's content is never written: the record only lists it as erased).
            b.raw(x.summary != null ? x.summary : logging.raw() == FieldMode.MASK ? ERASED_SUMMARY
                    : PredictionSummary.of(x.rawPrediction));
        }
        return b.stages(x.outcomes).build();
    }

    /** The raw summary of a record whose logging rule erases it: only its presence is recorded. */
    private static final PredictionSummary ERASED_SUMMARY = new PredictionSummary("", 0, 0, 0, 0);

    /**
     * The response as a record that does not keep the input shows it: a validation reason that
     * quotes the values the caller sent is replaced by the same reason without them.
     */
    private static Response withoutQuotedValues(Exchange x, Response response) {
        if (x.quoted == null || !(response instanceof Response.Denied d)) {
            return response;
        }
        return new Response.Denied(d.decisionId(), d.reasons().stream().map(r -> r == x.quoted ? x.redacted : r)
                .toList());
    }

    /**
     * The record of a request whose full record could not be built ({@link #record} threw): its id,
     * time, bundle, model, caller (without its attributes when they cannot be recorded), result and
     * stage outcomes, nothing that came from the request's features or from detectors.
     */
    private AuditRecord minimalRecord(PolicyRuntime rt, Model<I> m, Exchange x, Response response,
            long latencyNanos) {
        AuditRecord.Builder b = AuditRecord.builder(x.id, Instant.ofEpochMilli(x.nowMillis))
                .bundle(rt.bundle().name(), rt.bundle().revision())
                .model(m.info())
                .result(withoutQuotedValues(x, response))
                .logging(new LoggingDecision("error", FieldMode.DIGEST, FieldMode.DIGEST, FieldMode.MASK,
                        FieldMode.DIGEST))
                .latencyNanos(latencyNanos);
        Caller c = x.caller != null ? x.caller : Caller.ANONYMOUS;
        try {
            b.caller(c);
        } catch (RuntimeException e) {
            b.caller(new Caller(c.id(), c.method(), c.roles(), c.tenant(), Map.of()));
        }
        return b.stages(x.outcomes).build();
    }

    private void publish(Exchange x) {
        if (x.alerts != null) {
            for (Alert a : x.alerts) {
                for (GuardListener l : listeners) {
                    safely("onAlert", () -> l.onAlert(a));
                }
            }
        }
        if (x.answer instanceof Response.Denied d) {
            String id = x.caller == null ? "" : x.caller.id();
            String tenant = x.caller == null ? "" : x.caller.tenant();
            for (GuardListener l : listeners) {
                safely("onDenied", () -> l.onDenied(d, id, tenant));
            }
        }
    }

    /**
     * Runs a listener callback. Whatever it throws (an {@code AssertionError}, a linkage error or a
     * {@code StackOverflowError}, which a recursive formatter throws and which leaves the JVM sound
     * once the stack has unwound, as well as an exception) is logged and ignored, so that it never
     * changes what a request or a reload returns; only the JVM's own failures (out of memory, an
     * internal error) go on, after the request's record or the change. A listener that throws on
     * every denial would log on every request: at most once a minute per callback
     * ({@link FailureLog}), which counts the others.
     */
    private void safely(String callback, Runnable r) {
        try {
            r.run();
        } catch (Throwable e) {
            if (e instanceof VirtualMachineError vm && !(e instanceof StackOverflowError)) {
                throw vm;
            }
            failures.log("listener " + callback, System.Logger.Level.WARNING, "a GuardListener threw from "
                    + callback + "; ignored", "callback", e);
        }
    }

    /** The mutable state of one request as it moves through the stages. Confined to one thread. */
    static final class Exchange {
        final String id;
        final long nowMillis;
        Stage stage = Stage.ACCESS;
        Caller caller;
        Features features;
        /** Whether {@link #features} are the caller's, not copied (PolicyRuntime.copiesFeatures). */
        boolean featuresBorrowed;
        long payloadBytes = -1;
        List<Signal> signals = List.of();
        /** The policy input after the observe stage (signals known, no prediction): reused for the logging question. */
        PolicyInput input;
        /**
         * The raw prediction's summary, once the model answered, where the output question reads it
         * ({@link PolicyRuntime#outputReadsPrediction}); {@code null} otherwise.
         */
        PredictionSummary summary;
        /** The model's answer, once it passed its checks: never released, summarised for the record. */
        Prediction rawPrediction;
        boolean degraded;
        /** The caller's state key ({@link StateKeys#of}), once access has passed; made once per request. */
        String stateKey;
        /** Until when the caller's privacy budget is known spent (0: not known spent). */
        long budgetSpentUntil;
        /** Until when the global privacy budget is known spent (0: not known spent). */
        long globalSpentUntil;
        /** Whether the ledger could not be reached for this request's charge (then treated as spent). */
        boolean ledgerUnreachable;
        /**
         * Whether the request was interrupted: user code reported it ({@link #keepInterrupt}), or the
         * flag was still set when the record was to be appended. Set again after the listeners.
         */
        boolean interrupted;
        final StageOutcome[] outcomes = new StageOutcome[AuditRecord.STAGE_COUNT];
        final List<String> rules = new ArrayList<>(6);
        List<Alert> alerts;
        private List<Reason> denial;
        /** The validation reason whose message quotes request values, and the same without them. */
        Reason quoted;
        Reason redacted;
        private ReleasedPrediction released;
        /** The answer the caller gets, once the record was appended or refused. */
        Response answer;

        Exchange(String id, long nowMillis) {
            this.id = id;
            this.nowMillis = nowMillis;
        }

        void outcome(Stage s, StageOutcome o) {
            outcomes[s.ordinal()] = o;
        }

        void deny(Reason r) {
            if (denial == null) {
                denial = new ArrayList<>(1);
            }
            denial.add(r);
        }

        boolean denied() {
            return denial != null;
        }

        void release(ReleasedPrediction p) {
            released = p;
        }

        void alert(String rule, String action, Signal s) {
            if (alerts == null) {
                alerts = new ArrayList<>(1);
            }
            alerts.add(new Alert(id, caller.id(), caller.tenant(), rule, action, s == null ? "" : s.name(),
                    s == null ? Level.NONE : s.level(), s == null ? 0 : s.score(), Instant.ofEpochMilli(nowMillis)));
        }

        List<String> alertRules() {
            if (alerts == null) {
                return List.of();
            }
            List<String> r = new ArrayList<>(alerts.size());
            for (Alert a : alerts) {
                r.add(a.rule());
            }
            return r;
        }

        Response response() {
            if (denial != null) {
                return new Response.Denied(id, denial);
            }
            if (released == null) {
                // Defensive: no stage decided. Never release anything by accident.
                return new Response.Denied(id, List.of(Reason.of(ReasonCode.INTERNAL_ERROR, stage, "",
                        "no decision was reached")));
            }
            return new Response.Released(id, released, degraded, alertRules());
        }
    }
}
