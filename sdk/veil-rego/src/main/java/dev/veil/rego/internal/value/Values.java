package dev.veil.rego.internal.value;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Conversions between Rego values and Java objects and JSON text.
 *
 * <ul>
 *   <li>{@link #fromJava} accepts what JSON, SnakeYAML and Jackson produce.</li>
 *   <li>{@link #toJava} gives plain Java: maps with sorted string keys, lists, strings, numbers,
 *       booleans and null.</li>
 *   <li>{@link #toJson} writes compact JSON exactly as OPA's {@code json.marshal} (Go's
 *       {@code encoding/json}) does: keys sorted, sets as sorted arrays, {@code <>&} escaped.</li>
 *   <li>{@link #parseJson} reads JSON with exact numbers (the literal text is kept).</li>
 * </ul>
 */
public final class Values {
    /** Nesting beyond this is refused by {@link #parseJson}, as Go's decoder refuses deep nesting. */
    public static final int MAX_JSON_DEPTH = 1000;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Values() {
    }

    // ---------------------------------------------------------------- from Java

    /**
     * The Rego value of a Java object: null, {@link Value}, Boolean, String (any CharSequence),
     * Character, any integral Number, BigInteger, BigDecimal, finite Double/Float, Map (keys converted
     * too), Set (to a Rego set), other Collection and Object[] (to arrays), Jackson
     * {@link JsonNode} trees, and {@link Date} (as an ISO-8601 string, as YAML-to-JSON conversion does).
     *
     * @throws IllegalArgumentException for anything else, naming its class
     */
    public static Value fromJava(Object o) {
        if (o == null) {
            return NullValue.NULL;
        }
        if (o instanceof Value v) {
            return v;
        }
        if (o instanceof String s) {
            return StringValue.of(s);
        }
        if (o instanceof Boolean b) {
            return BooleanValue.of(b);
        }
        if (o instanceof Integer || o instanceof Long || o instanceof Short || o instanceof Byte) {
            return NumberValue.of(((Number) o).longValue());
        }
        if (o instanceof BigInteger bi) {
            return NumberValue.of(bi);
        }
        if (o instanceof BigDecimal bd) {
            return NumberValue.of(bd);
        }
        if (o instanceof Double || o instanceof Float) {
            return NumberValue.of(((Number) o).doubleValue());
        }
        if (o instanceof Map<?, ?> m) {
            ObjectValue.Builder b = ObjectValue.builder();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.put(fromJava(e.getKey()), fromJava(e.getValue()));
            }
            return b.build();
        }
        if (o instanceof Set<?> s) {
            SetValue.Builder b = SetValue.builder();
            for (Object e : s) {
                b.add(fromJava(e));
            }
            return b.build();
        }
        if (o instanceof Collection<?> c) {
            Value[] a = new Value[c.size()];
            int i = 0;
            for (Object e : c) {
                a[i++] = fromJava(e);
            }
            return ArrayValue.wrap(a);
        }
        if (o instanceof Object[] arr) {
            return fromJava(Arrays.asList(arr));
        }
        if (o instanceof JsonNode n) {
            return fromJackson(n);
        }
        if (o instanceof CharSequence || o instanceof Character) {
            return StringValue.of(o.toString());
        }
        if (o instanceof Date d) {
            return StringValue.of(d.toInstant().toString());
        }
        if (o instanceof Number n) {
            return NumberValue.parse(n.toString());
        }
        throw new IllegalArgumentException("cannot convert a " + o.getClass().getName()
                + " to a Rego value: use maps, lists, strings, numbers, booleans or null");
    }

    private static Value fromJackson(JsonNode n) {
        switch (n.getNodeType()) {
            case NULL:
            case MISSING:
                return NullValue.NULL;
            case BOOLEAN:
                return BooleanValue.of(n.booleanValue());
            case STRING:
                return StringValue.of(n.textValue());
            case NUMBER:
                if (n.isIntegralNumber()) {
                    return n.canConvertToLong() ? NumberValue.of(n.longValue()) : NumberValue.of(n.bigIntegerValue());
                }
                return n.isBigDecimal() ? NumberValue.of(n.decimalValue()) : NumberValue.of(n.doubleValue());
            case ARRAY: {
                Value[] a = new Value[n.size()];
                for (int i = 0; i < a.length; i++) {
                    a[i] = fromJackson(n.get(i));
                }
                return ArrayValue.wrap(a);
            }
            case OBJECT: {
                ObjectValue.Builder b = ObjectValue.builder();
                for (Map.Entry<String, JsonNode> e : n.properties()) {
                    b.put(e.getKey(), fromJackson(e.getValue()));
                }
                return b.build();
            }
            default:
                throw new IllegalArgumentException("cannot convert a Jackson " + n.getNodeType()
                        + " node to a Rego value: use JSON data only");
        }
    }

    // ---------------------------------------------------------------- to Java

    /**
     * Plain Java for a value: {@code LinkedHashMap<String, Object>} with keys in sorted (code point)
     * order, {@code List} (sets become sorted lists), {@code String}, {@code Long} for integers that fit
     * or {@code BigDecimal} otherwise, {@code Boolean}, and null. Non-string object keys become their
     * JSON text, as OPA does when it converts to JSON.
     */
    public static Object toJava(Value v) {
        switch (v.kind()) {
            case NULL:
                return null;
            case BOOLEAN:
                return ((BooleanValue) v).value();
            case NUMBER: {
                NumberValue n = (NumberValue) v;
                return n.isLong() ? (Object) n.longValueExact() : n.toBigDecimal();
            }
            case STRING:
                return ((StringValue) v).value();
            case ARRAY: {
                ArrayValue a = (ArrayValue) v;
                List<Object> l = new ArrayList<>(a.size());
                for (int i = 0; i < a.size(); i++) {
                    l.add(toJava(a.get(i)));
                }
                return l;
            }
            case SET: {
                List<Object> l = new ArrayList<>(((SetValue) v).size());
                for (Value e : ((SetValue) v).elements()) {
                    l.add(toJava(e));
                }
                return l;
            }
            case OBJECT: {
                Map<String, Object> m = new LinkedHashMap<>();
                for (Map.Entry<String, Value> e : jsonEntries((ObjectValue) v)) {
                    m.put(e.getKey(), toJava(e.getValue()));
                }
                return m;
            }
            default:
                throw new AssertionError(v.kind());
        }
    }

    /** An object's entries with keys as JSON strings, sorted by code point (Go sorts map keys by bytes). */
    private static List<Map.Entry<String, Value>> jsonEntries(ObjectValue o) {
        List<Map.Entry<String, Value>> entries = new ArrayList<>(o.size());
        for (Value k : o.keys()) {
            String key = k instanceof StringValue s ? s.value() : toJson(k);
            entries.add(Map.entry(key, o.get(k)));
        }
        entries.sort((a, b) -> StringValue.compareCodePoints(a.getKey(), b.getKey()));
        return entries;
    }

    // ---------------------------------------------------------------- to JSON

    /** Compact JSON, as OPA's {@code json.marshal} writes it. */
    public static String toJson(Value v) {
        StringBuilder b = new StringBuilder();
        appendJson(b, v);
        return b.toString();
    }

    /** Appends the compact JSON of {@code v} to {@code b}. */
    public static void appendJson(StringBuilder b, Value v) {
        switch (v.kind()) {
            case NULL:
                b.append("null");
                break;
            case BOOLEAN:
                b.append(((BooleanValue) v).value());
                break;
            case NUMBER:
                b.append(((NumberValue) v).toJson());
                break;
            case STRING:
                appendJsonString(b, ((StringValue) v).value());
                break;
            case ARRAY: {
                ArrayValue a = (ArrayValue) v;
                b.append('[');
                for (int i = 0; i < a.size(); i++) {
                    if (i > 0) {
                        b.append(',');
                    }
                    appendJson(b, a.get(i));
                }
                b.append(']');
                break;
            }
            case SET: {
                b.append('[');
                boolean first = true;
                for (Value e : ((SetValue) v).elements()) {
                    if (!first) {
                        b.append(',');
                    }
                    first = false;
                    appendJson(b, e);
                }
                b.append(']');
                break;
            }
            case OBJECT: {
                b.append('{');
                boolean first = true;
                String previous = null;
                for (Map.Entry<String, Value> e : jsonEntries((ObjectValue) v)) {
                    if (e.getKey().equals(previous)) {
                        continue; // {1: x, "1": y}: one JSON key, as a Go map would keep
                    }
                    if (!first) {
                        b.append(',');
                    }
                    first = false;
                    previous = e.getKey();
                    appendJsonString(b, e.getKey());
                    b.append(':');
                    appendJson(b, e.getValue());
                }
                b.append('}');
                break;
            }
            default:
                throw new AssertionError(v.kind());
        }
    }

    /**
     * Appends {@code s} as a JSON string the way Go's {@code encoding/json} does: {@code \b \f \n \r \t},
     * other control characters as {@code &#92;u00XX}, {@code < > &} and U+2028/U+2029 as {@code &#92;uXXXX},
     * and an unpaired surrogate (invalid in UTF-8) as U+FFFD.
     */
    public static void appendJsonString(StringBuilder b, String s) {
        b.append('"');
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '<', '>', '&', '\u2028', '\u2029' -> appendUnicodeEscape(b, c);
                default -> {
                    if (c < 0x20) {
                        appendUnicodeEscape(b, c);
                    } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                        b.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        b.append('\ufffd');
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    private static void appendUnicodeEscape(StringBuilder b, char c) {
        b.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf]).append(HEX[c >> 4 & 0xf])
                .append(HEX[c & 0xf]);
    }

    /**
     * Appends {@code s} quoted as Go's {@code strconv.Quote} does (how OPA prints string terms):
     * printable characters as they are, {@code \a \b \f \n \r \t \v}, other ASCII controls as
     * {@code \xNN}, other non-printable characters as {@code &#92;uXXXX} or {@code \UXXXXXXXX}.
     */
    public static void appendGoQuoted(StringBuilder b, String s) {
        b.append('"');
        int n = s.length();
        for (int i = 0; i < n; ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            switch (cp) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case 7 -> b.append("\\a");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case 11 -> b.append("\\v");
                default -> {
                    if (cp < 0x20 || cp == 0x7f) {
                        b.append("\\x").append(HEX[cp >> 4]).append(HEX[cp & 0xf]);
                    } else if (Character.isSurrogate((char) cp) && cp < 0x10000) {
                        b.append("\\ufffd");
                    } else if (isGoPrintable(cp)) {
                        b.appendCodePoint(cp);
                    } else if (cp < 0x10000) {
                        appendUnicodeEscape(b, (char) cp);
                    } else {
                        b.append("\\U").append(String.format("%08x", cp));
                    }
                }
            }
        }
        b.append('"');
    }

    private static boolean isGoPrintable(int cp) {
        if (cp == ' ') {
            return true;
        }
        switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.UNASSIGNED, Character.PRIVATE_USE,
                    Character.SURROGATE, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                    Character.SPACE_SEPARATOR:
                return false;
            default:
                return true;
        }
    }

    // ---------------------------------------------------------------- from JSON

    /**
     * Parses one JSON value (surrounding white space allowed). Numbers keep their literal text; a
     * repeated object key keeps the last value (as Go does); an unpaired surrogate escape becomes
     * U+FFFD.
     *
     * @throws IllegalArgumentException for anything that is not JSON, with the offset and what was
     *                                  expected
     */
    public static Value parseJson(String json) {
        JsonReader r = new JsonReader(json);
        r.skipSpace();
        Value v = r.value(0);
        r.skipSpace();
        if (r.pos != json.length()) {
            throw r.error("end of input");
        }
        return v;
    }

    private static final class JsonReader {
        private final String s;
        private int pos;

        JsonReader(String s) {
            this.s = s;
        }

        IllegalArgumentException error(String expected) {
            String found = pos >= s.length() ? "end of input" : "'" + s.charAt(pos) + "'";
            return new IllegalArgumentException("invalid JSON at offset " + pos + ": expected " + expected
                    + " but found " + found);
        }

        void skipSpace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                    pos++;
                } else {
                    break;
                }
            }
        }

        Value value(int depth) {
            if (depth > MAX_JSON_DEPTH) {
                throw new IllegalArgumentException("invalid JSON at offset " + pos + ": nested deeper than "
                        + MAX_JSON_DEPTH + " levels");
            }
            if (pos >= s.length()) {
                throw error("a value");
            }
            char c = s.charAt(pos);
            switch (c) {
                case '{':
                    return object(depth);
                case '[':
                    return array(depth);
                case '"':
                    return StringValue.of(string());
                case 't':
                    literal("true");
                    return BooleanValue.TRUE;
                case 'f':
                    literal("false");
                    return BooleanValue.FALSE;
                case 'n':
                    literal("null");
                    return NullValue.NULL;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        return number();
                    }
                    throw error("a value");
            }
        }

        void literal(String word) {
            if (!s.startsWith(word, pos)) {
                throw error("'" + word + "'");
            }
            pos += word.length();
        }

        Value number() {
            int start = pos;
            while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
                pos++;
            }
            try {
                return NumberValue.parse(s.substring(start, pos));
            } catch (NumberFormatException e) {
                pos = start;
                throw new IllegalArgumentException("invalid JSON at offset " + start + ": " + e.getMessage(), e);
            }
        }

        Value array(int depth) {
            pos++;
            skipSpace();
            if (pos < s.length() && s.charAt(pos) == ']') {
                pos++;
                return ArrayValue.EMPTY;
            }
            List<Value> elements = new ArrayList<>();
            while (true) {
                skipSpace();
                elements.add(value(depth + 1));
                skipSpace();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                } else if (pos < s.length() && s.charAt(pos) == ']') {
                    pos++;
                    return ArrayValue.of(elements);
                } else {
                    throw error("',' or ']'");
                }
            }
        }

        Value object(int depth) {
            pos++;
            skipSpace();
            ObjectValue.Builder b = ObjectValue.builder();
            if (pos < s.length() && s.charAt(pos) == '}') {
                pos++;
                return b.build();
            }
            while (true) {
                skipSpace();
                if (pos >= s.length() || s.charAt(pos) != '"') {
                    throw error("a string key");
                }
                String key = string();
                skipSpace();
                if (pos >= s.length() || s.charAt(pos) != ':') {
                    throw error("':'");
                }
                pos++;
                skipSpace();
                b.put(key, value(depth + 1));
                skipSpace();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                } else if (pos < s.length() && s.charAt(pos) == '}') {
                    pos++;
                    return b.build();
                } else {
                    throw error("',' or '}'");
                }
            }
        }

        String string() {
            pos++; // opening quote
            StringBuilder b = null;
            int start = pos;
            while (true) {
                if (pos >= s.length()) {
                    throw error("'\"' to close the string");
                }
                char c = s.charAt(pos);
                if (c == '"') {
                    String out = b == null ? s.substring(start, pos) : b.append(s, start, pos).toString();
                    pos++;
                    return out;
                }
                if (c < 0x20) {
                    throw error("a string character (control characters must be escaped)");
                }
                if (c == '\\') {
                    if (b == null) {
                        b = new StringBuilder();
                    }
                    b.append(s, start, pos);
                    pos++;
                    pos = unescape(s, pos, b, this::error);
                    start = pos;
                } else {
                    pos++;
                }
            }
        }
    }

    /** Reports a bad escape at the reader's position; used by {@link #unescape}. */
    public interface EscapeErrors {
        /** The exception for a malformed escape, saying what was {@code expected}. */
        RuntimeException error(String expected);
    }

    /**
     * Decodes one JSON escape sequence (after the backslash at {@code s[pos-1]}) into {@code out};
     * returns the position after it. {@code &#92;uXXXX} pairs combine into one code point; an unpaired
     * surrogate becomes U+FFFD, as in Go.
     */
    public static int unescape(String s, int pos, StringBuilder out, EscapeErrors errors) {
        if (pos >= s.length()) {
            throw errors.error("an escape character after '\\'");
        }
        char e = s.charAt(pos);
        switch (e) {
            case '"', '\\', '/' -> out.append(e);
            case 'b' -> out.append('\b');
            case 'f' -> out.append('\f');
            case 'n' -> out.append('\n');
            case 'r' -> out.append('\r');
            case 't' -> out.append('\t');
            case 'u' -> {
                int cu = hex4(s, pos + 1);
                if (cu < 0) {
                    throw errors.error("four hex digits after '\\u'");
                }
                pos += 4;
                if (Character.isHighSurrogate((char) cu) && s.startsWith("\\u", pos + 1)) {
                    int lo = hex4(s, pos + 3);
                    if (lo >= 0 && Character.isLowSurrogate((char) lo)) {
                        out.append((char) cu).append((char) lo);
                        return pos + 7;
                    }
                }
                out.append(Character.isSurrogate((char) cu) ? '\ufffd' : (char) cu);
            }
            default -> throw errors.error("a valid escape (one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
        }
        return pos + 1;
    }

    private static int hex4(String s, int at) {
        if (at + 4 > s.length()) {
            return -1;
        }
        int v = 0;
        for (int i = at; i < at + 4; i++) {
            char c = s.charAt(i);
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) {
                return -1;
            }
            v = v << 4 | d;
        }
        return v;
    }
}
