package dev.veil.internal.validation;

/**
 * A named feature whose value is not a number ({@code Features.named} over a map that reached it
 * through an unchecked cast). Its message names the feature (escaped, cut short) and the value's type,
 * never the value, so the Guard's log may quote it.
 */
public final class NotANumberException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public NotANumberException(String message) {
        super(message);
    }
}
