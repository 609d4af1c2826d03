package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.Value;

/**
 * An operand of the wrong type was passed to a builtin (OPA's {@code eval_type_error}); always halts
 * evaluation. Messages as OPA's {@code builtins.NewOperand*Err}, e.g.
 * {@code count: operand 1 must be one of {array, object, set, string} but got number}.
 */
public final class RegoTypeError extends BuiltinFailure {
    private static final long serialVersionUID = 1L;

    /** OPA's code for type errors at evaluation time. */
    public static final String CODE = "eval_type_error";

    public RegoTypeError(String reason) {
        this(null, reason);
    }

    public RegoTypeError(String builtin, String reason) {
        super(builtin, reason, null);
    }

    @Override
    public String code() {
        return CODE;
    }

    @Override
    public RegoTypeError withBuiltin(String name) {
        return builtin() != null ? this : new RegoTypeError(name, reason());
    }

    /**
     * {@code operand <pos> must be <type> but got <type>} or, with several expected types,
     * {@code operand <pos> must be one of {a, b} but got <type>}.
     *
     * @param pos      1-based operand position
     * @param got      the operand
     * @param expected the acceptable type names, as OPA lists them
     */
    public static RegoTypeError operand(int pos, Value got, String... expected) {
        if (expected.length == 1) {
            return new RegoTypeError("operand " + pos + " must be " + expected[0] + " but got " + got.typeName());
        }
        return new RegoTypeError("operand " + pos + " must be one of {" + String.join(", ", expected)
                + "} but got " + got.typeName());
    }

    /**
     * {@code operand <pos> must be array of strings but got array containing number} (one expected type)
     * or {@code ... must be set of (any of) {a, b} but got set containing number}.
     */
    public static RegoTypeError operandElement(int pos, Value composite, Value got, String... expected) {
        String tpe = composite.typeName();
        if (expected.length == 1) {
            return new RegoTypeError("operand " + pos + " must be " + tpe + " of " + expected[0] + "s but got "
                    + tpe + " containing " + got.typeName());
        }
        return new RegoTypeError("operand " + pos + " must be " + tpe + " of (any of) {"
                + String.join(", ", expected) + "} but got " + tpe + " containing " + got.typeName());
    }

    /** {@code operand <pos> must be <x>} or {@code operand <pos> must be one of {a, b}}. */
    public static RegoTypeError operandEnum(int pos, String... expected) {
        if (expected.length == 1) {
            return new RegoTypeError("operand " + pos + " must be " + expected[0]);
        }
        return new RegoTypeError("operand " + pos + " must be one of {" + String.join(", ", expected) + "}");
    }

    /** {@code operand <pos> <detail>}, for other operand complaints. */
    public static RegoTypeError operandDetail(int pos, String detail) {
        return new RegoTypeError("operand " + pos + " " + detail);
    }
}
