package dev.veil;

import java.util.Locale;

/** How a caller was authenticated. */
public enum AuthMethod {
    NONE,
    API_KEY,
    JWT;

    /** Computed once: the audit writer asks for it several times per record. */
    private final String id = name().toLowerCase(Locale.ROOT);

    public String id() {
        return id;
    }

    public static AuthMethod fromId(String id) {
        for (AuthMethod m : values()) {
            if (m.id().equals(id)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown authentication method '" + id + "', must be one of none, api_key, jwt");
    }
}
