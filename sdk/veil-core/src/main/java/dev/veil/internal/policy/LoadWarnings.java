package dev.veil.internal.policy;

import dev.veil.internal.access.Authenticator;
import dev.veil.spi.CompiledPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a bundle that loads allows but probably should not: not errors (the bundle is valid), but
 * risks its author should know of: an HMAC secret in the JWKS ({@link Authenticator#warnings()}),
 * a YAML {@code allow} rule on {@code callers} without {@code tenants}. The Guard logs them when it
 * installs the bundle; {@code veil bundle inspect} prints them. Stateless and thread-safe.
 */
public final class LoadWarnings {
    private LoadWarnings() {}

    /**
     * The warnings of a compiled policy, one sentence each, in a stable order.
     *
     * @param policy the compiled policy
     * @param authenticator the authenticator built from the policy's authentication settings
     * @return the warnings; empty when there are none
     */
    public static List<String> of(CompiledPolicy policy, Authenticator authenticator) {
        Objects.requireNonNull(policy, "policy");
        List<String> warnings = new ArrayList<>(authenticator.warnings());
        if (policy instanceof YamlPolicy yaml) {
            warnings.addAll(yaml.warnings());
        }
        return List.copyOf(warnings);
    }
}
