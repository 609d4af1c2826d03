package dev.veil.spi;

import dev.veil.Caller;
import dev.veil.Features;
import java.util.Objects;

/**
 * One query as a detector sees it.
 *
 * @param caller who asked
 * @param timeMillis when (milliseconds since the epoch, from the Guard's clock)
 * @param features the validated feature vector (not a copy: do not change it)
 */
public record Query(Caller caller, long timeMillis, Features features) {
    public Query {
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(features, "features");
    }
}
