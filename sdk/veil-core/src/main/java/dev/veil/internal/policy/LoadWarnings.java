package dev.veil.internal.policy;

import dev.veil.internal.access.Authenticator;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.monitor.StatefulDetector;
import dev.veil.spi.Bundle;
import dev.veil.spi.CompiledPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a bundle that loads allows but probably should not: not errors (the bundle is valid), but
 * risks its author should know of: built-in detectors on their published default seed, an HMAC
 * secret in the JWKS ({@link Authenticator#warnings()}), a YAML {@code allow} rule on {@code callers}
 * without {@code tenants}, a {@value #DEMO_KEYS} file (the shipped bundles' published demo credentials,
 * kept in a copy). The Guard logs them when it installs the bundle; {@code veil bundle inspect}
 * prints them. Stateless and thread-safe.
 */
public final class LoadWarnings {
    /** The file in which the shipped bundles publish their demo keys' secrets. */
    static final String DEMO_KEYS = "DEMO-KEYS.md";

    private LoadWarnings() {}

    /**
     * The warnings of a compiled policy, one sentence each, in a stable order.
     *
     * @param policy the compiled policy
     * @param authenticator the authenticator built from the policy's authentication settings
     * @param builtins the built-in detectors made from the policy's settings (entries that are
     *     custom detectors left out)
     * @param contents the bundle's files
     * @return the warnings; empty when there are none
     */
    public static List<String> of(CompiledPolicy policy, Authenticator authenticator,
            List<? extends StatefulDetector> builtins, Bundle contents) {
        Objects.requireNonNull(policy, "policy");
        List<String> warnings = new ArrayList<>();
        String demoKeys = contents.files().stream()
                .filter(f -> f.equals(DEMO_KEYS) || f.endsWith("/" + DEMO_KEYS)).sorted().findFirst().orElse(null);
        if (demoKeys != null) {
            // The shipped bundles publish their demo keys' secrets on purpose; a copy that keeps them is open to all.
            warnings.add("the bundle holds " + demoKeys + ": it carries published demo credentials (API keys, "
                    + "and the signing key of its jwks.json if it has one, whose secrets are public) that anyone can "
                    + "use to call as its demo callers; before deploying, replace keys.json and jwks.json with your "
                    + "own keys and delete " + demoKeys + " (policies/README.md)");
        }
        Set<String> unseeded = new TreeSet<>();
        for (StatefulDetector d : builtins) {
            if (d.onPublishedSeed()) {
                unseeded.add(d.name());
            }
        }
        if (!unseeded.isEmpty()) {
            // Not an error: the shipped bundles are examples, and a seed is a deployment's secret.
            warnings.add("detector(s) " + unseeded + " run on their published default seed: an attacker who knows "
                    + "a seed can compute what its detector computes, choose probes it does not see, and make probes "
                    + "pass as copies of one input (near_duplicate, knn_global). Set your own seed (any integer other "
                    + "than the default) for each in a bundle you do not publish: docs/policy-reference.md, 'Seeds "
                    + "are keys'");
        }
        warnings.addAll(authenticator.warnings());
        if (policy instanceof YamlPolicy yaml) {
            warnings.addAll(yaml.warnings());
        }
        return List.copyOf(warnings);
    }

    /**
     * As {@link #of(CompiledPolicy, Authenticator, List, Bundle)} for a bundle without custom detectors
     * ({@code veil bundle inspect}): every entry whose name or {@code type} is a built-in type is made
     * from the policy's settings and {@code contents}' data, and every other entry is a warning (a
     * Guard refuses it unless its service adds a custom detector of that name).
     */
    public static List<String> of(CompiledPolicy policy, Authenticator authenticator, Bundle contents) {
        List<StatefulDetector> builtins = new ArrayList<>();
        Set<String> notBuiltIn = new TreeSet<>();
        for (Map.Entry<String, Map<String, Object>> e : policy.settings().detectors().entrySet()) {
            if (BuiltinDetectors.typeOf(e.getKey(), e.getValue()) != null) {
                builtins.add(BuiltinDetectors.create(e.getKey(), e.getValue(), contents));
            } else {
                notBuiltIn.add(e.getKey());
            }
        }
        List<String> warnings = new ArrayList<>(of(policy, authenticator, builtins, contents));
        for (String name : notBuiltIn) {
            // Valid in a bundle (the service may add such a detector in code), but a misspelt built-in
            // passes here and fails only when a Guard is built: say so before deployment.
            warnings.add("monitoring.detectors." + name + " is not a built-in detector (built-in: "
                    + new TreeSet<>(BuiltinDetectors.TYPES) + "): a Guard refuses this bundle unless its service adds "
                    + "a custom detector named '" + name + "' (Guard.Builder.detector); if it is a built-in one, check "
                    + "its spelling, or name its type with type:");
        }
        return List.copyOf(warnings);
    }
}
