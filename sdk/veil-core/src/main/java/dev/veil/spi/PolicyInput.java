package dev.veil.spi;

import dev.veil.Caller;
import dev.veil.ModelInfo;
import dev.veil.Signal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The policy input document: everything a policy may look at for one request. The YAML engine
 * reads the typed fields; other engines read {@link #toDocument()}, whose layout is the schema in
 * {@code docs/policy-input.schema.json}:
 *
 * <pre>{@code
 * {"caller": {"id", "authenticated", "method", "roles", "tenant", "attributes"},
 *  "model": {"name", "version", "age_days"},
 *  "request": {"features", "payload_bytes", "names"},
 *  "signals": {"<detector>": {"level", "score"}},
 *  "degraded": false,
 *  "prediction": {"top_label", "top_score", "margin", "entropy", "classes"}}   // output stage only
 * }</pre>
 *
 * @param caller who asks
 * @param model which model would answer
 * @param modelAgeDays age of the model in days at the time of the request
 * @param featureCount length of the feature vector
 * @param payloadBytes size of the request in bytes
 * @param featureNames names of the features, empty when unnamed
 * @param signals monitoring signals (empty before the observe stage)
 * @param degraded whether an earlier stage asked for the most minimised release
 * @param prediction summary of the raw prediction, or {@code null} before the model ran (and at the
 *     output question of a YAML policy none of whose output rules tests it, which reads nothing of it)
 */
public record PolicyInput(
        Caller caller,
        ModelInfo model,
        double modelAgeDays,
        int featureCount,
        long payloadBytes,
        List<String> featureNames,
        List<Signal> signals,
        boolean degraded,
        PredictionSummary prediction) {

    public PolicyInput {
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(model, "model");
        featureNames = List.copyOf(featureNames);
        signals = List.copyOf(signals);
    }

    public PolicyInput withSignals(List<Signal> s, boolean isDegraded) {
        return new PolicyInput(caller, model, modelAgeDays, featureCount, payloadBytes, featureNames, s, isDegraded,
                prediction);
    }

    public PolicyInput withPrediction(PredictionSummary p, boolean isDegraded) {
        return new PolicyInput(caller, model, modelAgeDays, featureCount, payloadBytes, featureNames, signals,
                isDegraded, p);
    }

    /** The signal of the named detector, or {@code null}. */
    public Signal signal(String name) {
        for (Signal s : signals) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    /**
     * Reads a policy input document, the layout of {@link #toDocument()}, as {@code veil eval} and
     * {@code veil test} read one: missing parts take the values a Guard would give them (anonymous
     * caller, no roles, tenant {@code ""}, no attributes, model age 0, no signals, no prediction).
     *
     * @throws IllegalArgumentException naming a key that is unknown, a field of the wrong type or a
     *     number that is not finite
     */
    public static PolicyInput fromDocument(Map<String, Object> doc) {
        return dev.veil.internal.policy.Documents.inputFromDocument(doc);
    }

    /** The input as a JSON-like document of maps, lists, strings, numbers and booleans. */
    public Map<String, Object> toDocument() {
        Map<String, Object> doc = new LinkedHashMap<>();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("id", caller.id());
        c.put("authenticated", caller.authenticated());
        c.put("method", caller.method().id());
        c.put("roles", new ArrayList<>(new TreeSet<>(caller.roles())));
        c.put("tenant", caller.tenant());
        c.put("attributes", new LinkedHashMap<>(new java.util.TreeMap<>(caller.attributes())));
        doc.put("caller", c);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", model.name());
        m.put("version", model.version());
        m.put("age_days", modelAgeDays);
        doc.put("model", m);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("features", featureCount);
        r.put("payload_bytes", payloadBytes);
        r.put("names", new ArrayList<>(featureNames));
        doc.put("request", r);
        Map<String, Object> sig = new LinkedHashMap<>();
        for (Signal s : signals) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("level", s.level().id());
            one.put("score", s.score());
            sig.put(s.name(), one);
        }
        doc.put("signals", sig);
        doc.put("degraded", degraded);
        if (prediction != null) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("top_label", prediction.topLabel());
            p.put("top_score", prediction.topScore());
            p.put("margin", prediction.margin());
            p.put("entropy", prediction.entropy());
            p.put("classes", prediction.classes());
            doc.put("prediction", p);
        }
        return doc;
    }
}
