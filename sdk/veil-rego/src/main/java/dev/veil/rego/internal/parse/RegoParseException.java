package dev.veil.rego.internal.parse;

import dev.veil.rego.RegoError;
import dev.veil.rego.RegoException;
import java.util.List;

/**
 * The one error the parser raises: Rego source that is not valid Rego v1. Each error has code
 * {@code rego_parse_error}, the file, line and column, and OPA's message, e.g.
 * {@code policy.rego:3:12: rego_parse_error: unexpected } token: expected term}.
 */
public final class RegoParseException extends RegoException {
    private static final long serialVersionUID = 1L;

    /** OPA's code for parse errors. */
    public static final String CODE = "rego_parse_error";

    RegoParseException(List<RegoError> errors) {
        super(errors);
    }

    /** The first error's line. */
    public int line() {
        return errors().get(0).line();
    }

    /** The first error's column. */
    public int column() {
        return errors().get(0).column();
    }

    /** The first error's message without location and code. */
    public String reason() {
        return errors().get(0).message();
    }
}
