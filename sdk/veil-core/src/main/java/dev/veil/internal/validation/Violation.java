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
 *     never repeats the whole input
 */
public record Violation(ReasonCode code, String rule, String message) {
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
    }
}
