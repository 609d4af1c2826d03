package dev.veil;

import java.util.Locale;

/** Severity of a monitoring signal, ordered from {@link #NONE} to {@link #HIGH}. */
public enum Level {
    NONE,
    LOW,
    MEDIUM,
    HIGH;

    /** Computed once: the audit writer asks for it several times per record. */
    private final String id = name().toLowerCase(Locale.ROOT);

    public String id() {
        return id;
    }

    public boolean atLeast(Level other) {
        return compareTo(other) >= 0;
    }

    public static Level fromId(String id) {
        for (Level l : values()) {
            if (l.id().equals(id)) {
                return l;
            }
        }
        throw new IllegalArgumentException("unknown level '" + id + "', must be one of none, low, medium, high");
    }
}
