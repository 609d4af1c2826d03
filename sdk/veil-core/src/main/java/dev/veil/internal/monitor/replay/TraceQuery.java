package dev.veil.internal.monitor.replay;

import dev.veil.Features;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One line of a replay trace: a query of one caller at one time, with the model's raw answer when
 * the trace has it.
 *
 * @param line the 1-based line of the trace it came from
 * @param caller the caller's id (non-empty)
 * @param tenant the caller's tenant ({@code ""} when the line names none)
 * @param roles the caller's roles (empty when the line names none)
 * @param attributes the caller's attributes (empty when the line names none)
 * @param timeMillis the query's time, milliseconds since the epoch
 * @param names the features' names, in order, when the line names them; empty for a plain vector
 * @param features the input's feature vector (at least one value; finite, except NaN at the absent
 *     named features; not copied)
 * @param absent the indexes of the named features the line marks absent ({@code null} when none or unnamed)
 * @param scores the model's raw class scores (finite, {@code >= 0}, at least one; not copied), or
 *     {@code null} when the trace does not have them
 */
public record TraceQuery(long line, String caller, String tenant, List<String> roles, Map<String, String> attributes,
        long timeMillis, List<String> names, double[] features, BitSet absent, double[] scores) {
    public TraceQuery {
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(tenant, "tenant");
        roles = List.copyOf(roles);
        attributes = Map.copyOf(attributes);
        names = List.copyOf(names);
        Objects.requireNonNull(features, "features");
        if (!names.isEmpty() && names.size() != features.length) {
            throw new IllegalArgumentException("names and features must have the same length, was " + names.size()
                    + " and " + features.length);
        }
        if (absent != null && names.isEmpty() && !absent.isEmpty()) {
            throw new IllegalArgumentException("only named features can be absent");
        }
    }

    /** A query with an unnamed feature vector. */
    public TraceQuery(long line, String caller, String tenant, List<String> roles, long timeMillis,
            double[] features, double[] scores) {
        this(line, caller, tenant, roles, Map.of(), timeMillis, List.of(), features, null, scores);
    }

    /** The features as a Guard's model would hand them over: named when the line names them. */
    public Features toFeatures() {
        return names.isEmpty() ? Features.of(features) : Features.named(names, features, absent);
    }
}
