package dev.veil.rego.internal.eval;

import dev.veil.rego.RegoError;
import dev.veil.rego.internal.ast.Location;

/** An error that halts evaluation (conflicts, type errors, strict builtin errors, timeouts). */
public final class EvalError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient RegoError error;

    public EvalError(String code, String message, Location loc) {
        super(message, null, false, false);
        // As OPA prints evaluation errors: file and line, no column.
        this.error = loc == null || loc.line() == 0 ? RegoError.of(code, message)
                : new RegoError(code, message, loc.file().isEmpty() ? null : loc.file(), loc.line(), 0);
    }

    public RegoError error() {
        return error;
    }

    @Override
    public String getMessage() {
        return error.toString();
    }
}
