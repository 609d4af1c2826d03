package dev.veil.policies;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.internal.validation.CompiledContract;
import dev.veil.spi.PolicyInput;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Policy input documents (the layout of {@code PolicyInput.toDocument()}, what
 * {@link PolicyBundle#evaluate} reads) built by hand, and paths into the decision documents.
 */
final class Docs {
    private Docs() {}

    /** A caller document. */
    static Map<String, Object> caller(String id, String method, List<String> roles, String tenant,
            Map<String, String> attributes) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("id", id);
        c.put("method", method);
        c.put("roles", roles);
        c.put("tenant", tenant);
        c.put("attributes", attributes);
        return c;
    }

    /** A caller authenticated by API key. */
    static Map<String, Object> apiKey(String id, List<String> roles, String tenant, Map<String, String> attributes) {
        return caller(id, "api_key", roles, tenant, attributes);
    }

    /** Starts an input document for a caller. */
    static Input input(Map<String, Object> caller) {
        return new Input(caller);
    }

    /** A fluent policy input document. */
    static final class Input {
        private final Map<String, Object> doc = new LinkedHashMap<>();
        private final Map<String, Object> request = new LinkedHashMap<>();
        private final Map<String, Object> signals = new LinkedHashMap<>();

        private Input(Map<String, Object> caller) {
            doc.put("caller", caller);
            doc.put("request", request);
            doc.put("signals", signals);
        }

        Input features(int n) {
            request.put("features", n);
            return this;
        }

        Input names(List<String> names) {
            request.put("features", names.size());
            request.put("names", names);
            return this;
        }

        Input modelAgeDays(double days) {
            doc.put("model", Map.of("name", "model", "version", "1", "age_days", days));
            return this;
        }

        Input signal(String detector, String level, double score) {
            signals.put(detector, Map.of("level", level, "score", score));
            return this;
        }

        Input degraded(boolean d) {
            doc.put("degraded", d);
            return this;
        }

        Input prediction(String topLabel, double topScore, double margin, double entropy, int classes) {
            doc.put("prediction", Map.of("top_label", topLabel, "top_score", topScore, "margin", margin,
                    "entropy", entropy, "classes", classes));
            return this;
        }

        Map<String, Object> build() {
            return doc;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Asks every question and returns the decisions as their JSON documents read back (numbers as
     * JSON has them: whole numbers as {@code Integer}, others as {@code Double}), so that tests
     * compare what {@code veil eval} prints, not the Java types behind it.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> evaluate(PolicyBundle bundle, Map<String, Object> input) {
        try {
            return JSON.readValue(JSON.writeValueAsString(bundle.evaluate(input)), Map.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the decisions do not serialise as JSON", e);
        }
    }

    /** The value at a dotted path ({@code access.rule}) of a decision document. */
    static Object at(Map<String, Object> decisions, String path) {
        Object o = decisions;
        for (String step : path.split("\\.")) {
            if (!(o instanceof Map<?, ?> m) || !m.containsKey(step)) {
                throw new AssertionError("no '" + step + "' on the path " + path + " in " + decisions);
            }
            o = m.get(step);
        }
        return o;
    }

    /** The compiled contract the bundle's validation question gives a caller, as the Guard compiles it. */
    static CompiledContract contract(PolicyBundle bundle, String id, AuthMethod method, Set<String> roles,
            String tenant, Map<String, String> attributes, int features, List<String> names) {
        Caller caller = new Caller(id, method, roles, tenant, attributes);
        PolicyInput in = new PolicyInput(caller, ModelInfo.of("model", "1", Instant.EPOCH), 0, features,
                8L * features, names, List.of(), false, null);
        return CompiledContract.compile(bundle.policy().validation(in).contract());
    }
}
