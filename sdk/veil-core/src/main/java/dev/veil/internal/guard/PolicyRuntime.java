package dev.veil.internal.guard;

import dev.veil.PolicyBundle;
import dev.veil.PolicyLoadException;
import dev.veil.internal.access.Authenticator;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.monitor.StatefulDetector;
import dev.veil.internal.policy.LoadWarnings;
import dev.veil.internal.policy.YamlPolicyEngine;
import dev.veil.internal.text.ControlChars;
import dev.veil.internal.validation.CompiledContract;
import dev.veil.spi.CompiledPolicy;
import dev.veil.spi.Detector;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.InputContract;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Everything a request needs from one installed bundle, built completely before it is published
 * (so a reload is atomic): the compiled policy, the authenticator, the detectors, the privacy
 * ledger and compiled input contracts.
 */
final class PolicyRuntime {
    private final PolicyBundle bundle;
    private final CompiledPolicy policy;
    private final Authenticator authenticator;
    private final StatefulDetector[] builtins;
    private final Detector[] detectors;
    private final int maxCallers;
    /** Whether anything reads a request's feature values after the model has had them (see {@link #copiesFeatures}). */
    private final boolean copiesFeatures;
    /** Whether the policy checked at load that its budgets can pay every noisy release it names. */
    private final boolean noiseCheckedAtLoad;
    /** Whether the output question may read the raw prediction's summary (see {@link #outputReadsPrediction}). */
    private final boolean outputReadsPrediction;
    /** As many distinct contracts as {@code DecisionDocuments} interns. */
    static final int MAX_CACHED_CONTRACTS = 1024;

    private final Map<InputContract, CompiledContract> contracts = new ConcurrentHashMap<>();
    private volatile InputContract lastContract;
    private volatile CompiledContract lastCompiled;
    /** Per section, the last rule label built (racy but safe: a Label is immutable). */
    private final Label[] labels = new Label[SECTIONS.length];

    /** Sections of the audit record's {@code rules} entries, for {@link #label}. */
    static final int ACCESS = 0;
    static final int MONITORING = 1;
    static final int MODEL = 2;
    static final int OUTPUT = 3;
    static final int VALIDATION = 4;
    private static final String[] SECTIONS = {"access:", "monitoring:", "model:", "output:", "validation:"};

    /** One {@code <section>:<rule id>} entry and the rule id instance it was built from. */
    private record Label(String rule, String text) {}

    private PolicyRuntime(PolicyBundle bundle, Authenticator authenticator, StatefulDetector[] builtins,
            Detector[] detectors, int maxCallers) {
        this.bundle = bundle;
        this.policy = bundle.policy();
        this.authenticator = authenticator;
        this.builtins = builtins;
        this.detectors = detectors;
        this.maxCallers = maxCallers;
        // custom detectors are not counted: they get their own copy, taken before the model (DefaultGuard's OBSERVE)
        boolean readAfterModel = !YamlPolicyEngine.alwaysMasksInput(policy);
        for (StatefulDetector d : builtins) {
            readAfterModel |= d.readsFeaturesInRecord();
        }
        this.copiesFeatures = readAfterModel;
        this.noiseCheckedAtLoad = YamlPolicyEngine.checksNoiseAtLoad(policy);
        this.outputReadsPrediction = YamlPolicyEngine.outputReadsPrediction(policy);
        // A YAML policy compiled (and checked) its contracts at load: those are the ones used.
        for (CompiledContract cc : YamlPolicyEngine.compiledContracts(policy)) {
            contracts.putIfAbsent(cc.contract(), cc);
        }
    }

    /**
     * Whether the output question may read the raw prediction's summary: false only for a YAML policy
     * whose output rules test none of it, which is then asked without one (the Guard makes the summary
     * only for a record that shows it).
     */
    boolean outputReadsPrediction() {
        return outputReadsPrediction;
    }

    /** Whether the policy's engine refused at load any noisy release its budgets could never pay (YAML). */
    boolean noiseCheckedAtLoad() {
        return noiseCheckedAtLoad;
    }

    /**
     * Builds the runtime for {@code bundle}. State (detector windows, limits, budgets) lives in the
     * Guard's state store, so it survives the swap. Throws PolicyLoadException if the bundle's
     * settings cannot be applied; {@code previous} is not touched.
     */
    static PolicyRuntime create(PolicyBundle bundle, PolicyRuntime previous, List<Detector> custom, Clock clock,
            int maxCallers) {
        GuardSettings s = bundle.policy().settings();
        Authenticator auth = Authenticator.from(s.authentication(), bundle.contents(), clock);
        List<StatefulDetector> builtins = new ArrayList<>();
        List<Detector> customs = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : s.detectors().entrySet()) {
            String name = e.getKey();
            Detector customOne = custom.stream().filter(d -> d.name().equals(name)).findFirst().orElse(null);
            try {
                if (customOne != null) {
                    if (!e.getValue().isEmpty()) {
                        throw new IllegalArgumentException("'" + name + "' is a custom detector, configured in code; "
                                + "list it with {} here");
                    }
                    customs.add(customOne);
                } else if (BuiltinDetectors.typeOf(name, e.getValue()) != null) {
                    builtins.add(BuiltinDetectors.create(name, e.getValue(), bundle.contents()));
                } else {
                    Set<String> known = new TreeSet<>(BuiltinDetectors.TYPES);
                    custom.forEach(d -> known.add(d.name()));
                    throw new IllegalArgumentException("no detector named '" + name + "' (built in, or added with "
                            + "Guard.Builder.detector: " + known + ")");
                }
            } catch (IllegalArgumentException ex) {
                throw new PolicyLoadException(YamlPolicyEngine.settingsError(bundle.contents(), bundle.policy(),
                        "monitoring.detectors." + name, ex.getMessage()));
            }
        }
        List<String> warnings = new ArrayList<>(LoadWarnings.of(bundle.policy(), auth, builtins, bundle.contents()));
        Set<String> idle = new TreeSet<>();
        custom.forEach(d -> idle.add(d.name()));
        idle.removeAll(s.detectors().keySet());
        if (!idle.isEmpty()) {
            // Not an error (a bundle may turn a detector off), but easy to miss: it runs without a word.
            warnings.add("custom detector(s) " + idle + " added with Guard.Builder.detector are not listed under "
                    + "monitoring.detectors, so they do not run; to run one, add '" + idle.iterator().next()
                    + ": {}' (and likewise each other) under monitoring.detectors");
        }
        for (String warning : warnings) {
            System.getLogger("dev.veil.Guard").log(System.Logger.Level.WARNING, ControlChars.escaped("bundle '" + bundle.name() + "': "
                    + warning));
        }
        return new PolicyRuntime(bundle, auth, builtins.toArray(StatefulDetector[]::new),
                customs.toArray(Detector[]::new), maxCallers);
    }

    PolicyBundle bundle() {
        return bundle;
    }

    CompiledPolicy policy() {
        return policy;
    }

    GuardSettings settings() {
        return policy.settings();
    }

    Authenticator authenticator() {
        return authenticator;
    }

    /** Built-in detectors, whose state is in the state store. */
    StatefulDetector[] builtins() {
        return builtins;
    }

    /** Custom detectors added with Guard.Builder.detector, which keep their own state. */
    Detector[] detectors() {
        return detectors;
    }

    int maxCallers() {
        return maxCallers;
    }

    /**
     * Whether a request's features must be copied when they are not the Guard's own
     * ({@link dev.veil.Features#isOwned}): true when anything reads their values after the model has
     * had them, which may change them in place (and after {@code predict} returns, the caller may
     * reuse the array): an audit log that may keep or digest the input (any policy but a YAML policy
     * that masks the input in every logging rule) or a built-in detector that reads them when it
     * records ({@link StatefulDetector#readsFeaturesInRecord}); custom detectors get a copy of their
     * own, taken before the model, whatever this says. Otherwise every
     * read of the values (validation, the detectors' plans and signals) is over before the model is
     * called, and the copy would protect nothing.
     */
    boolean copiesFeatures() {
        return copiesFeatures;
    }

    /**
     * {@code <section>:<rule>} for the audit record's {@code rules}. A policy answers with the same
     * few rule id instances request after request, so the last label of each section is kept and
     * reused when the same instance comes again (no concatenation, no allocation).
     */
    String label(int section, String rule) {
        Label l = labels[section];
        if (l != null && l.rule() == rule) {
            return l.text();
        }
        l = new Label(rule, SECTIONS[section] + rule);
        labels[section] = l;
        return l.text();
    }

    /** How many compiled contracts are kept (for tests). */
    int cachedContracts() {
        return contracts.size();
    }

    /**
     * The compiled form of a contract: a YAML policy's were compiled at load and are here from the
     * start (and it returns the same instances, so this is one check); another engine's are compiled
     * at first use.
     */
    CompiledContract contract(InputContract c) {
        if (c == lastContract) {
            CompiledContract cc = lastCompiled;
            if (cc != null && cc.contract() == c) {
                return cc;
            }
        }
        CompiledContract cc = contracts.get(c);
        if (cc == null) {
            cc = CompiledContract.compile(c);
            // A Rego policy may build a contract per request (from the caller or the feature names):
            // those are compiled each time rather than kept without bound.
            if (contracts.size() < MAX_CACHED_CONTRACTS) {
                CompiledContract raced = contracts.putIfAbsent(c, cc);
                cc = raced != null ? raced : cc;
            }
        }
        lastCompiled = cc;
        lastContract = c;
        return cc;
    }
}
