package dev.veil.spi;

import dev.veil.Caller;
import dev.veil.Features;
import java.util.Objects;

/**
 * One query as a detector sees it.
 *
 * @param caller who asked
 * @param timeMillis when (milliseconds since the epoch, from the Guard's clock)
 * @param features the validated feature vector. A custom detector gets a copy made for the custom
 *     detectors of the request, which they share: writing it changes neither what the built-in
 *     detectors read nor what the audit record keeps, but do not (see {@link Detector}). The
 *     built-in detectors get the Guard's own.
 */
public record Query(Caller caller, long timeMillis, Features features) {
    public Query {
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(features, "features");
    }
}
