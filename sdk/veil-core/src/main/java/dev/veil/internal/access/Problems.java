package dev.veil.internal.access;

import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects the problems found while loading one bundle file, so that a file with several mistakes
 * is reported in one {@link PolicyLoadException} instead of one mistake per attempt. Not
 * thread-safe; used by one loader at a time.
 */
final class Problems {
    private final String file;
    private final List<PolicyError> errors = new ArrayList<>();

    Problems(String file) {
        this.file = file;
    }

    void add(String message) {
        errors.add(PolicyError.of(file, message));
    }

    /** Throws a {@link PolicyLoadException} listing every problem, if there is any. */
    void throwIfAny() {
        if (!errors.isEmpty()) {
            throw exception();
        }
    }

    /** The exception listing every problem found so far; at least one must have been added. */
    PolicyLoadException exception() {
        return new PolicyLoadException(errors);
    }

    /** Describes the Java type of a JSON-like value for messages ({@code "a number"}, ...). */
    static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        if (value instanceof Number) {
            return "a number";
        }
        if (value instanceof java.util.Map) {
            return "an object";
        }
        if (value instanceof java.util.List) {
            return "a list";
        }
        return "a " + value.getClass().getSimpleName();
    }
}
