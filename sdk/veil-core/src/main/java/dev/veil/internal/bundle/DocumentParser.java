package dev.veil.internal.bundle;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactoryBuilder;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.fasterxml.jackson.dataformat.yaml.snakeyaml.error.MarkedYAMLException;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.internal.text.ControlChars;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parses JSON and YAML bundle documents into plain Java values: {@link LinkedHashMap} (document
 * order), {@link ArrayList}, {@link String}, {@link Boolean}, {@link Long} for integers that fit,
 * {@link java.math.BigInteger} for larger ones, {@link Double} for every other number, and
 * {@code null}. Every failure is a {@link PolicyLoadException} naming the file, with line and column
 * when the parser knows them.
 *
 * <p>Stricter than a plain Jackson tree read, so that what the bundle means is unambiguous:
 * duplicate keys, numbers that overflow a double ({@code 1e400}) or that are not 0 but read as 0
 * ({@code 1e-400}), YAML aliases, YAML binary or
 * other embedded values, an empty file and a second document in the same file are all errors. So
 * is a string or key holding an unpaired UTF-16 surrogate (a JSON escape of U+D800 alone): it is
 * not a Unicode character, and OPA's hash (so {@link BundleHasher}) sees U+FFFD in its place, so
 * a signature over one string would verify another.
 *
 * <p>YAML is read by jackson-dataformat-yaml, which follows YAML 1.1, while OPA reads bundle YAML
 * with go-yaml v2 and other tools follow YAML 1.2. An unquoted scalar or key they would read
 * differently ({@code yes}, {@code y}, {@code 010}, {@code 0x1F}, {@code 1_000}, {@code 0o10}...)
 * is an error that says how to write it; see {@link YamlScalars}. Quoted scalars are strings.
 *
 * <p>Thread-safe (the factories are shared and immutable after construction).
 */
final class DocumentParser {
    private static final System.Logger LOG = System.getLogger(DocumentParser.class.getName());
    // Source excerpts are kept out of exception messages so that bundle contents do not end up in logs.
    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build();
    static final YAMLFactory YAML = yamlFactory();

    /** Document syntaxes. */
    enum Format {
        JSON,
        YAML;

        /** YAML for {@code .yaml}/{@code .yml} names, JSON otherwise. */
        static Format of(String path) {
            return path.endsWith(".yaml") || path.endsWith(".yml") ? YAML : JSON;
        }
    }

    /** A 1-based position in a file. */
    record Position(int line, int column) {}

    /** A JSON number kept as the text it was written with (used only to hash files as OPA does). */
    record NumberLiteral(String text) {}

    /**
     * A parsed document and the position of each top-level key when it is an object.
     *
     * @param value the document
     * @param keyPositions top-level key to the position of the key; empty for non-objects
     */
    record Document(Object value, Map<String, Position> keyPositions) {}

    private DocumentParser() {}

    /**
     * A count of parsed values shared by the documents of one load, so that many tiny values (each
     * far larger in memory than in the file) cannot exhaust memory. Not thread-safe.
     */
    static final class ValueBudget {
        private final int max;
        private final String what;
        private long used;
        /** Values counted per file, in the order the files were read. */
        private final Map<String, Long> perFile = new LinkedHashMap<>();

        /**
         * @param max the most values the documents may hold together
         * @param what the documents and verb, for the message ({@code "the data files hold"})
         */
        ValueBudget(int max, String what) {
            this.max = max;
            this.what = what;
        }

        /** Whether a parse has gone past the limit. */
        boolean exceeded() {
            return used > max;
        }

        /** Counts one value of {@code file}; true when it is past the limit. */
        boolean count(String file) {
            perFile.merge(file, 1L, Long::sum);
            return ++used > max;
        }

        /** The files that hold the most values, largest first ({@code a.json: 999,990 values, ...}). */
        String largest() {
            return perFile.entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .limit(3)
                    .map(e -> String.format(Locale.ROOT, "%s: %,d", e.getKey(), e.getValue()))
                    .collect(java.util.stream.Collectors.joining(", "));
        }
    }

    /** Parses one document of at most {@link BundleLimits#DEFAULT_MAX_DATA_VALUES} values; see the class comment. */
    static Document parse(byte[] bytes, Format format, String file) {
        return parse(bytes, format, file, false);
    }

    /** As {@link #parse(byte[], Format, String, boolean, ValueBudget)} with a budget of its own. */
    static Document parse(byte[] bytes, Format format, String file, boolean literalNumbers) {
        return parse(bytes, format, file, literalNumbers,
                new ValueBudget(BundleLimits.DEFAULT_MAX_DATA_VALUES, "the file holds"));
    }

    /**
     * Parses one document.
     *
     * @param literalNumbers keep JSON numbers as {@link NumberLiteral}s instead of converting them
     * @param budget counts the values; a PolicyLoadException at the value that passes its limit
     */
    static Document parse(byte[] bytes, Format format, String file, boolean literalNumbers, ValueBudget budget) {
        JsonFactory factory = format == Format.YAML ? YAML : JSON;
        try (JsonParser p = factory.createParser(bytes)) {
            Reader reader = new Reader(p, file, literalNumbers && format == Format.JSON, format == Format.YAML,
                    budget);
            JsonToken first = p.nextToken();
            if (first == null) {
                throw PolicyLoadException.of(file, "file is empty; expected a " + format + " document");
            }
            Map<String, Position> positions = new LinkedHashMap<>();
            Object value = reader.value(first, positions);
            JsonToken extra = p.nextToken();
            if (extra != null) {
                throw reader.error(p.currentTokenLocation(), format == Format.YAML
                        ? "file holds more than one YAML document; a bundle file must hold exactly one"
                        : "unexpected content after the end of the JSON document");
            }
            return new Document(value, positions);
        } catch (JsonProcessingException e) {
            throw syntaxError(file, e);
        } catch (IOException e) {
            throw PolicyLoadException.of(file, "cannot parse: " + e.getMessage());
        }
    }

    @SuppressWarnings("deprecation") // MarkedYAMLException's problem/context: the only concise message
    private static PolicyLoadException syntaxError(String file, JsonProcessingException e) {
        String message;
        if (e instanceof MarkedYAMLException m && m.getProblem() != null) {
            message = (m.getContext() != null ? m.getContext() + ": " : "") + m.getProblem();
        } else {
            message = e.getOriginalMessage();
        }
        message = message.replace('\n', ' ').trim();
        JsonLocation loc = e.getLocation();
        int line = loc == null ? 0 : Math.max(0, loc.getLineNr());
        int column = loc == null ? 0 : Math.max(0, loc.getColumnNr());
        // No cause: the parser's own messages quote the offending lines, which may hold secrets.
        return new PolicyLoadException(new PolicyError(file, line, column, "syntax error: " + message));
    }

    /** Converts the token stream; recursion depth is bounded by Jackson's nesting limit (1000). */
    private static final class Reader {
        private final JsonParser p;
        private final String file;
        private final boolean literalNumbers;
        private final boolean yaml;
        private final ValueBudget budget;
        /** Keys (String) and indices (Integer) from the top to the value being read, for messages. */
        private final List<Object> path = new ArrayList<>();

        Reader(JsonParser p, String file, boolean literalNumbers, boolean yaml, ValueBudget budget) {
            this.p = p;
            this.file = file;
            this.literalNumbers = literalNumbers;
            this.yaml = yaml;
            this.budget = budget;
        }

        PolicyLoadException error(JsonLocation loc, String message) {
            int line = loc == null ? 0 : Math.max(0, loc.getLineNr());
            int column = loc == null ? 0 : Math.max(0, loc.getColumnNr());
            return new PolicyLoadException(new PolicyError(file, line, column, message));
        }

        Object value(JsonToken token, Map<String, Position> keyPositions) throws IOException {
            if (budget.count(file)) {
                throw error(p.currentTokenLocation(), String.format(Locale.ROOT, "%s more than %,d values"
                        + " (objects, arrays, strings, numbers, booleans and nulls counted together; the value at %s"
                        + " is past the limit; values so far, the largest first: %s). The limit keeps a small"
                        + " bundle of many tiny values from exhausting memory; put less data in the bundle",
                        budget.what, budget.max, renderPath(), budget.largest()));
            }
            if (p instanceof YAMLParser y && y.isCurrentAlias()) {
                throw error(p.currentTokenLocation(), "YAML aliases (*" + p.getText()
                        + ") are not supported in bundle files; repeat the value instead");
            }
            checkScalar(token);
            switch (token) {
                case START_OBJECT: {
                    Map<String, Object> map = new LinkedHashMap<>();
                    while (p.nextToken() != JsonToken.END_OBJECT) {
                        String key = p.currentName();
                        JsonLocation keyLoc = p.currentTokenLocation();
                        path.add(key);
                        checkScalar(JsonToken.FIELD_NAME);
                        checkSurrogates(key, keyLoc, "key");
                        if (map.containsKey(key)) {
                            throw error(keyLoc, "duplicate key '" + key + "'");
                        }
                        if (keyPositions != null) {
                            keyPositions.put(key, new Position(Math.max(0, keyLoc.getLineNr()),
                                    Math.max(0, keyLoc.getColumnNr())));
                        }
                        map.put(key, value(p.nextToken(), null));
                        path.remove(path.size() - 1);
                    }
                    return map;
                }
                case START_ARRAY: {
                    List<Object> list = new ArrayList<>();
                    JsonToken t;
                    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                        path.add(list.size());
                        list.add(value(t, null));
                        path.remove(path.size() - 1);
                    }
                    return list;
                }
                case VALUE_STRING: {
                    String text = p.getText();
                    checkSurrogates(text, p.currentTokenLocation(), "string");
                    return text;
                }
                case VALUE_NUMBER_INT:
                    if (literalNumbers) {
                        return new NumberLiteral(p.getText());
                    }
                    switch (p.getNumberType()) {
                        case INT:
                        case LONG:
                            return p.getLongValue();
                        default:
                            return p.getBigIntegerValue();
                    }
                case VALUE_NUMBER_FLOAT: {
                    // 1e400 (an infinity) and 1e-400 (0), with the policy file's messages
                    String outOfRange = YamlScalars.outOfRange(p, token, this::renderPath, false);
                    if (outOfRange != null) {
                        throw error(p.currentTokenLocation(), outOfRange);
                    }
                    return literalNumbers ? new NumberLiteral(p.getText()) : (Object) p.getDoubleValue();
                }
                case VALUE_TRUE:
                    return Boolean.TRUE;
                case VALUE_FALSE:
                    return Boolean.FALSE;
                case VALUE_NULL:
                    return null;
                case VALUE_EMBEDDED_OBJECT:
                    throw error(p.currentTokenLocation(), "binary and other tagged YAML values are not supported"
                            + " in bundle files; use a string");
                default:
                    throw error(p.currentTokenLocation(), "unexpected " + token);
            }
        }

        /** Refuses a YAML scalar or key whose meaning depends on the YAML reader; see {@link YamlScalars}. */
        private void checkScalar(JsonToken token) throws IOException {
            if (yaml) {
                String problem = YamlScalars.problem(p, token, this::renderPath);
                if (problem != null) {
                    throw error(p.currentTokenLocation(), problem);
                }
            }
        }

        /** Refuses a string (or key) holding an unpaired surrogate, naming where it is. */
        private void checkSurrogates(String text, JsonLocation loc, String what) {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (Character.isHighSurrogate(c) && i + 1 < text.length()
                        && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    throw error(loc, "the " + what + " at " + renderPath() + " holds an unpaired surrogate "
                            + String.format("\\u%04x", (int) c) + ", which is not a Unicode character; write the"
                            + " character itself, or both halves of a surrogate pair");
                }
            }
        }

        /** {@code a.b[2]["x y"]}, or {@code (top level)}; quotes, controls and surrogates escaped as in JSON. */
        private String renderPath() {
            return DocPath.render(path);
        }
    }

    /**
     * jackson-dataformat-yaml caps documents at 3 MiB of code points through snakeyaml's
     * LoaderOptions. The bundle's own per-file limit (16 MiB by default) is the cap we want, so the
     * limit is lifted here. veil-core's module does not read {@code org.yaml.snakeyaml}, so the
     * options are built reflectively; if that fails the stricter 3 MiB default stays in force
     * (fail closed) and a warning is logged.
     */
    private static YAMLFactory yamlFactory() {
        try {
            Class<?> optionsClass = Class.forName("org.yaml.snakeyaml.LoaderOptions", true,
                    YAMLFactory.class.getClassLoader());
            Object options = optionsClass.getConstructor().newInstance();
            optionsClass.getMethod("setCodePointLimit", int.class).invoke(options, Integer.MAX_VALUE);
            YAMLFactoryBuilder builder = YAMLFactory.builder();
            YAMLFactoryBuilder.class.getMethod("loaderOptions", optionsClass).invoke(builder, options);
            return YamlScalars.factory(builder.disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("could not raise the YAML code point limit; YAML bundle files"
                    + " larger than 3 MiB will be rejected: " + e));
            return YamlScalars.factory(YAMLFactory.builder().disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION));
        }
    }
}
