package dev.veil;

import java.util.Objects;

/**
 * One prediction request: who asks and what.
 *
 * @param credentials what the caller presented
 * @param input the model input. The Guard reads features from it to validate them, and later
 *     gives the model this same object: it must not change until {@link Guard#predict} returns
 *     (values written in between reach the model unvalidated)
 * @param payloadBytes size of the request as received (e.g. the HTTP body), checked against the
 *     policy's maximum payload size; {@code -1} when unknown, in which case the Guard uses
 *     8 bytes per feature
 * @param <I> the model's input type
 */
public record Request<I>(Credentials credentials, I input, long payloadBytes) {
    public Request {
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(input, "input");
        if (payloadBytes < -1) {
            throw new IllegalArgumentException("payloadBytes must be >= 0 or -1 for unknown, was " + payloadBytes);
        }
    }

    public static <I> Request<I> of(Credentials credentials, I input) {
        return new Request<>(credentials, input, -1);
    }

    public Request<I> withPayloadBytes(long bytes) {
        return new Request<>(credentials, input, bytes);
    }
}
