package dev.veil.internal.bundle;

import dev.veil.PolicyLoadException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Hashes bundle files the way OPA does for bundle signatures ({@code bundle/hash.go}).
 *
 * <p>Structured documents, that is files named {@code data.json}, {@code data.yaml},
 * {@code signatures.json} or {@code .manifest} (OPA's {@code IsStructuredDoc}: note that
 * {@code data.yml} and every other {@code .json}/{@code .yaml} file, {@code *.veil.yaml}
 * included, are hashed as raw bytes, so that signatures made by {@code opa sign} verify here),
 * are parsed and hashed as compact JSON with object keys sorted by code point, strings escaped
 * as Go's {@code encoding/json} does with HTML escaping off, and JSON numbers written exactly as
 * they appear in the file. YAML numbers are written as Go writes the float64 or int64 it decodes
 * them to; OPA-compatible for ordinary documents, though YAML 1.1 corner cases (non-string keys
 * such as {@code yes:}) may hash differently from OPA. Every other file is hashed over its bytes.
 *
 * <p>Stateless and thread-safe.
 */
final class BundleHasher {
    /** OPA's default and Veil's: SHA-256. */
    static final String DEFAULT_ALGORITHM = "SHA-256";

    private BundleHasher() {}

    /**
     * The JCA name for an OPA hash algorithm name, or {@code null} when Veil does not accept it
     * ({@code MD5} and {@code SHA-1} are refused as too weak).
     */
    static String jcaName(String opaName) {
        switch (opaName) {
            case "SHA-224": return "SHA-224";
            case "SHA-256": return "SHA-256";
            case "SHA-384": return "SHA-384";
            case "SHA-512": return "SHA-512";
            case "SHA-512-224": return "SHA-512/224";
            case "SHA-512-256": return "SHA-512/256";
            default: return null;
        }
    }

    /** Whether OPA hashes this bundle path as a structured document. */
    static boolean isStructured(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        return name.equals("data.json") || name.equals("data.yaml") || name.equals("signatures.json")
                || name.equals(EntryCollector.MANIFEST);
    }

    /**
     * The lower-case hex digest of one bundle file.
     *
     * @param opaAlgorithm an algorithm accepted by {@link #jcaName}
     * @throws PolicyLoadException when a structured file does not parse
     */
    static String hash(String path, byte[] bytes, String opaAlgorithm) {
        String jca = jcaName(opaAlgorithm);
        if (jca == null) {
            throw new IllegalArgumentException("opaAlgorithm must be one of SHA-224, SHA-256, SHA-384, SHA-512,"
                    + " SHA-512-224, SHA-512-256, was " + opaAlgorithm);
        }
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance(jca);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + jca, e);
        }
        return HexFormat.of().formatHex(digest.digest(canonicalBytes(path, bytes)));
    }

    /** The bytes OPA hashes for a file: canonical JSON for structured documents, else the file. */
    static byte[] canonicalBytes(String path, byte[] bytes) {
        if (!isStructured(path)) {
            return bytes;
        }
        DocumentParser.Format format = DocumentParser.Format.of(path);
        Object value = DocumentParser.parse(bytes, format, path, true).value();
        StringBuilder sb = new StringBuilder(bytes.length);
        write(value, sb);
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    private static void write(Object value, StringBuilder sb) {
        if (value instanceof Map<?, ?> map) {
            List<String> keys = new ArrayList<>((java.util.Set<String>) map.keySet());
            keys.sort(BundleHasher::compareCodePoints);
            sb.append('{');
            for (int i = 0; i < keys.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                writeString(keys.get(i), sb);
                sb.append(':');
                write(map.get(keys.get(i)), sb);
            }
            sb.append('}');
        } else if (value instanceof List<?> list) {
            sb.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                write(list.get(i), sb);
            }
            sb.append(']');
        } else if (value instanceof String s) {
            writeString(s, sb);
        } else if (value instanceof DocumentParser.NumberLiteral n) {
            sb.append(n.text());
        } else if (value instanceof Long || value instanceof BigInteger) {
            sb.append(value);
        } else if (value instanceof Double d) {
            sb.append(goFloat(d));
        } else if (value == null) {
            sb.append("null");
        } else {
            sb.append(value); // Boolean
        }
    }

    /** Go's sort.Strings order: UTF-8 byte order, which is code point order. */
    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /** A string as Go's encoding/json writes it with SetEscapeHTML(false) (Go 1.22 and later). */
    static void writeString(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                case '\b': sb.append("\\b"); break;
                case '\f': sb.append("\\f"); break;
                case '\u2028': sb.append("\\u2028"); break;
                case '\u2029': sb.append("\\u2029"); break;
                default:
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1))) {
                        sb.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        sb.append('\ufffd'); // Go decodes a lone surrogate escape to U+FFFD
                    } else {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }

    /** A float64 as Go's encoding/json writes it. */
    static String goFloat(double d) {
        if (d == 0) {
            return (1 / d) < 0 ? "-0" : "0";
        }
        double abs = Math.abs(d);
        BigDecimal bd = new BigDecimal(Double.toString(abs)).stripTrailingZeros();
        String sign = d < 0 ? "-" : "";
        if (abs >= 1e-6 && abs < 1e21) {
            return sign + bd.toPlainString();
        }
        String digits = bd.unscaledValue().toString();
        int exponent = digits.length() - 1 - bd.scale();
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        int e = Math.abs(exponent);
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + e;
    }
}
