package dev.veil.rego.internal.engine;

import dev.veil.VeilException;
import dev.veil.rego.RegoException;
import dev.veil.rego.internal.compile.Plan;
import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

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

    /** The prepared {@code data.veil.<question>.decision} of each question. */
    private final Plan.Ref accessRef;
    private final Plan.Ref validationRef;
    private final Plan.Ref monitoringRef;
    private final Plan.Ref modelRef;
    private final Plan.Ref outputRef;
    private final Plan.Ref loggingRef;

    RegoPolicy(RegoProgram program, DecisionDocuments documents, GuardSettings settings) {
        this.program = program;
        this.documents = documents;
        this.settings = settings;
        accessRef = program.document(path("access"));
        validationRef = program.document(path("validation"));
        monitoringRef = program.document(path("monitoring"));
        modelRef = program.document(path("model"));
        outputRef = program.document(path("output"));
        loggingRef = program.document(path("logging"));
    }

    private static String path(String question) {
        return "veil." + question + ".decision";
    }

    @Override
    public String engine() {
        return "rego";
    }

    @Override
    public GuardSettings settings() {
        return settings;
    }

    /** Most policies answer from a few constant documents: each question keeps the records it read, by value. */
    private static final int CACHED = 1024;

    private final Map<Value, AccessDecision> access = new ConcurrentHashMap<>();
    private final Map<Value, ValidationDecision> validation = new ConcurrentHashMap<>();
    private final Map<Value, MonitoringDecision> monitoring = new ConcurrentHashMap<>();
    private final Map<Value, ModelDecision> model = new ConcurrentHashMap<>();
    private final Map<Value, OutputDecision> output = new ConcurrentHashMap<>();
    private final Map<Value, LoggingDecision> logging = new ConcurrentHashMap<>();

    private Value decide(String question, Plan.Ref ref, PolicyInput in) {
        Value input = InputValues.of(in);
        Value v;
        try {
            v = program.evaluate(ref, input);
        } catch (RegoException e) {
            if ("eval_cancel_error".equals(e.code())) {
                // One message per cause, naming the question and the limit: the Guard logs it and fails closed.
                throw new VeilException("data." + path(question) + " could not be evaluated: "
                        + (e.errors().get(0).message().equals("interrupted")
                        ? "the request thread was interrupted; evaluation stopped"
                        : "evaluation took longer than its limit of " + RegoProgram.describe(program.timeout())
                        + " (system property " + RegoProgram.TIMEOUT_PROPERTY + "; docs/policy-reference.md, "
                        + "section 13)") + "; stopped at " + RegoErrors.valueFree(e), e);
            }
            throw new VeilException("data." + path(question) + " failed: " + RegoErrors.valueFree(e), e);
        }
        if (v == null) {
            throw new VeilException("data." + path(question) + " is undefined for this input: the rule must "
                    + "answer every input (give it a default, or end its else chain without a condition)");
        }
        return v;
    }


    /**
     * The decision document as plain Java for {@link DecisionDocuments} (what {@link Values#toJava}
     * gives), or an {@link IllegalArgumentException} naming the question and the place when it is not
     * a JSON document: a set (which {@link Values#toJava} would turn into a sorted list without
     * duplicates, so {@code "shape": {28, 28}} would read as {@code [28]} and a set of monitoring
     * actions would lose its rule order) or an object key that is not a string (which would become its
     * JSON text, so {@code {1: a, "1": b}} would keep one of the two). The YAML engine's documents have
     * neither. One walk checks and converts; the first problem in key order is the one named.
     */
    static Object document(String question, Value doc) {
        return json(question, doc, "");
    }

    /**
     * {@code v} as {@link Values#toJava} converts it, refusing a set or a non-string key at
     * {@code path} ({@code contract.shape: expected a list, was a set ...}). Keys are all strings once
     * an object passes, so its sorted key order is the code point order {@link Values#toJava} gives.
     */
    private static Object json(String question, Value v, String path) {
        switch (v.kind()) {
            case SET:
                throw notJson(question, path, "expected " + (path.isEmpty() ? "an object" : "a list")
                        + ", was a set " + Values.toJson(v).replaceFirst("^(.{40}).+$", "$1...")
                        + " (a set has no order and holds each value once; write an array: [...], or [x | ...] for "
                        + "a comprehension)");
            case ARRAY: {
                ArrayValue a = (ArrayValue) v;
                List<Object> l = new ArrayList<>(a.size());
                for (int i = 0; i < a.size(); i++) {
                    l.add(json(question, a.get(i), path + "[" + i + "]"));
                }
                return l;
            }
            case OBJECT: {
                ObjectValue o = (ObjectValue) v;
                Map<String, Object> m = new LinkedHashMap<>();
                for (Value k : o.keys()) {
                    if (!(k instanceof StringValue s)) {
                        throw notJson(question, path, "keys must be strings, was the " + k.typeName() + " "
                                + Values.toJson(k).replaceFirst("^(.{40}).+$", "$1..."));
                    }
                    m.put(s.value(), json(question, o.get(k), path.isEmpty() ? s.value() : path + "." + s.value()));
                }
                return m;
            }
            default:
                return Values.toJava(v);
        }
    }

    private static IllegalArgumentException notJson(String question, String path, String problem) {
        return new IllegalArgumentException(question + " decision: " + (path.isEmpty() ? "" : path + ": ") + problem);
    }

    /** The record for a decision document: read once per distinct document (up to {@link #CACHED}). */
    private static <T> T read(String question, Map<Value, T> cache, Value doc, Function<Object, T> reader) {
        T known = cache.get(doc);
        if (known != null) {
            return known;
        }
        T fresh;
        try {
            fresh = reader.apply(document(question, doc));
        } catch (IllegalArgumentException e) {
            // A decision document of the wrong shape: the policy could not answer (the message names
            // the question and the field, and is the Guard's to log).
            throw new VeilException(e.getMessage(), e);
        }
        if (cache.size() < CACHED) {
            cache.putIfAbsent(doc, fresh);
        }
        return fresh;
    }

    @Override
    public AccessDecision access(PolicyInput input) {
        return read("access", access, decide("access", accessRef, input), documents::access);
    }

    @Override
    public ValidationDecision validation(PolicyInput input) {
        return read("validation", validation, decide("validation", validationRef, input), documents::validation);
    }

    @Override
    public MonitoringDecision monitoring(PolicyInput input) {
        return read("monitoring", monitoring, decide("monitoring", monitoringRef, input), documents::monitoring);
    }

    @Override
    public ModelDecision model(PolicyInput input) {
        return read("model", model, decide("model", modelRef, input), documents::model);
    }

    @Override
    public OutputDecision output(PolicyInput input) {
        return read("output", output, decide("output", outputRef, input), documents::output);
    }

    @Override
    public LoggingDecision logging(PolicyInput input) {
        return read("logging", logging, decide("logging", loggingRef, input), documents::logging);
    }
}
