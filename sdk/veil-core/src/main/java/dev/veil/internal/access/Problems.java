package dev.veil.internal.access;

import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.internal.policy.YamlLocations;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Collects the problems found while loading one bundle file, so that a file with several mistakes
 * is reported in one {@link PolicyLoadException} instead of one mistake per attempt. Not
 * thread-safe; used by one loader at a time.
 */
final class Problems {
    private final String file;
    private final Supplier<YamlLocations> index;
    private YamlLocations locations;
    private final List<PolicyError> errors = new ArrayList<>();

    /** Problems reported without a position (a value of the data document, not a file). */
    Problems(String file) {
        this(file, null);
    }

    /**
     * Problems of a file whose values {@code index} indexes by path ({@code keys[1].hash}): each
     * problem added with a path carries that value's line and column. The index is built when the
     * first such problem is added, so a file without problems is not read twice.
     */
    Problems(String file, Supplier<YamlLocations> index) {
        this.file = file;
        this.index = index;
    }

    void add(String message) {
        errors.add(PolicyError.of(file, message));
    }

    /**
     * Adds a problem found at a path of the file: its line and column are those of the path, of
     * its nearest known parent, or of the document's start.
     */
    void add(String path, String message) {
        errors.add(at(path, message));
    }

    /** Adds {@code "<path>: <detail>"}, positioned at the path as {@link #add(String, String)} does. */
    void addAt(String path, String detail) {
        add(path, path + ": " + detail);
    }

    /** The file (or {@code data.<path>}) every problem names. */
    String file() {
        return file;
    }

    /** The error for a problem at a path, positioned as {@link #add(String, String)} does. */
    PolicyError at(String path, String message) {
        if (index == null) {
            return PolicyError.of(file, message);
        }
        if (locations == null) {
            locations = index.get();
        }
        int[] lc = locations.find(path);
        if (lc[0] == 0) {
            lc = locations.find("");
        }
        return new PolicyError(file, lc[0], lc[1], message);
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
