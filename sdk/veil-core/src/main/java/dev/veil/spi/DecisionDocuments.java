package dev.veil.spi;

import dev.veil.PolicyLoadException;
import dev.veil.internal.policy.YamlPolicyEngine;
import dev.veil.internal.validation.CompiledContract;
import dev.veil.internal.validation.TrainingStats;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads the decision documents of docs/policy-reference.md section 7 (as any engine produces them:
 * maps with string keys, lists, strings, numbers, booleans and nulls) into the decision records,
 * and a settings document (section 6.5) into {@link GuardSettings}. Strict: every field must be
 * present with the documented type and range, and no other field is accepted; a bad document is an
 * {@link IllegalArgumentException} naming the question, the field and what was expected, e.g.
 * {@code access decision: rate_limit.burst: expected an integer >= 1, was 2.5}. The Guard treats it
 * as a question that could not be answered and fails closed. A bad field of the statistics a
 * validation decision names is said at the data file that holds it ({@code ... std[1] must be >= 0,
 * was -0.2 (training/data.json:2:16)}), and the exception's cause is then a
 * {@link PolicyLoadException} with that file, line and column, the error the YAML engine reports at
 * load, for an engine that reads decisions at load to report.
 *
 * <p>One instance per bundle: the validation decision's {@code contract.distribution.stats} names
 * a data path of that bundle, whose statistics are read once and shared by every decision naming
 * them (so that equal documents give equal contracts). Thread-safe.
 */
public final class DecisionDocuments {
    private static final List<String> ACCESS = List.of("allow", "rule", "message", "rate_limit", "daily_quota");
    private static final List<String> VALIDATION = List.of("rule", "contract");
    private static final List<String> CONTRACT = List.of("shape", "min", "max", "features", "allow_unknown_features",
            "cross_field", "max_payload_bytes", "distribution");
    private static final List<String> DISTRIBUTION =
            List.of("stats", "features", "std_floor", "max_abs_z", "max_rms_z", "summary");
    private static final List<String> MONITORING_ACTION =
            List.of("action", "rule", "signal", "cooldown_seconds", "throttle_per_second");
    private static final List<String> MODEL = List.of("rule", "stale", "action");
    private static final List<String> OUTPUT = List.of("rule", "release");
    private static final List<String> RELEASE = List.of("form", "top_k", "round", "min_confidence", "reverse_sigmoid",
            "noise", "allow_label_change");
    private static final List<String> LOGGING = List.of("rule", "input", "output", "raw", "caller");

    private final Bundle bundle;
    private final Map<List<Object>, InputContract.DistributionCheck> checks = new ConcurrentHashMap<>();
    private final Map<InputContract, InputContract> contracts = new ConcurrentHashMap<>();

    /** A reader for the decisions of one bundle (whose data the validation decision's statistics come from). */
    public DecisionDocuments(Bundle bundle) {
        this.bundle = java.util.Objects.requireNonNull(bundle, "bundle");
    }

    /**
     * Reads a settings document: {@code {name, description, on_error, on_state_unavailable,
     * authentication, monitoring: {detectors}, output: {degraded, privacy}}}, the layout of those
     * keys in a {@code *.veil.yaml} file, validated with the same messages as the YAML engine.
     *
     * @param document the document, e.g. {@code data.veil.settings} of a Rego bundle
     * @param file the bundle-relative file it was read from, for messages (and, when it is a YAML
     *     or JSON file of the bundle holding exactly this document, for line and column)
     * @throws PolicyLoadException naming the file and the key
     */
    public GuardSettings settings(Object document, String file) {
        return YamlPolicyEngine.settingsFromDocument(document, file, bundle);
    }

    // ---------------------------------------------------------------- access

    /** Reads an {@code access} decision document. */
    public AccessDecision access(Object document) {
        Doc d = new Doc("access", document, "", ACCESS);
        boolean allow = d.bool("allow");
        String rule = d.rule();
        String message = d.str("message");
        RateLimit rl = null;
        Object rate = d.get("rate_limit");
        if (rate != null) {
            Doc r = d.child("rate_limit", List.of("per_second", "burst"));
            double ps = r.positive("per_second");
            long burst = r.integer("burst", 1);
            try {
                rl = new RateLimit(ps, burst);
            } catch (IllegalArgumentException e) {
                throw d.fail("rate_limit", e.getMessage()); // a bucket too slow for the limiters to count
            }
        }
        long quota = d.integer("daily_quota", 0);
        if (!allow && (rl != null || quota != 0)) {
            throw d.fail(rl != null ? "rate_limit" : "daily_quota",
                    "must be " + (rl != null ? "null" : "0") + " when allow is false");
        }
        return new AccessDecision(allow, rule, message, rl, quota);
    }

    // ---------------------------------------------------------------- validation

    /** Reads a {@code validation} decision document; the distribution statistics come from the bundle's data. */
    public ValidationDecision validation(Object document) {
        Doc d = new Doc("validation", document, "", VALIDATION);
        String rule = d.rule();
        Doc c = d.child("contract", CONTRACT);
        List<Integer> shape = new ArrayList<>();
        List<?> sl = c.list("shape");
        for (int i = 0; i < sl.size(); i++) {
            shape.add((int) c.integerValue("shape[" + i + "]", sl.get(i), 1, Integer.MAX_VALUE));
        }
        double min = c.bound("min", Double.NEGATIVE_INFINITY);
        double max = c.bound("max", Double.POSITIVE_INFINITY);
        if (min > max) {
            throw c.fail("max", "must be >= min (" + fmt(min) + "), was " + fmt(max));
        }
        Map<String, InputContract.FeatureSpec> features = new LinkedHashMap<>();
        Doc fs = c.child("features", null);
        for (Object key : fs.map.keySet()) {
            String name = (String) key;
            Doc f = fs.child(name, List.of("required", "min", "max"));
            double fmin = f.bound("min", Double.NEGATIVE_INFINITY);
            double fmax = f.bound("max", Double.POSITIVE_INFINITY);
            if (fmin > fmax) {
                throw f.fail("max", "must be >= min (" + fmt(fmin) + "), was " + fmt(fmax));
            }
            features.put(name, new InputContract.FeatureSpec(f.bool("required"), fmin, fmax));
        }
        boolean allowUnknown = c.bool("allow_unknown_features");
        List<InputContract.CrossFieldRule> cross = new ArrayList<>();
        List<?> cl = c.list("cross_field");
        Set<String> ids = new java.util.HashSet<>();
        for (int i = 0; i < cl.size(); i++) {
            Doc x = c.element("cross_field", i, cl.get(i), List.of("id", "expr"));
            String id = x.str("id");
            if (!ids.add(id)) {
                throw x.fail("id", "duplicate cross_field id '" + id + "'");
            }
            cross.add(new InputContract.CrossFieldRule(id, x.str("expr")));
        }
        long maxPayload = c.integer("max_payload_bytes", 0);
        InputContract.DistributionCheck dist = null;
        if (c.get("distribution") != null) {
            dist = distribution(c.child("distribution", DISTRIBUTION), features.keySet());
        }
        InputContract contract;
        try {
            contract = new InputContract(shape, min, max, features, allowUnknown, cross, maxPayload, dist);
        } catch (IllegalArgumentException e) {
            throw c.fail(null, e.getMessage());
        }
        if (dist != null && contract.dimension() >= 0 && dist.mean().length != contract.dimension()) {
            throw c.fail("distribution.features", "the statistics have " + dist.mean().length
                    + " features but the shape " + contract.shape() + " has " + contract.dimension());
        }
        InputContract known = contracts.get(contract);
        if (known == null) {
            CompiledContract compiled;
            try {
                compiled = CompiledContract.compile(contract);
            } catch (IllegalArgumentException e) {
                throw c.fail("cross_field", e.getMessage());
            }
            // A contract no request can pass is the policy's mistake, not the caller's: refusing
            // every request as invalid input would blame the callers.
            String unsatisfiable = compiled.unsatisfiable();
            if (unsatisfiable != null) {
                throw c.fail("features", unsatisfiable);
            }
            String distUnsatisfiable = compiled.distributionUnsatisfiable();
            if (distUnsatisfiable != null) {
                throw c.fail("distribution", distUnsatisfiable);
            }
            // As the YAML engine refuses these at load: the policy's mistake, said as such.
            String optionalRead = compiled.optionalReadByRule();
            if (optionalRead != null) {
                throw c.fail("cross_field", optionalRead);
            }
            String optionalScored = compiled.optionalWithDistribution();
            if (optionalScored != null) {
                throw c.fail("distribution", optionalScored);
            }
            if (contracts.size() < 1024) {
                contracts.put(contract, contract);
            }
            known = contract;
        }
        return new ValidationDecision(rule, known);
    }

    private InputContract.DistributionCheck distribution(Doc d, Set<String> featureNames) {
        String stats = d.str("stats");
        long features = d.integer("features", 1);
        double stdFloor = d.number("std_floor");
        if (!(stdFloor > 0)) {
            throw d.fail("std_floor", "expected a number > 0, was " + fmt(stdFloor));
        }
        double maxAbsZ = d.nonNegative("max_abs_z");
        double maxRmsZ = d.nonNegative("max_rms_z");
        List<?> sl = d.list("summary");
        TreeSet<String> summary = new TreeSet<>();
        for (int i = 0; i < sl.size(); i++) {
            Object o = sl.get(i);
            if (!(o instanceof String s) || !List.of("mean", "roughness", "std").contains(s) || !summary.add(s)) {
                throw d.fail("summary[" + i + "]", "expected one of mean, roughness, std (each once), was " + show(o));
            }
        }
        List<Object> key = List.of(stats, stdFloor, maxAbsZ, maxRmsZ, List.copyOf(summary), Set.copyOf(featureNames));
        InputContract.DistributionCheck known = checks.get(key);
        if (known == null) {
            Object data = bundle.data(stats);
            if (data == null) {
                throw d.fail("stats", dev.veil.internal.policy.DataPaths.missing(bundle, stats));
            }
            InputContract.DistributionCheck all;
            try {
                all = TrainingStats.fromData(data, "data." + stats, featureNames, stdFloor, maxAbsZ, maxRmsZ,
                        !summary.isEmpty());
            } catch (IllegalArgumentException e) {
                // At the data file, as the YAML engine reports it: the decision only names the statistics.
                String field = e instanceof TrainingStats.FieldException f ? f.field() : "";
                dev.veil.PolicyError at = dev.veil.internal.policy.DataPaths.locate(bundle, stats, field,
                        e.getMessage());
                if (at == null) {
                    throw d.fail("stats", e.getMessage());
                }
                IllegalArgumentException located = d.fail("stats", e.getMessage() + " (" + at.file() + ":"
                        + at.line() + ":" + at.column() + ")");
                located.initCause(new PolicyLoadException(at));
                throw located;
            }
            if (!all.summary().keySet().containsAll(summary)) {
                throw d.fail("summary", "the statistics at data path '" + stats + "' have summary ranges for "
                        + new TreeSet<>(all.summary().keySet()) + ", was " + summary);
            }
            Map<String, double[]> chosen = new LinkedHashMap<>();
            summary.forEach(k -> chosen.put(k, all.summary().get(k)));
            if (maxAbsZ == 0 && maxRmsZ == 0 && chosen.isEmpty()) {
                throw d.fail(null, "this check refuses nothing: set max_abs_z, max_rms_z or summary, or make "
                        + "distribution null");
            }
            known = new InputContract.DistributionCheck(all.mean(), all.std(), stdFloor, maxAbsZ, maxRmsZ, chosen,
                    stats);
            if (checks.size() < 256) {
                InputContract.DistributionCheck prev = checks.putIfAbsent(key, known);
                known = prev != null ? prev : known;
            }
        }
        if (known.mean().length != features) {
            throw d.fail("features", "the statistics at data path '" + stats + "' have " + known.mean().length
                    + " features, was " + features);
        }
        return known;
    }

    // ---------------------------------------------------------------- monitoring

    /** Reads a {@code monitoring} decision document. */
    public MonitoringDecision monitoring(Object document) {
        Doc d = new Doc("monitoring", document, "", List.of("actions"));
        List<?> l = d.list("actions");
        if (l.isEmpty()) {
            return MonitoringDecision.NONE;
        }
        List<MonitoringAction> out = new ArrayList<>(l.size());
        Map<String, Integer> rules = new java.util.HashMap<>();
        for (int i = 0; i < l.size(); i++) {
            Doc a = d.element("actions", i, l.get(i), MONITORING_ACTION);
            MonitoringAction.Kind kind = a.enumValue("action", MonitoringAction.Kind.class);
            long cooldown = a.integer("cooldown_seconds", 0);
            double throttle = a.nonNegative("throttle_per_second");
            boolean timed = kind == MonitoringAction.Kind.BLOCK || kind == MonitoringAction.Kind.THROTTLE;
            if (timed && cooldown < 1) {
                throw a.fail("cooldown_seconds", "expected an integer >= 1 for " + lower(kind) + ", was " + cooldown);
            }
            if (!timed && cooldown != 0) {
                throw a.fail("cooldown_seconds", "must be 0 for " + lower(kind) + " (only block and throttle take a "
                        + "cool-down), was " + cooldown);
            }
            if (kind == MonitoringAction.Kind.THROTTLE && !(throttle > 0)) {
                throw a.fail("throttle_per_second", "expected a number > 0 for throttle, was " + fmt(throttle));
            }
            if (kind != MonitoringAction.Kind.THROTTLE && throttle != 0) {
                throw a.fail("throttle_per_second", "must be 0 for " + lower(kind) + " (only throttle takes it), was "
                        + fmt(throttle));
            }
            String rule = a.rule();
            Integer earlier = rules.putIfAbsent(rule, i);
            if (earlier != null) {
                // As in the YAML engine, whose rule ids are unique in a section: a rule twice (an alert
                // and a block) would leave the audit record's rules ambiguous.
                throw a.fail("rule", "duplicate rule '" + rule + "' (actions[" + earlier + "] has it too): one action "
                        + "per matching rule");
            }
            String signal = a.str("signal");
            try {
                out.add(new MonitoringAction(kind, rule, signal, cooldown, throttle));
            } catch (IllegalArgumentException e) {
                // what is left to refuse (the fields above are checked): a throttle too slow for the limiters
                throw a.fail("throttle_per_second", e.getMessage());
            }
        }
        return new MonitoringDecision(out);
    }

    // ---------------------------------------------------------------- model

    /** Reads a {@code model} decision document. */
    public ModelDecision model(Object document) {
        Doc d = new Doc("model", document, "", MODEL);
        return new ModelDecision(d.rule(), d.bool("stale"), d.enumValue("action", StaleAction.class));
    }

    // ---------------------------------------------------------------- output

    /** Reads an {@code output} decision document. */
    public OutputDecision output(Object document) {
        Doc d = new Doc("output", document, "", OUTPUT);
        String rule = d.rule();
        Doc r = d.child("release", RELEASE);
        ReleaseSpec.Form form = r.enumValue("form", ReleaseSpec.Form.class);
        long topK = r.integer("top_k", 0);
        if (form == ReleaseSpec.Form.TOP_K && topK < 1) {
            throw r.fail("top_k", "expected an integer >= 1 when form is top_k, was " + topK);
        }
        double round = r.number("round");
        if (!(round >= 0 && round <= ReleaseSpec.MAX_ROUND)) {
            throw r.fail("round", "expected a number in [0, " + ReleaseSpec.MAX_ROUND + "] (0 = no rounding; above 1 for "
                    + "a regression's value only), was " + fmt(round));
        }
        if (round > 0 && round < ReleaseSpec.MIN_ROUND) {
            throw r.fail("round", "expected 0 (no rounding) or a number of at least " + ReleaseSpec.MIN_ROUND
                    + ", was " + fmt(round) + ": " + ReleaseSpec.ROUND_TOO_FINE);
        }
        double minConfidence = r.number("min_confidence");
        if (!(minConfidence >= 0 && minConfidence < 1)) {
            throw r.fail("min_confidence", "expected a number in [0, 1), was " + fmt(minConfidence));
        }
        ReleaseSpec.ReverseSigmoid rs = null;
        if (r.get("reverse_sigmoid") != null) {
            Doc x = r.child("reverse_sigmoid", List.of("beta", "gamma"));
            rs = new ReleaseSpec.ReverseSigmoid(x.positive("beta"), x.positive("gamma"));
        }
        ReleaseSpec.Noise noise = null;
        if (r.get("noise") != null) {
            Doc n = r.child("noise", List.of("mechanism", "epsilon", "delta", "sensitivity"), List.of("bounds"));
            ReleaseSpec.Noise.Mechanism mech = n.enumValue("mechanism", ReleaseSpec.Noise.Mechanism.class);
            double eps = n.positive("epsilon");
            double delta = n.nonNegative("delta");
            double sens = n.nonNegative("sensitivity");
            ReleaseSpec.Noise.Bounds bounds = null;
            if (n.get("bounds") != null) {
                List<?> b = n.list("bounds");
                if (b.size() != 2) {
                    throw n.fail("bounds", "expected two numbers [lower, upper] or null, was a list of " + b.size());
                }
                double lower = n.numberValue("bounds[0]", b.get(0));
                double upper = n.numberValue("bounds[1]", b.get(1));
                try {
                    bounds = new ReleaseSpec.Noise.Bounds(lower, upper);
                } catch (IllegalArgumentException e) {
                    throw n.fail("bounds", e.getMessage());
                }
            }
            try {
                noise = new ReleaseSpec.Noise(mech, eps, delta, sens, bounds);
            } catch (IllegalArgumentException e) {
                throw n.fail(null, e.getMessage());
            }
        }
        if (topK > Integer.MAX_VALUE) {
            throw r.fail("top_k", "expected an integer <= " + Integer.MAX_VALUE + ", was " + topK);
        }
        return new OutputDecision(rule, new ReleaseSpec(form, (int) topK, round, minConfidence, rs, noise,
                r.bool("allow_label_change")));
    }

    // ---------------------------------------------------------------- logging

    /** Reads a {@code logging} decision document. */
    public LoggingDecision logging(Object document) {
        Doc d = new Doc("logging", document, "", LOGGING);
        return new LoggingDecision(d.rule(), d.enumValue("input", FieldMode.class),
                d.enumValue("output", FieldMode.class), d.enumValue("raw", FieldMode.class),
                d.enumValue("caller", FieldMode.class));
    }

    // ---------------------------------------------------------------- helpers

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d)
                : String.valueOf(d);
    }

    /** A short rendering of a value found where another was expected. */
    static String show(Object o) {
        if (o == null) {
            return "null";
        }
        if (o instanceof String s) {
            return "\"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
        }
        if (o instanceof Map<?, ?>) {
            return "an object";
        }
        if (o instanceof List<?>) {
            return "a list";
        }
        if (o instanceof BigDecimal b) {
            return b.stripTrailingZeros().toPlainString();
        }
        return String.valueOf(o);
    }

    /** One object of a decision document, with its question and path for messages. */
    private static final class Doc {
        final String question;
        final String path;
        final Map<?, ?> map;

        Doc(String question, Object value, String path, List<String> fields) {
            this(question, value, path, fields, List.of());
        }

        /**
         * @param fields the fields the object must have (null: any)
         * @param optional fields it may also have (added to the contract later, so that documents
         *     written before them still read)
         */
        Doc(String question, Object value, String path, List<String> fields, List<String> optional) {
            this.question = question;
            this.path = path;
            if (!(value instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException(question + " decision" + (path.isEmpty() ? "" : ": " + path)
                        + ": expected an object, was " + show(value));
            }
            this.map = m;
            for (Object k : m.keySet()) {
                if (!(k instanceof String)) {
                    throw new IllegalArgumentException(where(null) + "keys must be strings, was " + show(k));
                }
            }
            if (fields != null) {
                for (Object k : m.keySet()) {
                    if (!fields.contains(k) && !optional.contains(k)) {
                        throw new IllegalArgumentException(where(null) + "unknown field '" + k + "' (fields: "
                                + String.join(", ", fields) + (optional.isEmpty() ? "" : ", and optionally "
                                        + String.join(", ", optional)) + ")");
                    }
                }
                for (String f : fields) {
                    if (!m.containsKey(f)) {
                        throw new IllegalArgumentException(where(null) + "missing field '" + f
                                + "' (every field is required; null where the reference allows it)");
                    }
                }
            }
        }

        private String where(String field) {
            String p = field == null ? path : path.isEmpty() ? field : path + "." + field;
            return question + " decision: " + (p.isEmpty() ? "" : p + ": ");
        }

        IllegalArgumentException fail(String field, String message) {
            return new IllegalArgumentException(where(field) + message);
        }

        Object get(String field) {
            return map.get(field);
        }

        Doc child(String field, List<String> fields) {
            return child(field, fields, List.of());
        }

        Doc child(String field, List<String> fields, List<String> optional) {
            return new Doc(question, map.get(field), path.isEmpty() ? field : path + "." + field, fields, optional);
        }

        Doc element(String field, int i, Object value, List<String> fields) {
            return new Doc(question, value, (path.isEmpty() ? field : path + "." + field) + "[" + i + "]", fields);
        }

        String str(String field) {
            Object o = map.get(field);
            if (o instanceof String s) {
                return s;
            }
            throw fail(field, "expected a string, was " + show(o));
        }

        /**
         * The {@code rule} field: the id the audit record and the reasons show, so not blank (white
         * space alone, no-break spaces included, is blank), as a YAML rule id may not be.
         */
        String rule() {
            String s = str("rule");
            if (!dev.veil.internal.policy.Names.isBlank(s)) {
                return s;
            }
            throw fail("rule", "expected a rule id, a non-blank string (white space alone, no-break spaces included, "
                    + "is blank), was " + show(s));
        }

        boolean bool(String field) {
            Object o = map.get(field);
            if (o instanceof Boolean b) {
                return b;
            }
            throw fail(field, "expected true or false, was " + show(o));
        }

        List<?> list(String field) {
            Object o = map.get(field);
            if (o instanceof List<?> l) {
                return l;
            }
            throw fail(field, "expected a list, was " + show(o));
        }

        double number(String field) {
            return numberValue(field, map.get(field));
        }

        /** {@code o}, found at {@code field}, as a finite double. */
        double numberValue(String field, Object o) {
            if (o instanceof Number n) {
                double d = n.doubleValue();
                if (d == 0 && !zero(n)) {
                    // An exact decimal (Rego's numbers) below the smallest double: read as 0, a round of
                    // 1e-400 would be "no rounding" and a max_abs_z of 1e-400 no check at all.
                    throw fail(field, "expected a number, was " + (n instanceof BigDecimal b ? b.toString() : show(o))
                            + ": it is too close to 0 for a double (" + Double.MIN_VALUE + " is the smallest) and "
                            + "would be read as 0; write 0, or a number a double holds");
                }
                if (Double.isFinite(d)) {
                    return d;
                }
            }
            throw fail(field, "expected a number, was " + show(o));
        }

        double positive(String field) {
            double d = number(field);
            if (!(d > 0)) {
                throw fail(field, "expected a number > 0, was " + fmt(d));
            }
            return d;
        }

        double nonNegative(String field) {
            double d = number(field);
            if (!(d >= 0)) {
                throw fail(field, "expected a number >= 0, was " + fmt(d));
            }
            return d;
        }

        /** A number, or null for the given unbounded value. */
        double bound(String field, double none) {
            return map.get(field) == null ? none : number(field);
        }

        long integer(String field, long min) {
            return integerValue(field, map.get(field), min, Long.MAX_VALUE);
        }

        long integerValue(String field, Object o, long min, long max) {
            Long v = wholeNumber(o);
            if (v == null) {
                throw fail(field, "expected an integer >= " + min + ", was " + show(o));
            }
            if (v < min || v > max) {
                throw fail(field, "expected an integer >= " + min + (max < Long.MAX_VALUE ? " and <= " + max : "")
                        + ", was " + v);
            }
            return v;
        }

        <E extends Enum<E>> E enumValue(String field, Class<E> type) {
            Object o = map.get(field);
            E[] all = type.getEnumConstants();
            if (o instanceof String s) {
                for (E e : all) {
                    if (lower(e).equals(s)) {
                        return e;
                    }
                }
            }
            throw fail(field, "expected one of " + String.join(", ",
                    Arrays.stream(all).map(DecisionDocuments::lower).toList()) + ", was " + show(o));
        }
    }

    /** Whether a number is exactly zero (a {@link BigDecimal} of 1e-400 is not, though its double is). */
    private static boolean zero(Number n) {
        if (n instanceof BigDecimal b) {
            return b.signum() == 0;
        }
        if (n instanceof BigInteger b) {
            return b.signum() == 0;
        }
        return n.doubleValue() == 0;
    }

    /** The value of a whole number of any Java type (2.0 counts: JSON has one number type), or null. */
    private static Long wholeNumber(Object o) {
        if (o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte) {
            return ((Number) o).longValue();
        }
        if (o instanceof BigInteger b) {
            return b.bitLength() < 64 ? b.longValue() : null;
        }
        if (o instanceof BigDecimal b) {
            try {
                return b.longValueExact();
            } catch (ArithmeticException e) {
                return null;
            }
        }
        if (o instanceof Double || o instanceof Float) {
            double d = ((Number) o).doubleValue();
            return d == Math.rint(d) && Math.abs(d) < 9.0e15 ? (long) d : null;
        }
        return null;
    }
}
