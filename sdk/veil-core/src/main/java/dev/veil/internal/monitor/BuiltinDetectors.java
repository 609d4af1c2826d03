package dev.veil.internal.monitor;

import dev.veil.spi.Detector;
import java.util.Map;
import java.util.Set;

/** The detectors Veil ships, by the name the {@code monitoring.detectors} section uses. */
public final class BuiltinDetectors {
    private BuiltinDetectors() {}

    /** Names of the built-in detectors. */
    public static final Set<String> NAMES = Set.of("rate");

    /**
     * Checks a built-in detector's configuration; throws IllegalArgumentException saying what is
     * wrong. Names that are not built in are left to the Guard (custom detectors).
     */
    public static void validate(String name, Map<String, Object> config) {
        if ("rate".equals(name)) {
            RateDetector.Config.from(config);
        }
    }

    /**
     * Creates a built-in detector, reusing {@code previous} (and so its state) when it is the same
     * detector with the same configuration: a policy reload must not reset what was observed.
     */
    public static Detector create(String name, Map<String, Object> config, Detector previous) {
        if ("rate".equals(name)) {
            RateDetector.Config c = RateDetector.Config.from(config);
            if (previous instanceof RateDetector r && r.config().equals(c)) {
                return r;
            }
            return new RateDetector(c);
        }
        throw new IllegalArgumentException("no built-in detector named '" + name + "' (built-in: " + NAMES + ")");
    }
}
