package dev.veil.internal.policy;

import dev.veil.AuthMethod;
import dev.veil.Level;
import dev.veil.Signal;
import dev.veil.internal.access.ApiKeyStore;
import dev.veil.spi.PolicyInput;
import dev.veil.spi.PredictionSummary;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A compiled {@code when} block: a conjunction of simple tests, evaluated without allocating. */
@FunctionalInterface
interface Condition {
    boolean test(PolicyInput in);

    Condition ALWAYS = in -> true;

    /** The section a rule belongs to: it decides which parts of the input are known when it is asked. */
    enum Section {
        ACCESS,
        VALIDATION,
        MONITORING,
        MODEL,
        OUTPUT,
        LOGGING;

        boolean knowsSignals() {
            return this != ACCESS && this != VALIDATION;
        }
    }

    /**
     * Compiles a {@code when} block. {@code where} is its YAML path, used in error messages.
     *
     * @param signalNames the detectors the policy configures, to reject a rule on an unknown signal
     * @param section the section, to reject conditions on what that stage cannot know
     */
    static Condition compile(PolicyDocument.When w, String where, Set<String> signalNames, Section section) {
        if (w == null) {
            return ALWAYS;
        }
        List<Condition> parts = new ArrayList<>();
        if (w.authenticated() != null) {
            boolean want = w.authenticated();
            parts.add(in -> in.caller().authenticated() == want);
        }
        if (w.methods() != null) {
            Set<AuthMethod> ms = new HashSet<>();
            for (String m : nonEmpty(w.methods(), where + ".methods")) {
                try {
                    ms.add(AuthMethod.fromId(m.toLowerCase(java.util.Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new PolicyPathException(where + ".methods", e.getMessage());
                }
            }
            Set<AuthMethod> frozen = Set.copyOf(ms);
            parts.add(in -> frozen.contains(in.caller().method()));
        }
        if (w.callers() != null) {
            Set<String> ids = Set.copyOf(names(w.callers(), where + ".callers", "caller id"));
            parts.add(in -> ids.contains(in.caller().id()));
        }
        if (w.roles() != null) {
            String[] roles = names(w.roles(), where + ".roles", "role").toArray(String[]::new);
            parts.add(in -> {
                Set<String> have = in.caller().roles();
                for (String r : roles) {
                    if (have.contains(r)) {
                        return true;
                    }
                }
                return false;
            });
        }
        if (w.rolesAll() != null) {
            Set<String> roles = Set.copyOf(names(w.rolesAll(), where + ".roles_all", "role"));
            parts.add(in -> in.caller().roles().containsAll(roles));
        }
        if (w.tenants() != null) {
            Set<String> ts = Set.copyOf(names(w.tenants(), where + ".tenants", null));
            parts.add(in -> ts.contains(in.caller().tenant()));
        }
        if (w.attributes() != null) {
            if (w.attributes().isEmpty()) {
                throw new PolicyPathException(where + ".attributes", "must name at least one attribute "
                        + "(attributes: {} would hold for every caller)");
            }
            for (Map.Entry<String, Object> e : w.attributes().entrySet()) {
                String key = e.getKey();
                String problem = nameProblem(key, "an attribute name");
                if (problem != null) {
                    throw new PolicyPathException(where + ".attributes", "attribute name " + problem);
                }
                Set<String> allowed = new HashSet<>();
                if (e.getValue() instanceof List<?> l) {
                    if (l.isEmpty()) {
                        throw new PolicyPathException(where + ".attributes." + key,
                                "must list at least one value (an empty list never matches)");
                    }
                    for (Object o : l) {
                        allowed.add(scalar(o, where + ".attributes." + key));
                    }
                } else {
                    allowed.add(scalar(e.getValue(), where + ".attributes." + key));
                }
                Set<String> frozen = Set.copyOf(allowed);
                parts.add(in -> {
                    String v = in.caller().attributes().get(key);
                    return v != null && frozen.contains(v);
                });
            }
        }
        if (w.signals() != null) {
            if (!section.knowsSignals()) {
                throw new PolicyPathException(where + ".signals", "signals are only known from the monitoring stage "
                        + "on (monitoring, model, output and logging rules); access and validation run before it");
            }
            if (w.signals().isEmpty()) {
                throw new PolicyPathException(where + ".signals", "must name at least one signal");
            }
            for (Map.Entry<String, String> e : w.signals().entrySet()) {
                String name = e.getKey();
                if (!signalNames.contains(name)) {
                    throw new PolicyPathException(where + ".signals." + name, "unknown signal '" + name
                            + "': configure it under monitoring.detectors (configured: " + signalNames + ")");
                }
                Level min;
                try {
                    min = Level.fromId(e.getValue());
                } catch (IllegalArgumentException ex) {
                    throw new PolicyPathException(where + ".signals." + name, ex.getMessage());
                }
                if (min == Level.NONE) {
                    throw new PolicyPathException(where + ".signals." + name,
                            "level must be low, medium or high (a rule on 'none' would always match)");
                }
                parts.add(in -> {
                    Signal s = in.signal(name);
                    return s != null && s.level().atLeast(min);
                });
            }
        }
        if (w.degraded() != null) {
            if (section != Section.LOGGING) {
                throw new PolicyPathException(where + ".degraded", "only logging rules can test degraded: a degraded "
                        + "request gets output.degraded without asking the output rules");
            }
            boolean want = w.degraded();
            parts.add(in -> in.degraded() == want);
        }
        if (w.modelAgeDays() != null) {
            Bounds b = Bounds.of(w.modelAgeDays(), where + ".model_age_days");
            parts.add(in -> b.test(in.modelAgeDays()));
        }
        if (w.topScore() != null || w.margin() != null || w.entropy() != null) {
            if (section != Section.OUTPUT) {
                throw new PolicyPathException(where, "top_score, margin and entropy are only known in output rules");
            }
            if (w.topScore() != null) {
                Bounds b = Bounds.of(w.topScore(), where + ".top_score");
                parts.add(in -> in.prediction() != null && b.test(in.prediction().topScore()));
            }
            if (w.margin() != null) {
                Bounds b = Bounds.of(w.margin(), where + ".margin");
                parts.add(in -> in.prediction() != null && b.test(in.prediction().margin()));
            }
            if (w.entropy() != null) {
                Bounds b = Bounds.of(w.entropy(), where + ".entropy");
                parts.add(in -> {
                    PredictionSummary p = in.prediction();
                    return p != null && b.test(p.entropy());
                });
            }
        }
        if (w.any() != null) {
            if (w.any().isEmpty()) {
                throw new PolicyPathException(where + ".any", "must list at least one condition block");
            }
            Condition[] alts = new Condition[w.any().size()];
            for (int i = 0; i < alts.length; i++) {
                if (isEmpty(w.any().get(i))) {
                    throw new PolicyPathException(where + ".any[" + i + "]", "must hold at least one condition "
                            + "(an empty block always holds, so the any would hold for every caller)");
                }
                alts[i] = compile(w.any().get(i), where + ".any[" + i + "]", signalNames, section);
            }
            parts.add(in -> {
                for (Condition c : alts) {
                    if (c.test(in)) {
                        return true;
                    }
                }
                return false;
            });
        }
        if (w.not() != null) {
            if (isEmpty(w.not())) {
                throw new PolicyPathException(where + ".not", "must hold at least one condition "
                        + "(an empty block always holds, so not: {} would hold for no caller)");
            }
            Condition inner = compile(w.not(), where + ".not", signalNames, section);
            parts.add(in -> !inner.test(in));
        }
        if (parts.isEmpty()) {
            return ALWAYS;
        }
        if (parts.size() == 1) {
            return parts.get(0);
        }
        Condition[] all = parts.toArray(Condition[]::new);
        return in -> {
            for (Condition c : all) {
                if (!c.test(in)) {
                    return false;
                }
            }
            return true;
        };
    }

    private static List<String> nonEmpty(List<String> l, String where) {
        if (l.isEmpty()) {
            throw new PolicyPathException(where, "must list at least one value (an empty list never matches)");
        }
        for (String s : l) {
            if (s == null) {
                throw new PolicyPathException(where, "must not contain null");
            }
        }
        return l;
    }

    /** Whether a block has no condition ({@code {}}; a null is refused when the file is read). */
    private static boolean isEmpty(PolicyDocument.When w) {
        return w == null || w.equals(new PolicyDocument.When(null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null));
    }

    /**
     * {@code l} ({@link #nonEmpty}) when no entry is blank or has whitespace around it or a control
     * character: names are compared exactly, so {@code 'intern '} would match no caller's role, as the
     * key store refuses such names ({@link ApiKeyStore#nameProblem}).
     *
     * @param what the kind of name, for messages ("role"); {@code null} for tenants, where {@code ""}
     *     is the tenant of callers without one
     */
    private static List<String> names(List<String> l, String where, String what) {
        nonEmpty(l, where);
        for (int i = 0; i < l.size(); i++) {
            String problem = what == null ? ApiKeyStore.nameProblem(l.get(i)) : nameProblem(l.get(i), "a " + what);
            if (problem != null) {
                throw new PolicyPathException(where + "[" + i + "]", problem);
            }
        }
        return l;
    }

    /**
     * Why a name in a condition would never match as written, or {@code null}: blank (empty, or only
     * white or Unicode space), whitespace around it, a control character.
     *
     * @param what "a role", for the blank message
     */
    private static String nameProblem(String name, String what) {
        if (Names.isBlank(name)) {
            return "is blank; " + what + " is never blank, so it would match no caller: write the name or "
                    + "remove the entry";
        }
        return ApiKeyStore.nameProblem(name);
    }

    private static String scalar(Object o, String where) {
        if (o instanceof String s) {
            // "" is a value an attribute can have; padding is not
            String problem = ApiKeyStore.nameProblem(s);
            if (problem != null) {
                throw new PolicyPathException(where, problem);
            }
            return s;
        }
        if (o instanceof Number || o instanceof Boolean) {
            return String.valueOf(o);
        }
        throw new PolicyPathException(where, "must be a string, number or boolean, or a list of them");
    }

    /** Numeric bounds; at least one is set. */
    record Bounds(double gt, double gte, double lt, double lte) {
        static Bounds of(PolicyDocument.Bounds b, String where) {
            if (b.gt() == null && b.gte() == null && b.lt() == null && b.lte() == null) {
                throw new PolicyPathException(where, "needs at least one of gt, gte, lt, lte");
            }
            for (Double d : new Double[] {b.gt(), b.gte(), b.lt(), b.lte()}) {
                if (d != null && d.isNaN()) {
                    throw new PolicyPathException(where, "bounds must be numbers, was NaN");
                }
            }
            return new Bounds(
                    b.gt() == null ? Double.NEGATIVE_INFINITY : b.gt(),
                    b.gte() == null ? Double.NEGATIVE_INFINITY : b.gte(),
                    b.lt() == null ? Double.POSITIVE_INFINITY : b.lt(),
                    b.lte() == null ? Double.POSITIVE_INFINITY : b.lte());
        }

        boolean test(double v) {
            return v > gt && v >= gte && v < lt && v <= lte;
        }
    }
}
