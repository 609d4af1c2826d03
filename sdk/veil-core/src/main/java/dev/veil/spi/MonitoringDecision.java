package dev.veil.spi;

import java.util.List;

/**
 * Answer to the {@code monitoring} question: every action whose rule matched the signals (all
 * matching rules fire, not only the first).
 */
public record MonitoringDecision(List<MonitoringAction> actions) {
    public static final MonitoringDecision NONE = new MonitoringDecision(List.of());

    public MonitoringDecision {
        actions = List.copyOf(actions);
    }
}
