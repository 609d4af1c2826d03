package dev.veil.internal.policy;

import dev.veil.internal.access.Authenticator;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.monitor.StatefulDetector;
import dev.veil.internal.validation.CompiledContract;
import dev.veil.internal.validation.FeatureNames;
import dev.veil.internal.validation.TrainingStats;
import dev.veil.spi.AccessDecision;
import dev.veil.spi.Bundle;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.InputContract;
import dev.veil.spi.LoggingDecision;
import dev.veil.spi.ModelDecision;
import dev.veil.spi.MonitoringAction;
import dev.veil.spi.OutputDecision;
import dev.veil.spi.RateLimit;
import dev.veil.spi.ReleaseSpec;
import dev.veil.spi.StaleAction;
import dev.veil.spi.ValidationDecision;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** Turns a mapped {@link PolicyDocument.File} into a {@link YamlPolicy}. One use per compile. */
final class YamlPolicyCompiler {
    private final PolicyDocument.File doc;
    private final Bundle bundle;
    private final Set<String> signalNames;
    private final List<String> warnings = new ArrayList<>();
    /** Each validation contract as compiled (and checked) at load, for the Guard to use as is. */
    private final List<CompiledContract> compiledContracts = new ArrayList<>();
    /** Whether some output rule's {@code when} tests the prediction's summary (top score, margin, entropy). */
    private boolean outputReadsPrediction;

    YamlPolicyCompiler(PolicyDocument.File doc, Bundle bundle) {
        this.doc = doc;
        this.bundle = bundle;
        this.signalNames = doc.monitoring() == null || doc.monitoring().detectors() == null
                ? Set.of()
                : Set.copyOf(doc.monitoring().detectors().keySet());
    }

    private static final String BLANK_NAME =
            "must not be blank (white space alone, no-break spaces included): give the policy a name";

    YamlPolicy compile() {
        if (doc.veil() != 1) {
            throw new PolicyPathException("veil", "unsupported format version " + doc.veil() + "; this Veil reads veil: 1");
        }
        if (Names.isBlank(doc.name())) {
            throw new PolicyPathException("name", BLANK_NAME);
        }
        GuardSettings.AuthenticationSettings auth = authentication(doc.authentication(), bundle);
        List<YamlPolicy.Rule<AccessDecision>> access = access();
        List<YamlPolicy.Rule<ValidationDecision>> validation = validation();
        List<YamlPolicy.Rule<MonitoringAction>> monitoring = monitoring();
        List<YamlPolicy.Rule<ModelDecision>> model = model();
        ReleaseSpec[] degradedHolder = new ReleaseSpec[1];
        GuardSettings.PrivacyBudget[] privacyHolder = new GuardSettings.PrivacyBudget[1];
        List<YamlPolicy.Rule<OutputDecision>> output = output(degradedHolder, privacyHolder);
        List<YamlPolicy.Rule<LoggingDecision>> logging = logging();
        List<StatefulDetector> built = new ArrayList<>();
        Map<String, Map<String, Object>> detectors =
                detectors(doc.monitoring() == null ? null : doc.monitoring().detectors(), bundle, built);
        checkInputSizes(built, detectors, validation);
        GuardSettings settings = at("output.degraded", () -> new GuardSettings(doc.name(), doc.onError(), auth,
                degradedHolder[0], privacyHolder[0], detectors, doc.onStateUnavailable()));
        return new YamlPolicy(settings, access, validation, monitoring, model, output, logging, warnings,
                ruleSignals(), compiledContracts, outputReadsPrediction);
    }

    /** Whether a {@code when} block, or one in its {@code any} or {@code not}, tests the prediction's summary. */
    static boolean readsPrediction(PolicyDocument.When w) {
        if (w == null) {
            return false;
        }
        if (w.topScore() != null || w.margin() != null || w.entropy() != null || readsPrediction(w.not())) {
            return true;
        }
        if (w.any() != null) {
            for (PolicyDocument.When alt : w.any()) {
                if (readsPrediction(alt)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Each monitoring rule's {@code when.signals} names, by rule id, in the file's order (rules checked). */
    private Map<String, List<String>> ruleSignals() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (doc.monitoring() != null && doc.monitoring().rules() != null) {
            for (PolicyDocument.MonitoringRule r : doc.monitoring().rules()) {
                out.put(r.id(), List.copyOf(r.when().signals().keySet()));
            }
        }
        return out;
    }

    /**
     * The request-independent settings alone (a Rego bundle's {@code data.veil.settings}), checked
     * in the order and with the messages of {@link #compile()}.
     */
    static GuardSettings settings(PolicyDocument.Settings s, Bundle bundle) {
        if (Names.isBlank(s.name())) {
            throw new PolicyPathException("name", BLANK_NAME);
        }
        GuardSettings.AuthenticationSettings auth = authentication(s.authentication(), bundle);
        PolicyDocument.Privacy p = s.output() == null ? null : s.output().privacy();
        GuardSettings.PrivacyBudget privacy = p == null ? null : privacy(p);
        PolicyDocument.Release empty = new PolicyDocument.Release(null, null, null, null, null, null, null);
        ReleaseSpec degraded = s.output() == null || s.output().degraded() == null ? ReleaseSpec.LABEL_ONLY
                : release(merge(empty, withoutNone(s.output().degraded(), "output.degraded")), "output.degraded",
                        privacy);
        Map<String, Map<String, Object>> detectors =
                detectors(s.monitoring() == null ? null : s.monitoring().detectors(), bundle, null);
        return at("output.degraded", () -> new GuardSettings(s.name(), s.onError(), auth, degraded, privacy, detectors,
                s.onStateUnavailable()));
    }

    /**
     * A detector that cannot observe the inputs a validation rule with a fixed shape lets through
     * (a {@code pool} whose tiles do not fit them) would fail every such request: a load error. So is
     * a detector that names a feature no request can have, when every validation rule lists its
     * features and refuses others ({@code feature_sweep}'s {@code sweep: [Income]}).
     */
    private static void checkInputSizes(List<StatefulDetector> detectors, Map<String, Map<String, Object>> configs,
            List<YamlPolicy.Rule<ValidationDecision>> validation) {
        // the features any request can have: those the validation rules list, when every rule refuses
        // others; or, when every rule takes a plain vector of a fixed shape, the positions below the
        // longest (a plain vector's features are named by position, "0", "1", ...)
        java.util.Set<String> named = new java.util.TreeSet<>();
        boolean closed = true;
        boolean positional = true;
        long longest = 0;
        for (YamlPolicy.Rule<ValidationDecision> r : validation) {
            dev.veil.spi.InputContract contract = r.outcome().contract();
            closed &= !contract.allowUnknownFeatures() && !contract.features().isEmpty();
            named.addAll(contract.features().keySet());
            long features = contract.shape().isEmpty() ? -1 : 1;
            for (int d : contract.shape()) {
                features *= d;
            }
            positional &= features >= 0 && contract.features().isEmpty();
            longest = Math.max(longest, features);
        }
        if (positional && !validation.isEmpty() && longest <= 64) { // longer: refused below, a detector's size
            for (long i = 0; i < longest; i++) {
                named.add(Long.toString(i));
            }
            closed = true;
        }
        if (closed && !validation.isEmpty()) {
            for (StatefulDetector d : detectors) {
                String problem = d.featureNamesProblem(named);
                if (problem != null) {
                    throw new PolicyPathException("monitoring.detectors." + d.name(), problem);
                }
            }
        }
        for (YamlPolicy.Rule<ValidationDecision> r : validation) {
            List<Integer> shape = r.outcome().contract().shape();
            if (shape.isEmpty()) {
                continue;
            }
            long features = 1;
            for (int d : shape) {
                features *= d;
            }
            for (StatefulDetector d : detectors) {
                String problem = d.featuresProblem(features);
                if (problem != null) {
                    problem = BuiltinDetectors.noteDefault(d.name(), configs.get(d.name()), problem);
                    throw new PolicyPathException("monitoring.detectors." + d.name(), problem + " (validation "
                            + (r.id().equals("default") ? "default" : "rule '" + r.id() + "'") + " takes shape "
                            + shape + ")");
                }
            }
        }
    }

    /**
     * The detectors' configurations, each built-in one checked by making it; those made are added to
     * {@code built} when it is not null.
     */
    private static Map<String, Map<String, Object>> detectors(Map<String, Map<String, Object>> declared, Bundle bundle,
            List<StatefulDetector> built) {
        Map<String, Map<String, Object>> detectors = new LinkedHashMap<>();
        if (declared != null) {
            declared.forEach((k, v) -> {
                Map<String, Object> cfg = v == null ? Map.of() : v;
                StatefulDetector d = at("monitoring.detectors." + k, () -> BuiltinDetectors.validate(k, cfg, bundle));
                if (d != null && built != null) {
                    built.add(d);
                }
                detectors.put(k, cfg);
            });
        }
        return detectors;
    }

    // ---------------------------------------------------------------- authentication

    private static GuardSettings.AuthenticationSettings authentication(PolicyDocument.Authentication a, Bundle bundle) {
        if (a == null || (!Boolean.TRUE.equals(a.anonymous()) && a.apiKeys() == null && a.jwt() == null)) {
            throw new PolicyPathException("authentication",
                    "configure at least one of api_keys, jwt or anonymous: true (nobody could pass this policy)");
        }
        GuardSettings.ApiKeys keys = a.apiKeys() == null ? null
                : at("authentication.api_keys", () -> new GuardSettings.ApiKeys(a.apiKeys().file(), a.apiKeys().data()));
        if (keys != null && keys.file() != null && !bundle.files().contains(keys.file())) {
            throw new PolicyPathException("authentication.api_keys.file",
                    "file '" + keys.file() + "' is not in the bundle; " + DataPaths.missingFile(bundle, keys.file()));
        }
        if (keys != null && keys.data() != null && bundle.data(keys.data()) == null) {
            throw new PolicyPathException("authentication.api_keys.data", DataPaths.missing(bundle, keys.data()));
        }
        GuardSettings.Jwt jwt = null;
        if (a.jwt() != null) {
            PolicyDocument.Jwt j = a.jwt();
            jwt = at("authentication.jwt", () -> new GuardSettings.Jwt(j.issuer(), j.audience(), j.jwks(), j.algorithms(),
                    j.subjectClaim(), j.rolesClaim(), j.tenantClaim(), j.attributeClaims(),
                    j.clockSkewSeconds() == null ? dev.veil.internal.access.JwtAuthenticator.DEFAULT_CLOCK_SKEW_SECONDS
                            : j.clockSkewSeconds(), j.types(), j.requiredClaims()));
            if (!bundle.files().contains(jwt.jwks())) {
                throw new PolicyPathException("authentication.jwt.jwks", "file '" + jwt.jwks() + "' is not in the bundle; "
                        + DataPaths.missingFile(bundle, jwt.jwks()));
            }
        }
        GuardSettings.AuthenticationSettings settings =
                new GuardSettings.AuthenticationSettings(Boolean.TRUE.equals(a.anonymous()), keys, jwt);
        // The key store and the JWKS are read and checked now, so that a bad one fails the bundle's
        // load (PolicyBundle.load, veil bundle inspect, veil eval) with its file, line and column,
        // and not only the Guard that installs it. The Guard builds its own with its clock.
        Authenticator.from(settings, bundle, Clock.systemUTC());
        return settings;
    }

    // ---------------------------------------------------------------- access

    private List<YamlPolicy.Rule<AccessDecision>> access() {
        PolicyDocument.AccessSection s = doc.access();
        if (s == null) {
            throw new PolicyPathException("access", "is required: say who may ask (rules) and what everybody else gets (default)");
        }
        PolicyDocument.AccessOutcome d = s.defaults();
        PolicyDocument.Effect defEffect = d == null || d.effect() == null ? PolicyDocument.Effect.DENY : d.effect();
        // A deny default's rate_limit and daily_quota are not used by the default itself but are
        // inherited by every allow rule that names none (docs/policy-reference.md, section 5).
        RateLimit defRate = d == null || d.rateLimit() == null ? null : rate(d.rateLimit(), "access.default.rate_limit");
        long defQuota = d == null || d.dailyQuota() == null ? 0 : quota(d.dailyQuota(), "access.default.daily_quota");
        List<YamlPolicy.Rule<AccessDecision>> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        List<PolicyDocument.AccessRule> rules = s.rules() == null ? List.of() : s.rules();
        for (int i = 0; i < rules.size(); i++) {
            PolicyDocument.AccessRule r = rules.get(i);
            String where = "access.rules[" + i + "]";
            uniqueId(ids, r.id(), where);
            boolean allow = r.effect() == PolicyDocument.Effect.ALLOW;
            if (!allow && (r.rateLimit() != null || r.dailyQuota() != null)) {
                throw new PolicyPathException(where, "a deny rule takes no rate_limit or daily_quota");
            }
            RateLimit rl = r.rateLimit() == null ? defRate : rate(r.rateLimit(), where + ".rate_limit");
            long q = r.dailyQuota() == null ? defQuota : quota(r.dailyQuota(), where + ".daily_quota");
            String msg = r.message() != null ? r.message() : allow ? "allowed by rule " + r.id() : "denied by rule " + r.id();
            List<String> untenanted = allow ? callersWithoutTenants(r.when(), false) : List.of();
            if (!untenanted.isEmpty()) {
                warnings.add(where + " (rule '" + r.id() + "') allows callers " + untenanted + " with no tenants"
                        + " condition in the same when: a caller is a tenant and an id, and 'callers' compares the id"
                        + " alone, so a caller of such an id in any other tenant (another tenant's key or token) gets"
                        + " this grant too; add tenants: [...] beside callers (docs/policy-reference.md, section 4)");
            }
            out.add(new YamlPolicy.Rule<>(r.id(), when(r.when(), where, Condition.Section.ACCESS),
                    new AccessDecision(allow, r.id(), msg, allow ? rl : null, allow ? q : 0)));
        }
        boolean allow = defEffect == PolicyDocument.Effect.ALLOW;
        String msg = d != null && d.message() != null ? d.message()
                : allow ? "allowed by default" : "no access rule allows this caller";
        out.add(new YamlPolicy.Rule<>("default", Condition.ALWAYS,
                new AccessDecision(allow, "default", msg, allow ? defRate : null, allow ? defQuota : 0)));
        return out;
    }

    /**
     * The ids a {@code callers} condition lets in without a {@code tenants} condition in its block or
     * an enclosing one ({@code any} branches inherit their block's; a negated block grants nothing).
     */
    private static List<String> callersWithoutTenants(PolicyDocument.When w, boolean tenantsAbove) {
        if (w == null) {
            return List.of();
        }
        boolean tenants = tenantsAbove || w.tenants() != null;
        List<String> found = new ArrayList<>();
        if (w.callers() != null && !tenants) {
            found.addAll(w.callers());
        }
        if (w.any() != null) {
            for (PolicyDocument.When branch : w.any()) {
                found.addAll(callersWithoutTenants(branch, tenants));
            }
        }
        return found;
    }

    private static RateLimit rate(PolicyDocument.Rate r, String where) {
        return at(where, () -> new RateLimit(r.perSecond(), r.burst() == null ? 0 : r.burst()));
    }

    private static long quota(long q, String where) {
        if (q < 1) {
            throw new PolicyPathException(where, "must be >= 1 (leave it out for no quota), was " + q);
        }
        return q;
    }

    // ---------------------------------------------------------------- validation

    private List<YamlPolicy.Rule<ValidationDecision>> validation() {
        PolicyDocument.ValidationSection s = doc.validation();
        if (s == null || s.defaults() == null) {
            throw new PolicyPathException("validation", "is required: declare at least validation.default.shape "
                    + "(or shape: [] to accept any length) so that malformed inputs never reach the model");
        }
        PolicyDocument.Contract def = s.defaults();
        if (def.shape() == null) {
            throw new PolicyPathException("validation.default.shape",
                    "is required (use shape: [] to accept inputs of any length)");
        }
        InputContract defContract = contract(def, "validation.default");
        List<YamlPolicy.Rule<ValidationDecision>> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        List<PolicyDocument.ValidationRule> rules = s.rules() == null ? List.of() : s.rules();
        for (int i = 0; i < rules.size(); i++) {
            PolicyDocument.ValidationRule r = rules.get(i);
            String where = "validation.rules[" + i + "]";
            uniqueId(ids, r.id(), where);
            InputContract c = contract(merge(def, r.contract()), where + ".contract");
            out.add(new YamlPolicy.Rule<>(r.id(), when(r.when(), where, Condition.Section.VALIDATION),
                    new ValidationDecision(r.id(), c)));
        }
        out.add(new YamlPolicy.Rule<>("default", Condition.ALWAYS, new ValidationDecision("default", defContract)));
        return out;
    }

    private static PolicyDocument.Contract merge(PolicyDocument.Contract d, PolicyDocument.Contract o) {
        PolicyDocument.Distribution dist;
        if (o.distribution() == null) {
            dist = d.distribution();
        } else if (Boolean.FALSE.equals(o.distribution().enabled()) || d.distribution() == null) {
            dist = o.distribution();
        } else {
            PolicyDocument.Distribution a = d.distribution();
            PolicyDocument.Distribution b = o.distribution();
            dist = new PolicyDocument.Distribution(b.enabled() != null ? b.enabled() : a.enabled(),
                    b.stats() != null ? b.stats() : a.stats(), b.stdFloor() != null ? b.stdFloor() : a.stdFloor(),
                    b.maxAbsZ() != null ? b.maxAbsZ() : a.maxAbsZ(), b.maxRmsZ() != null ? b.maxRmsZ() : a.maxRmsZ(),
                    b.summary() != null ? b.summary() : a.summary());
        }
        return new PolicyDocument.Contract(
                o.shape() != null ? o.shape() : d.shape(),
                o.range() != null ? o.range() : d.range(),
                o.features() != null ? o.features() : d.features(),
                o.allowUnknownFeatures() != null ? o.allowUnknownFeatures() : d.allowUnknownFeatures(),
                o.crossField() != null ? o.crossField() : d.crossField(),
                o.maxPayloadBytes() != null ? o.maxPayloadBytes() : d.maxPayloadBytes(),
                dist);
    }

    private InputContract contract(PolicyDocument.Contract c, String where) {
        // The shape alone first, so that its errors (a dimension below 1, a size beyond an int) point at it.
        at(where + ".shape", () -> new InputContract(c.shape(), Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY,
                null, true, null, 0, null));
        Map<String, InputContract.FeatureSpec> features = new LinkedHashMap<>();
        if (c.features() != null) {
            // InputContract checks the names again, sorted; here they are checked in the file's order, at
            // the features, and before a feature's own error would quote its name in a path.
            String names = FeatureNames.contractNamesProblem(c.features().keySet());
            if (names != null) {
                throw new PolicyPathException(where + ".features", names);
            }
            for (Map.Entry<String, PolicyDocument.Feature> e : c.features().entrySet()) {
                PolicyDocument.Feature f = e.getValue() == null ? new PolicyDocument.Feature(null, null, null) : e.getValue();
                features.put(e.getKey(), at(where + ".features." + e.getKey(), () -> new InputContract.FeatureSpec(
                        !Boolean.FALSE.equals(f.required()),
                        f.min() == null ? Double.NEGATIVE_INFINITY : f.min(),
                        f.max() == null ? Double.POSITIVE_INFINITY : f.max())));
            }
        }
        List<InputContract.CrossFieldRule> cross = new ArrayList<>();
        if (c.crossField() != null) {
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < c.crossField().size(); i++) {
                PolicyDocument.CrossField x = c.crossField().get(i);
                uniqueId(ids, x.id(), where + ".cross_field[" + i + "]");
                cross.add(new InputContract.CrossFieldRule(x.id(), x.expr()));
            }
        }
        InputContract.DistributionCheck dist = null;
        PolicyDocument.Distribution d = c.distribution();
        if (d != null && !Boolean.FALSE.equals(d.enabled())) {
            String dw = where + ".distribution";
            // The policy's own bounds first, each at its key: an error here is not the statistics'.
            bound(d.stdFloor(), dw + ".std_floor", false);
            bound(d.maxAbsZ(), dw + ".max_abs_z", true);
            bound(d.maxRmsZ(), dw + ".max_rms_z", true);
            if (d.stats() == null) {
                throw new PolicyPathException(dw + ".stats", "is required: the data path of the training statistics "
                        + "(write them with `veil stats`)");
            }
            if ((d.maxAbsZ() == null || d.maxAbsZ() == 0) && (d.maxRmsZ() == null || d.maxRmsZ() == 0)
                    && Boolean.FALSE.equals(d.summary())) {
                throw new PolicyPathException(dw, "this check refuses nothing: set max_abs_z, max_rms_z or summary: true,"
                        + " or enabled: false");
            }
            Object data = bundle.data(d.stats());
            if (data == null) {
                throw new PolicyPathException(dw + ".stats", DataPaths.missing(bundle, d.stats()));
            }
            dist = statistics(d.stats(), dw, () -> TrainingStats.fromData(data, "data." + d.stats(), features.keySet(),
                    d.stdFloor() == null ? 0.05 : d.stdFloor(),
                    d.maxAbsZ() == null ? 0 : d.maxAbsZ(),
                    d.maxRmsZ() == null ? 0 : d.maxRmsZ(),
                    d.summary() == null || d.summary()).withStats(d.stats()));
            if (dist.maxAbsZ() == 0 && dist.maxRmsZ() == 0 && dist.summary().isEmpty()) {
                // What was read, not what was asked: the statistics decide which summary ranges exist.
                throw new PolicyPathException(dw, "this check refuses nothing: set max_abs_z, max_rms_z or summary: "
                        + "true, or enabled: false");
            }
        }
        InputContract.DistributionCheck distFinal = dist;
        InputContract contract = at(where, () -> new InputContract(
                c.shape(),
                c.range() == null || c.range().min() == null ? Double.NEGATIVE_INFINITY : c.range().min(),
                c.range() == null || c.range().max() == null ? Double.POSITIVE_INFINITY : c.range().max(),
                features,
                c.allowUnknownFeatures() != null ? c.allowUnknownFeatures() : features.isEmpty(),
                cross,
                c.maxPayloadBytes() == null ? 0 : c.maxPayloadBytes(),
                distFinal));
        if (distFinal != null && contract.dimension() >= 0 && distFinal.mean().length != contract.dimension()) {
            throw new PolicyPathException(where + ".distribution.stats", "the statistics have " + distFinal.mean().length
                    + " features but the shape " + contract.shape() + " has " + contract.dimension());
        }
        CompiledContract compiled = at(where + ".cross_field", () -> {
            try {
                return CompiledContract.compile(contract);
            } catch (CompiledContract.RuleException e) { // point at the rule's own expr, not the list
                throw new PolicyPathException(where + ".cross_field[" + e.index() + "].expr", e.getMessage());
            }
        });
        String unsatisfiable = compiled.unsatisfiable();
        if (unsatisfiable != null) {
            // Every request would be denied: say so now rather than at the first request.
            throw new PolicyPathException(where + ".features", unsatisfiable);
        }
        String distUnsatisfiable = compiled.distributionUnsatisfiable();
        if (distUnsatisfiable != null) {
            throw new PolicyPathException(where + ".distribution", distUnsatisfiable);
        }
        String optionalRead = compiled.optionalReadByRule();
        if (optionalRead != null) {
            throw new PolicyPathException(where + ".cross_field", optionalRead);
        }
        String optionalScored = compiled.optionalWithDistribution();
        if (optionalScored != null) {
            throw new PolicyPathException(where + ".distribution", optionalScored);
        }
        for (CompiledContract earlier : compiledContracts) {
            if (earlier.contract().equals(contract)) {
                // one instance per distinct contract, so that the Guard finds its compiled form by
                // identity whichever rule gave it (PolicyRuntime.contract)
                return earlier.contract();
            }
        }
        compiledContracts.add(compiled);
        return contract;
    }

    /** A distribution bound of the policy: {@code > 0}, or {@code >= 0} where 0 turns it off. */
    private static void bound(Double value, String where, boolean zeroIsOff) {
        if (value != null && (zeroIsOff ? !(value >= 0) : !(value > 0))) {
            throw new PolicyPathException(where, zeroIsOff ? "must be >= 0 (0 = off), was " + value
                    : "must be > 0, was " + value);
        }
        if (!zeroIsOff && value != null && value < Double.MIN_NORMAL) {
            throw new PolicyPathException(where, InputContract.DistributionCheck.STD_FLOOR_TOO_SMALL + ", was " + value);
        }
    }

    /**
     * Reads the statistics at a data path; an error in them is reported at the data file that holds
     * them (line and column of the bad field when it is known, else of the statistics), not at the
     * policy, which only names them.
     */
    private <T> T statistics(String dataPath, String where, Supplier<T> read) {
        try {
            return read.get();
        } catch (IllegalArgumentException e) {
            String field = e instanceof TrainingStats.FieldException f ? f.field() : "";
            dev.veil.PolicyError at = DataPaths.locate(bundle, dataPath, field, e.getMessage());
            if (at == null) {
                throw new PolicyPathException(where + ".stats", e.getMessage());
            }
            throw new dev.veil.PolicyLoadException(at);
        }
    }

    // ---------------------------------------------------------------- monitoring

    private List<YamlPolicy.Rule<MonitoringAction>> monitoring() {
        PolicyDocument.MonitoringSection s = doc.monitoring();
        List<YamlPolicy.Rule<MonitoringAction>> out = new ArrayList<>();
        if (s == null || s.rules() == null) {
            return out;
        }
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < s.rules().size(); i++) {
            PolicyDocument.MonitoringRule r = s.rules().get(i);
            String where = "monitoring.rules[" + i + "]";
            uniqueId(ids, r.id(), where);
            if (r.when() == null || r.when().signals() == null) {
                throw new PolicyPathException(where + ".when", "a monitoring rule needs when.signals "
                        + "(e.g. signals: {rate: high}); otherwise it would act on every request");
            }
            if (r.when().signals().isEmpty()) {
                throw new PolicyPathException(where + ".when.signals", "must name at least one signal");
            }
            if (r.action() != MonitoringAction.Kind.BLOCK && r.action() != MonitoringAction.Kind.THROTTLE
                    && r.cooldownSeconds() != null) {
                throw new PolicyPathException(where + ".cooldown_seconds", "only block and throttle take a cool-down");
            }
            if (r.action() != MonitoringAction.Kind.THROTTLE && r.throttlePerSecond() != null) {
                throw new PolicyPathException(where + ".throttle_per_second", "only throttle takes throttle_per_second");
            }
            String signal = r.when().signals().keySet().iterator().next();
            if (r.action() == MonitoringAction.Kind.THROTTLE && r.throttlePerSecond() != null) {
                // The rate alone (a cool-down of 1), so that a rate the limiters cannot count (not > 0, or
                // a bucket that refills in more than 366 days) is reported at its own key.
                at(where + ".throttle_per_second", () -> new MonitoringAction(r.action(), r.id(), signal, 1,
                        r.throttlePerSecond()));
            }
            MonitoringAction a = at(where, () -> new MonitoringAction(r.action(), r.id(), signal,
                    r.cooldownSeconds() == null ? 0 : r.cooldownSeconds(),
                    r.throttlePerSecond() == null ? 0 : r.throttlePerSecond()));
            out.add(new YamlPolicy.Rule<>(r.id(), when(r.when(), where, Condition.Section.MONITORING), a));
        }
        return out;
    }

    // ---------------------------------------------------------------- model

    private List<YamlPolicy.Rule<ModelDecision>> model() {
        PolicyDocument.ModelSection s = doc.model();
        List<YamlPolicy.Rule<ModelDecision>> out = new ArrayList<>();
        PolicyDocument.ModelOutcome d = s == null ? null : s.defaults();
        Double defAge = d == null ? null : d.maxAgeDays();
        StaleAction defAction = d == null ? null : d.onStale();
        check(defAge, defAction, "model.default");
        if (s != null && s.rules() != null) {
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < s.rules().size(); i++) {
                PolicyDocument.ModelRule r = s.rules().get(i);
                String where = "model.rules[" + i + "]";
                uniqueId(ids, r.id(), where);
                Double age = r.maxAgeDays() != null ? r.maxAgeDays() : defAge;
                StaleAction act = r.onStale() != null ? r.onStale() : defAction;
                check(age, act, where);
                out.add(new YamlPolicy.Rule<>(r.id(), when(r.when(), where, Condition.Section.MODEL),
                        new ModelDecision(r.id(), false, act == null ? StaleAction.ALERT : act), age));
            }
        }
        out.add(new YamlPolicy.Rule<>("default", Condition.ALWAYS,
                new ModelDecision("default", false, defAction == null ? StaleAction.ALERT : defAction), defAge));
        return out;
    }

    private static void check(Double age, StaleAction act, String where) {
        if (age != null && !(age > 0)) {
            throw new PolicyPathException(where + ".max_age_days", "must be > 0, was " + age);
        }
        if (age != null && act == null) {
            throw new PolicyPathException(where + ".on_stale", "is required with max_age_days: deny, degrade or alert");
        }
    }

    // ---------------------------------------------------------------- output

    private List<YamlPolicy.Rule<OutputDecision>> output(ReleaseSpec[] degraded, GuardSettings.PrivacyBudget[] privacy) {
        PolicyDocument.OutputSection s = doc.output();
        if (s == null || s.defaults() == null) {
            throw new PolicyPathException("output", "is required: output.default says what every caller receives "
                    + "(e.g. {form: top_k, top_k: 3, round: 0.05})");
        }
        if (s.privacy() != null) {
            privacy[0] = privacy(s.privacy());
        }
        PolicyDocument.Release empty = new PolicyDocument.Release(null, null, null, null, null, null, null);
        ReleaseSpec def = release(merge(empty, withoutNone(s.defaults(), "output.default")), "output.default",
                privacy[0]);
        Set<Double> roundWarned = new HashSet<>();
        warnIfRoundingClampsBeyondHalfAStep(def, "output.default", roundWarned);
        degraded[0] = s.degraded() == null ? ReleaseSpec.LABEL_ONLY
                : release(merge(empty, withoutNone(s.degraded(), "output.degraded")), "output.degraded", privacy[0]);
        List<YamlPolicy.Rule<OutputDecision>> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        List<PolicyDocument.OutputRule> rules = s.rules() == null ? List.of() : s.rules();
        for (int i = 0; i < rules.size(); i++) {
            PolicyDocument.OutputRule r = rules.get(i);
            String where = "output.rules[" + i + "]";
            uniqueId(ids, r.id(), where);
            PolicyDocument.Release merged = merge(s.defaults(), r.release());
            if (r.release().form() != null && r.release().form() != ReleaseSpec.Form.TOP_K && r.release().topK() == null) {
                // "form: full" in a rule means every score, not the default's top k.
                merged = new PolicyDocument.Release(merged.form(), 0, merged.round(), merged.minConfidence(),
                        merged.reverseSigmoid(), merged.noise(), merged.allowLabelChange());
            }
            ReleaseSpec spec = release(merged, where + ".release", privacy[0]);
            warnIfRoundingClampsBeyondHalfAStep(spec, where + ".release", roundWarned);
            out.add(new YamlPolicy.Rule<>(r.id(), when(r.when(), where, Condition.Section.OUTPUT),
                    new OutputDecision(r.id(), spec)));
            outputReadsPrediction |= readsPrediction(r.when());
        }
        out.add(new YamlPolicy.Rule<>("default", Condition.ALWAYS, new OutputDecision("default", def)));
        return out;
    }

    /**
     * A warning, once per step, when rounding a classification's scores to {@code spec.round()}
     * clamps the highest scores by more than half a step: a step that does not divide 1 leaves a
     * largest released score below 1 (0.6 for a step of 0.6), and every score above it is released
     * as it (0.95 as 0.6). Not an error: a step such as 0.3 (largest score 0.9) stays within half a
     * step, and the policy's author may mean it.
     */
    private void warnIfRoundingClampsBeyondHalfAStep(ReleaseSpec spec, String where, Set<Double> warned) {
        double step = spec.round();
        if (step == 0 || spec.form() == ReleaseSpec.Form.LABEL_ONLY) {
            return;
        }
        double largest = dev.veil.internal.output.ReleaseTransformer.largestScore(step);
        if (1 - largest > step / 2 + 1e-12 && warned.add(step)) {
            warnings.add(where + ": round " + step + " does not divide 1: the largest score it releases is " + largest
                    + ", so a classification's scores above " + largest + " (up to 1) are released as " + largest
                    + ", moving by up to " + java.math.BigDecimal.ONE.subtract(java.math.BigDecimal.valueOf(largest))
                            .toPlainString() + ", more than half a step (" + step / 2 + "); a step"
                    + " that divides 1 (such as 0.5, 0.25, 0.1 or 1/3 written with more digits) keeps every score"
                    + " within half a step (docs/policy-reference.md, section 9)");
        }
    }

    private static GuardSettings.PrivacyBudget privacy(PolicyDocument.Privacy p) {
        double defaultDelta = GuardSettings.PrivacyBudget.DEFAULT_DELTA;
        return at("output.privacy", () -> new GuardSettings.PrivacyBudget(p.perCallerEpsilon(),
                p.globalEpsilon() == null ? 0 : p.globalEpsilon(),
                p.periodSeconds() == null ? 0 : p.periodSeconds(), p.onExhausted(),
                p.perCallerDelta() == null ? defaultDelta : p.perCallerDelta(),
                p.globalDelta() == null ? defaultDelta : p.globalDelta()));
    }

    private static PolicyDocument.Release merge(PolicyDocument.Release d, PolicyDocument.Release o) {
        return new PolicyDocument.Release(
                o.form() != null ? o.form() : d.form(),
                o.topK() != null ? o.topK() : d.topK(),
                o.round() != null ? o.round() : d.round(),
                o.minConfidence() != null ? o.minConfidence() : d.minConfidence(),
                o.reverseSigmoid() != null ? o.reverseSigmoid() : d.reverseSigmoid(),
                o.noise() != null ? o.noise() : d.noise(),
                o.allowLabelChange() != null ? o.allowLabelChange() : d.allowLabelChange());
    }

    /**
     * {@code r}, a release that is not a rule's ({@code output.default}, {@code output.degraded}):
     * {@code none} turns off what a rule would inherit, and here there is nothing to turn off.
     */
    private static PolicyDocument.Release withoutNone(PolicyDocument.Release r, String where) {
        if (r.noise() == PolicyDocument.Noise.NONE) {
            throw new PolicyPathException(where + ".noise", "none is for a rule, to turn off the default's noise; "
                    + "here leave noise out");
        }
        if (r.reverseSigmoid() == PolicyDocument.ReverseSigmoid.NONE) {
            throw new PolicyPathException(where + ".reverse_sigmoid", "none is for a rule, to turn off the "
                    + "default's reverse sigmoid; here leave reverse_sigmoid out");
        }
        return r;
    }

    /**
     * @param r the release merged over the default; {@code none} (a rule's) means no noise or no
     *     reverse sigmoid
     * @param budget the policy's privacy budgets, or {@code null} when it has none
     */
    private static ReleaseSpec release(PolicyDocument.Release r, String where, GuardSettings.PrivacyBudget budget) {
        if (r.form() == null) {
            throw new PolicyPathException(where + ".form", "is required: full, top_k or label_only");
        }
        ReleaseSpec.ReverseSigmoid rs = r.reverseSigmoid() == null
                || r.reverseSigmoid() == PolicyDocument.ReverseSigmoid.NONE ? null
                : at(where + ".reverse_sigmoid", () -> new ReleaseSpec.ReverseSigmoid(r.reverseSigmoid().beta(),
                        r.reverseSigmoid().gamma()));
        ReleaseSpec.Noise noise = null;
        if (r.noise() != null && r.noise() != PolicyDocument.Noise.NONE) {
            PolicyDocument.Noise n = r.noise();
            ReleaseSpec.Noise.Bounds bounds = n.bounds() == null ? null : bounds(n.bounds(), where + ".noise.bounds");
            noise = at(where + ".noise", () -> new ReleaseSpec.Noise(n.mechanism(), n.epsilon(),
                    n.delta() == null ? 0 : n.delta(), n.sensitivity() == null ? 0 : n.sensitivity(), bounds));
            if (budget == null) {
                throw new PolicyPathException(where + ".noise",
                        "a release with noise needs output.privacy: the budget its epsilon is charged to");
            }
            String unpayable = budget.unpayable(noise);
            if (unpayable != null) {
                throw new PolicyPathException(where + ".noise", "no release with this noise could ever be charged: "
                        + unpayable);
            }
        }
        ReleaseSpec.Noise noiseFinal = noise;
        return at(where, () -> new ReleaseSpec(r.form(), r.topK() == null ? 0 : r.topK(),
                r.round() == null ? 0 : r.round(), r.minConfidence() == null ? 0 : r.minConfidence(), rs, noiseFinal,
                Boolean.TRUE.equals(r.allowLabelChange())));
    }

    /** A noise's {@code bounds: [lower, upper]}. */
    private static ReleaseSpec.Noise.Bounds bounds(List<Double> b, String where) {
        if (b.size() != 2 || b.get(0) == null || b.get(1) == null) {
            throw new PolicyPathException(where, "expected two numbers [lower, upper] (the range a regression's "
                    + "value is clamped to before the noise), was a list of " + b.size());
        }
        return at(where, () -> new ReleaseSpec.Noise.Bounds(b.get(0), b.get(1)));
    }

    // ---------------------------------------------------------------- logging

    private List<YamlPolicy.Rule<LoggingDecision>> logging() {
        PolicyDocument.LoggingSection s = doc.logging();
        LoggingDecision def = s == null || s.defaults() == null ? LoggingDecision.DEFAULT
                : new LoggingDecision("default", s.defaults().input(), s.defaults().output(), s.defaults().raw(),
                        s.defaults().caller());
        List<YamlPolicy.Rule<LoggingDecision>> out = new ArrayList<>();
        Set<String> named = namedFeatures();
        if (def.input() == dev.veil.spi.FieldMode.DIGEST) {
            warnDigestOfNamedFeatures("logging.default", named);
        }
        if (s != null && s.rules() != null) {
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < s.rules().size(); i++) {
                PolicyDocument.LoggingRule r = s.rules().get(i);
                String where = "logging.rules[" + i + "]";
                uniqueId(ids, r.id(), where);
                PolicyDocument.Logging l = r.logging();
                if (l.input() == dev.veil.spi.FieldMode.DIGEST) {
                    warnDigestOfNamedFeatures(where + " (rule '" + r.id() + "')", named);
                }
                out.add(new YamlPolicy.Rule<>(r.id(), when(r.when(), where, Condition.Section.LOGGING),
                        new LoggingDecision(r.id(), l.input() != null ? l.input() : def.input(),
                                l.output() != null ? l.output() : def.output(), l.raw() != null ? l.raw() : def.raw(),
                                l.caller() != null ? l.caller() : def.caller())));
            }
        }
        out.add(new YamlPolicy.Rule<>("default", Condition.ALWAYS, def));
        return out;
    }

    /** The named features the validation contracts list (a tabular input's), in name order. */
    private Set<String> namedFeatures() {
        Set<String> named = new java.util.TreeSet<>();
        PolicyDocument.ValidationSection v = doc.validation();
        if (v != null && v.defaults() != null && v.defaults().features() != null) {
            named.addAll(v.defaults().features().keySet());
        }
        if (v != null && v.rules() != null) {
            for (PolicyDocument.ValidationRule r : v.rules()) {
                if (r.contract() != null && r.contract().features() != null) {
                    named.addAll(r.contract().features().keySet());
                }
            }
        }
        return named;
    }

    /**
     * A digest of named features hides little: such inputs have few possible values, and the digest
     * is unsalted, so anyone with the log can hash candidates until one matches (docs 5.7).
     */
    private void warnDigestOfNamedFeatures(String where, Set<String> named) {
        if (named.isEmpty()) {
            return;
        }
        List<String> some = named.stream().limit(4).toList();
        warnings.add(where + ": input: digest of named features " + some + (named.size() > some.size() ? " ..." : "")
                + ": such inputs have few possible values and the digest is unsalted, so anyone who reads the audit "
                + "log can hash candidates until one matches (a quickstart application's in 1.3 s: "
                + "docs/policy-reference.md, 5.7); use input: mask, or digest only where records must be matched to "
                + "requests and the log is kept as the features themselves would be");
    }

    // ---------------------------------------------------------------- helpers

    private Condition when(PolicyDocument.When w, String where, Condition.Section section) {
        return Condition.compile(w, where + ".when", signalNames, section);
    }

    private static void uniqueId(Set<String> ids, String id, String where) {
        if (Names.isBlank(id) || id.equals("default")) {
            throw new PolicyPathException(where + ".id", "rule ids must be non-blank (white space alone, no-break "
                    + "spaces included, is blank) and not 'default', was '" + id + "'");
        }
        if (!ids.add(id)) {
            throw new PolicyPathException(where + ".id", "duplicate rule id '" + id + "' in this section");
        }
    }

    /** Runs a constructor that validates its arguments; its IllegalArgumentException gets a path. */
    private static <T> T at(String where, Supplier<T> s) {
        try {
            return s.get();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new PolicyPathException(where, e.getMessage());
        }
    }
}
