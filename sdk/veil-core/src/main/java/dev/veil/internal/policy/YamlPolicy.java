package dev.veil.internal.policy;

import dev.veil.internal.validation.CompiledContract;
import dev.veil.spi.AccessDecision;
import dev.veil.spi.FieldMode;
import dev.veil.spi.CompiledPolicy;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.LoggingDecision;
import dev.veil.spi.ModelDecision;
import dev.veil.spi.MonitoringAction;
import dev.veil.spi.MonitoringDecision;
import dev.veil.spi.OutputDecision;
import dev.veil.spi.PolicyInput;
import dev.veil.spi.ValidationDecision;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled YAML policy. Immutable and lock-free; every question walks a precompiled rule array
 * and returns a precompiled decision (first match; all matches for monitoring), so evaluation
 * allocates nothing except the action list of a monitoring decision that fired.
 */
final class YamlPolicy implements CompiledPolicy {
    /** A compiled rule; {@code maxAgeDays} is only used by model rules. */
    record Rule<T>(String id, Condition when, T outcome, Double maxAgeDays) {
        Rule(String id, Condition when, T outcome) {
            this(id, when, outcome, null);
        }
    }

    private final GuardSettings settings;
    private final Rule<AccessDecision>[] access;
    private final Rule<ValidationDecision>[] validation;
    private final Rule<MonitoringAction>[] monitoring;
    private final Rule<ModelDecision>[] model;
    private final Rule<OutputDecision>[] output;
    private final Rule<LoggingDecision>[] logging;
    private final ModelDecision[] staleModel;
    private final List<String> warnings;
    private final Map<String, List<String>> monitoringSignals;
    private final List<CompiledContract> compiledContracts;
    private final boolean outputReadsPrediction;

    @SuppressWarnings("unchecked")
    YamlPolicy(
            GuardSettings settings,
            List<Rule<AccessDecision>> access,
            List<Rule<ValidationDecision>> validation,
            List<Rule<MonitoringAction>> monitoring,
            List<Rule<ModelDecision>> model,
            List<Rule<OutputDecision>> output,
            List<Rule<LoggingDecision>> logging,
            List<String> warnings,
            Map<String, List<String>> monitoringSignals,
            List<CompiledContract> compiledContracts,
            boolean outputReadsPrediction) {
        this.settings = settings;
        this.outputReadsPrediction = outputReadsPrediction;
        this.compiledContracts = List.copyOf(compiledContracts);
        this.warnings = List.copyOf(warnings);
        this.monitoringSignals = Collections.unmodifiableMap(new LinkedHashMap<>(monitoringSignals));
        this.access = access.toArray(Rule[]::new);
        this.validation = validation.toArray(Rule[]::new);
        this.monitoring = monitoring.toArray(Rule[]::new);
        this.model = model.toArray(Rule[]::new);
        this.output = output.toArray(Rule[]::new);
        this.logging = logging.toArray(Rule[]::new);
        this.staleModel = new ModelDecision[this.model.length];
        for (int i = 0; i < this.model.length; i++) {
            ModelDecision d = this.model[i].outcome();
            staleModel[i] = new ModelDecision(d.rule(), true, d.action());
        }
    }

    /**
     * The signals each monitoring rule names in its {@code when.signals}, by rule id, in the file's
     * order: a rule fires only when every one of them reaches its level, while its action names
     * only the first ({@link MonitoringAction#signal()}).
     */
    Map<String, List<String>> monitoringSignals() {
        return monitoringSignals;
    }

    @Override
    public String engine() {
        return "yaml";
    }

    @Override
    public GuardSettings settings() {
        return settings;
    }

    /** What the policy's rules allow but probably should not, one sentence each ({@link LoadWarnings}). */
    List<String> warnings() {
        return warnings;
    }

    private static <T> T first(Rule<T>[] rules, PolicyInput in) {
        for (Rule<T> r : rules) {
            if (r.when().test(in)) {
                return r.outcome();
            }
        }
        throw new IllegalStateException("no default rule"); // compiler always appends one
    }

    @Override
    public AccessDecision access(PolicyInput in) {
        return first(access, in);
    }

    @Override
    public ValidationDecision validation(PolicyInput in) {
        return first(validation, in);
    }

    @Override
    public MonitoringDecision monitoring(PolicyInput in) {
        List<MonitoringAction> fired = null;
        for (Rule<MonitoringAction> r : monitoring) {
            if (r.when().test(in)) {
                if (fired == null) {
                    fired = new ArrayList<>(2);
                }
                fired.add(r.outcome());
            }
        }
        return fired == null ? MonitoringDecision.NONE : new MonitoringDecision(fired);
    }

    @Override
    public ModelDecision model(PolicyInput in) {
        for (int i = 0; i < model.length; i++) {
            Rule<ModelDecision> r = model[i];
            if (r.when().test(in)) {
                Double max = r.maxAgeDays();
                return max != null && in.modelAgeDays() > max ? staleModel[i] : r.outcome();
            }
        }
        throw new IllegalStateException("no default rule");
    }

    @Override
    public OutputDecision output(PolicyInput in) {
        return first(output, in);
    }

    /**
     * Whether some output rule tests the prediction's summary ({@code top_score}, {@code margin},
     * {@code entropy}, also inside {@code any} or {@code not}): when none does, the output question
     * is answered the same without it.
     */
    boolean outputReadsPrediction() {
        return outputReadsPrediction;
    }

    /** The compiled form of every validation contract, as the compiler checked it at load. */
    List<CompiledContract> compiledContracts() {
        return compiledContracts;
    }

    /** Whether every logging rule (the default among them) masks the input. */
    boolean alwaysMasksInput() {
        for (Rule<LoggingDecision> r : logging) {
            if (r.outcome().input() != FieldMode.MASK) {
                return false;
            }
        }
        return logging.length > 0;
    }

    @Override
    public LoggingDecision logging(PolicyInput in) {
        return first(logging, in);
    }
}
