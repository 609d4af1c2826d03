package dev.veil.rego.internal.builtins;

/**
 * A builtin could not produce a result: {@link RegoTypeError} (an operand of the wrong type, always
 * halts) or {@link BuiltinError} (anything else, undefined unless strict). Carries the builtin's name
 * (set by the builtin or later by the evaluator through {@link #withBuiltin}) and the reason; the
 * message is {@code name: reason} as OPA writes it. No stack trace: a non-strict builtin error is
 * ordinary control flow.
 */
public abstract sealed class BuiltinFailure extends RuntimeException permits RegoTypeError, BuiltinError {
    private static final long serialVersionUID = 1L;

    private final String builtin;
    private final String reason;

    BuiltinFailure(String builtin, String reason, Throwable cause) {
        super(builtin == null ? reason : builtin + ": " + reason, cause, false, false);
        this.builtin = builtin;
        this.reason = reason;
    }

    /** OPA's error code: {@code eval_type_error} or {@code eval_builtin_error}. */
    public abstract String code();

    /** The builtin's name, or null when not set yet. */
    public String builtin() {
        return builtin;
    }

    /** The reason without the builtin's name. */
    public String reason() {
        return reason;
    }

    /** This failure attributed to {@code name}, unless it already names a builtin. */
    public abstract BuiltinFailure withBuiltin(String name);
}
