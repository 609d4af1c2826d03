package dev.veil.spi;

/**
 * A compiled policy: one question per stage. Implementations are immutable and thread-safe, and
 * evaluate without locks. A question that cannot be answered throws; the Guard then fails closed.
 * Throw a {@link dev.veil.VeilException} whose message names the question and what went wrong: the
 * Guard logs that message. Any other exception is logged as its class and stack trace only, since
 * its message may quote the request.
 */
public interface CompiledPolicy {
    /** The engine that compiled this policy. */
    String engine();

    /** Settings that do not depend on the request: authentication, detectors, failure mode. */
    GuardSettings settings();

    AccessDecision access(PolicyInput input);

    ValidationDecision validation(PolicyInput input);

    MonitoringDecision monitoring(PolicyInput input);

    ModelDecision model(PolicyInput input);

    OutputDecision output(PolicyInput input);

    LoggingDecision logging(PolicyInput input);
}
