package dev.veil;

import dev.veil.internal.access.ApiKeyStore;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Issues API keys. A key looks like {@code veil_<id>_<secret>}; only its salted SHA-256 hash is
 * stored (in a key file or the bundle's data, see {@code authentication.api_keys}), so the
 * plaintext is shown once, at issue, and never again.
 */
public final class ApiKeys {
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeys() {}

    /**
     * A freshly issued key.
     *
     * @param plaintext hand this to the caller, once; {@link #toString()} does not print it
     * @param id the key's public id
     * @param entry the store entry (id, caller, salt, hash, roles, tenant, attributes, expires_at,
     *     disabled) to append to the key store's {@code keys} list
     */
    public record Issued(String plaintext, String id, Map<String, Object> entry) {
        public Issued {
            Objects.requireNonNull(plaintext, "plaintext");
            Objects.requireNonNull(id, "id");
            entry = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(entry));
        }

        @Override
        public String toString() {
            return "ApiKeys.Issued[id=" + id + ", plaintext=***]";
        }
    }

    /**
     * Issues a key for a caller.
     *
     * @param caller the caller id the key authenticates as
     * @param roles the caller's roles
     * @param tenant the tenant, {@code ""} for none
     * @param attributes further attributes
     * @param expiresAt when the key stops working, after now, or {@code null} for never
     * @throws IllegalArgumentException when an argument is blank or malformed, when the caller, a
     *     role or the tenant has leading or trailing whitespace or a control character (they are
     *     compared exactly: {@code "alice "} would be a caller of its own beside {@code "alice"}), or
     *     when {@code expiresAt} is not after now (the key would never work)
     */
    public static Issued issue(String caller, List<String> roles, String tenant, Map<String, String> attributes,
            Instant expiresAt) {
        if (expiresAt != null && !expiresAt.isAfter(Instant.now())) {
            throw new IllegalArgumentException("expiresAt must be in the future, was " + expiresAt
                    + " (the key would never work)");
        }
        ApiKeyStore.IssuedKey k = ApiKeyStore.issue(caller, roles, tenant, attributes, expiresAt, RANDOM);
        return new Issued(k.plaintext(), k.id(), k.entry());
    }
}
