package dev.veil;

import java.util.Objects;

/**
 * What a detector saw in a caller's query stream.
 *
 * @param name the detector's name as used in the {@code monitoring} policy (e.g. {@code rate})
 * @param level how alarming it is
 * @param score the detector's raw statistic (meaning is detector-specific, documented per detector)
 */
public record Signal(String name, Level level, double score) {
    public Signal {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(level, "level");
    }

    public static Signal none(String name) {
        return new Signal(name, Level.NONE, 0.0);
    }
}
