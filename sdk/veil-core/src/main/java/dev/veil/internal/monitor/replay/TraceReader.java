package dev.veil.internal.monitor.replay;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.veil.internal.access.ApiKeyStore;
import dev.veil.spi.StateUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads a replay trace: JSON lines, one query per line, in file order.
 *
 * <pre>{"caller": "alice", "ts_ms": 1700000000000, "features": [0.1, 0.5], "scores": [0.9, 0.1]}</pre>
 *
 * <ul>
 *   <li>{@code caller} (required): a non-empty string;
 *   <li>{@code ts_ms} (required): an integer, milliseconds since the epoch, in [0, {@value #MAX_TS_MS}]
 *       (up to the year 2255); times may go backwards, file order rules;
 *   <li>{@code features} (required): an array of finite numbers, or, for tabular models with named
 *       features, an object of feature names to finite numbers, taken as
 *       {@link dev.veil.Features#named(java.util.Map)} takes them: in the order of their names,
 *       whatever the line's order, a {@code null} (absent) feature left out as a missing key is. An
 *       empty array or object (or one of nulls only) is a query of no features, which the replay
 *       hands to the bundle as a Guard would (a fixed shape refuses it at validation);
 *   <li>{@code scores} (optional; {@code null} counts as absent): the model's raw class scores, a
 *       non-empty array of finite numbers {@code >= 0} (probabilities, not logits), labels
 *       {@code "0"} to {@code "n-1"};
 *   <li>{@code tenant} (optional): a string, the caller's tenant (default {@code ""});
 *   <li>{@code roles} (optional): an array of strings, the caller's roles (default none);
 *   <li>{@code attributes} (optional): an object of strings, the caller's attributes, as a key
 *       store's entry or a token's {@code attribute_claims} give them (default none).
 * </ul>
 *
 * The trace is UTF-8 (a leading byte-order mark is skipped), its lines end with {@code \n} or
 * {@code \r\n} and hold at most {@value #MAX_LINE_BYTES} bytes. Blank lines are skipped; any other key, a duplicate key, a wrong type, a non-finite number,
 * a caller id, tenant, role, attribute name or value that no Guard's caller could have (the key
 * store's rules, {@link ApiKeyStore#nameProblem}: surrounding whitespace, a control or format
 * character, a line separator, a lone surrogate; an empty role or a blank attribute name), or
 * anything after the object is an error {@code SOURCE:LINE: what is wrong}
 * ({@link TraceFormatException}). Not thread-safe.
 */
public final class TraceReader {
    /** The latest accepted time: the rate limiter counts nanoseconds since the epoch in a long. */
    public static final long MAX_TS_MS = 9_000_000_000_000L;
    /** The longest line read (a query of about two million features); a longer one is an error, not a heap exhausted. */
    public static final int MAX_LINE_BYTES = 16 << 20;
    static final String KNOWN = "caller, ts_ms, features, scores, tenant, roles, attributes";
    private static final java.util.regex.Pattern SOURCE_REF =
            java.util.regex.Pattern.compile("\\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]");
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final InputStream in;
    private final String source;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] chunk = new byte[1 << 16];
    private int pos;
    private int limit;
    private byte[] lineBytes = new byte[1 << 12];
    private long line;
    /** The number of the reader's first line (1 unless it reads a part of a longer trace). */
    private final long firstLine;
    /** Whether the line last read ended with a line feed (not: the file's last line, cut short?). */
    private boolean ended;

    /**
     * Reads every line of a trace in file order and hands each query to {@code each}; a failure while
     * handling a line is rethrown naming that line ({@code SOURCE:LINE: ...}).
     *
     * @throws TraceFormatException for a malformed line
     * @throws StateUnavailableException when the state store fails on a line
     * @throws IllegalStateException when the policy or a detector fails on a line
     */
    public static void forEach(InputStream in, String source, Consumer<TraceQuery> each) {
        TraceReader reader = new TraceReader(in, source);
        TraceQuery q;
        while ((q = reader.next()) != null) {
            try {
                each.accept(q);
            } catch (StateUnavailableException e) {
                throw new StateUnavailableException(source + ":" + q.line()
                        + ": the state store failed: " + e.getMessage(), e);
            } catch (CallerBoundException e) {
                throw e; // names its line; the caller words it for its own options
            } catch (RuntimeException e) {
                throw new IllegalStateException(source + ":" + q.line() + ": the replay failed: " + e, e);
            }
        }
    }

    /**
     * A reader of {@code in} (UTF-8 bytes; the caller closes it), naming it {@code source} in
     * messages.
     */
    public TraceReader(InputStream in, String source) {
        this(in, source, 0);
    }

    /**
     * A reader of {@code in} whose first line is line {@code linesBefore + 1} (a part of a longer
     * trace): messages and queries count lines from there.
     */
    TraceReader(InputStream in, String source, long linesBefore) {
        if (linesBefore < 0) {
            throw new IllegalArgumentException("linesBefore must be >= 0, was " + linesBefore);
        }
        this.in = in;
        this.source = source;
        this.line = linesBefore;
        this.firstLine = linesBefore + 1;
    }

    /** The next query, or {@code null} at the end of the trace. */
    public TraceQuery next() {
        while (true) {
            String text;
            try {
                text = readLine();
            } catch (IOException e) {
                throw new UncheckedIOException(source + ": cannot be read: " + e.getMessage(), e);
            }
            if (text == null) {
                return null;
            }
            if (line == firstLine && text.startsWith("\uFEFF")) {
                text = text.substring(1);
            }
            if (blank(text)) {
                continue;
            }
            try {
                return parse(text);
            } catch (TraceFormatException e) {
                String hint = hint(text, e.problem());
                throw hint == null ? e : new TraceFormatException(source, e.line(), e.problem() + hint);
            }
        }
    }

    /**
     * Whether a line holds JSON white space only (space, tab; a carriage return is part of the line end):
     * {@link String#isBlank} would also skip form feeds, U+2028 or U+3000, which are no JSON and are
     * reported as such.
     */
    private static boolean blank(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != ' ' && c != '\t') {
                return false;
            }
        }
        return true;
    }

    /** The next line without its end ({@code \n} or {@code \r\n}), decoded strictly, or null at the end. */
    private String readLine() throws IOException {
        int n = 0;
        boolean any = false;
        while (true) {
            if (pos == limit) {
                limit = in.read(chunk);
                pos = 0;
                if (limit <= 0) {
                    limit = 0;
                    break;
                }
            }
            any = true;
            int start = pos;
            while (pos < limit && chunk[pos] != '\n') {
                pos++;
            }
            int len = pos - start;
            if ((long) n + len > MAX_LINE_BYTES) {
                throw new TraceFormatException(source, line + 1, "the line is longer than " + MAX_LINE_BYTES
                        + " bytes (16 MiB): a trace line is one query (is this a JSON lines file?)");
            }
            if (n + len > lineBytes.length) {
                lineBytes = java.util.Arrays.copyOf(lineBytes, Math.max(n + len, 2 * lineBytes.length));
            }
            System.arraycopy(chunk, start, lineBytes, n, len);
            n += len;
            if (pos < limit) {
                pos++; // the '\n'
                break;
            }
        }
        if (!any) {
            return null;
        }
        ended = pos > 0 && chunk[pos - 1] == '\n';
        line++;
        if (n > 0 && lineBytes[n - 1] == '\r') {
            n--;
        }
        try {
            return utf8.reset().decode(ByteBuffer.wrap(lineBytes, 0, n)).toString();
        } catch (CharacterCodingException e) {
            boolean utf16 = line == firstLine && n >= 2 && (lineBytes[0] == (byte) 0xFF && lineBytes[1] == (byte) 0xFE
                    || lineBytes[0] == (byte) 0xFE && lineBytes[1] == (byte) 0xFF);
            for (int i = 0; i < n && !utf16; i++) {
                utf16 = lineBytes[i] == 0;
            }
            throw new TraceFormatException(source, line, "not UTF-8 text" + (utf16 ? UTF16 : ""));
        }
    }

    /** The 1-based number of the line last read. */
    public long line() {
        return line;
    }

    private TraceQuery parse(String text) {
        try (JsonParser p = JSON.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                throw error("expected a JSON object {\"caller\": ..., \"ts_ms\": ..., \"features\": [...]}, found "
                        + describe(t));
            }
            String caller = null;
            String tenant = "";
            List<String> roles = List.of();
            Map<String, String> attributes = Map.of();
            Long ts = null;
            double[] features = null;
            List<String> names = List.of();
            BitSet absent = null;
            double[] scores = null;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                t = p.nextToken();
                switch (key) {
                    case "caller" -> {
                        if (t != JsonToken.VALUE_STRING || p.getText().isEmpty()) {
                            throw error("caller must be a non-empty string, found " + describe(p, t));
                        }
                        caller = name("caller", p.getText());
                    }
                    case "tenant" -> {
                        if (t != JsonToken.VALUE_STRING) {
                            throw error("tenant must be a string, found " + describe(p, t));
                        }
                        tenant = name("tenant", p.getText());
                    }
                    case "roles" -> roles = strings(p, t, "roles");
                    case "attributes" -> attributes = attributes(p, t);
                    case "ts_ms" -> ts = timestamp(p, t);
                    case "features" -> {
                        if (t == JsonToken.START_OBJECT) {
                            names = new ArrayList<>();
                            absent = new BitSet();
                            features = named(p, names, absent);
                        } else {
                            features = numbers(p, t, "features", false, false);
                            names = List.of();
                            absent = null;
                        }
                    }
                    case "scores" -> scores = t == JsonToken.VALUE_NULL ? null : numbers(p, t, "scores", true, true);
                    default -> throw error("unknown key '" + key + "' (known: " + KNOWN + ")");
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw error("expected a key or } but found " + describe(t));
            }
            t = p.nextToken();
            if (t != null) {
                throw error("found " + describe(t) + " after the JSON object: one query per line");
            }
            if (caller == null) {
                throw error("missing caller (a non-empty string)");
            }
            if (ts == null) {
                throw error("missing ts_ms (milliseconds since the epoch)");
            }
            if (features == null) {
                throw error("missing features (an array of numbers, or an object of named features)");
            }
            return new TraceQuery(line, caller, tenant, roles, attributes, ts, names, features, absent, scores);
        } catch (JsonParseException e) {
            throw error(jsonProblem(e));
        } catch (IOException e) {
            throw error("cannot be parsed: " + e.getMessage());
        }
    }

    private long timestamp(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.VALUE_NUMBER_INT) {
            throw error("ts_ms must be an integer (milliseconds since the epoch), found " + describe(p, t));
        }
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER || p.getLongValue() < 0
                || p.getLongValue() > MAX_TS_MS) {
            throw error("ts_ms must be in [0, " + MAX_TS_MS + "] (milliseconds since the epoch, up to the year 2255), "
                    + "was " + p.getText() + (p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
                            && p.getLongValue() >= 100_000_000_000_000L ? "; a time in microseconds or nanoseconds? "
                            + "divide it by 1000 or 1000000" : ""));
        }
        return p.getLongValue();
    }

    private double[] numbers(JsonParser p, JsonToken t, String key, boolean nonNegative, boolean nonEmpty)
            throws IOException {
        if (t != JsonToken.START_ARRAY) {
            throw error(key + " must be an array of numbers, found " + describe(p, t));
        }
        double[] out = new double[64];
        int n = 0;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
                throw error(key + "[" + n + "] must be a number, found " + describe(p, t));
            }
            double v = p.getDoubleValue();
            if (!Double.isFinite(v)) {
                throw error(key + "[" + n + "] is not a finite number: " + p.getText());
            }
            if (nonNegative && v < 0) {
                throw error(key + "[" + n + "] must be >= 0 (the model's class scores, e.g. probabilities, not "
                        + "logits), was " + p.getText());
            }
            if (n == out.length) {
                out = Arrays.copyOf(out, n * 2);
            }
            out[n++] = v;
        }
        if (n == 0 && nonEmpty) {
            throw error(key + " must hold at least one number, was []");
        }
        return Arrays.copyOf(out, n);
    }

    /** The values of a {@code features} object; its names go to {@code names}, its nulls to {@code absent}. */
    private double[] named(JsonParser p, List<String> names, BitSet absent) throws IOException {
        double[] out = new double[16];
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            if (name.isEmpty()) {
                throw error("features: a feature name must not be empty");
            }
            t = p.nextToken();
            int n = names.size();
            if (n == out.length) {
                out = Arrays.copyOf(out, n * 2);
            }
            if (t == JsonToken.VALUE_NULL) {
                absent.set(n);
                out[n] = Double.NaN;
            } else if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
                double v = p.getDoubleValue();
                if (!Double.isFinite(v)) {
                    throw error("features." + name + " is not a finite number: " + p.getText());
                }
                out[n] = v;
            } else {
                throw error("features." + name + " must be a number or null (absent), found " + describe(p, t));
            }
            names.add(name);
        }
        // as a Guard's Features.named(Map) takes them: absent (null) features hold no place, the rest go
        // in the order of their names, whatever the line's order
        Map<String, Double> byName = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            byName.put(names.get(i), absent.get(i) ? null : out[i]);
        }
        dev.veil.Features f = dev.veil.Features.named(byName); // none at all: an empty (unnamed) vector
        names.clear();
        names.addAll(f.names());
        absent.clear();
        return f.vector();
    }

    private List<String> strings(JsonParser p, JsonToken t, String key) throws IOException {
        if (t != JsonToken.START_ARRAY) {
            throw error(key + " must be an array of strings, found " + describe(p, t));
        }
        List<String> out = new ArrayList<>();
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_STRING) {
                throw error(key + "[" + out.size() + "] must be a string, found " + describe(p, t));
            }
            if (p.getText().isEmpty()) {
                throw error(key + "[" + out.size() + "] is empty: a role is a non-empty string");
            }
            out.add(name(key + "[" + out.size() + "]", p.getText()));
        }
        return out;
    }

    private Map<String, String> attributes(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.START_OBJECT) {
            throw error("attributes must be an object of strings, found " + describe(p, t));
        }
        Map<String, String> out = new java.util.LinkedHashMap<>();
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            String nameProblem = ApiKeyStore.attributeNameProblem(name);
            if (nameProblem != null) {
                throw error("attributes: " + nameProblem + NO_SUCH_CALLER);
            }
            t = p.nextToken();
            if (t != JsonToken.VALUE_STRING) {
                throw error("attributes." + name + " must be a string (attributes are compared as strings), found "
                        + describe(p, t));
            }
            out.put(name, name("attributes." + name, p.getText()));
        }
        return out;
    }

    /**
     * What a malformed line's problem most likely comes from, when its text shows it: a file cut short,
     * JSON spread over several lines, lines ended by a carriage return alone; or {@code null}.
     */
    private String hint(String text, String problem) {
        if (text.indexOf('\0') >= 0) {
            // UTF-16 without a byte-order mark: its ASCII is valid UTF-8 with a NUL after each character
            return UTF16;
        }
        if (text.indexOf('\r') >= 0) {
            return "; the line holds a carriage return (\\r): lines must end with \\n or \\r\\n, not \\r alone";
        }
        if (problem.contains("end-of-input")) {
            return ended
                    ? "; the line ends before its JSON object does: a trace holds one JSON object per line "
                            + "(JSON lines), not JSON spread over several lines"
                    : "; the file's last line ends before its JSON object does: the trace was cut short (a copy "
                            + "interrupted, a file still being written?)";
        }
        if (!ended && problem.startsWith("invalid JSON")) {
            // cut within a number or a name, the parser's complaint is about that token, not the end
            return "; it is the file's last line and has no line end: was the trace cut short (a copy interrupted, a "
                    + "file still being written)?";
        }
        return null;
    }

    private static final String UTF16 = " (it looks like UTF-16, as some Windows tools write: convert the trace to "
            + "UTF-8, e.g. iconv -f UTF-16 -t UTF-8)";

    /**
     * {@code value}, a caller id, tenant, role or attribute value, when a Guard's caller could have it
     * ({@link ApiKeyStore#nameProblem}: no surrounding whitespace, control or format character, line
     * separator or lone surrogate); otherwise the line is malformed. Such ids could otherwise meet in
     * the state store's keys ({@code --redis} writes a lone surrogate as {@code ?}).
     */
    private String name(String key, String value) {
        String problem = ApiKeyStore.nameProblem(value);
        if (problem != null) {
            throw error(key + " " + problem + NO_SUCH_CALLER);
        }
        return value;
    }

    private static final String NO_SUCH_CALLER = " (a Guard's key store and tokens refuse such a name, so no request"
            + " could carry it)";

    private TraceFormatException error(String problem) {
        return new TraceFormatException(source, line, problem);
    }

    private static String jsonProblem(JsonParseException e) {
        String m = e.getOriginalMessage() == null ? "syntax error" : e.getOriginalMessage();
        if (m.startsWith("Non-standard token") || m.contains("ALLOW_NON_NUMERIC_NUMBERS")) {
            JsonParser p = e.getProcessor();
            String at = p == null ? null : where(p.getParsingContext());
            return (at == null ? "a number" : at) + " is not finite (NaN or Infinity): every number must be finite";
        }
        if (m.startsWith("Duplicate field")) {
            return "duplicate key " + m.substring("Duplicate field".length()).trim();
        }
        int col = e.getLocation() == null ? -1 : e.getLocation().getColumnNr();
        String first = SOURCE_REF.matcher(m.lines().findFirst().orElse(m)).replaceAll("column $2");
        return "invalid JSON" + (col > 0 ? " at column " + col : "") + ": " + first;
    }

    /**
     * The field the parser is in, as the other refusals name it ({@code features.age},
     * {@code features[3]}), or null at the top or when unknown.
     */
    private static String where(com.fasterxml.jackson.core.JsonStreamContext ctx) {
        if (ctx == null) {
            return null;
        }
        if (ctx.inArray()) {
            String array = ctx.getParent() == null ? null : ctx.getParent().getCurrentName();
            // the index of the value the parser failed on (it counts a value as it starts reading it)
            return array == null ? null : array + "[" + Math.max(0, ctx.getCurrentIndex()) + "]";
        }
        String name = ctx.getCurrentName();
        if (name == null) {
            return null;
        }
        String parent = ctx.getParent() == null ? null : ctx.getParent().getCurrentName();
        return parent == null ? name : parent + "." + name;
    }

    private static String describe(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_STRING) {
            String s = p.getText();
            return "the string \"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
        }
        if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
            return "the number " + p.getText();
        }
        return describe(t);
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "the end of the line";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.asString() == null ? t.name() : "'" + t.asString() + "'";
        };
    }
}
