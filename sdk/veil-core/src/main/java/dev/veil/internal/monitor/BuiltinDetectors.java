package dev.veil.internal.monitor;

import java.util.Map;
import java.util.Set;

/**
 * The detectors Veil ships. A detector entry under {@code monitoring.detectors} is built in when
 * its name is a built-in type, or when it says {@code type: <built-in type>} (so that one policy
 * can run, say, a per-caller and a global {@code rate} detector side by side).
 */
public final class BuiltinDetectors {
    private BuiltinDetectors() {}

    /** Types of the built-in detectors. */
    public static final Set<String> TYPES = Set.of("rate", "near_duplicate", "knn", "knn_global",
            ConfidenceClimbDetector.TYPE, ClassFocusDetector.TYPE, BoundaryDetector.TYPE, ExtractionDetector.TYPE);

    /** The built-in type of an entry, or {@code null} when it names a custom detector. */
    public static String typeOf(String name, Map<String, Object> config) {
        Object t = config == null ? null : config.get("type");
        if (t instanceof String s) {
            if (!TYPES.contains(s)) {
                throw new IllegalArgumentException("type '" + s + "' is not a built-in detector (built-in: "
                        + new java.util.TreeSet<>(TYPES) + ")");
            }
            return s;
        }
        if (t != null) {
            throw new IllegalArgumentException("type must be a string");
        }
        return TYPES.contains(name) ? name : null;
    }

    /**
     * Checks a built-in detector's configuration; throws IllegalArgumentException saying what is
     * wrong. Entries that are not built in are left to the Guard (custom detectors).
     */
    public static void validate(String name, Map<String, Object> config) {
        String type = typeOf(name, config);
        if (type != null) {
            create(name, config);
        }
    }

    /** Creates a built-in detector; throws IllegalArgumentException for a bad configuration. */
    public static StatefulDetector create(String name, Map<String, Object> config) {
        String type = typeOf(name, config);
        if ("rate".equals(type)) {
            return new RateDetector(name, RateDetector.Config.from(config));
        }
        if ("near_duplicate".equals(type)) {
            return new NearDuplicateDetector(name, NearDuplicateDetector.Config.from(config));
        }
        if ("knn".equals(type)) {
            return new KnnDetector(name, KnnDetector.Config.from(config));
        }
        if ("knn_global".equals(type)) {
            return new KnnGlobalDetector(name, KnnGlobalDetector.Config.from(config));
        }
        // detectors that read the model's answers (see each class for its configuration)
        if (ConfidenceClimbDetector.TYPE.equals(type)) return ConfidenceClimbDetector.create(name, config);
        if (ClassFocusDetector.TYPE.equals(type)) return ClassFocusDetector.create(name, config);
        if (BoundaryDetector.TYPE.equals(type)) return BoundaryDetector.create(name, config);
        if (ExtractionDetector.TYPE.equals(type)) return ExtractionDetector.create(name, config);
        throw new IllegalArgumentException("'" + name + "' is not a built-in detector (built-in: "
                + new java.util.TreeSet<>(TYPES) + ")");
    }
}
