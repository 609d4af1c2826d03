package dev.veil;

import dev.veil.internal.guard.DefaultGuard;
import dev.veil.spi.Detector;
import dev.veil.spi.StateStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Wraps a model's predict function so that every prediction passes, in this fixed order, through
 *
 * <ol>
 *   <li>{@link Stage#ACCESS}: authentication (API key or JWT), the {@code access} policy, monitoring
 *       blocks, rate limits and daily quotas;
 *   <li>{@link Stage#VALIDATION}: the input contract (shape, finiteness, ranges, named features,
 *       cross-field rules, payload size, distance from the training distribution);
 *   <li>{@link Stage#OBSERVE}: detectors read the query stream; the {@code monitoring} policy turns
 *       their signals into alerts, throttles, degraded answers or blocks; the {@code model} policy
 *       checks the model's age;
 *   <li>{@link Stage#MODEL}: the wrapped predict function, reached only if 1 to 3 allowed;
 *   <li>{@link Stage#OUTPUT}: the {@code output} policy picks the release (top-k, rounding, label
 *       only, cut-off, reverse sigmoid, calibrated noise charged to a privacy budget);
 *   <li>{@link Stage#AUDIT}: exactly one hash-chained audit record per request.
 * </ol>
 *
 * <p>Rules that hold on every path: a denied request never reaches the model; the raw prediction
 * never leaves the Guard; any exception or unevaluable policy denies (or, where the policy says
 * {@code on_error: degrade}, answers with the most minimised release once the caller passed access
 * and validation); an answer whose audit record cannot be written is withheld.
 *
 * <p>Thread-safe: one Guard serves any number of threads. {@link #reload} and {@link #swapModel}
 * take effect atomically between requests; a request in flight finishes with the policy and model
 * it started with.
 *
 * <p>No deadline: {@link #predict} calls the model on the calling thread and waits for it, so a slow
 * model holds the request. Put your own timeout inside the predict function (a predict function that
 * throws when its time is up gets the request denied with {@code model_error}).
 *
 * <pre>{@code
 * Guard<double[]> guard = Guard.builder(Model.ofVector(info, myModel::predict))
 *         .policy(PolicyBundle.load(Path.of("policies/fashion")))
 *         .audit(AuditLog.jsonLines(Path.of("audit.jsonl")).async(8192, Duration.ofMillis(50)))
 *         .build();
 * Response r = guard.predict(Request.of(Credentials.apiKey(key), pixels));
 * }</pre>
 *
 * @param <I> the model's input type
 */
public interface Guard<I> extends AutoCloseable {

    /**
     * Runs one request through every stage. Never throws for a request it refuses: see
     * {@link Response}. (Only the JVM's own failures from a {@link GuardListener} go on, after the
     * record was written: see there.) When user code (the feature view, the model, a custom
     * detector) reports an interrupt with an {@link InterruptedException}, the request is denied,
     * its record written, and the thread's interrupt flag set again before this returns (after the
     * listeners, which run with the flag clear). A flag already set when the record is written is
     * cleared for the write, so that the record is not refused, and set again the same way.
     */
    Response predict(Request<I> request);

    /**
     * Installs a new policy bundle atomically. Detector state, rate-limit buckets, blocks and spent
     * privacy budgets are kept. Throws {@link PolicyLoadException} (and keeps the current bundle)
     * when the bundle's settings cannot be applied (e.g. it names a custom detector this Guard was not
     * built with; a bundle whose own files are wrong, such as an API key file that does not parse,
     * already fails at {@link PolicyBundle#load}), and
     * {@link IllegalStateException} once the Guard is closed. A listener that throws does not make
     * it throw (but for an {@code OutOfMemoryError}, see {@link GuardListener}): when it returns,
     * the new bundle is in force.
     *
     * <p>Rollback: a {@link PolicyBundle#signed()} bundle whose revision orders before that of a
     * signed bundle of the same name this Guard has had in force (built with or reloaded since) is
     * refused with {@link PolicyLoadException}: an older signed release put back, say one in which
     * a revoked key still worked. Revisions are read as numbers and words, separators aside (dates
     * in any spelling, {@code 2026-11-30.10} newer than {@code 2026-11-30.9} and than
     * {@code 20261130-1}; versions, {@code v1.4.10} newer than {@code v1.4.9} and than the
     * pre-release {@code 1.4.10-rc1}; build metadata after {@code +} ignored). A commit id (also one
     * of 7 or more digits alone that do not start with a date), a revision without a number, a word
     * that is not a pre-release ({@code 1.4.9-hotfix} against {@code 1.4.9}), or two revisions of
     * different schemes have no order: such a revision never raises the mark a later release is
     * compared with, and once the Guard has a mark for the bundle's name a signed bundle whose
     * revision has no order against it is refused too (it cannot be shown newer: an old release
     * revisioned by a commit id, or without a manifest, could otherwise be put back at will); before
     * any mark, it is accepted and logged. A new Guard starts with no history, unless its {@link Builder#revisionFile} keeps
     * the marks across restarts. To roll back on purpose, sign the old content again with a newer
     * revision.
     */
    void reload(PolicyBundle bundle);

    /**
     * Replaces the model atomically; requests in flight finish on the old one. Throws
     * {@link IllegalStateException} once the Guard is closed, and {@link IllegalArgumentException}
     * when the model was trained more than a day after the Guard's clock's time (as
     * {@link Builder#build()} does). A model older than the policy's {@code max_age_days} is
     * accepted: its requests then get what {@code on_stale} says.
     */
    void swapModel(Model<I> model);

    /** The bundle in force. */
    PolicyBundle policy();

    /** The model in force. */
    ModelInfo model();

    /**
     * Stops admitting requests, waits until the requests already running have had their audit
     * records appended (up to {@link Builder#closeTimeout(Duration)}, 30 seconds by default; not for
     * their {@link GuardListener} callbacks, which run after and may still run when close returns),
     * then drains and closes the audit log and the state store. Requests that arrive after close
     * began are denied with {@code audit_unavailable} (no record can be promised for them, so
     * nothing is released) and never reach the policy or the model; a request still running when the
     * wait ends is denied the same way, unless the audit log took its record before it closed (then
     * it gets the answer its record says), and close logs how many it stopped waiting for. Keep the model usable until close has returned. Do not call close from a
     * listener or from the model: the request that calls it is itself running, so close waits for
     * the whole timeout. Throws {@link AuditException} when records accepted earlier could not be
     * written (see {@link AuditLog}).
     *
     * <p>Only the first call closes. A later call, also one made while the first is still closing
     * (a shutdown hook and a {@code finally} block that both close), waits until the first has
     * finished, so that when any call returns the records are written; it then returns, or, when
     * the first call found records it could not write, throws an {@link AuditException} of its own
     * with the same message and the first one as its cause. The wait is not interruptible (an
     * interrupt is kept for the caller). A failure to close the state store is thrown by the first
     * call only.
     */
    @Override
    void close();

    /** Starts a Guard around a model. */
    static <I> Builder<I> builder(Model<I> model) {
        return new Builder<>(model);
    }

    /**
     * Builds a {@link Guard}. {@link #policy} and {@link #audit} are required; each setter may be
     * called once.
     *
     * @param <I> the model's input type
     */
    final class Builder<I> {
        private static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);
        private final Model<I> model;
        private PolicyBundle policy;
        private AuditLog audit;
        private Clock clock;
        private final List<GuardListener> listeners = new java.util.ArrayList<>();
        private int maxCallers = 100_000;
        private boolean maxCallersSet;
        private long stateMemory = 256L << 20;
        private boolean stateMemorySet;
        private Duration closeTimeout;
        private final List<Detector> detectors = new ArrayList<>();
        private StateStore stateStore;
        /** Why a failed {@link #build()} closed {@link #stateStore}, or null: this builder cannot build again. */
        private String storeClosedBy;
        private java.nio.file.Path revisionFile;
        private String bundleName;

        private Builder(Model<I> model) {
            this.model = Objects.requireNonNull(model, "model");
        }

        /** The policy bundle to enforce (required). */
        public Builder<I> policy(PolicyBundle bundle) {
            Objects.requireNonNull(bundle, "bundle");
            if (policy != null) {
                throw new IllegalStateException("policy was already set to " + policy);
            }
            policy = bundle;
            return this;
        }

        /** Where audit records go (required: Veil never runs without an audit trail). */
        public Builder<I> audit(AuditLog log) {
            Objects.requireNonNull(log, "log");
            if (audit != null) {
                throw new IllegalStateException("audit was already set to " + audit);
            }
            audit = log;
            return this;
        }

        /** The clock for rate limits, model age, detectors and timestamps (default: the system UTC clock). */
        public Builder<I> clock(Clock c) {
            Objects.requireNonNull(c, "clock");
            if (clock != null) {
                throw new IllegalStateException("clock was already set to " + clock);
            }
            clock = c;
            return this;
        }

        /**
         * Adds a listener of alerts, denials, reloads and model swaps. Several (metrics beside
         * security events, say) are each called, in the order added; one that throws does not keep
         * the next from its call (see {@link GuardListener}).
         */
        public Builder<I> listener(GuardListener l) {
            Objects.requireNonNull(l, "listener");
            if (listeners.stream().anyMatch(added -> added == l)) { // the same object, not one equal to it
                throw new IllegalStateException("this listener was already added (it would be called twice)");
            }
            listeners.add(l);
            return this;
        }

        /**
         * A custom detector. The policy enables it by listing its name under
         * {@code monitoring.detectors} (as {@code <name>: {}}); its signals then enter the policy
         * input. A detector the bundle does not list never runs: the Guard logs a warning naming it
         * when it is built and at each reload.
         */
        public Builder<I> detector(Detector d) {
            Objects.requireNonNull(d, "detector");
            Objects.requireNonNull(d.name(), "detector name");
            if (d.name().isEmpty() || !dev.veil.internal.audit.CanonicalJson.isWellFormed(d.name())) {
                throw new IllegalArgumentException("a detector's name must be non-empty, well-formed UTF-16 text (it "
                        + "names its signal in the policy input and the audit log), was '" + d.name() + "'");
            }
            if (dev.veil.internal.monitor.BuiltinDetectors.TYPES.contains(d.name())) {
                throw new IllegalArgumentException("'" + d.name() + "' is the name of a built-in detector; "
                        + "give the custom detector another name");
            }
            for (Detector x : detectors) {
                if (x.name().equals(d.name())) {
                    throw new IllegalStateException("a detector named '" + d.name() + "' was already added");
                }
            }
            detectors.add(d);
            return this;
        }

        /**
         * Where rate buckets, blocks, privacy budgets and monitoring windows are kept. Default: in
         * this process's memory (monitoring state capped at 256 MiB: {@link #stateMemory(long)}). veil-redis provides a store that several
         * replicas share, so that an attack spread over replicas is seen as one. The Guard closes
         * the store when it is closed, and a {@link #build()} that fails closes it too (so that a store
         * created inline, which the caller cannot reach, leaves no connection or thread behind); only a
         * build refused for a missing {@link #policy} or {@link #audit} leaves it open, for the
         * builder to be completed. After a failed build that closed it, the builder refuses to build
         * again: start again with a new builder and a new store. In memory, privacy budgets last as long as the process and
         * hold per replica (a restart gives every caller a full budget again); a Guard built or
         * reloaded with {@code output.privacy} on it logs a warning.
         */
        public Builder<I> stateStore(StateStore store) {
            Objects.requireNonNull(store, "store");
            if (stateStore != null) {
                throw new IllegalStateException("stateStore was already set to " + stateStore.name());
            }
            stateStore = store;
            return this;
        }

        /**
         * How many callers the default in-memory state store tracks at most (default 100,000), for
         * each of rate limits and daily quotas, monitoring blocks and throttles, and privacy
         * budgets. State that still protects is never forgotten to make room; when a table is
         * full the store fails closed instead:
         * <ul>
         *   <li>rate limits and quotas: a caller's bucket is kept until it has refilled and its quota
         *       count until the UTC day ends (and at least an hour after its last request). While
         *       {@code n} callers have such state, a request of a new caller that has a
         *       {@code rate_limit} or {@code daily_quota} is denied ({@code rate_limited}, rule
         *       {@code max_callers}); known callers are served as before, and the new caller is
         *       admitted once another caller's state has expired (a warning in the
         *       {@code dev.veil.Guard} log each time the table fills);</li>
         *   <li>blocks and throttles: when {@code n} callers have active cool-downs and another must
         *       be recorded, every caller is blocked until the table has room for it again, at the
         *       latest until that cool-down ends (denied {@code blocked}
         *       with the rule {@code max_callers}, and a warning in the {@code dev.veil.Guard} log when
         *       it begins and when it ends);</li>
         *   <li>privacy budgets: a new caller beyond {@code n} in a budget period cannot spend budget
         *       until the next period ({@code output.privacy.on_exhausted} applies). The marks that say
         *       a caller's budget is spent (so that it holds for releases without noise too) are kept
         *       until the period ends; when {@code n} callers have one and another must be recorded,
         *       every caller's budget is treated as spent until that period ends.</li>
         * </ul>
         * Set it above the number of distinct callers expected per day. A store passed to
         * {@link #stateStore(StateStore)} has its own bounds (veil-redis: none, its keys expire by
         * time to live).
         */
        public Builder<I> maxCallers(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxCallers must be >= 1, was " + n);
            }
            if (maxCallersSet) {
                throw new IllegalStateException("maxCallers was already set to " + maxCallers);
            }
            maxCallers = n;
            maxCallersSet = true;
            return this;
        }

        /**
         * The memory cap, in bytes, of the default in-memory state store's monitoring state
         * (detector histories, fingerprint indexes, windows; default 256 MiB, at least 1 MiB). Under
         * the cap monitoring state used rarely and not recently is forgotten first (Caffeine's Window
         * TinyLFU: an idle caller's before an active one's), within the share
         * of the cap its kind has: detector histories, counters per caller or tenant ({@code rate}),
         * counters per input ({@code knn_global}) and fingerprint indexes each have their own, so that a
         * flood of distinct inputs cannot evict other callers' rate windows. It also caps
         * the local store that {@code on_state_unavailable: local} falls back to when a
         * {@link #stateStore(StateStore) shared store} cannot be reached. Rate limits, quotas, blocks
         * and budgets (with the marks of spent budgets) are bounded by {@link #maxCallers(int)}
         * instead, and never forgotten to make room.
         *
         * <p>Size it for the callers active within a day (the {@code knn} detector's history lasts
         * that long): detector histories have half of the cap, and one caller's grow by about 2 KB
         * for each query the detectors remember, up to each detector's history length, so the cap
         * bounds how many active callers keep full histories. Beyond that, the callers used least lose their histories first, so an attack sent
         * slowly among many active callers goes unseen; the store then logs a warning on
         * {@code dev.veil.Guard} (the first time, then at most once a minute).
         */
        public Builder<I> stateMemory(long bytes) {
            if (bytes < (1 << 20)) {
                throw new IllegalArgumentException("stateMemory must be at least 1 MiB (1048576 bytes), was " + bytes);
            }
            if (stateMemorySet) {
                throw new IllegalStateException("stateMemory was already set to " + stateMemory);
            }
            stateMemory = bytes;
            stateMemorySet = true;
            return this;
        }

        /**
         * How long {@link Guard#close()} waits for requests already running to have their audit
         * records appended (default 30 seconds; zero does not wait; listener callbacks are not waited
         * for). A request whose record the audit log has not taken when it closes is refused with
         * {@code audit_unavailable} and has no record; close logs how many requests it stopped
         * waiting for.
         */
        public Builder<I> closeTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("closeTimeout must not be negative, was " + timeout);
            }
            if (closeTimeout != null) {
                throw new IllegalStateException("closeTimeout was already set to " + closeTimeout);
            }
            closeTimeout = timeout;
            return this;
        }

        /**
         * Keeps the rollback marks of signed bundles (see {@link Guard#reload}) in {@code file}
         * across restarts: for each bundle name, the newest ordered revision that any Guard using the
         * file has had in force. {@link #build()} refuses a signed bundle older than its mark, as
         * {@link Guard#reload} does, which also reads the file again (another process may have raised
         * the mark). When a signed bundle with a newer ordered revision comes into force, the file is
         * rewritten first (a temporary file beside it, forced, renamed over it; under a lock on
         * {@code file + ".lock"}, merging with what the file holds, so Guards of several processes
         * may share it and never lower a mark); if that write fails the bundle does not come into
         * force ({@link PolicyLoadException}): a mark on disk is never behind the bundle in force. A
         * missing file starts empty (its directory must exist); a file that cannot be read or is not
         * a revision file fails the build and later reloads: delete it to forget every mark. Without
         * this a new Guard starts with no history.
         */
        public Builder<I> revisionFile(java.nio.file.Path file) {
            Objects.requireNonNull(file, "file");
            if (revisionFile != null) {
                throw new IllegalStateException("revisionFile was already set to " + revisionFile);
            }
            revisionFile = file;
            return this;
        }

        /**
         * The name of the bundle this Guard serves (its policy's {@code name}): {@link #build()} and
         * {@link Guard#reload} refuse a bundle of another name, signed or not. A valid signature says
         * who made a bundle, not which service it is for: without this, a lab bundle signed with the
         * release key, put where the service loads its bundle from, comes into force at the next
         * start (a reload refuses a signed bundle of another name than the first signed one the Guard
         * had, but a restart forgets it, also with a {@link #revisionFile revision file}, which keeps a
         * mark per name).
         */
        public Builder<I> bundleName(String name) {
            Objects.requireNonNull(name, "name");
            if (bundleName != null) {
                throw new IllegalStateException("bundleName was already set to " + bundleName);
            }
            bundleName = name;
            return this;
        }

        /**
         * Builds the Guard, opening the audit log. When it throws for anything but a missing policy or
         * audit log, it has closed the {@link #stateStore state store} and the audit log it had opened,
         * and this builder cannot build again with that store.
         *
         * @throws IllegalStateException when the policy or audit log is missing, or an earlier build of
         *     this builder failed and closed its state store
         * @throws PolicyLoadException when the bundle's settings cannot be applied, when it is a signed
         *     bundle older than its mark in the {@link #revisionFile revision file}, or that file cannot
         *     be used, or when it is not the {@link #bundleName bundle named}
         * @throws AuditException when the audit log cannot be opened (its directory is missing, another
         *     writer holds it, its last record was cut short or edited)
         * @throws IllegalArgumentException when the model was trained more than a day after the clock's
         *     time
         */
        public Guard<I> build() {
            if (policy == null) {
                throw new IllegalStateException("a Guard needs a policy: call policy(PolicyBundle.load(...))");
            }
            if (audit == null) {
                throw new IllegalStateException("a Guard needs an audit log: call audit(AuditLog.jsonLines(...))");
            }
            if (storeClosedBy != null) {
                // a Guard on a closed store would deny every request (internal_error): refuse it here
                throw new IllegalStateException("this builder's state store (" + stateStore.name() + ") was closed "
                        + "when an earlier build() failed (" + storeClosedBy + "); start again with a new builder "
                        + "and a new store");
            }
            try {
                return new DefaultGuard<>(model, policy, audit, clock == null ? Clock.systemUTC() : clock,
                        listeners, List.copyOf(detectors), maxCallers,
                        stateStore, stateMemory, closeTimeout == null ? DEFAULT_CLOSE_TIMEOUT : closeTimeout,
                        revisionFile, bundleName);
            } catch (RuntimeException | Error e) {
                if (stateStore != null) { // closed by the failed build (see stateStore)
                    storeClosedBy = e.getClass().getSimpleName() + ": " + e.getMessage();
                }
                throw e;
            }
        }
    }
}
