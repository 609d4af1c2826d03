package dev.veil;

import java.util.Objects;

/**
 * One problem in a policy bundle: where it is and what is wrong.
 *
 * @param file the bundle-relative file, or {@code "<bundle>"} for the bundle as a whole
 * @param line 1-based line, or 0 when unknown
 * @param column 1-based column, or 0 when unknown
 * @param message what is wrong and, where it helps, how to fix it
 */
public record PolicyError(String file, int line, int column, String message) {
    public PolicyError {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(message, "message");
    }

    public static PolicyError of(String file, String message) {
        return new PolicyError(file, 0, 0, message);
    }

    @Override
    public String toString() {
        return line > 0 ? file + ":" + line + ":" + column + ": " + message : file + ": " + message;
    }
}
