package dev.veil.rego.internal.engine;

import dev.veil.rego.RegoException;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import dev.veil.spi.AccessDecision;
import dev.veil.spi.CompiledPolicy;
import dev.veil.spi.DecisionDocuments;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.LoggingDecision;
import dev.veil.spi.ModelDecision;
import dev.veil.spi.MonitoringDecision;
import dev.veil.spi.OutputDecision;
import dev.veil.spi.PolicyInput;
import dev.veil.spi.ValidationDecision;

/**
 * A compiled Rego bundle: each question evaluates {@code data.veil.<question>.decision} and reads
 * the document. Immutable and thread-safe (the program is; {@link DecisionDocuments} caches with
 * concurrent maps). A question that cannot be answered throws {@link IllegalStateException}: an
 * undefined decision, a conflict, a builtin error, or a document of the wrong shape.
 */
final class RegoPolicy implements CompiledPolicy {
    private final RegoProgram program;
    private final DecisionDocuments documents;
    private final GuardSettings settings;

    RegoPolicy(RegoProgram program, DecisionDocuments documents, GuardSettings settings) {
        this.program = program;
        this.documents = documents;
        this.settings = settings;
    }

    @Override
    public String engine() {
        return "rego";
    }

    @Override
    public GuardSettings settings() {
        return settings;
    }

    /** The decision document of one question, as maps, lists, strings, numbers and booleans. */
    Object decide(String question, PolicyInput in) {
        String path = "veil." + question + ".decision";
        Value input = InputValues.of(in);
        Value v;
        try {
            v = program.evaluate(path, input);
        } catch (RegoException e) {
            throw new IllegalStateException("data." + path + " failed: " + e.getMessage(), e);
        }
        if (v == null) {
            throw new IllegalStateException("data." + path + " is undefined for this input: the rule must answer "
                    + "every input (give it a default, or end its else chain without a condition)");
        }
        return Values.toJava(v);
    }

    @Override
    public AccessDecision access(PolicyInput input) {
        return documents.access(decide("access", input));
    }

    @Override
    public ValidationDecision validation(PolicyInput input) {
        return documents.validation(decide("validation", input));
    }

    @Override
    public MonitoringDecision monitoring(PolicyInput input) {
        return documents.monitoring(decide("monitoring", input));
    }

    @Override
    public ModelDecision model(PolicyInput input) {
        return documents.model(decide("model", input));
    }

    @Override
    public OutputDecision output(PolicyInput input) {
        return documents.output(decide("output", input));
    }

    @Override
    public LoggingDecision logging(PolicyInput input) {
        return documents.logging(decide("logging", input));
    }
}
