package dev.veil;

import java.util.Objects;

/**
 * One problem in a policy bundle: where it is and what is wrong.
 *
 * @param file the bundle-relative file, or {@code "<bundle>"} for the bundle as a whole; characters
 *     in it that hide or reorder text (control characters, which a hostile archive's entry names may
 *     hold, line separators, format characters such as U+202E, lone surrogates: see
 *     {@code dev.veil.internal.text.ControlChars}) are written as escapes ({@code \\u000a},
 *     {@code \\u202e}), so that the error prints as one line of its own text, in its own order
 * @param line 1-based line, or 0 when unknown
 * @param column 1-based column, or 0 when unknown
 * @param message what is wrong and, where it helps, how to fix it; escaped as {@code file} is, once
 *     here, since a message quotes the bundle's own text (a key, a value, a name, an entry's file
 *     name) and an application logs {@link PolicyLoadException#getMessage()} as it is
 */
public record PolicyError(String file, int line, int column, String message) {
    public PolicyError {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(message, "message");
        file = dev.veil.internal.text.ControlChars.escaped(file);
        message = dev.veil.internal.text.ControlChars.escaped(message);
    }

    public static PolicyError of(String file, String message) {
        return new PolicyError(file, 0, 0, message);
    }

    @Override
    public String toString() {
        return line > 0 ? file + ":" + line + ":" + column + ": " + message : file + ": " + message;
    }
}
