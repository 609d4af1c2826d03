package dev.veil.internal.policy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.internal.bundle.YamlScalars;
import dev.veil.internal.validation.CompiledContract;
import dev.veil.spi.Bundle;
import dev.veil.spi.CompiledPolicy;
import dev.veil.spi.GuardSettings;
import dev.veil.spi.PolicyEngine;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The YAML policy engine: reads the bundle's one {@code *.veil.yaml} file (format {@code veil: 1})
 * and compiles it once into a {@link CompiledPolicy} whose questions are answered by walking arrays
 * of precompiled rules, first match wins (all matches for {@code monitoring}).
 *
 * <p>Strict: an unknown key, a wrong type, a duplicate key or rule id, or an impossible value is a
 * {@link PolicyLoadException} naming the file, line and column.
 */
public final class YamlPolicyEngine implements PolicyEngine {
    static final YAMLFactory FACTORY = YAMLFactory.builder().build();

    private static final ObjectMapper MAPPER = YAMLMapper.builder(FACTORY)
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .withCoercionConfig(LogicalType.Textual, c -> c
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();

    /** Used by {@link dev.veil.internal.policy} tests and tools that need to read JSON the same way. */
    static final ObjectMapper JSON = JsonMapper.builder().build();

    @Override
    public String name() {
        return "yaml";
    }

    /**
     * The detectors each monitoring rule of a YAML policy names in its {@code when.signals}, by rule
     * id, in the file's order (a rule fires only when all of them reach their levels; its action's
     * {@code signal}, as the decision document carries it, is the first); empty for a policy of
     * another engine, whose rules are code.
     */
    public static Map<String, List<String>> monitoringRuleSignals(CompiledPolicy policy) {
        return policy instanceof YamlPolicy y ? y.monitoringSignals() : Map.of();
    }

    /**
     * Whether every answer the policy can give to the logging question masks the input: true only
     * for a YAML policy whose {@code logging} default and every {@code logging} rule say
     * {@code input: mask} (a policy of another engine, whose rules are code, may answer anything:
     * false).
     */
    public static boolean alwaysMasksInput(CompiledPolicy policy) {
        return policy instanceof YamlPolicy y && y.alwaysMasksInput();
    }

    /**
     * An error about the key at {@code path} of a loaded policy's settings (e.g.
     * {@code monitoring.detectors.rat}), found when a Guard applies them: with the policy file's name,
     * line and column for a YAML policy, {@code <bundle>} for another engine's.
     */
    public static PolicyError settingsError(Bundle bundle, CompiledPolicy policy, String path, String message) {
        if (policy instanceof YamlPolicy) {
            List<String> files = bundle.files().stream().filter(YamlPolicyEngine::isPolicyFile).sorted().toList();
            if (files.size() == 1) {
                int[] lc = YamlLocations.index(FACTORY, bundle.read(files.get(0))).find(path);
                return new PolicyError(files.get(0), lc[0], lc[1], path + ": " + message);
            }
        }
        return PolicyError.of("<bundle>", path + ": " + message);
    }

    /**
     * The validation contracts of {@code policy} as its engine compiled them at load (a YAML policy's
     * every contract), so the Guard need not compile them again; empty for another engine.
     */
    public static List<CompiledContract> compiledContracts(CompiledPolicy policy) {
        return policy instanceof YamlPolicy y ? y.compiledContracts() : List.of();
    }

    /**
     * Whether {@code policy}'s output question may read the raw prediction's summary ({@link
     * dev.veil.spi.PolicyInput#prediction()}): false only for a YAML policy none of whose output rules
     * tests it, which the Guard may then ask without one (and skip making it). Any other engine may read
     * the whole input.
     */
    public static boolean outputReadsPrediction(CompiledPolicy policy) {
        return !(policy instanceof YamlPolicy y) || y.outputReadsPrediction();
    }

    /**
     * Whether {@code policy} is a YAML policy: its every release with noise was checked at load
     * against its own {@code output.privacy} (a release no budget could pay is a load error), so the
     * Guard need not check it again per request, as it must for an engine that decides per request.
     */
    public static boolean checksNoiseAtLoad(CompiledPolicy policy) {
        return policy instanceof YamlPolicy;
    }

    @Override
    public boolean handles(Bundle bundle) {
        return bundle.files().stream().anyMatch(YamlPolicyEngine::isPolicyFile);
    }

    static boolean isPolicyFile(String path) {
        return path.endsWith(".veil.yaml") || path.endsWith(".veil.yml");
    }

    @Override
    public CompiledPolicy compile(Bundle bundle) {
        List<String> files = bundle.files().stream().filter(YamlPolicyEngine::isPolicyFile).sorted().toList();
        if (files.isEmpty()) {
            throw PolicyLoadException.of("<bundle>", "no *.veil.yaml policy file in " + bundle.source());
        }
        if (files.size() > 1) {
            throw PolicyLoadException.of("<bundle>", "found " + files.size() + " policy files " + files
                    + "; format 1 takes exactly one *.veil.yaml per bundle");
        }
        String file = files.get(0);
        byte[] bytes = bundle.read(file);
        if (isBlank(bytes)) {
            throw PolicyLoadException.of(file, "the policy file is empty");
        }
        // Before anything that keeps every value (the locations index, the mapper): as many as a data file may hold.
        ValueCount.check(FACTORY, bytes, file, "policy file");
        // `yes`, `010`, `0x10`... mean different things to different YAML readers: refuse them first.
        YamlScalars.check(bytes, file);
        YamlLocations locations = YamlLocations.index(FACTORY, bytes);
        if (locations.firstNull() != null) {
            // An explicit null (`key: ~`, `key:` with nothing after it, `- ~`) is never meaningful in
            // format 1, and Jackson would pass it on as "absent": leave the key out instead.
            int[] lc = locations.find(locations.firstNull());
            throw new PolicyLoadException(new PolicyError(file, lc[0], lc[1], locations.firstNull()
                    + ": must not be null (nothing after the colon): give a value or leave the key out"));
        }
        PolicyDocument.File doc = parse(file, bytes, locations);
        try {
            return new YamlPolicyCompiler(doc, bundle).compile();
        } catch (PolicyPathException e) {
            int[] lc = locations.find(e.path);
            throw new PolicyLoadException(new PolicyError(file, lc[0], lc[1], e.path + ": " + e.getMessage()));
        }
    }

    /**
     * Reads a settings document (the request-independent keys of a policy file, e.g. a Rego
     * bundle's {@code data.veil.settings}) with the YAML engine's checks and messages. Shared with
     * {@link dev.veil.spi.DecisionDocuments#settings}.
     *
     * @param document the document: maps, lists, strings, numbers, booleans
     * @param file the bundle file it comes from; when the bundle holds it as YAML or JSON, errors
     *     carry the line and column of the offending key
     */
    public static GuardSettings settingsFromDocument(Object document, String file, Bundle bundle) {
        if (!(document instanceof java.util.Map<?, ?>)) {
            throw PolicyLoadException.of(file, "the settings must be a mapping with at least name and "
                    + "authentication, was " + (document == null ? "nothing" : document.getClass().getSimpleName()));
        }
        YamlLocations locations = bundle.files().contains(file) && (file.endsWith(".yaml") || file.endsWith(".yml")
                || file.endsWith(".json")) ? YamlLocations.index(FACTORY, bundle.read(file))
                : YamlLocations.index(FACTORY, new byte[0]);
        // The bundle's data loader may already have dropped a null: ask the file too.
        String nullAt = locations.firstNull() != null ? locations.firstNull() : firstNull(document, "");
        if (nullAt != null) {
            int[] lc = locations.find(nullAt);
            throw new PolicyLoadException(new PolicyError(file, lc[0], lc[1], nullAt
                    + ": must not be null (nothing after the colon): give a value or leave the key out"));
        }
        PolicyDocument.Settings settings;
        try {
            // Through JSON text, so that numbers get the Java types a policy file's would (Integer, not Long).
            settings = MAPPER.readValue(JSON.writeValueAsBytes(document), PolicyDocument.Settings.class);
        } catch (JsonProcessingException e) {
            throw new PolicyLoadException(toError(file, e, locations));
        } catch (IOException | IllegalArgumentException e) {
            throw PolicyLoadException.of(file, "could not read the settings: " + e.getMessage());
        }
        try {
            return YamlPolicyCompiler.settings(settings, bundle);
        } catch (PolicyPathException e) {
            int[] lc = locations.find(e.path);
            throw new PolicyLoadException(new PolicyError(file, lc[0], lc[1], e.path + ": " + e.getMessage()));
        }
    }

    private static String firstNull(Object o, String path) {
        if (o == null) {
            return path;
        }
        if (o instanceof java.util.Map<?, ?> m) {
            for (java.util.Map.Entry<?, ?> e : m.entrySet()) {
                String p = firstNull(e.getValue(), path.isEmpty() ? String.valueOf(e.getKey()) : path + "." + e.getKey());
                if (p != null) {
                    return p;
                }
            }
        } else if (o instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                String p = firstNull(l.get(i), path + "[" + i + "]");
                if (p != null) {
                    return p;
                }
            }
        }
        return null;
    }

    private static boolean isBlank(byte[] bytes) {
        for (String line : new String(bytes, java.nio.charset.StandardCharsets.UTF_8).split("\n", -1)) {
            String t = line.strip();
            if (!t.isEmpty() && !t.startsWith("#") && !t.equals("---") && !t.equals("...")) {
                return false;
            }
        }
        return true;
    }

    /** Maps one policy file; every mapping error becomes a PolicyLoadException with its position. */
    static PolicyDocument.File parse(String file, byte[] bytes, YamlLocations locations) {
        try {
            PolicyDocument.File doc = MAPPER.readValue(bytes, PolicyDocument.File.class);
            if (doc == null) {
                throw PolicyLoadException.of(file, "the policy file is empty");
            }
            return doc;
        } catch (JsonProcessingException e) {
            throw new PolicyLoadException(toError(file, e, locations));
        } catch (IOException e) {
            throw PolicyLoadException.of(file, "could not read: " + e.getMessage());
        }
    }

    private static PolicyError toError(String file, JsonProcessingException e, YamlLocations locations) {
        // A syntax error, however deep Jackson wrapped it (inside a mapping it comes as a mapping
        // error): SnakeYAML knows where the problem is, Jackson only where it stopped reading.
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof org.yaml.snakeyaml.error.MarkedYAMLException mk && mk.getProblemMark() != null) {
                String context = mk.getContext() == null ? "" : " (" + mk.getContext()
                        + (mk.getContextMark() == null ? "" : " at line " + (mk.getContextMark().getLine() + 1)
                                + ", column " + (mk.getContextMark().getColumn() + 1)) + ")";
                return new PolicyError(file, mk.getProblemMark().getLine() + 1, mk.getProblemMark().getColumn() + 1,
                        "YAML syntax error: " + mk.getProblem() + context);
            }
        }
        JsonLocation loc = e.getLocation();
        int line = loc == null ? 0 : loc.getLineNr();
        int col = loc == null ? 0 : loc.getColumnNr();
        String path = e instanceof JsonMappingException m ? path(m.getPath()) : "";
        if (!path.isEmpty()) {
            // The parser's location is where it stopped reading; the key's own position is better.
            int[] lc = locations.find(path);
            if (lc[0] > 0) {
                line = lc[0];
                col = lc[1];
            }
        }
        String at = path.isEmpty() ? "" : path + ": ";
        String msg;
        if (e instanceof UnrecognizedPropertyException u) {
            Set<String> known = new TreeSet<>();
            if (u.getKnownPropertyIds() != null) {
                u.getKnownPropertyIds().forEach(o -> known.add(String.valueOf(o)));
            }
            String parent = path(u.getPath().subList(0, Math.max(0, u.getPath().size() - 1)));
            msg = (parent.isEmpty() ? "" : parent + ": ") + "unknown key '" + u.getPropertyName() + "' (known keys: "
                    + String.join(", ", known) + ")";
            return new PolicyError(file, line, col, msg);
        } else if (e instanceof ValueInstantiationException v) {
            Throwable c = v.getCause() != null ? v.getCause() : v;
            msg = at + c.getMessage();
        } else if (e instanceof InvalidFormatException f) {
            msg = at + "invalid value " + quote(f.getValue()) + ": expected " + describe(f.getTargetType());
        } else if (e instanceof MismatchedInputException m) {
            String orig = m.getOriginalMessage();
            if (orig != null && orig.startsWith("Trailing token")) {
                // FAIL_ON_TRAILING_TOKENS: the parser stands at the second document's first token
                return new PolicyError(file, loc == null ? 0 : loc.getLineNr(), loc == null ? 0 : loc.getColumnNr(),
                        "a second YAML document starts here (after ---); a policy file holds one document: remove"
                                + " the second, or put it in a bundle of its own");
            }
            if (orig != null && orig.startsWith("Missing required creator property")) {
                String prop = orig.replaceAll("^Missing required creator property '([^']*)'.*$", "$1");
                String key = PropertyNamingStrategies.SnakeCaseStrategy.INSTANCE.translate(prop);
                // the path may end with the missing key itself: name the mapping that lacks it
                String owner = path.equals(key) ? "" : path.endsWith("." + key)
                        ? path.substring(0, path.length() - key.length() - 1) : path;
                msg = (owner.isEmpty() ? "" : owner + ": ") + "missing required key '" + key + "'";
            } else {
                msg = at + "wrong type: expected " + describe(m.getTargetType());
            }
        } else if (coercion(e) != null) {
            // an integer too large for its key: not a syntax error, and the key is known
            com.fasterxml.jackson.core.exc.InputCoercionException c = coercion(e);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^Numeric value \\(([^)]*)\\)")
                    .matcher(String.valueOf(c.getOriginalMessage()));
            Class<?> t = c.getTargetType();
            String range = t == int.class || t == Integer.class ? Integer.MIN_VALUE + " to " + Integer.MAX_VALUE
                    : t == long.class || t == Long.class ? Long.MIN_VALUE + " to " + Long.MAX_VALUE : null;
            msg = at + (m.find() ? m.group(1) : "the number") + " is out of range: expected "
                    + (range == null ? describe(t) : "an integer from " + range);
        } else {
            String orig = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
            int nl = orig.indexOf('\n');
            msg = "YAML syntax error: " + (nl < 0 ? orig : orig.substring(0, nl));
            if (orig.startsWith("Duplicate field '") && e.getProcessor() instanceof com.fasterxml.jackson.core.JsonParser p
                    && p.currentTokenLocation() != null && p.currentTokenLocation().getLineNr() > 0) {
                // the repeated key itself, not the mapping that holds it, and where that mapping is
                line = p.currentTokenLocation().getLineNr();
                col = p.currentTokenLocation().getColumnNr();
                String key = orig.substring("Duplicate field '".length(), orig.indexOf('\'', "Duplicate field '".length()));
                String where = holderPath(p.getParsingContext());
                msg = (where.isEmpty() ? "" : where + ": ") + "duplicate key '" + key + "': a mapping holds each key "
                        + "once";
            }
        }
        return new PolicyError(file, line, col, msg);
    }

    /** The number-too-large-for-its-type error in {@code e}'s causes, or {@code null}. */
    private static com.fasterxml.jackson.core.exc.InputCoercionException coercion(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof com.fasterxml.jackson.core.exc.InputCoercionException c) {
                return c;
            }
        }
        return null;
    }

    /** The dotted path ({@code access.rules[0].when}) of the mapping a parser context is in. */
    private static String holderPath(com.fasterxml.jackson.core.JsonStreamContext holder) {
        java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
        for (com.fasterxml.jackson.core.JsonStreamContext c = holder; c != null && c.getParent() != null;
                c = c.getParent()) {
            com.fasterxml.jackson.core.JsonStreamContext parent = c.getParent();
            if (parent.inArray()) {
                parts.push("[" + parent.getCurrentIndex() + "]");
            } else if (parent.inObject()) {
                parts.push("." + parent.getCurrentName());
            }
        }
        String path = String.join("", parts);
        return path.startsWith(".") ? path.substring(1) : path;
    }

    private static String quote(Object o) {
        return o instanceof String s ? "'" + s + "'" : String.valueOf(o);
    }

    private static String describe(Class<?> t) {
        if (t == null) {
            return "another type";
        }
        if (t.isEnum()) {
            return "one of " + java.util.Arrays.stream(t.getEnumConstants())
                    .map(c -> ((Enum<?>) c).name().toLowerCase(java.util.Locale.ROOT))
                    .collect(Collectors.joining(", "));
        }
        if (t == Double.class || t == double.class) {
            return "a number";
        }
        if (t == Integer.class || t == Long.class || t == int.class || t == long.class) {
            return "an integer";
        }
        if (t == Boolean.class || t == boolean.class) {
            return "true or false";
        }
        if (t == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(t)) {
            return "a list";
        }
        if (t == PolicyDocument.Noise.class || t == PolicyDocument.ReverseSigmoid.class) {
            return "a mapping, or none (in a rule: release without the default's "
                    + (t == PolicyDocument.Noise.class ? "noise" : "reverse sigmoid") + ")";
        }
        if (java.util.Map.class.isAssignableFrom(t) || t.isRecord()) {
            return "a mapping";
        }
        return t.getSimpleName();
    }

    static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }
}
