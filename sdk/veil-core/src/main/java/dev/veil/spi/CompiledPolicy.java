package dev.veil.spi;

/**
 * A compiled policy: one question per stage. Implementations are immutable and thread-safe, and
 * evaluate without locks. A question that cannot be answered throws; the Guard then fails closed.
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
