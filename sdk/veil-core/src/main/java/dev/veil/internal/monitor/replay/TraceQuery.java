package dev.veil.internal.monitor.replay;

import java.util.List;
import java.util.Objects;

/**
 * One line of a replay trace: a query of one caller at one time, with the model's raw answer when
 * the trace has it.
 *
 * @param line the 1-based line of the trace it came from
 * @param caller the caller's id (non-empty)
 * @param tenant the caller's tenant ({@code ""} when the line names none)
 * @param roles the caller's roles (empty when the line names none)
 * @param timeMillis the query's time, milliseconds since the epoch
 * @param features the input's feature vector (finite numbers, at least one; not copied)
 * @param scores the model's raw class scores (finite, {@code >= 0}, at least one; not copied), or
 *     {@code null} when the trace does not have them
 */
public record TraceQuery(int line, String caller, String tenant, List<String> roles, long timeMillis,
        double[] features, double[] scores) {
    public TraceQuery {
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(tenant, "tenant");
        roles = List.copyOf(roles);
        Objects.requireNonNull(features, "features");
    }
}
