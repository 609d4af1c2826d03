package dev.veil.rego;

import dev.veil.VeilException;
import java.util.List;

/**
 * A Rego policy could not be parsed, compiled or evaluated. Carries every error found (a compiler
 * reports all the errors of a bundle at once), each with OPA's code and position.
 *
 * <p>The message is the single error as {@code file:line:column: code: message}, or, for several,
 * {@code N errors occurred:} followed by one such line per error, as OPA prints them.
 */
public class RegoException extends VeilException {
    private static final long serialVersionUID = 1L;

    /** Not serialisable state is not kept: RegoError is a record of strings and ints. */
    private final List<RegoError> errors;

    public RegoException(List<RegoError> errors) {
        this(errors, null);
    }

    public RegoException(List<RegoError> errors, Throwable cause) {
        super(message(errors), cause);
        this.errors = List.copyOf(errors);
    }

    public RegoException(RegoError error) {
        this(List.of(error), null);
    }

    /** The errors, at least one, in the order they were found. */
    public List<RegoError> errors() {
        return errors;
    }

    /** The first error's code, e.g. {@code rego_parse_error}. */
    public String code() {
        return errors.get(0).code();
    }

    private static String message(List<RegoError> errors) {
        if (errors == null || errors.isEmpty()) {
            throw new IllegalArgumentException("a RegoException needs at least one RegoError");
        }
        if (errors.size() == 1) {
            return errors.get(0).toString();
        }
        StringBuilder b = new StringBuilder().append(errors.size()).append(" errors occurred:");
        for (RegoError e : errors) {
            b.append('\n').append(e);
        }
        return b.toString();
    }
}
