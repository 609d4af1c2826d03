package dev.veil.internal.guard;

import dev.veil.PolicyBundle;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.internal.access.Authenticator;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.output.PrivacyLedger;
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
    private final Detector[] detectors;
    private final PrivacyLedger ledger;
    private final int maxCallers;
    private final Map<InputContract, CompiledContract> contracts = new ConcurrentHashMap<>();
    private volatile InputContract lastContract;
    private volatile CompiledContract lastCompiled;

    private PolicyRuntime(PolicyBundle bundle, Authenticator authenticator, Detector[] detectors, PrivacyLedger ledger,
            int maxCallers) {
        this.bundle = bundle;
        this.policy = bundle.policy();
        this.authenticator = authenticator;
        this.detectors = detectors;
        this.ledger = ledger;
        this.maxCallers = maxCallers;
    }

    /**
     * Builds the runtime for {@code bundle}, carrying over detector state and spent privacy budget
     * from {@code previous} where the configuration allows. Throws PolicyLoadException if the
     * bundle's settings cannot be applied; {@code previous} is not touched.
     */
    static PolicyRuntime create(PolicyBundle bundle, PolicyRuntime previous, List<Detector> custom, Clock clock,
            int maxCallers) {
        GuardSettings s = bundle.policy().settings();
        Authenticator auth = Authenticator.from(s.authentication(), bundle.contents(), clock);
        Map<String, Detector> previousByName = new HashMap<>();
        if (previous != null) {
            for (Detector d : previous.detectors) {
                previousByName.put(d.name(), d);
            }
        }
        List<Detector> ds = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : s.detectors().entrySet()) {
            String name = e.getKey();
            Detector customOne = custom.stream().filter(d -> d.name().equals(name)).findFirst().orElse(null);
            if (customOne != null) {
                if (!e.getValue().isEmpty()) {
                    throw new PolicyLoadException(PolicyError.of("<bundle>", "monitoring.detectors." + name
                            + ": '" + name + "' is a custom detector, configured in code; list it with {} here"));
                }
                ds.add(customOne);
            } else if (BuiltinDetectors.NAMES.contains(name)) {
                try {
                    ds.add(BuiltinDetectors.create(name, e.getValue(), previousByName.get(name)));
                } catch (IllegalArgumentException ex) {
                    throw new PolicyLoadException(PolicyError.of("<bundle>", "monitoring.detectors." + name + ": "
                            + ex.getMessage()));
                }
            } else {
                Set<String> known = new TreeSet<>(BuiltinDetectors.NAMES);
                custom.forEach(d -> known.add(d.name()));
                throw new PolicyLoadException(PolicyError.of("<bundle>", "monitoring.detectors." + name
                        + ": no detector named '" + name + "' (built in or added with Guard.Builder.detector: " + known
                        + ")"));
            }
        }
        PrivacyLedger prev = previous == null ? null : previous.ledger;
        PrivacyLedger ledger;
        if (s.privacy() != null) {
            ledger = prev != null ? prev.withBudget(s.privacy()) : new PrivacyLedger(s.privacy(), clock, maxCallers);
        } else {
            // Kept (unused) so that a later bundle with a budget continues from what was spent: a
            // reload through a bundle without noise must not hand out fresh budget.
            ledger = prev;
        }
        return new PolicyRuntime(bundle, auth, ds.toArray(Detector[]::new), ledger, maxCallers);
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

    Detector[] detectors() {
        return detectors;
    }

    PrivacyLedger ledger() {
        if (ledger == null || policy.settings().privacy() == null) {
            throw new IllegalStateException("a release with noise needs output.privacy");
        }
        return ledger;
    }

    int maxCallers() {
        return maxCallers;
    }

    /** The compiled form of a contract; the YAML engine returns the same instances, so this is one check. */
    CompiledContract contract(InputContract c) {
        if (c == lastContract) {
            CompiledContract cc = lastCompiled;
            if (cc != null && cc.contract() == c) {
                return cc;
            }
        }
        CompiledContract cc = contracts.computeIfAbsent(c, CompiledContract::compile);
        lastCompiled = cc;
        lastContract = c;
        return cc;
    }
}
