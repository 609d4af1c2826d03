package dev.veil;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A policy bundle could not be loaded: it failed to parse, named an unknown key, held a value of
 * the wrong type or an impossible value, failed its signature or its own tests. Every problem found
 * is listed in {@link #errors()}, each with the file, line and column it was found at when known.
 * A Guard that is reloading keeps the bundle it had.
 */
public final class PolicyLoadException extends VeilException {
    private static final long serialVersionUID = 1L;

    private final transient List<PolicyError> errors;

    public PolicyLoadException(List<PolicyError> errors) {
        super(message(errors));
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a PolicyLoadException needs at least one error");
        }
        this.errors = List.copyOf(errors);
    }

    public PolicyLoadException(PolicyError error) {
        this(List.of(error));
    }

    public PolicyLoadException(PolicyError error, Throwable cause) {
        super(message(List.of(error)), cause);
        this.errors = List.of(error);
    }

    /** Shorthand for one error with no position. */
    public static PolicyLoadException of(String file, String message) {
        return new PolicyLoadException(PolicyError.of(file, message));
    }

    /** The problems found, in the order they were found; never empty. */
    public List<PolicyError> errors() {
        return errors;
    }

    private static String message(List<PolicyError> errors) {
        if (errors.size() == 1) {
            return "policy bundle rejected: " + errors.get(0);
        }
        return "policy bundle rejected with " + errors.size() + " errors:\n  "
                + errors.stream().map(PolicyError::toString).collect(Collectors.joining("\n  "));
    }
}
