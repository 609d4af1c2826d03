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
 * without {@code tenants}. The Guard logs them when it installs the bundle; {@code veil bundle inspect}
 * prints them. Stateless and thread-safe.
 */
public final class LoadWarnings {
    private LoadWarnings() {}

    /**
     * The warnings of a compiled policy, one sentence each, in a stable order.
     *
     * @param policy the compiled policy
     * @param authenticator the authenticator built from the policy's authentication settings
     * @param builtins the built-in detectors made from the policy's settings (entries that are
     *     custom detectors left out)
     * @return the warnings; empty when there are none
     */
    public static List<String> of(CompiledPolicy policy, Authenticator authenticator,
            List<? extends StatefulDetector> builtins) {
        Objects.requireNonNull(policy, "policy");
        List<String> warnings = new ArrayList<>();
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
     * As {@link #of(CompiledPolicy, Authenticator, List)} for a bundle without custom detectors
     * ({@code veil bundle inspect}): every entry whose name or {@code type} is a built-in type is made
     * from the policy's settings and {@code contents}' data.
     */
    public static List<String> of(CompiledPolicy policy, Authenticator authenticator, Bundle contents) {
        List<StatefulDetector> builtins = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : policy.settings().detectors().entrySet()) {
            if (BuiltinDetectors.typeOf(e.getKey(), e.getValue()) != null) {
                builtins.add(BuiltinDetectors.create(e.getKey(), e.getValue(), contents));
            }
        }
        return of(policy, authenticator, builtins);
    }
}
