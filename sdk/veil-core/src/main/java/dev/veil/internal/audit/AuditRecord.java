package dev.veil.internal.audit;

import dev.veil.Caller;
import dev.veil.Features;
import dev.veil.ModelInfo;
import dev.veil.Reason;
import dev.veil.ReleasedPrediction;
import dev.veil.Response;
import dev.veil.Signal;
import dev.veil.Stage;
import dev.veil.spi.FieldMode;
import dev.veil.spi.LoggingDecision;
import dev.veil.spi.PredictionSummary;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the audit log records about one request, before masking, hashing and serialisation
 * (which the writer thread does). Built by the Guard with {@link #builder(String, Instant)}.
 *
 * <p>Immutable and thread-safe once built, with one exception inherited from {@link Features}: the
 * feature vector is not copied, so the Guard must not change it after handing it over.
 *
 * <p>A record is either a release ({@link #allowed()} true, {@link #released()} non-null) or a
 * denial ({@link #allowed()} false, {@link #reasons()} non-empty).
 */
public final class AuditRecord {
    /** The decision path written when the builder is not given another. */
    public static final String DEFAULT_PATH = "veil/predict";

    private static final Stage[] STAGES = Stage.values();
    /** The length of the stage outcomes {@link Builder#stages} takes: one per {@link Stage}, by ordinal. */
    public static final int STAGE_COUNT = STAGES.length;
    private static final StageOutcome[] NO_STAGES = new StageOutcome[STAGE_COUNT];

    private final String decisionId;
    private final Instant timestamp;
    private final String path;
    private final String bundleName;
    private final String bundleRevision;
    private final Caller caller;
    private final String modelName;
    private final String modelVersion;
    private final Features features;
    private final long payloadBytes;
    private final boolean allowed;
    private final ReleasedPrediction released;
    private final boolean degraded;
    private final List<Reason> reasons;
    /** Outcome per stage, indexed by {@link Stage#ordinal()}; null where none was recorded. */
    private final StageOutcome[] stageOutcomes;
    private final List<Signal> signals;
    private final List<String> alerts;
    private final List<String> rules;
    private final PredictionSummary raw;
    private final LoggingDecision logging;
    private final long latencyNanos;
    /** {@link AuditSerializer#estimatedBytes}, computed once on the thread that builds the record. */
    private final long estimatedBytes;

    /** The rule a minimal record ({@link #minimal()}) adds to the record's rules. */
    public static final String MINIMAL_RULE = "audit:minimal";

    private AuditRecord(Builder b) {
        this.decisionId = b.decisionId;
        this.timestamp = b.timestamp;
        this.path = b.path;
        this.bundleName = b.bundleName;
        this.bundleRevision = b.bundleRevision;
        this.caller = b.caller;
        this.modelName = b.modelName;
        this.modelVersion = b.modelVersion;
        this.features = b.features;
        this.payloadBytes = b.payloadBytes;
        this.allowed = b.released != null;
        this.released = b.released;
        this.degraded = b.degraded;
        this.reasons = b.reasons;
        this.stageOutcomes = b.stages == null ? NO_STAGES : b.stages;
        this.signals = b.signals == null ? List.of() : List.copyOf(b.signals);
        this.alerts = b.alerts;
        this.rules = b.rules;
        this.raw = b.raw;
        this.logging = b.logging;
        this.latencyNanos = b.latencyNanos;
        this.estimatedBytes = AuditSerializer.estimatedBytes(this);
    }

    /**
     * About how many bytes this record takes in the log, never fewer ({@link
     * AuditSerializer#estimatedBytes}): what the writers bound their queue and batches with.
     *
     * @return the estimate, in bytes
     */
    public long estimatedBytes() {
        return estimatedBytes;
    }

    /**
     * This record with only its parts of small, bounded size, for a writer that could not serialise
     * it whole (it ran out of memory, say): id, time, path, bundle, model, the caller without its
     * attributes, whether it was allowed and why (the reasons), the stages, rules and alerts, the
     * payload size and latency; the input (features and names), signals, raw summary and released
     * prediction are left out, the last two and the attributes listed in {@code erased}. Its rules
     * end with {@value #MINIMAL_RULE}.
     *
     * @return the minimal record
     */
    AuditRecord minimal() {
        Builder b = builder(decisionId, timestamp).path(path).bundle(bundleName, bundleRevision)
                .caller(new Caller(caller.id(), caller.method(), caller.roles(), caller.tenant(), Map.of()))
                .model(modelName, modelVersion)
                .payloadBytes(payloadBytes)
                .stages(stageOutcomes)
                .alerts(alerts)
                .logging(new LoggingDecision(MINIMAL_RULE, FieldMode.MASK, FieldMode.MASK, FieldMode.MASK,
                        FieldMode.MASK))
                .latencyNanos(latencyNanos);
        List<String> withMarker = new ArrayList<>(rules);
        withMarker.add(MINIMAL_RULE);
        b.rules(withMarker);
        if (allowed) {
            b.released(released, degraded, reasons);
        } else {
            b.denied(reasons);
        }
        if (raw != null) {
            b.raw(raw);
        }
        return b.build();
    }

    /**
     * Starts a record.
     *
     * @param decisionId the decision id (the one in the Response), not blank
     * @param timestamp when the request arrived
     * @return a builder; not thread-safe, builds once
     */
    public static Builder builder(String decisionId, Instant timestamp) {
        return new Builder(decisionId, timestamp);
    }

    /** @return the decision id */
    public String decisionId() {
        return decisionId;
    }

    /** @return when the request arrived */
    public Instant timestamp() {
        return timestamp;
    }

    /** @return the decision path, e.g. {@code veil/predict} */
    public String path() {
        return path;
    }

    /** @return the policy bundle's name */
    public String bundleName() {
        return bundleName;
    }

    /** @return the policy bundle's revision (may be empty) */
    public String bundleRevision() {
        return bundleRevision;
    }

    /** @return the caller */
    public Caller caller() {
        return caller;
    }

    /** @return the model's name */
    public String modelName() {
        return modelName;
    }

    /** @return the model's version */
    public String modelVersion() {
        return modelVersion;
    }

    /** @return the request's features, or null when they were never derived (e.g. refused at access) */
    public Features features() {
        return features;
    }

    /** @return the request's size in bytes, -1 when unknown */
    public long payloadBytes() {
        return payloadBytes;
    }

    /** @return true for a release, false for a denial */
    public boolean allowed() {
        return allowed;
    }

    /** @return the released prediction, or null for a denial */
    public ReleasedPrediction released() {
        return released;
    }

    /** @return whether the release was degraded (false for a denial) */
    public boolean degraded() {
        return degraded;
    }

    /** @return why the request was refused (or degraded); never empty for a denial */
    public List<Reason> reasons() {
        return reasons;
    }

    /** @return outcome per stage that was recorded (a new unmodifiable map per call) */
    public Map<Stage, StageOutcome> stages() {
        EnumMap<Stage, StageOutcome> m = new EnumMap<>(Stage.class);
        for (int i = 0; i < stageOutcomes.length; i++) {
            if (stageOutcomes[i] != null) {
                m.put(STAGES[i], stageOutcomes[i]);
            }
        }
        return Collections.unmodifiableMap(m);
    }

    /** The outcome of one stage, or null when none was recorded (no map, for the serialiser). */
    StageOutcome stage(Stage s) {
        return stageOutcomes[s.ordinal()];
    }

    /** @return the monitoring signals, unique by name */
    public List<Signal> signals() {
        return signals;
    }

    /** @return ids of the monitoring rules that raised an alert */
    public List<String> alerts() {
        return alerts;
    }

    /** The policy rules that decided, as {@code <section>:<rule id>}, in the order they were asked. */
    public List<String> rules() {
        return rules;
    }

    /**
     * @return the raw prediction summary, or null when the model was not reached; where {@code
     *     logging().raw()} is {@code MASK} only its presence counts (the record lists it as erased), and
     *     the Guard gives a placeholder with no values instead of making it
     */
    public PredictionSummary raw() {
        return raw;
    }

    /** @return how sensitive fields are logged */
    public LoggingDecision logging() {
        return logging;
    }

    /** @return time spent in the Guard, in nanoseconds */
    public long latencyNanos() {
        return latencyNanos;
    }

    @Override
    public String toString() {
        return "AuditRecord[" + decisionId + ", " + (allowed ? "released" : "denied") + "]";
    }

    /**
     * Builds one {@link AuditRecord}. Every setter validates its argument at once
     * (IllegalArgumentException "x must be ..., was ..."); {@link #build()} checks that the required
     * parts are there (IllegalStateException). Not thread-safe; builds once.
     *
     * <p>Required: {@link #bundle}, {@link #caller}, {@link #model}, and exactly one of
     * {@link #released} or {@link #denied} (or {@link #result(Response)}). Defaults: path
     * {@value #DEFAULT_PATH}, no features, payload size -1, no stages, signals or alerts, no raw
     * summary, {@link LoggingDecision#DEFAULT}, latency 0.
     */
    public static final class Builder {
        private final String decisionId;
        private final Instant timestamp;
        private String path = DEFAULT_PATH;
        private String bundleName;
        private String bundleRevision;
        private Caller caller;
        private String modelName;
        private String modelVersion;
        private Features features;
        private long payloadBytes = -1;
        private boolean resultSet;
        private ReleasedPrediction released;
        private boolean degraded;
        private List<Reason> reasons = List.of();
        private StageOutcome[] stages;
        private List<Signal> signals;
        private List<String> alerts = List.of();
        private List<String> rules = List.of();
        private PredictionSummary raw;
        private LoggingDecision logging = LoggingDecision.DEFAULT;
        private long latencyNanos;
        private boolean built;

        private Builder(String decisionId, Instant timestamp) {
            this.decisionId = requireText(decisionId, "decisionId");
            this.timestamp = Objects.requireNonNull(timestamp, "timestamp");
        }

        /**
         * @param path the decision path, not blank
         * @return this
         */
        public Builder path(String path) {
            this.path = requireText(path, "path");
            return this;
        }

        /**
         * @param name the bundle's name, not blank
         * @param revision the bundle's revision, may be empty
         * @return this
         */
        public Builder bundle(String name, String revision) {
            this.bundleName = requireKey(requireText(name, "bundle name"), "bundle name");
            this.bundleRevision = Objects.requireNonNull(revision, "bundle revision");
            return this;
        }

        /**
         * @param caller the caller ({@link Caller#ANONYMOUS} when unauthenticated)
         * @return this
         */
        public Builder caller(Caller caller) {
            Objects.requireNonNull(caller, "caller");
            for (String key : caller.attributes().keySet()) {
                requireKey(key, "caller attribute name");
            }
            this.caller = caller;
            return this;
        }

        /**
         * @param info the model that served (or would have served) the request
         * @return this
         */
        public Builder model(ModelInfo info) {
            Objects.requireNonNull(info, "model");
            return model(info.name(), info.version());
        }

        /**
         * @param name the model's name, not blank
         * @param version the model's version, not blank
         * @return this
         */
        public Builder model(String name, String version) {
            this.modelName = requireText(name, "model name");
            this.modelVersion = requireText(version, "model version");
            return this;
        }

        /**
         * @param features the request's features (not copied: do not change the vector afterwards)
         * @return this
         */
        public Builder features(Features features) {
            this.features = Objects.requireNonNull(features, "features");
            return this;
        }

        /**
         * @param payloadBytes the request's size in bytes, or -1 when unknown
         * @return this
         */
        public Builder payloadBytes(long payloadBytes) {
            if (payloadBytes < -1) {
                throw new IllegalArgumentException("payloadBytes must be >= 0 or -1 for unknown, was " + payloadBytes);
            }
            this.payloadBytes = payloadBytes;
            return this;
        }

        /**
         * Records a release.
         *
         * @param prediction what the caller received
         * @param degraded whether it was the degraded release
         * @return this
         */
        public Builder released(ReleasedPrediction prediction, boolean degraded) {
            return released(prediction, degraded, List.of());
        }

        /**
         * Records a release with the reasons it was degraded.
         *
         * @param prediction what the caller received
         * @param degraded whether it was the degraded release
         * @param reasons why it was degraded (may be empty)
         * @return this
         */
        public Builder released(ReleasedPrediction prediction, boolean degraded, List<Reason> reasons) {
            Objects.requireNonNull(prediction, "prediction");
            List<Reason> copy = List.copyOf(reasons);
            setResult();
            this.released = prediction;
            this.degraded = degraded;
            this.reasons = copy;
            return this;
        }

        /**
         * Records a denial.
         *
         * @param reasons why, at least one
         * @return this
         */
        public Builder denied(List<Reason> reasons) {
            List<Reason> copy = List.copyOf(reasons);
            if (copy.isEmpty()) {
                throw new IllegalArgumentException("a denial needs at least one reason, was none");
            }
            setResult();
            this.reasons = copy;
            return this;
        }

        /**
         * Records the result of a Response: its release and degraded flag, or its reasons.
         *
         * @param response the response returned to the caller; its decision id must be this record's
         * @return this
         */
        public Builder result(Response response) {
            Objects.requireNonNull(response, "response");
            if (!response.decisionId().equals(decisionId)) {
                throw new IllegalArgumentException("response decision id must be '" + decisionId + "', was '"
                        + response.decisionId() + "'");
            }
            if (response instanceof Response.Released r) {
                return released(r.prediction(), r.degraded());
            }
            return denied(((Response.Denied) response).reasons());
        }

        /**
         * Records how one stage ended; a later call for the same stage replaces the earlier one.
         *
         * @param stage the stage
         * @param outcome its outcome
         * @return this
         */
        public Builder stage(Stage stage, StageOutcome outcome) {
            Objects.requireNonNull(stage, "stage");
            Objects.requireNonNull(outcome, "outcome");
            if (stages == null) {
                stages = new StageOutcome[STAGE_COUNT];
            }
            stages[stage.ordinal()] = outcome;
            return this;
        }

        /**
         * Records the outcomes of several stages at once, as {@link #stage} for each non-null entry.
         *
         * @param byOrdinal outcome per stage, indexed by {@link Stage#ordinal()}, null for a stage
         *     without one; copied
         * @return this
         */
        public Builder stages(StageOutcome[] byOrdinal) {
            Objects.requireNonNull(byOrdinal, "stages");
            if (byOrdinal.length != STAGE_COUNT) {
                throw new IllegalArgumentException("stages must have one entry per Stage (" + STAGE_COUNT
                        + "), was " + byOrdinal.length);
            }
            if (stages == null) {
                stages = byOrdinal.clone();
            } else {
                for (int i = 0; i < byOrdinal.length; i++) {
                    if (byOrdinal[i] != null) {
                        stages[i] = byOrdinal[i];
                    }
                }
            }
            return this;
        }

        /**
         * Adds one monitoring signal.
         *
         * @param signal the signal; its name must not have been added before
         * @return this
         */
        public Builder signal(Signal signal) {
            List<Signal> earlier = signals == null ? List.of() : signals;
            checkSignal(signal, earlier, earlier.size());
            if (!(signals instanceof ArrayList)) {
                signals = signals == null ? new ArrayList<>(8) : new ArrayList<>(signals);
            }
            signals.add(signal);
            return this;
        }

        /** Checks a signal's name, and that none of the first {@code count} of {@code earlier} has it. */
        private static void checkSignal(Signal signal, List<Signal> earlier, int count) {
            Objects.requireNonNull(signal, "signal");
            requireKey(signal.name(), "signal name");
            for (int i = 0; i < count; i++) {
                if (earlier.get(i).name().equals(signal.name())) {
                    throw new IllegalArgumentException("signal names must be unique, was '" + signal.name()
                            + "' twice");
                }
            }
        }

        /**
         * Adds monitoring signals.
         *
         * @param all the signals, unique by name
         * @return this
         */
        public Builder signals(List<Signal> all) {
            if (signals == null && !all.isEmpty()) {
                // The common case (the Guard's one call): check, then keep an immutable copy, which
                // is the list itself when it is already immutable.
                List<Signal> copy = List.copyOf(all);
                for (int i = 0; i < copy.size(); i++) {
                    checkSignal(copy.get(i), copy, i);
                }
                signals = copy;
                return this;
            }
            for (Signal s : all) {
                signal(s);
            }
            return this;
        }

        /**
         * Sets the rules that decided.
         *
         * @param rules {@code <section>:<rule id>} for each question asked, in order
         * @return this builder
         */
        public Builder rules(List<String> rules) {
            this.rules = List.copyOf(rules);
            return this;
        }

        /**
         * Sets the alerts.
         *
         * @param alerts ids of the monitoring rules that raised an alert, in the order raised
         * @return this builder
         */
        public Builder alerts(List<String> alerts) {
            this.alerts = List.copyOf(alerts);
            return this;
        }

        /**
         * @param summary the raw prediction summary (only when the model was reached; a placeholder where
         *     the logging decision masks it, see {@link AuditRecord#raw()})
         * @return this
         */
        public Builder raw(PredictionSummary summary) {
            this.raw = Objects.requireNonNull(summary, "raw");
            return this;
        }

        /**
         * @param logging how sensitive fields are written
         * @return this
         */
        public Builder logging(LoggingDecision logging) {
            this.logging = Objects.requireNonNull(logging, "logging");
            return this;
        }

        /**
         * @param nanos time spent in the Guard, at least 0
         * @return this
         */
        public Builder latencyNanos(long nanos) {
            if (nanos < 0) {
                throw new IllegalArgumentException("latencyNanos must be >= 0, was " + nanos);
            }
            this.latencyNanos = nanos;
            return this;
        }

        /**
         * @return the record
         * @throws IllegalStateException when a required part is missing or the builder was used
         */
        public AuditRecord build() {
            if (built) {
                throw new IllegalStateException("this AuditRecord.Builder has already built its record");
            }
            if (bundleName == null) {
                throw new IllegalStateException("audit record " + decisionId + " needs a bundle: call bundle(name, revision)");
            }
            if (caller == null) {
                throw new IllegalStateException("audit record " + decisionId + " needs a caller: call caller(...)");
            }
            if (modelName == null) {
                throw new IllegalStateException("audit record " + decisionId + " needs a model: call model(...)");
            }
            if (!resultSet) {
                throw new IllegalStateException(
                        "audit record " + decisionId + " needs a result: call released(...), denied(...) or result(...)");
            }
            built = true;
            return new AuditRecord(this);
        }

        private void setResult() {
            if (resultSet) {
                throw new IllegalStateException("audit record " + decisionId + " already has a result");
            }
            resultSet = true;
        }
    }

    private static String requireText(String s, String what) {
        Objects.requireNonNull(s, what);
        if (s.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank, was '" + s + "'");
        }
        return s;
    }

    /** JSON object keys must be well-formed UTF-16, or two keys could collide after repair. */
    private static String requireKey(String key, String what) {
        if (!CanonicalJson.isWellFormed(key)) {
            throw new IllegalArgumentException(what + " must be well-formed UTF-16 (no lone surrogate), was '"
                    + CanonicalJson.wellFormed(key) + "'");
        }
        return key;
    }
}
