package dev.veil.rego;

import java.util.Objects;

/**
 * One error found in a Rego policy or raised while evaluating it, in OPA's shape: a code such as
 * {@code rego_parse_error}, {@code rego_unsafe_var_error}, {@code rego_type_error},
 * {@code eval_conflict_error} or {@code eval_type_error}, a message, and where it happened.
 *
 * @param code    OPA's error code, never null
 * @param message what was wrong (and, where it helps, what was expected), never null
 * @param file    the policy file name, or null when the error has no location
 * @param line    1-based line, or 0 when unknown
 * @param column  1-based column, or 0 when unknown
 */
public record RegoError(String code, String message, String file, int line, int column) {

    public RegoError {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
    }

    /** An error without a location (e.g. a runtime error in a builtin called from a query). */
    public static RegoError of(String code, String message) {
        return new RegoError(code, message, null, 0, 0);
    }

    /** {@code file:line:column: code: message} as OPA prints it, leaving out the unknown parts. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        boolean hasFile = file != null && !file.isEmpty();
        if (hasFile || line > 0) {
            if (hasFile) {
                b.append(file);
            }
            if (line > 0) {
                b.append(hasFile ? ":" : "").append(line);
                if (column > 0) {
                    b.append(':').append(column);
                }
            }
            b.append(": ");
        }
        return b.append(code).append(": ").append(message).toString();
    }
}
