package dev.veil.rego.internal.value;

/** Rego's {@code null}: one instance, {@link #NULL}. */
public final class NullValue implements Value {
    /** The only null value. */
    public static final NullValue NULL = new NullValue();

    private NullValue() {
    }

    @Override
    public Kind kind() {
        return Kind.NULL;
    }

    @Override
    public int compareSameKind(Value other) {
        return 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NullValue;
    }

    @Override
    public int hashCode() {
        return 0x6e756c6c;
    }

    @Override
    public String toString() {
        return "null";
    }
}
