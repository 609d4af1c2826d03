package dev.veil.rego.internal.engine;

import dev.veil.rego.RegoException;

/** Rego evaluation errors as a Guard may log them (RegoPolicy) and as veil eval shows them whole. */
public final class RegoErrors {
    private RegoErrors() {}

    /** Codes whose messages name rules and types, never a value of the input. */
    private static final java.util.Set<String> VALUE_FREE = java.util.Set.of("eval_conflict_error",
            "eval_cancel_error", "eval_recursion_error", "eval_type_error");

    /**
     * The evaluation error as the Guard may log it: where and which error, without a message that may
     * quote a value of the policy input (a builtin's error quotes its operand: {@code to_number:
     * strconv.ParseFloat: parsing "sneaker"}, the raw top label). The whole error stays in the cause.
     */
    public static String valueFree(RegoException e) {
        StringBuilder b = new StringBuilder();
        for (dev.veil.rego.RegoError err : e.errors()) {
            if (b.length() > 0) {
                b.append("; ");
            }
            if (VALUE_FREE.contains(err.code())) {
                b.append(err);
                continue;
            }
            String m = err.message();
            int colon = m.indexOf(':');
            String builtin = colon > 0 && m.substring(0, colon).matches("[a-z][a-z0-9_.]*") ? m.substring(0, colon) : "";
            b.append(new dev.veil.rego.RegoError(err.code(), (builtin.isEmpty() ? "" : builtin + ": ")
                    + "(message left out: it may quote the request; veil eval shows it)", err.file(), err.line(),
                    err.column()));
        }
        return b.toString();
    }
}
