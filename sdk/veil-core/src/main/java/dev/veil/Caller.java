package dev.veil;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An authenticated (or anonymous) caller, as the policies see it.
 *
 * @param id stable caller id (the key's owner or the token's subject); {@code "anonymous"} for none
 * @param method how the caller was authenticated
 * @param roles the caller's roles
 * @param tenant the caller's tenant, or {@code ""} when it has none
 * @param attributes further string attributes (from the key store or token claims)
 */
public record Caller(String id, AuthMethod method, Set<String> roles, String tenant, Map<String, String> attributes) {
    public static final Caller ANONYMOUS = new Caller("anonymous", AuthMethod.NONE, Set.of(), "", Map.of());

    public Caller {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(tenant, "tenant");
        roles = Set.copyOf(roles);
        attributes = Map.copyOf(attributes);
    }

    public boolean authenticated() {
        return method != AuthMethod.NONE;
    }
}
