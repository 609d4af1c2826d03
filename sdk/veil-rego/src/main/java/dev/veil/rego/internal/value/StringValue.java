package dev.veil.rego.internal.value;

import java.util.Objects;

/**
 * A Rego string. Strings are ordered by Unicode code point, which is the order of their UTF-8 bytes
 * that Go (and so OPA) compares, not Java's UTF-16 order.
 */
public final class StringValue implements Value {
    /** The empty string. */
    public static final StringValue EMPTY = new StringValue("");

    private final String value;

    private StringValue(String value) {
        this.value = value;
    }

    /** The string value of {@code s}. */
    public static StringValue of(String s) {
        Objects.requireNonNull(s, "string value");
        return s.isEmpty() ? EMPTY : new StringValue(s);
    }

    /** Longest string, and most strings, that {@link #canonical} shares. */
    private static final int CANONICAL_LENGTH = 64;
    private static final int CANONICAL_COUNT = 8192;
    private static final java.util.concurrent.ConcurrentHashMap<String, StringValue> CANONICAL =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The shared instance of a short string, for constants (a policy's object keys, the input document's
     * keys): equal constants are then the same object, which lookups compare first. Longer strings, and
     * any string once the table is full, get a new instance; either way the result equals {@code of(s)}.
     */
    public static StringValue canonical(String s) {
        Objects.requireNonNull(s, "string value");
        if (s.isEmpty()) {
            return EMPTY;
        }
        if (s.length() > CANONICAL_LENGTH) {
            return new StringValue(s);
        }
        StringValue v = CANONICAL.get(s);
        if (v == null) {
            v = new StringValue(s);
            if (CANONICAL.size() < CANONICAL_COUNT) {
                StringValue prev = CANONICAL.putIfAbsent(s, v);
                if (prev != null) {
                    v = prev;
                }
            }
        }
        return v;
    }

    /** The Java string. */
    public String value() {
        return value;
    }

    @Override
    public Kind kind() {
        return Kind.STRING;
    }

    @Override
    public int compareSameKind(Value other) {
        return compareCodePoints(value, ((StringValue) other).value);
    }

    /**
     * Compares two strings by code point (equivalently by their UTF-8 encoding), unlike
     * {@link String#compareTo}, which puts U+E000..U+FFFF after the supplementary planes.
     */
    public static int compareCodePoints(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                return Integer.compare(fixUp(x), fixUp(y));
            }
        }
        return Integer.compare(a.length(), b.length());
    }

    /** Maps UTF-16 code units so that their order is code point order (surrogates above U+FFFF). */
    private static int fixUp(char c) {
        if (c >= 0xE000) {
            return c - 0x800;
        }
        if (c >= 0xD800) {
            return c + 0x2000;
        }
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof StringValue s && s.value.equals(value); // keys are often canonical
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    /** The string quoted as OPA prints a string term (Go's {@code strconv.Quote}). */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(value.length() + 2);
        Values.appendGoQuoted(b, value);
        return b.toString();
    }
}
