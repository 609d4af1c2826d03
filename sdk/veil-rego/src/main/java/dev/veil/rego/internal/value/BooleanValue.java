package dev.veil.rego.internal.value;

/** Rego's booleans, {@link #TRUE} and {@link #FALSE}; {@code false < true}. */
public final class BooleanValue implements Value {
    public static final BooleanValue TRUE = new BooleanValue(true);
    public static final BooleanValue FALSE = new BooleanValue(false);

    private final boolean value;

    private BooleanValue(boolean value) {
        this.value = value;
    }

    /** The shared instance for {@code b}. */
    public static BooleanValue of(boolean b) {
        return b ? TRUE : FALSE;
    }

    public boolean value() {
        return value;
    }

    @Override
    public Kind kind() {
        return Kind.BOOLEAN;
    }

    @Override
    public int compareSameKind(Value other) {
        return Boolean.compare(value, ((BooleanValue) other).value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BooleanValue b && b.value == value;
    }

    @Override
    public int hashCode() {
        return Boolean.hashCode(value);
    }

    @Override
    public String toString() {
        return value ? "true" : "false";
    }
}
