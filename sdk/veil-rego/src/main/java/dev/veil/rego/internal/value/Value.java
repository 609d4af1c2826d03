package dev.veil.rego.internal.value;

/**
 * A Rego value, immutable and thread-safe, ordered and compared exactly as OPA's {@code ast.Compare}:
 * first by {@link Kind} (null &lt; boolean &lt; number &lt; string &lt; array &lt; object &lt; set),
 * then within a kind (see each class). {@code equals}/{@code hashCode} agree with {@code compareTo == 0},
 * so {@code 1} and {@code 1.0} are equal and hash alike.
 *
 * <p>{@link #toString()} writes Rego syntax as OPA prints terms ({@code {"a": 1}}, {@code {1, 2}},
 * {@code set()}); {@link Values#toJson(Value)} writes JSON.
 */
public sealed interface Value extends Comparable<Value>
        permits NullValue, BooleanValue, NumberValue, StringValue, ArrayValue, ObjectValue, SetValue {

    /** The kinds of value, in OPA's sort order, each with the name OPA uses in type errors. */
    enum Kind {
        NULL("null"), BOOLEAN("boolean"), NUMBER("number"), STRING("string"), ARRAY("array"), OBJECT("object"),
        SET("set");

        private final String typeName;

        Kind(String typeName) {
            this.typeName = typeName;
        }

        /** The name OPA uses for this kind, e.g. in {@code operand 1 must be string but got number}. */
        public String typeName() {
            return typeName;
        }
    }

    /** This value's kind. */
    Kind kind();

    /** Shortcut for {@code kind().typeName()}. */
    default String typeName() {
        return kind().typeName();
    }

    /** Compares with a value of the same kind; callers guarantee {@code other.kind() == kind()}. */
    int compareSameKind(Value other);

    @Override
    default int compareTo(Value other) {
        if (this == other) {
            return 0;
        }
        int c = Integer.compare(kind().ordinal(), other.kind().ordinal());
        return c != 0 ? c : compareSameKind(other);
    }

    /** True for null, boolean, number and string. */
    default boolean isScalar() {
        return kind().ordinal() <= Kind.STRING.ordinal();
    }
}
