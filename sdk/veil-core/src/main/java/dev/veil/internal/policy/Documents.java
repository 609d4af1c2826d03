package dev.veil.internal.policy;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Level;
import dev.veil.ModelInfo;
import dev.veil.Signal;
import dev.veil.spi.AccessDecision;
import dev.veil.spi.CompiledPolicy;
import dev.veil.spi.InputContract;
import dev.veil.spi.LoggingDecision;
import dev.veil.spi.ModelDecision;
import dev.veil.spi.MonitoringAction;
import dev.veil.spi.MonitoringDecision;
import dev.veil.spi.OutputDecision;
import dev.veil.spi.PolicyInput;
import dev.veil.spi.PredictionSummary;
import dev.veil.spi.ReleaseSpec;
import dev.veil.spi.ValidationDecision;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Decision documents: the JSON form of every stage's answer, and of the policy input. This is the
 * contract every engine implements (docs/policy-reference.md, docs/decision.schema.json).
 */
public final class Documents {
    private Documents() {}

    /** Asks every stage question for one input and returns {@code {"access": ..., ...}}. */
    public static Map<String, Object> evaluateAll(CompiledPolicy p, PolicyInput in) {
        return evaluateAll(p, in, (stage, e) -> {
            throw e;
        });
    }

    /**
     * As {@link #evaluateAll(CompiledPolicy, PolicyInput)}, asking every question even after one
     * fails: a stage whose question throws gets what {@code onFailure} returns for it (given the
     * stage's name and the exception) in its place.
     */
    public static Map<String, Object> evaluateAll(CompiledPolicy p, PolicyInput in,
            java.util.function.BiFunction<String, RuntimeException, Object> onFailure) {
        Map<String, Object> out = new LinkedHashMap<>();
        ask(out, "access", () -> access(p.access(in)), onFailure);
        ask(out, "validation", () -> validation(p.validation(in)), onFailure);
        ask(out, "monitoring", () -> monitoring(p.monitoring(in)), onFailure);
        ask(out, "model", () -> model(p.model(in)), onFailure);
        ask(out, "output", () -> output(p.output(in)), onFailure);
        ask(out, "logging", () -> logging(p.logging(in)), onFailure);
        return out;
    }

    private static void ask(Map<String, Object> out, String stage, java.util.function.Supplier<Object> question,
            java.util.function.BiFunction<String, RuntimeException, Object> onFailure) {
        Object answer;
        try {
            answer = question.get();
        } catch (RuntimeException e) {
            answer = onFailure.apply(stage, e);
        }
        out.put(stage, answer);
    }

    public static Map<String, Object> access(AccessDecision d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("allow", d.allow());
        m.put("rule", d.rule());
        m.put("message", d.message());
        if (d.rateLimit() != null) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("per_second", d.rateLimit().perSecond());
            r.put("burst", d.rateLimit().burst());
            m.put("rate_limit", r);
        } else {
            m.put("rate_limit", null);
        }
        m.put("daily_quota", d.dailyQuota());
        return m;
    }

    public static Map<String, Object> validation(ValidationDecision d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rule", d.rule());
        InputContract c = d.contract();
        Map<String, Object> cm = new LinkedHashMap<>();
        cm.put("shape", c.shape());
        cm.put("min", finiteOrNull(c.min()));
        cm.put("max", finiteOrNull(c.max()));
        Map<String, Object> fs = new LinkedHashMap<>();
        c.features().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("required", e.getValue().required());
            f.put("min", finiteOrNull(e.getValue().min()));
            f.put("max", finiteOrNull(e.getValue().max()));
            fs.put(e.getKey(), f);
        });
        cm.put("features", fs);
        cm.put("allow_unknown_features", c.allowUnknownFeatures());
        List<Object> cf = new ArrayList<>();
        for (InputContract.CrossFieldRule r : c.crossField()) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("id", r.id());
            one.put("expr", r.expr());
            cf.add(one);
        }
        cm.put("cross_field", cf);
        cm.put("max_payload_bytes", c.maxPayloadBytes());
        if (c.distribution() != null) {
            InputContract.DistributionCheck dc = c.distribution();
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("stats", dc.stats());
            dm.put("features", dc.mean().length);
            dm.put("std_floor", dc.stdFloor());
            dm.put("max_abs_z", dc.maxAbsZ());
            dm.put("max_rms_z", dc.maxRmsZ());
            dm.put("summary", new ArrayList<>(new java.util.TreeSet<>(dc.summary().keySet())));
            cm.put("distribution", dm);
        } else {
            cm.put("distribution", null);
        }
        m.put("contract", cm);
        return m;
    }

    public static Map<String, Object> monitoring(MonitoringDecision d) {
        List<Object> actions = new ArrayList<>();
        for (MonitoringAction a : d.actions()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("action", a.action().name().toLowerCase(Locale.ROOT));
            m.put("rule", a.rule());
            m.put("signal", a.signal());
            m.put("cooldown_seconds", a.cooldownSeconds());
            m.put("throttle_per_second", a.throttlePerSecond());
            actions.add(m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("actions", actions);
        return m;
    }

    public static Map<String, Object> model(ModelDecision d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rule", d.rule());
        m.put("stale", d.stale());
        m.put("action", d.action().name().toLowerCase(Locale.ROOT));
        return m;
    }

    public static Map<String, Object> output(OutputDecision d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rule", d.rule());
        m.put("release", release(d.release()));
        return m;
    }

    public static Map<String, Object> release(ReleaseSpec r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("form", r.form().name().toLowerCase(Locale.ROOT));
        m.put("top_k", r.topK());
        m.put("round", r.round());
        m.put("min_confidence", r.minConfidence());
        if (r.reverseSigmoid() != null) {
            Map<String, Object> rs = new LinkedHashMap<>();
            rs.put("beta", r.reverseSigmoid().beta());
            rs.put("gamma", r.reverseSigmoid().gamma());
            m.put("reverse_sigmoid", rs);
        } else {
            m.put("reverse_sigmoid", null);
        }
        if (r.noise() != null) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("mechanism", r.noise().id());
            n.put("epsilon", r.noise().epsilon());
            n.put("delta", r.noise().delta());
            n.put("sensitivity", r.noise().sensitivity());
            if (r.noise().bounds() != null) { // optional in the contract: left out when there are none
                n.put("bounds", List.of(r.noise().bounds().lower(), r.noise().bounds().upper()));
            }
            m.put("noise", n);
        } else {
            m.put("noise", null);
        }
        m.put("allow_label_change", r.allowLabelChange());
        return m;
    }

    public static Map<String, Object> logging(LoggingDecision d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rule", d.rule());
        m.put("input", d.input().name().toLowerCase(Locale.ROOT));
        m.put("output", d.output().name().toLowerCase(Locale.ROOT));
        m.put("raw", d.raw().name().toLowerCase(Locale.ROOT));
        m.put("caller", d.caller().name().toLowerCase(Locale.ROOT));
        return m;
    }

    private static Object finiteOrNull(double v) {
        return Double.isInfinite(v) ? null : v;
    }

    /**
     * Reads a policy input document (the layout of {@link PolicyInput#toDocument()}); missing
     * parts take neutral values (anonymous caller, model age 0, no signals, no prediction).
     * Throws IllegalArgumentException naming the field that has the wrong type or is not a finite
     * number (NaN, infinite).
     */
    @SuppressWarnings("unchecked")
    public static PolicyInput inputFromDocument(Map<String, Object> doc) {
        Set<String> top = new HashSet<>(doc.keySet());
        top.removeAll(Set.of("caller", "model", "request", "signals", "degraded", "prediction"));
        if (!top.isEmpty()) {
            throw new IllegalArgumentException("unknown key(s) " + top + " in the policy input; known: caller, model, "
                    + "request, signals, degraded, prediction");
        }
        Map<String, Object> c = map(doc.get("caller"), "caller");
        known(c, "caller", "id", "authenticated", "method", "roles", "tenant", "attributes");
        Caller caller = Caller.ANONYMOUS;
        if (!c.isEmpty()) {
            Object auth = c.getOrDefault("authenticated", c.containsKey("method") ? null : Boolean.FALSE);
            if (auth != null && !(auth instanceof Boolean)) {
                throw new IllegalArgumentException("caller.authenticated must be true or false");
            }
            String method = str(c.getOrDefault("method", Boolean.TRUE.equals(auth) ? "api_key" : "none"), "caller.method");
            if (auth != null && ((Boolean) auth) == "none".equals(method)) {
                throw new IllegalArgumentException("caller.authenticated contradicts caller.method '" + method + "'");
            }
            Map<String, String> attrs = new LinkedHashMap<>();
            map(c.get("attributes"), "caller.attributes").forEach((k, v) -> attrs.put(k, str(v, "caller.attributes." + k)));
            caller = new Caller(str(c.getOrDefault("id", "anonymous"), "caller.id"), AuthMethod.fromId(method),
                    Set.copyOf((List<String>) list(c.get("roles"), "caller.roles")),
                    str(c.getOrDefault("tenant", ""), "caller.tenant"), attrs);
        }
        Map<String, Object> m = map(doc.get("model"), "model");
        known(m, "model", "name", "version", "age_days");
        ModelInfo model = new ModelInfo(str(m.getOrDefault("name", "model"), "model.name"),
                str(m.getOrDefault("version", "0"), "model.version"), Instant.EPOCH);
        double age = num(m.getOrDefault("age_days", 0), "model.age_days");
        Map<String, Object> r = map(doc.get("request"), "request");
        known(r, "request", "features", "payload_bytes", "names");
        int features = (int) count(r.getOrDefault("features", 0), "request.features");
        long payload = count(r.getOrDefault("payload_bytes", (long) features * 8), "request.payload_bytes");
        List<String> names = (List<String>) list(r.get("names"), "request.names");
        List<Signal> signals = new ArrayList<>();
        map(doc.get("signals"), "signals").forEach((name, v) -> {
            Map<String, Object> s = map(v, "signals." + name);
            known(s, "signals." + name, "level", "score");
            signals.add(new Signal(name, Level.fromId(str(s.getOrDefault("level", "none"), "signals." + name + ".level")),
                    num(s.getOrDefault("score", 0), "signals." + name + ".score")));
        });
        Object deg = doc.getOrDefault("degraded", false);
        if (!(deg instanceof Boolean)) {
            throw new IllegalArgumentException("degraded must be true or false");
        }
        PredictionSummary pred = null;
        if (doc.get("prediction") != null) {
            Map<String, Object> p = map(doc.get("prediction"), "prediction");
            known(p, "prediction", "top_label", "top_score", "margin", "entropy", "classes");
            pred = new PredictionSummary(str(p.getOrDefault("top_label", ""), "prediction.top_label"),
                    num(p.getOrDefault("top_score", 0), "prediction.top_score"),
                    num(p.getOrDefault("margin", 0), "prediction.margin"),
                    num(p.getOrDefault("entropy", 0), "prediction.entropy"),
                    (int) num(p.getOrDefault("classes", 0), "prediction.classes"));
        }
        return new PolicyInput(caller, model, age, features, payload, names, signals, (Boolean) deg, pred);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String where) {
        if (o == null) {
            return Map.of();
        }
        if (o instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new IllegalArgumentException(where + " must be an object");
    }

    private static List<?> list(Object o, String where) {
        if (o == null) {
            return List.of();
        }
        if (o instanceof List<?> l) {
            for (Object e : l) {
                if (!(e instanceof String)) {
                    throw new IllegalArgumentException(where + " must be a list of strings");
                }
            }
            return l;
        }
        throw new IllegalArgumentException(where + " must be a list of strings");
    }

    private static String str(Object o, String where) {
        if (o instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException(where + " must be a string");
    }

    private static void known(Map<String, Object> m, String where, String... keys) {
        Set<String> unknown = new java.util.TreeSet<>(m.keySet());
        unknown.removeAll(Set.of(keys));
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown key(s) " + unknown + " in " + where + "; known: "
                    + String.join(", ", keys));
        }
    }

    private static long count(Object o, String where) {
        if ((o instanceof Integer || o instanceof Long) && ((Number) o).longValue() >= 0) {
            return ((Number) o).longValue();
        }
        throw new IllegalArgumentException(where + " must be a whole number >= 0");
    }

    /**
     * A finite number. NaN and the infinities are refused: JSON cannot hold them, so an engine that
     * reads the document as JSON (Rego) would not see what the YAML engine compares (an infinite
     * model age was stale for one engine and fresh for the other).
     */
    private static double num(Object o, String where) {
        if (o instanceof Number n) {
            double v = n.doubleValue();
            if (Double.isFinite(v)) {
                return v;
            }
            throw new IllegalArgumentException(where + " must be a finite number, was " + v);
        }
        throw new IllegalArgumentException(where + " must be a number");
    }
}
