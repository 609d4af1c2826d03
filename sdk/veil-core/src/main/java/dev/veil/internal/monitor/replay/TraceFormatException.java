package dev.veil.internal.monitor.replay;

/**
 * A trace line that is not a valid query: its message is {@code SOURCE:LINE: what is wrong}.
 */
public final class TraceFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final long line;
    private final String problem;

    public TraceFormatException(String source, long line, String problem) {
        super(source + ":" + line + ": " + problem);
        this.source = source;
        this.line = line;
        this.problem = problem;
    }

    /** The trace, as named in the message. */
    public String source() {
        return source;
    }

    /** The 1-based line. */
    public long line() {
        return line;
    }

    /** What is wrong, without the source and line. */
    public String problem() {
        return problem;
    }
}
