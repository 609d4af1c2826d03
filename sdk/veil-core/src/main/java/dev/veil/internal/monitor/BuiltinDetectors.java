package dev.veil.internal.monitor;

import dev.veil.spi.Bundle;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The detectors Veil ships. A detector entry under {@code monitoring.detectors} is built in when
 * its name is a built-in type, or when it says {@code type: <built-in type>} (so that one policy
 * can run, say, a per-caller and a global {@code rate} detector side by side). An entry named after a
 * built-in type is that type; a {@code type} naming another is an error ({@link #typeOf}).
 *
 * <p><b>Thresholds from the bundle's data.</b> Instead of writing its {@code low}, {@code medium}
 * and {@code high} thresholds inline (extraction: {@code low}, {@code medium}, {@code delta}), a
 * built-in detector may name them with {@code thresholds: <data path>}, e.g.
 * {@code thresholds: monitoring.thresholds.boundary}: the value there is an object
 * {@code {"low": .., "medium": .., "high": .., "fpr": .., "callers": ..}} ({@code 0} = level not
 * used; {@code fpr} and {@code callers} are what {@code veil calibrate} measured and are not read),
 * as {@code veil calibrate} writes into {@code monitoring/thresholds/data.json}. Giving both the
 * data path and an inline threshold is an error, and so is a path with no object there.
 */
public final class BuiltinDetectors {
    private BuiltinDetectors() {}

    /** Types of the built-in detectors. */
    public static final Set<String> TYPES = Set.of("rate", "near_duplicate", "knn", "knn_global",
            ConfidenceClimbDetector.TYPE, ClassFocusDetector.TYPE, BoundaryDetector.TYPE, ExtractionDetector.TYPE,
            AntitheticDetector.TYPE, SmoothDetector.TYPE, FeatureSweepDetector.TYPE);

    /**
     * The built-in type of an entry, or {@code null} when it names a custom detector. An entry named
     * after a built-in type is that type: a {@code type} that says another ({@code knn: {type: rate}})
     * is an error.
     */
    public static String typeOf(String name, Map<String, Object> config) {
        Object t = config == null ? null : config.get("type");
        if (t instanceof String s) {
            if (!TYPES.contains(s)) {
                throw new IllegalArgumentException("type '" + s + "' is not a built-in detector (built-in: "
                        + new java.util.TreeSet<>(TYPES) + ")");
            }
            if (TYPES.contains(name) && !s.equals(name)) {
                throw new IllegalArgumentException("type '" + s + "' contradicts the entry's name: '" + name
                        + "' is the built-in " + name + " detector; to run a " + s + " detector, name the entry "
                        + s + " or another name that is not a built-in type (e.g. " + s + "-" + name.replace('_', '-')
                        + ": {type: " + s + ", ...}); for a " + name + " detector, write type: " + name
                        + " or leave type out");
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

    /**
     * Creates a built-in detector; throws IllegalArgumentException for a bad configuration. A
     * {@code thresholds} data path cannot be resolved without the bundle: use
     * {@link #create(String, Map, Bundle)}.
     */
    public static StatefulDetector create(String name, Map<String, Object> config) {
        if (config != null && config.containsKey(THRESHOLDS_KEY)) {
            return create(name, config, null);
        }
        try {
            return make(name, config);
        } catch (IllegalArgumentException e) {
            String noted = noteDefault(name, config, e.getMessage());
            throw noted.equals(e.getMessage()) ? e : new IllegalArgumentException(noted, e);
        }
    }

    /**
     * {@code message}, a problem of a built-in detector's configuration that starts with a key's name
     * ({@code k must be in [1, history (10)], was 20}), with {@code (the default; set k to change it)}
     * after the value when the configuration does not set that key: the value is one the user never
     * wrote. Other messages are returned as they are.
     *
     * @param name the entry's name
     * @param config the entry's configuration as written (levels may come from a {@code thresholds} data path)
     */
    public static String noteDefault(String name, Map<String, Object> config, String message) {
        String type;
        try {
            type = typeOf(name, config);
        } catch (IllegalArgumentException e) {
            return message;
        }
        int space = message == null ? -1 : message.indexOf(' ');
        if (type == null || space < 1) {
            return message;
        }
        // a bound taken from another key's default: "history (100)" -> "history (100, the default)"
        for (String other : keys(type)) {
            if (!written(config, type, other)
                    && (message.contains(" " + other + " (") || message.contains("[" + other + " ("))) {
                message = message.replaceAll("(?<=[\\[ ])" + java.util.regex.Pattern.quote(other)
                        + " \\(([^()]*)\\)", other + " ($1, the default)");
            }
        }
        String key = message.substring(0, space);
        if (written(config, type, key) || "type".equals(key) || !keys(type).contains(key)) {
            return message;
        }
        String note = " (the default; set " + key + " to change it)";
        String is = key + " is ";
        if (message.startsWith(is)) {
            // "min_changed is 8 but the input has 4 features": after the value
            int end = message.indexOf(' ', is.length());
            return end < 0 ? message + note : message.substring(0, end) + note + message.substring(end);
        }
        return message + note;
    }

    /** Whether {@code config} sets {@code key} (a level, also through a {@code thresholds} data path). */
    private static boolean written(Map<String, Object> config, String type, String key) {
        return config != null && (config.containsKey(key)
                || config.containsKey(THRESHOLDS_KEY) && levelKeys(type).contains(key));
    }

    private static StatefulDetector make(String name, Map<String, Object> config) {
        String type = typeOf(name, config);
        if (type != null && name.indexOf(':') >= 0) {
            // the name is a segment of the detector's state keys, between ':' separators: detector
            // 'api:c:victim' (global) and caller 'victim:g' of detector 'api' would share one window
            throw new IllegalArgumentException("the name '" + name + "' has a ':', which separates the parts of a "
                    + "built-in detector's state keys (with it two detectors, or two callers of one, could share a "
                    + "window or a history); use letters, digits, '_' or '-' (e.g. '" + name.replace(':', '-') + "')");
        }
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
        if (AntitheticDetector.TYPE.equals(type)) return AntitheticDetector.create(name, config);
        if (SmoothDetector.TYPE.equals(type)) return SmoothDetector.create(name, config);
        if (FeatureSweepDetector.TYPE.equals(type)) return FeatureSweepDetector.create(name, config);
        // detectors that read the model's answers (see each class for its configuration)
        if (ConfidenceClimbDetector.TYPE.equals(type)) return ConfidenceClimbDetector.create(name, config);
        if (ClassFocusDetector.TYPE.equals(type)) return ClassFocusDetector.create(name, config);
        if (BoundaryDetector.TYPE.equals(type)) return BoundaryDetector.create(name, config);
        if (ExtractionDetector.TYPE.equals(type)) return ExtractionDetector.create(name, config);
        throw new IllegalArgumentException("'" + name + "' is not a built-in detector (built-in: "
                + new java.util.TreeSet<>(TYPES) + ")");
    }

    /**
     * A bundle read by {@code veil calibrate}, whose thresholds may not be written yet: a
     * {@code thresholds} data path with nothing there takes {@link #placeholder}'s value instead of
     * failing, so that the policy loads and its thresholds can be calibrated.
     */
    public interface PendingThresholds {
        /** Valid thresholds for every built-in type ({@code high: 1} only), noting that the path was missing. */
        Map<String, Object> placeholder(String path);
    }

    /** The configuration key holding a data path to the thresholds. */
    public static final String THRESHOLDS_KEY = "thresholds";
    /** The levels a thresholds object in the bundle's data holds, lowest first. */
    public static final List<String> LEVELS = List.of("low", "medium", "high");
    private static final Set<String> THRESHOLD_DATA_KEYS = Set.of("low", "medium", "high", "fpr", "callers");

    /**
     * Every configuration key of a built-in type, without {@value #THRESHOLDS_KEY}: resolved before,
     * and added by {@link DetectorConfig#rejectUnknown} to the known keys it lists.
     */
    static Set<String> keys(String type) {
        return switch (type) {
            case "rate" -> RateDetector.Config.KEYS;
            case "near_duplicate" -> NearDuplicateDetector.Config.KEYS;
            case "knn" -> KnnDetector.Config.KEYS;
            case "knn_global" -> KnnGlobalDetector.Config.KEYS;
            case ConfidenceClimbDetector.TYPE -> ConfidenceClimbDetector.Config.KEYS;
            case ClassFocusDetector.TYPE -> ClassFocusDetector.Config.KEYS;
            case BoundaryDetector.TYPE -> BoundaryDetector.Config.KEYS;
            case ExtractionDetector.TYPE -> ExtractionDetector.Config.KEYS;
            case AntitheticDetector.TYPE -> AntitheticDetector.Config.KEYS;
            case SmoothDetector.TYPE -> SmoothDetector.Config.KEYS;
            case FeatureSweepDetector.TYPE -> FeatureSweepDetector.Config.KEYS;
            default -> throw new IllegalArgumentException("'" + type + "' is not a built-in detector (built-in: "
                    + new TreeSet<>(TYPES) + ")");
        };
    }

    /**
     * The configuration keys of a built-in type's low, medium and high thresholds: {@code low},
     * {@code medium}, {@code high}, except extraction, whose high threshold is PRADA's {@code delta}.
     */
    public static List<String> levelKeys(String type) {
        return ExtractionDetector.TYPE.equals(type) ? List.of("low", "medium", "delta") : LEVELS;
    }

    /**
     * As {@link #validate(String, Map)}, resolving a {@code thresholds} data path against the
     * bundle's data ({@code bundle} may be null when there is none).
     *
     * @return the detector it made, or {@code null} for an entry that is not built in
     */
    public static StatefulDetector validate(String name, Map<String, Object> config, Bundle bundle) {
        return typeOf(name, config) == null ? null : create(name, config, bundle);
    }

    /**
     * As {@link #create(String, Map)}, resolving a {@code thresholds} data path against the
     * bundle's data ({@code bundle} may be null when there is none).
     */
    public static StatefulDetector create(String name, Map<String, Object> config, Bundle bundle) {
        Map<String, Object> resolved = resolveThresholds(name, config, bundle);
        if (resolved == config) {
            return create(name, config);
        }
        try {
            return create(name, resolved);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("with the thresholds from data path '" + config.get(THRESHOLDS_KEY)
                    + "': " + e.getMessage(), e);
        }
    }

    /**
     * The configuration with a {@code thresholds} data path replaced by the low, medium and high
     * thresholds found there (under the type's own keys, see {@link #levelKeys}); the configuration
     * itself when it names no data path.
     *
     * @throws IllegalArgumentException when the path is not a string, there is no object at it, the
     *     object lacks a level or has an unknown key, or thresholds are also given inline
     */
    public static Map<String, Object> resolveThresholds(String name, Map<String, Object> config, Bundle bundle) {
        if (config == null || !config.containsKey(THRESHOLDS_KEY)) {
            return config;
        }
        String type = typeOf(name, config);
        // A misspelt key is named before the data path or the levels are looked at.
        if (type != null) {
            Set<String> known = new java.util.HashSet<>(keys(type));
            known.add(THRESHOLDS_KEY);
            DetectorConfig.rejectUnknown(type, config, known);
        }
        Object p = config.get(THRESHOLDS_KEY);
        if (!(p instanceof String path) || path.isBlank()) {
            throw new IllegalArgumentException("thresholds must be a data path such as monitoring.thresholds." + name
                    + ", was " + (p instanceof String ? "blank" : String.valueOf(p)));
        }
        List<String> keys = levelKeys(type);
        List<String> inline = keys.stream().filter(config::containsKey).toList();
        if (!inline.isEmpty()) {
            throw new IllegalArgumentException("set the thresholds either inline (" + String.join(", ", keys)
                    + ") or with thresholds: <data path>, not both (found thresholds and " + inline + ")");
        }
        Object v = bundle == null ? null : bundle.data(path);
        if (v == null && bundle instanceof PendingThresholds pending) {
            v = pending.placeholder(path);
        }
        if (v == null) {
            throw new IllegalArgumentException("thresholds: no value at data path '" + path + "' in the bundle's data "
                    + "(veil calibrate writes monitoring/thresholds/data.json, which is data path "
                    + "monitoring.thresholds." + name + ")");
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("thresholds: the value at data path '" + path + "' must be an object "
                    + "{\"low\": .., \"medium\": .., \"high\": ..}, was " + v.getClass().getSimpleName());
        }
        Set<String> unknown = new TreeSet<>();
        for (Object k : m.keySet()) {
            if (!THRESHOLD_DATA_KEYS.contains(String.valueOf(k))) {
                unknown.add(String.valueOf(k));
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("thresholds: unknown key(s) " + unknown + " at data path '" + path
                    + "' (known: " + new TreeSet<>(THRESHOLD_DATA_KEYS) + ")");
        }
        List<String> missing = LEVELS.stream().filter(l -> !m.containsKey(l)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("thresholds: the object at data path '" + path + "' must hold low, "
                    + "medium and high (0 = level not used); missing " + missing);
        }
        Map<String, Object> out = new LinkedHashMap<>(config);
        out.remove(THRESHOLDS_KEY);
        for (int i = 0; i < LEVELS.size(); i++) {
            out.put(keys.get(i), m.get(LEVELS.get(i)));
        }
        return out;
    }
}
