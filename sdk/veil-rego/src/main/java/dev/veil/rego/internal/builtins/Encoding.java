package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Encoding builtins as OPA's {@code topdown/encoding.go}: {@code base64.*}, {@code base64url.*},
 * {@code hex.*}, {@code json.marshal}, {@code json.marshal_with_options}, {@code json.unmarshal},
 * {@code json.is_valid} and {@code urlquery.*}, with Go's error messages
 * ({@code base64.decode: illegal base64 data at input byte 4},
 * {@code hex.decode: encoding/hex: invalid byte: U+0067 'g'}). Strings are UTF-8: decoded bytes
 * that are not valid UTF-8 become U+FFFD. The {@code yaml.*} builtins are in {@link Yaml}.
 */
public final class Encoding {
    private static final char[] STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".toCharArray();
    private static final char[] URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".toCharArray();
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final char[] HEX_UPPER = "0123456789ABCDEF".toCharArray();

    /** Every builtin of this topic. */
    public static final List<Builtin> ALL = List.of(
            Builtin.of("base64.encode", 1, (a, c) -> str(encode(bytes("base64.encode", a[0]), STD, true))),
            Builtin.of("base64.decode", 1, (a, c) -> str(decode("base64.decode", bytes("base64.decode", a[0]), STD,
                    true))),
            Builtin.of("base64.is_valid", 1, (a, c) -> BooleanValue.of(a[0] instanceof StringValue s
                    && isValid(s.value().getBytes(StandardCharsets.UTF_8)))),
            Builtin.of("base64url.encode", 1, (a, c) -> str(encode(bytes("base64url.encode", a[0]), URL, true))),
            Builtin.of("base64url.encode_no_pad", 1, (a, c) -> str(encode(bytes("base64url.encode_no_pad", a[0]), URL,
                    false))),
            Builtin.of("base64url.decode", 1, (a, c) -> base64UrlDecode(a[0])),
            Builtin.of("hex.encode", 1, (a, c) -> hexEncode(bytes("hex.encode", a[0]))),
            Builtin.of("hex.decode", 1, (a, c) -> str(hexDecode(bytes("hex.decode", a[0])))),
            Builtin.of("json.marshal", 1, (a, c) -> StringValue.of(Values.toJson(a[0]))),
            Builtin.of("json.marshal_with_options", 2, (a, c) -> marshalWithOptions(a[0], a[1])),
            Builtin.of("json.unmarshal", 1, (a, c) -> unmarshal(Operands.string("json.unmarshal", a[0], 1))),
            Builtin.of("json.is_valid", 1, (a, c) -> BooleanValue.of(a[0] instanceof StringValue s && isJson(s))),
            Builtin.of("urlquery.encode", 1, (a, c) -> StringValue.of(queryEscape(
                    Operands.string("urlquery.encode", a[0], 1)))),
            Builtin.of("urlquery.decode", 1, (a, c) -> StringValue.of(queryUnescape("urlquery.decode",
                    Operands.string("urlquery.decode", a[0], 1)))),
            Builtin.of("urlquery.encode_object", 1, (a, c) -> encodeObject(a[0])),
            Builtin.of("urlquery.decode_object", 1, (a, c) -> decodeObject(
                    Operands.string("urlquery.decode_object", a[0], 1))));

    private Encoding() {
    }

    private static byte[] bytes(String name, Value v) {
        return Operands.string(name, v, 1).getBytes(StandardCharsets.UTF_8);
    }

    private static StringValue str(byte[] b) {
        return StringValue.of(new String(b, StandardCharsets.UTF_8));
    }

    private static StringValue str(String s) {
        return StringValue.of(s);
    }

    // ---------------------------------------------------------------- base64

    static String encode(byte[] in, char[] alphabet, boolean pad) {
        StringBuilder b = new StringBuilder((in.length + 2) / 3 * 4);
        int i = 0;
        for (; i + 2 < in.length; i += 3) {
            int n = (in[i] & 0xff) << 16 | (in[i + 1] & 0xff) << 8 | in[i + 2] & 0xff;
            b.append(alphabet[n >> 18 & 63]).append(alphabet[n >> 12 & 63]).append(alphabet[n >> 6 & 63])
                    .append(alphabet[n & 63]);
        }
        int rest = in.length - i;
        if (rest > 0) {
            int n = (in[i] & 0xff) << 16 | (rest == 2 ? (in[i + 1] & 0xff) << 8 : 0);
            b.append(alphabet[n >> 18 & 63]).append(alphabet[n >> 12 & 63]);
            if (rest == 2) {
                b.append(alphabet[n >> 6 & 63]);
            } else if (pad) {
                b.append('=');
            }
            if (pad) {
                b.append('=');
            }
        }
        return b.toString();
    }

    /** Signals Go's {@code CorruptInputError}: the byte offset of the first bad input. */
    private static final class Corrupt extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int offset;

        Corrupt(int offset) {
            super(null, null, false, false);
            this.offset = offset;
        }
    }

    private static byte[] decode(String name, byte[] src, char[] alphabet, boolean padded) {
        try {
            return decode(src, alphabet, padded);
        } catch (Corrupt e) {
            throw new BuiltinError(name, "illegal base64 data at input byte " + e.offset);
        }
    }

    private static boolean isValid(byte[] src) {
        try {
            decode(src, STD, true);
            return true;
        } catch (Corrupt e) {
            return false;
        }
    }

    private static int[] reverse(char[] alphabet) {
        int[] r = new int[256];
        java.util.Arrays.fill(r, -1);
        for (int i = 0; i < alphabet.length; i++) {
            r[alphabet[i]] = i;
        }
        return r;
    }

    private static final int[] REV_STD = reverse(STD);
    private static final int[] REV_URL = reverse(URL);

    /** Go's base64 decoding (newlines ignored, padding checked as Go checks it). */
    private static byte[] decode(byte[] src, char[] alphabet, boolean padded) {
        int[] rev = alphabet == STD ? REV_STD : REV_URL;
        ByteArrayOutputStream out = new ByteArrayOutputStream(src.length * 3 / 4);
        int si = 0;
        while (true) {
            int[] q = new int[4];
            int j = 0;
            boolean end = false;
            while (j < 4) {
                if (si == src.length) {
                    if (j == 0) {
                        return out.toByteArray();
                    }
                    if (j == 1 || padded) {
                        throw new Corrupt(si - j);
                    }
                    end = true;
                    break;
                }
                int in = src[si] & 0xff;
                si++;
                if (in == '\n' || in == '\r') {
                    continue;
                }
                if (rev[in] >= 0) {
                    q[j++] = rev[in];
                    continue;
                }
                if (in != '=' || !padded) {
                    throw new Corrupt(si - 1);
                }
                // padding
                if (j == 0 || j == 1) {
                    throw new Corrupt(si - 1);
                }
                if (j == 2) {
                    while (si < src.length && (src[si] == '\n' || src[si] == '\r')) {
                        si++;
                    }
                    if (si == src.length) {
                        throw new Corrupt(src.length);
                    }
                    if (src[si] != '=') {
                        throw new Corrupt(si - 1);
                    }
                    si++;
                }
                while (si < src.length && (src[si] == '\n' || src[si] == '\r')) {
                    si++;
                }
                if (si < src.length) {
                    throw new Corrupt(si);
                }
                end = true;
                break;
            }
            int n = q[0] << 18 | q[1] << 12 | q[2] << 6 | q[3];
            int bytes = end ? j - 1 : 3;
            out.write(n >> 16 & 0xff);
            if (bytes > 1) {
                out.write(n >> 8 & 0xff);
            }
            if (bytes > 2) {
                out.write(n & 0xff);
            }
            if (end) {
                return out.toByteArray();
            }
        }
    }

    private static Value base64UrlDecode(Value v) {
        String s = Operands.string("base64url.decode", v, 1);
        if (!s.endsWith("=")) {
            int mod = s.getBytes(StandardCharsets.UTF_8).length % 4;
            if (mod == 2) {
                s += "==";
            } else if (mod == 3) {
                s += "=";
            } else if (mod == 1) {
                throw new BuiltinError("base64url.decode", "illegal base64url string: " + s);
            }
        }
        return str(decode("base64url.decode", s.getBytes(StandardCharsets.UTF_8), URL, true));
    }

    // ---------------------------------------------------------------- hex

    private static Value hexEncode(byte[] in) {
        char[] out = new char[in.length * 2];
        for (int i = 0; i < in.length; i++) {
            out[2 * i] = HEX[in[i] >> 4 & 0xf];
            out[2 * i + 1] = HEX[in[i] & 0xf];
        }
        return StringValue.of(new String(out));
    }

    private static int hexDigit(int b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }

    private static byte[] hexDecode(byte[] src) {
        byte[] out = new byte[src.length / 2];
        int j = 1;
        for (; j < src.length; j += 2) {
            int a = hexDigit(src[j - 1] & 0xff);
            int b = hexDigit(src[j] & 0xff);
            if (a < 0) {
                throw invalidHexByte(src[j - 1] & 0xff);
            }
            if (b < 0) {
                throw invalidHexByte(src[j] & 0xff);
            }
            out[j / 2] = (byte) (a << 4 | b);
        }
        if (src.length % 2 == 1) {
            if (hexDigit(src[j - 1] & 0xff) < 0) {
                throw invalidHexByte(src[j - 1] & 0xff);
            }
            throw new BuiltinError("hex.decode", "encoding/hex: odd length hex string");
        }
        return out;
    }

    /** Go's {@code %#U}: {@code U+0067 'g'}. */
    private static BuiltinError invalidHexByte(int b) {
        String u = String.format("U+%04X", b);
        if (b >= 0x20 && b != 0x7f && !(b >= 0x80 && b <= 0xa0) && b != 0xad) { // Go's strconv.IsPrint
            u += " '" + (char) b + "'";
        }
        return new BuiltinError("hex.decode", "encoding/hex: invalid byte: " + u);
    }

    // ---------------------------------------------------------------- json

    private static Value marshalWithOptions(Value x, Value opts) {
        String name = "json.marshal_with_options";
        ObjectValue o = Operands.object(name, opts, 2);
        String prefix = "";
        String indent = "\t";
        Boolean pretty = null;
        boolean implicit = false;
        int idx = 0;
        for (Value k : o.keys()) {
            Value v = o.get(k);
            if (!(k instanceof StringValue)) {
                throw RegoTypeError.operandDetail(2, "failed to stringify key " + k + " at index " + idx
                        + ": operand " + idx + " must be string but got " + k.typeName()).withBuiltin(name);
            }
            String key = ((StringValue) k).value();
            if ("prefix".equals(key) || "indent".equals(key)) {
                if (!(v instanceof StringValue s)) {
                    throw RegoTypeError.operandDetail(2, "key " + k + " failed cast to string: operand " + idx
                            + " must be string but got " + v.typeName()).withBuiltin(name);
                }
                if (key.equals("prefix")) {
                    prefix = s.value();
                } else {
                    indent = s.value();
                }
                implicit = true;
            } else if ("pretty".equals(key)) {
                if (!(v instanceof BooleanValue b)) {
                    throw RegoTypeError.operandDetail(2, "key " + k + " failed cast to bool").withBuiltin(name);
                }
                pretty = b.value();
            } else {
                throw RegoTypeError.operandDetail(2, "object contained unknown key " + k).withBuiltin(name);
            }
            idx++;
        }
        String json = Values.toJson(x);
        if (pretty != null ? !pretty : !implicit) {
            return StringValue.of(json);
        }
        return StringValue.of(prefix + indent(json, prefix, indent));
    }

    /** Go's {@code json.Indent}: a newline, the prefix and the indent per level; empty containers stay. */
    static String indent(String json, String prefix, String indent) {
        StringBuilder b = new StringBuilder(json.length() * 2);
        int depth = 0;
        boolean inString = false;
        boolean needIndent = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                b.append(c);
                if (c == '\\') {
                    b.append(json.charAt(++i));
                } else if (c == '"') {
                    inString = false;
                }
                continue;
            }
            if (needIndent && c != ']' && c != '}') {
                needIndent = false;
                depth++;
                newline(b, prefix, indent, depth);
            }
            switch (c) {
                case '"' -> {
                    inString = true;
                    b.append(c);
                }
                case '{', '[' -> {
                    needIndent = true;
                    b.append(c);
                }
                case ',' -> {
                    b.append(c);
                    newline(b, prefix, indent, depth);
                }
                case ':' -> b.append(": ");
                case '}', ']' -> {
                    if (needIndent) {
                        needIndent = false;
                    } else {
                        depth--;
                        newline(b, prefix, indent, depth);
                    }
                    b.append(c);
                }
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static void newline(StringBuilder b, String prefix, String indent, int depth) {
        b.append('\n').append(prefix);
        for (int i = 0; i < depth; i++) {
            b.append(indent);
        }
    }

    private static Value unmarshal(String s) {
        try {
            return Values.parseJson(s);
        } catch (IllegalArgumentException e) {
            throw new BuiltinError("json.unmarshal", goJsonError(e.getMessage()));
        }
    }

    private static final Pattern JSON_ERROR = Pattern.compile(
            "invalid JSON at offset \\d+: expected (.*) but found (end of input|'(.*)')", Pattern.DOTALL);

    /** Our JSON reader's message in the words of Go's {@code encoding/json}, where they map. */
    static String goJsonError(String message) {
        Matcher m = JSON_ERROR.matcher(message == null ? "" : message);
        if (!m.matches()) {
            return message;
        }
        if (m.group(3) == null) {
            return "unexpected end of JSON input";
        }
        String expected = m.group(1);
        String c = m.group(3);
        String ch = c.equals("'") ? "'\\''" : "'" + c + "'";
        String where;
        if (expected.equals("a value")) {
            where = "looking for beginning of value";
        } else if (expected.equals("',' or ']'")) {
            where = "after array element";
        } else if (expected.equals("a string key")) {
            where = "looking for beginning of object key string";
        } else if (expected.equals("':'")) {
            where = "after object key";
        } else if (expected.equals("',' or '}'")) {
            where = "after object key:value pair";
        } else if (expected.equals("end of input")) {
            where = "after top-level value";
        } else if (expected.startsWith("'") && expected.endsWith("'") && expected.length() > 2) {
            where = "in literal " + expected.substring(1, expected.length() - 1);
        } else if (expected.contains("escape")) {
            where = "in string escape code";
        } else {
            where = "in string literal";
        }
        return "invalid character " + ch + " " + where;
    }

    private static boolean isJson(StringValue s) {
        try {
            Values.parseJson(s.value());
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- urlquery

    /** Go's {@code url.QueryEscape}. */
    static String queryEscape(String s) {
        byte[] in = s.getBytes(StandardCharsets.UTF_8);
        StringBuilder b = new StringBuilder(in.length);
        for (byte x : in) {
            int c = x & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
                    || c == '.' || c == '~') {
                b.append((char) c);
            } else if (c == ' ') {
                b.append('+');
            } else {
                b.append('%').append(HEX_UPPER[c >> 4]).append(HEX_UPPER[c & 0xf]);
            }
        }
        return b.toString();
    }

    /** Go's {@code url.QueryUnescape}. */
    static String queryUnescape(String name, String s) {
        byte[] in = s.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        for (int i = 0; i < in.length; i++) {
            int c = in[i] & 0xff;
            if (c == '%') {
                if (i + 2 >= in.length || hexDigit(in[i + 1] & 0xff) < 0 || hexDigit(in[i + 2] & 0xff) < 0) {
                    String bad = new String(in, i, Math.min(3, in.length - i), StandardCharsets.UTF_8);
                    StringBuilder q = new StringBuilder();
                    Values.appendGoQuoted(q, bad);
                    throw new BuiltinError(name, "invalid URL escape " + q);
                }
                out.write(hexDigit(in[i + 1] & 0xff) << 4 | hexDigit(in[i + 2] & 0xff));
                i += 2;
            } else if (c == '+') {
                out.write(' ');
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static Value encodeObject(Value v) {
        String name = "urlquery.encode_object";
        ObjectValue o = Operands.object(name, v, 1);
        Map<String, List<String>> query = new TreeMap<>();
        for (Value k : o.keys()) {
            String key = k instanceof StringValue s ? s.value() : Values.toJson(k);
            Value val = o.get(k);
            List<String> vals = new ArrayList<>();
            if (val instanceof StringValue s) {
                vals.add(s.value());
            } else if (val instanceof ArrayValue || val instanceof SetValue) {
                List<Value> elems = val instanceof ArrayValue a ? a.asList() : ((SetValue) val).elements();
                for (Value e : elems) {
                    if (!(e instanceof StringValue s)) {
                        throw encodeObjectError();
                    }
                    vals.add(s.value());
                }
            } else {
                throw encodeObjectError();
            }
            query.put(key, vals);
        }
        StringBuilder b = new StringBuilder();
        query.forEach((k, vals) -> {
            for (String x : vals) {
                if (b.length() > 0) {
                    b.append('&');
                }
                b.append(queryEscape(k)).append('=').append(queryEscape(x));
            }
        });
        return StringValue.of(b.toString());
    }

    private static RegoTypeError encodeObjectError() {
        return RegoTypeError.operandDetail(1, "values must be string, array[string], or set[string]")
                .withBuiltin("urlquery.encode_object");
    }

    /** Go's {@code url.ParseQuery}: keys to arrays of values, in order; the first error wins. */
    private static Value decodeObject(String s) {
        String name = "urlquery.decode_object";
        Map<String, List<Value>> m = new LinkedHashMap<>();
        String firstError = null;
        for (String part : s.split("&", -1)) {
            if (part.isEmpty()) {
                continue;
            }
            if (part.contains(";")) {
                firstError = firstError != null ? firstError : "invalid semicolon separator in query";
                continue;
            }
            int eq = part.indexOf('=');
            String k = eq < 0 ? part : part.substring(0, eq);
            String val = eq < 0 ? "" : part.substring(eq + 1);
            try {
                String key = queryUnescape(name, k);
                String value = queryUnescape(name, val);
                m.computeIfAbsent(key, x -> new ArrayList<>()).add(StringValue.of(value));
            } catch (BuiltinError e) {
                firstError = firstError != null ? firstError : e.reason();
            }
        }
        if (firstError != null) {
            throw new BuiltinError(name, firstError);
        }
        ObjectValue.Builder b = ObjectValue.builder();
        m.forEach((k, vals) -> b.put(k, ArrayValue.of(vals)));
        return b.build();
    }
}
