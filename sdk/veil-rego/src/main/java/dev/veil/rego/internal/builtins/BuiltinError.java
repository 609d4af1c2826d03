package dev.veil.rego.internal.builtins;

/**
 * A builtin failed for a reason other than an operand's type (OPA's {@code eval_builtin_error}),
 * e.g. {@code json.unmarshal: invalid character 'x' looking for beginning of value}. The evaluator
 * turns it into "undefined" unless strict mode is on, where it halts.
 */
public final class BuiltinError extends BuiltinFailure {
    private static final long serialVersionUID = 1L;

    /** OPA's code for builtin errors. */
    public static final String CODE = "eval_builtin_error";

    public BuiltinError(String reason) {
        this(null, reason, null);
    }

    public BuiltinError(String builtin, String reason) {
        this(builtin, reason, null);
    }

    public BuiltinError(String builtin, String reason, Throwable cause) {
        super(builtin, reason, cause);
    }

    @Override
    public String code() {
        return CODE;
    }

    @Override
    public BuiltinError withBuiltin(String name) {
        return builtin() != null ? this : new BuiltinError(name, reason(), getCause());
    }
}
