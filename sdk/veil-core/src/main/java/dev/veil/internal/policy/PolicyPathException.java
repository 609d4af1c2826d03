package dev.veil.internal.policy;

/** A semantic error at a YAML path; turned into a PolicyError with line and column by the compiler. */
final class PolicyPathException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String path;

    PolicyPathException(String path, String message) {
        super(message, null, false, false);
        this.path = path;
    }
}
