package dev.veil.internal.validation;

import dev.veil.ReasonCode;
import java.util.Objects;

/**
 * The first way a request broke its input contract. Immutable.
 *
 * @param code why the request is refused: {@link ReasonCode#PAYLOAD_TOO_LARGE},
 *     {@link ReasonCode#INVALID_INPUT} or {@link ReasonCode#OUT_OF_DISTRIBUTION}
 * @param rule which part of the contract failed: {@code payload}, {@code shape}, {@code finite},
 *     {@code range}, {@code features}, a cross-field rule's id, or {@code distribution}
 * @param message what was wrong and the allowed bound; it names positions or feature names and
 *     never repeats the whole input, but may quote the offending values (for the caller, who sent them);
 *     a feature name taken from the request is quoted through {@link FeatureNames#printable}
 * @param redacted the same without any value of the request, for an audit record whose policy does
 *     not keep the input ({@code logging.input: mask | digest}); equal to {@code message} when that
 *     quotes none
 */
public record Violation(ReasonCode code, String rule, String message, String redacted) {
    /** Rule of a request larger than {@code max_payload_bytes}. */
    public static final String PAYLOAD = "payload";
    /** Rule of a request whose length does not match the contract's shape. */
    public static final String SHAPE = "shape";
    /** Rule of a request carrying NaN or an infinity. */
    public static final String FINITE = "finite";
    /** Rule of a value outside the contract's global range. */
    public static final String RANGE = "range";
    /** Rule of a named-feature problem: missing, unknown, duplicated or out of its own range. */
    public static final String FEATURES = "features";
    /** Rule of the distance-from-training-distribution check. */
    public static final String DISTRIBUTION = "distribution";

    public Violation {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(redacted, "redacted");
    }

    /** A violation whose message quotes no value of the request. */
    public Violation(ReasonCode code, String rule, String message) {
        this(code, rule, message, message);
    }
}
