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
import java.util.TreeSet;

/**
 * The policy input document ({@link PolicyInput#toDocument()}, docs/policy-reference.md section 8)
 * built directly as a Rego value, without the intermediate Java maps. The caller part, which is the
 * same for every question of a request, is cached on the last caller seen.
 */
final class InputValues {
    private static final StringValue CALLER = StringValue.of("caller");
    private static final StringValue MODEL = StringValue.of("model");
    private static final StringValue REQUEST = StringValue.of("request");
    private static final StringValue SIGNALS = StringValue.of("signals");
    private static final StringValue DEGRADED = StringValue.of("degraded");
    private static final StringValue PREDICTION = StringValue.of("prediction");
    private static final StringValue LEVEL = StringValue.of("level");
    private static final StringValue SCORE = StringValue.of("score");

    private record Cached(Caller caller, ObjectValue value) {}

    private static volatile Cached last;

    private InputValues() {}

    static ObjectValue of(PolicyInput in) {
        ObjectValue.Builder doc = ObjectValue.builder();
        doc.put(CALLER, caller(in.caller()));
        ObjectValue.Builder m = ObjectValue.builder();
        m.put("name", StringValue.of(in.model().name()));
        m.put("version", StringValue.of(in.model().version()));
        m.put("age_days", num(in.modelAgeDays()));
        doc.put(MODEL, m.build());
        ObjectValue.Builder r = ObjectValue.builder();
        r.put("features", NumberValue.of(in.featureCount()));
        r.put("payload_bytes", NumberValue.of(in.payloadBytes()));
        r.put("names", strings(in.featureNames()));
        doc.put(REQUEST, r.build());
        ObjectValue.Builder sig = ObjectValue.builder();
        for (Signal s : in.signals()) {
            sig.put(StringValue.of(s.name()), ObjectValue.of(LEVEL, StringValue.of(s.level().id()), SCORE,
                    num(s.score())));
        }
        doc.put(SIGNALS, sig.build());
        doc.put(DEGRADED, BooleanValue.of(in.degraded()));
        PredictionSummary p = in.prediction();
        if (p != null) {
            ObjectValue.Builder pb = ObjectValue.builder();
            pb.put("top_label", StringValue.of(p.topLabel()));
            pb.put("top_score", num(p.topScore()));
            pb.put("margin", num(p.margin()));
            pb.put("entropy", num(p.entropy()));
            pb.put("classes", NumberValue.of(p.classes()));
            doc.put(PREDICTION, pb.build());
        }
        return doc.build();
    }

    /** A number; NaN and the infinities, which Rego (like JSON) has no number for, are {@code null}. */
    private static Value num(double d) {
        return Double.isFinite(d) ? NumberValue.of(d) : NullValue.NULL;
    }

    private static ObjectValue caller(Caller c) {
        Cached k = last;
        if (k != null && k.caller.equals(c)) {
            return k.value;
        }
        ObjectValue.Builder b = ObjectValue.builder();
        b.put("id", StringValue.of(c.id()));
        b.put("authenticated", BooleanValue.of(c.authenticated()));
        b.put("method", StringValue.of(c.method().id()));
        b.put("roles", strings(new TreeSet<>(c.roles())));
        b.put("tenant", StringValue.of(c.tenant()));
        ObjectValue.Builder a = ObjectValue.builder();
        for (Map.Entry<String, String> e : c.attributes().entrySet()) {
            a.put(e.getKey(), StringValue.of(e.getValue()));
        }
        b.put("attributes", a.build());
        ObjectValue v = b.build();
        last = new Cached(c, v);
        return v;
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
