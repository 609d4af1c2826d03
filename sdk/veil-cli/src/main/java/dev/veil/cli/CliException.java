package dev.veil.cli;

/**
 * A command could not do its job because of its input: a path that does not exist, a file that
 * cannot be read or does not parse, a value out of range. The message says what was wrong and how
 * to fix it; {@link VeilCli} prints it after the command's name and exits with
 * {@link VeilCli#EXIT_USAGE}. Never carries a secret.
 */
final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CliException(String message) {
        super(message);
    }

    CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
