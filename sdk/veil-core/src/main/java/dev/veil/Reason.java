package dev.veil;

import java.util.Objects;

/**
 * Why a request was refused (or degraded), as data.
 *
 * @param code the machine-readable reason
 * @param stage the stage that decided
 * @param rule the id of the policy rule that decided, or {@code "default"}, or {@code ""} when no
 *     rule was involved (e.g. a failed signature check)
 * @param message a human-readable explanation; never contains secrets (keys, tokens, signatures)
 *     nor anything of the training data: a distribution refusal says which value is too far from
 *     the training data, not the statistics, the z-score or the limit, from which a few probes would
 *     learn what the training data looks like. A validation message quotes the offending values of
 *     the request itself and the contract's declared ranges (e.g.
 *     {@code feature 'age' is 5, outside its allowed range [18, 120]}), so that the caller who sent
 *     them can correct them; the audit record keeps a redacted copy under the policy's logging of
 *     the input (docs/audit-log.md). Write {@code code} and {@code rule} to logs that must not hold
 *     request data, not the message.
 *
 * <p><b>What to pass on to an untrusted caller:</b> {@code code} and the message. {@code rule}
 * names the policy's rule, and for {@code blocked} and {@code rate_limited} that can say which
 * monitoring rule caught the caller (an attacker learns which of its patterns to change); the
 * audit record keeps it in any case: {@link #forCaller()} is that text, {@link #toString()} (with the
 * stage and the rule) is for the service's own logs and consoles.
 */
public record Reason(ReasonCode code, Stage stage, String rule, String message) {
    public Reason {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(message, "message");
    }

    public static Reason of(ReasonCode code, Stage stage, String rule, String message) {
        return new Reason(code, stage, rule, message);
    }

    /**
     * What to tell an untrusted caller: {@code code: message}, without the stage and the rule (see
     * the class comment), e.g. {@code rate_limited: rate limit exceeded; slow down and retry later}.
     *
     * @return the code's {@link ReasonCode#code()} and the message
     */
    public String forCaller() {
        return code.code() + ": " + message;
    }

    /** For the service's logs: {@code code@stage[rule]: message} (the rule left out when empty). */
    @Override
    public String toString() {
        return code.code() + "@" + stage.id() + (rule.isEmpty() ? "" : "[" + rule + "]") + ": " + message;
    }
}
