package dev.veil.rego.internal.engine;

import dev.veil.Caller;
import dev.veil.Signal;
import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.spi.PolicyInput;
import dev.veil.spi.PredictionSummary;
import java.util.Map;

/**
 * The policy input document ({@link PolicyInput#toDocument()}, docs/policy-reference.md section 8) as a
 * Rego value over the record: a lazy object ({@link ObjectValue#lazy}) that builds only the parts a
 * policy reads ({@code input.caller.roles} builds the caller's roles and nothing else), without the
 * intermediate Java maps. Nothing is kept between calls: every question pays for what it reads.
 */
final class InputValues {
    private static final StringValue CALLER = StringValue.canonical("caller");
    private static final StringValue MODEL = StringValue.canonical("model");
    private static final StringValue REQUEST = StringValue.canonical("request");
    private static final StringValue SIGNALS = StringValue.canonical("signals");
    private static final StringValue DEGRADED = StringValue.canonical("degraded");
    private static final StringValue PREDICTION = StringValue.canonical("prediction");
    private static final StringValue LEVEL = StringValue.canonical("level");
    private static final StringValue SCORE = StringValue.canonical("score");

    /** The top-level keys, in the order of {@link #top}; the last only when there is a prediction. */
    private static final ObjectValue.Keys TOP = new ObjectValue.Keys(CALLER, MODEL, REQUEST, SIGNALS, DEGRADED,
            PREDICTION);
    private static final ObjectValue.Keys TOP_NO_PREDICTION = TOP.dropLast(1);
    private static final ObjectValue.Keys CALLER_KEYS = new ObjectValue.Keys(StringValue.canonical("id"),
        StringValue.canonical("authenticated"), StringValue.canonical("method"),
        StringValue.canonical("roles"), StringValue.canonical("tenant"), StringValue.canonical("attributes"));

    private static final int ROLES = 3;
    private static final int ATTRIBUTES = 5;

    private static final ObjectValue.Shape<PolicyInput> TOP_SHAPE = new ObjectValue.Shape<>(TOP, InputValues::top,
            InputValues::topPath);
    private static final ObjectValue.Shape<PolicyInput> TOP_NO_PREDICTION_SHAPE = TOP_SHAPE.withKeys(TOP_NO_PREDICTION);
    private static final ObjectValue.Shape<Caller> CALLER_SHAPE = new ObjectValue.Shape<>(CALLER_KEYS,
            InputValues::callerValue, null);
    private static final ObjectValue.View<Map<String, String>> ATTRIBUTES_VIEW = new ObjectValue.View<>(
            InputValues::attribute, InputValues::attributeEntries);

    private InputValues() {}

    static ObjectValue of(PolicyInput in) {
        return ObjectValue.lazy(in.prediction() != null ? TOP_SHAPE : TOP_NO_PREDICTION_SHAPE, in);
    }

    /**
     * A path below the caller in one step, without the caller's object on the way: {@code input.caller.tenant},
     * {@code input.caller.roles}, {@code input.caller.attributes.region}; the same values as {@link #top} and
     * {@link #callerValue} give key by key. Any other path is left to indexing key by key.
     */
    private static Value topPath(PolicyInput in, Value[] keys, int from) {
        int n = keys.length - from;
        if (n < 2 || !CALLER.equals(keys[from])) {
            return ObjectValue.UNRESOLVED;
        }
        Caller c = in.caller();
        int i = CALLER_KEYS.indexOf(keys[from + 1]); // by identity first: a policy's constant keys are canonical
        if (i < 0) {
            return null; // the caller has no such key
        }
        if (n == 2) {
            return callerValue(c, i);
        }
        if (i == ATTRIBUTES) {
            Value v = attribute(c.attributes(), keys[from + 2]);
            return n == 3 ? v : null; // below an attribute, a string, nothing is defined
        }
        return i == ROLES ? ObjectValue.UNRESOLVED : null; // the other keys are scalars
    }

    private static Value top(PolicyInput in, int i) {
        switch (i) {
            case 0:
                return caller(in.caller());
            case 1: {
                ObjectValue.Builder m = ObjectValue.builder();
                m.put("name", StringValue.of(in.model().name()));
                m.put("version", StringValue.of(in.model().version()));
                m.put("age_days", num(in.modelAgeDays()));
                return m.build();
            }
            case 2: {
                ObjectValue.Builder r = ObjectValue.builder();
                r.put("features", NumberValue.of(in.featureCount()));
                r.put("payload_bytes", NumberValue.of(in.payloadBytes()));
                r.put("names", strings(in.featureNames()));
                return r.build();
            }
            case 3: {
                ObjectValue.Builder sig = ObjectValue.builder();
                for (Signal s : in.signals()) {
                    sig.put(StringValue.of(s.name()), ObjectValue.of(LEVEL, StringValue.of(s.level().id()), SCORE,
                            num(s.score())));
                }
                return sig.build();
            }
            case 4:
                return BooleanValue.of(in.degraded());
            default: {
                PredictionSummary p = in.prediction();
                ObjectValue.Builder pb = ObjectValue.builder();
                pb.put("top_label", StringValue.of(p.topLabel()));
                pb.put("top_score", num(p.topScore()));
                pb.put("margin", num(p.margin()));
                pb.put("entropy", num(p.entropy()));
                pb.put("classes", NumberValue.of(p.classes()));
                return pb.build();
            }
        }
    }

    /** A number; NaN and the infinities, which Rego (like JSON) has no number for, are {@code null}. */
    private static Value num(double d) {
        return Double.isFinite(d) ? NumberValue.of(d) : NullValue.NULL;
    }

    private static ObjectValue caller(Caller c) {
        return ObjectValue.lazy(CALLER_SHAPE, c);
    }

    private static Value callerValue(Caller c, int i) {
        return switch (i) {
            case 0 -> StringValue.of(c.id());
            case 1 -> BooleanValue.of(c.authenticated());
            case 2 -> StringValue.of(c.method().id());
            case ROLES -> roles(c.roles());
            case 4 -> StringValue.of(c.tenant());
            default -> attributes(c.attributes());
        };
    }

    /**
     * The roles sorted (as {@link PolicyInput#toDocument()} lists them), sorted only when the policy reads
     * the array beyond membership ({@code "analyst" in input.caller.roles} asks the caller's set).
     */
    private static ArrayValue roles(java.util.Set<String> roles) {
        return ArrayValue.sortedStrings(roles);
    }

    /** The attributes: a view over the caller's map, read key by key. */
    private static ObjectValue attributes(Map<String, String> attributes) {
        return ObjectValue.view(attributes.size(), attributes, ATTRIBUTES_VIEW);
    }

    private static Value attribute(Map<String, String> attributes, Value key) {
        String v = key instanceof StringValue s ? attributes.get(s.value()) : null;
        return v == null ? null : StringValue.of(v);
    }

    private static Map<Value, Value> attributeEntries(Map<String, String> attributes) {
        Map<Value, Value> all = new java.util.HashMap<>();
        attributes.forEach((k, v) -> all.put(StringValue.of(k), StringValue.of(v)));
        return all;
    }

    private static ArrayValue strings(java.util.Collection<String> l) {
        if (l.isEmpty()) {
            return ArrayValue.EMPTY;
        }
        Value[] out = new Value[l.size()];
        int i = 0;
        for (String s : l) {
            out[i++] = StringValue.of(s);
        }
        return ArrayValue.wrap(out);
    }
}
