package dev.veil.internal.bundle;


import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.internal.text.ControlChars;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A bundle's {@code .manifest}, as OPA defines it. Every key is optional; a bundle without a
 * manifest has revision {@code ""} and roots {@code [""]} (everything).
 *
 * <p>Accepted keys: {@code revision} (string), {@code roots} (list of at most 1,000 strings, slash paths such
 * as {@code "veil"} or {@code "veil/keys"}; leading and trailing slashes are dropped, {@code ""}
 * means everything), {@code metadata} (object), and OPA's {@code rego_version} (1 only: Veil runs Rego v1),
 * {@code file_rego_versions} (object of file globs to 1) and {@code wasm} (list of objects).
 * Any other key is an error, so a misspelt {@code root} is not silently ignored.
 *
 * <p>Immutable and thread-safe.
 *
 * @param revision the bundle revision, {@code ""} when absent
 * @param roots the normalised roots; {@code [""]} when absent, possibly empty when the manifest
 *     says {@code []}
 * @param metadata the {@code metadata} object, empty when absent (unmodifiable)
 * @param regoVersion the {@code rego_version}, or {@code null} when absent
 * @param fileRegoVersions the {@code file_rego_versions} object, empty when absent (unmodifiable)
 * @param wasm the {@code wasm} resolvers, empty when absent (unmodifiable)
 */
public record Manifest(
        String revision,
        List<String> roots,
        Map<String, Object> metadata,
        Integer regoVersion,
        Map<String, Object> fileRegoVersions,
        List<Object> wasm) {

    /** The manifest of a bundle that has none. */
    public static final Manifest DEFAULT = new Manifest("", List.of(""), Map.of(), null, Map.of(), List.of());

    static final Set<String> KEYS = Set.of("revision", "roots", "metadata", "rego_version", "file_rego_versions",
            "wasm");

    /**
     * Reads a manifest document.
     *
     * @throws PolicyLoadException listing every problem found, with the line and column of the key
     */
    @SuppressWarnings("unchecked")
    static Manifest parse(byte[] bytes) {
        String file = EntryCollector.MANIFEST;
        DocumentParser.Document doc = DocumentParser.parse(bytes, DocumentParser.Format.JSON, file);
        if (!(doc.value() instanceof Map<?, ?> map)) {
            throw PolicyLoadException.of(file, "the manifest must be a JSON object, was " + typeName(doc.value()));
        }
        List<PolicyError> errors = new ArrayList<>();
        String revision = "";
        List<String> roots = List.of("");
        Map<String, Object> metadata = Map.of();
        Integer regoVersion = null;
        Map<String, Object> fileRegoVersions = Map.of();
        List<Object> wasm = List.of();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = (String) e.getKey();
            Object value = e.getValue();
            DocumentParser.Position pos = doc.keyPositions().get(key);
            switch (key) {
                case "revision":
                    if (value instanceof String s) {
                        int control = ControlChars.indexIn(s);
                        if (control >= 0) {
                            errors.add(error(pos, "'revision' contains the control character "
                                    + ControlChars.codePoint(s.charAt(control)) + " (at character " + (control + 1)
                                    + "); write the revision in printable characters only (a line break or "
                                    + "terminal escape would print as output of its own wherever it is shown)"));
                        } else {
                            revision = s;
                        }
                    } else {
                        errors.add(error(pos, "'revision' must be a string, was " + typeName(value)));
                    }
                    break;
                case "roots":
                    if (value instanceof List<?> list && list.size() > Roots.MAX_ROOTS) {
                        errors.add(error(pos, "'roots' has " + list.size() + " entries; a bundle may have at most "
                                + Roots.MAX_ROOTS + " (each root is a prefix such as \"veil\" that owns all the data"
                                + " below it, so a few suffice)"));
                    } else if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)
                            && list.stream().anyMatch(r -> ControlChars.indexIn((String) r) >= 0)) {
                        String bad = (String) list.stream().filter(r -> ControlChars.indexIn((String) r) >= 0)
                                .findFirst().orElseThrow();
                        errors.add(error(pos, "a root contains the control character "
                                + ControlChars.codePoint(bad.charAt(ControlChars.indexIn(bad)))
                                + " ('" + ControlChars.escaped(bad) + "'); roots are bundle paths: write them in "
                                + "printable characters only"));
                    } else if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
                        List<String> normalised = new ArrayList<>();
                        for (Object r : list) {
                            normalised.add(Roots.normalise((String) r));
                        }
                        roots = List.copyOf(normalised);
                        String step = normalised.stream().filter(r -> !r.isEmpty() && Arrays.stream(r.split("/", -1))
                                .anyMatch(s -> s.isEmpty() || s.equals(".") || s.equals("..")))
                                .findFirst().orElse(null);
                        String overlap = Roots.findOverlap(roots);
                        if (step != null) {
                            // no file or data path has such a step: the root would own nothing, silently
                            errors.add(error(pos, "root '" + ControlChars.escaped(step) + "' has an empty, '.' or "
                                    + "'..' step; roots are bundle paths below the top, such as \"veil\" or "
                                    + "\"veil/monitoring\""));
                        } else if (overlap != null) {
                            errors.add(error(pos, overlap));
                        }
                    } else {
                        errors.add(error(pos, "'roots' must be a list of strings, was " + describeList(value)));
                    }
                    break;
                case "metadata":
                    if (value instanceof Map<?, ?> m) {
                        metadata = (Map<String, Object>) m;
                    } else {
                        errors.add(error(pos, "'metadata' must be an object, was " + typeName(value)));
                    }
                    break;
                case "rego_version":
                    if (value instanceof Long l && l == 1) {
                        regoVersion = l.intValue();
                    } else if (value instanceof Long l && l == 0) {
                        errors.add(error(pos, "'rego_version' 0 (Rego v0 syntax, rules without 'if') is not "
                                + "supported: Veil runs Rego v1 only; write the modules in v1 syntax and drop the key "
                                + "or set it to 1"));
                    } else {
                        errors.add(error(pos, "'rego_version' must be 1 (Veil runs Rego v1 only), was " + render(value)));
                    }
                    break;
                case "file_rego_versions":
                    if (value instanceof Map<?, ?> m && m.values().stream().allMatch(v -> v instanceof Long l
                            && l == 1)) {
                        fileRegoVersions = (Map<String, Object>) m;
                    } else if (value instanceof Map<?, ?> m && m.values().stream().allMatch(v -> v instanceof Long l
                            && (l == 0 || l == 1))) {
                        errors.add(error(pos, "'file_rego_versions' names files of Rego v0 syntax (0), which Veil "
                                + "does not support: it runs Rego v1 only; write those modules in v1 syntax"));
                    } else {
                        errors.add(error(pos, "'file_rego_versions' must be an object whose values are 1 (Veil runs "
                                + "Rego v1 only)"));
                    }
                    break;
                case "wasm":
                    if (value instanceof List<?> list && list.stream().allMatch(Map.class::isInstance)) {
                        wasm = (List<Object>) list;
                    } else {
                        errors.add(error(pos, "'wasm' must be a list of objects, was " + typeName(value)
                                + (value instanceof List ? " holding something else" : "")));
                    }
                    break;
                default:
                    errors.add(error(pos, "unknown key '" + key + "'; a manifest may hold only "
                            + String.join(", ", List.of("revision", "roots", "metadata", "rego_version",
                                    "file_rego_versions", "wasm"))));
            }
        }
        if (!errors.isEmpty()) {
            throw new PolicyLoadException(errors);
        }
        return new Manifest(revision, roots, metadata, regoVersion, fileRegoVersions, wasm);
    }

    /** Deep-copies the collections so that a manifest is immutable whatever it was built from. */
    @SuppressWarnings("unchecked")
    public Manifest {
        Objects.requireNonNull(revision, "revision");
        roots = List.copyOf(roots);
        metadata = (Map<String, Object>) Immutables.deepCopy(Objects.requireNonNull(metadata, "metadata"));
        fileRegoVersions = (Map<String, Object>) Immutables.deepCopy(
                Objects.requireNonNull(fileRegoVersions, "fileRegoVersions"));
        wasm = (List<Object>) Immutables.deepCopy(Objects.requireNonNull(wasm, "wasm"));
    }

    private static PolicyError error(DocumentParser.Position pos, String message) {
        return pos == null
                ? PolicyError.of(EntryCollector.MANIFEST, message)
                : new PolicyError(EntryCollector.MANIFEST, pos.line(), pos.column(), message);
    }

    private static String describeList(Object value) {
        if (value instanceof List<?> list) {
            for (Object o : list) {
                if (!(o instanceof String)) {
                    return "a list holding " + typeName(o);
                }
            }
        }
        return typeName(value);
    }

    private static String render(Object value) {
        if (value instanceof String s) {
            return "\"" + s + "\"";
        }
        return value instanceof Number ? value.toString() : typeName(value);
    }

    /** The JSON type name of a parsed value, for messages. */
    static String typeName(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Map) {
            return "an object";
        }
        if (value instanceof List) {
            return "an array";
        }
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        if (value instanceof Number) {
            return "a number";
        }
        return value.getClass().getSimpleName();
    }
}
