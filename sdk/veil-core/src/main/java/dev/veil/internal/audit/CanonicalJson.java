package dev.veil.internal.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;

/**
 * The one canonical JSON form that audit hashes are computed over, shared by the writer and the
 * verifier: object keys sorted by {@link String#compareTo}, no whitespace, integers in plain decimal,
 * doubles in their shortest round-trip form (Jackson's Schubfach writer, the same on every JDK),
 * non-finite doubles as the strings {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}, strings
 * as well-formed UTF-16 (a lone surrogate becomes U+FFFD). Stateless and thread-safe.
 */
public final class CanonicalJson {
    /** Generator factory for canonical output. */
    static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();

    /**
     * The longest line the verifier reads as a record, in bytes. Every record the writers produce is
     * shorter ({@link AuditSerializer#MAX_RECORDED_FEATURES}, {@link AuditSerializer#MAX_RECORDED_NAME_CHARS}).
     */
    static final int MAX_RECORD_BYTES = 64 * 1024 * 1024;

    /**
     * What the verifier's parser accepts: any string, name or document that fits in a line of
     * {@link #MAX_RECORD_BYTES} (so the line length is the only size limit, not Jackson's defaults of
     * 20M characters per string and 50,000 per name), numbers as long as the longest the writers
     * produce needs many times over, and the writers' nesting depth (5) with room to spare.
     */
    static final StreamReadConstraints READ_CONSTRAINTS = StreamReadConstraints.builder()
            .maxDocumentLength(MAX_RECORD_BYTES)
            .maxStringLength(MAX_RECORD_BYTES)
            .maxNameLength(MAX_RECORD_BYTES)
            .maxNumberLength(1000)
            .maxNestingDepth(100)
            .build();

    /** Reader for verification: rejects duplicate keys and trailing content, limits as {@link #READ_CONSTRAINTS}. */
    static final ObjectMapper READER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(READ_CONSTRAINTS)
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final HexFormat HEX = HexFormat.of();

    private CanonicalJson() {}

    /** A fresh SHA-256 digest. */
    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Lowercase hex SHA-256 of {@code buf[0, len)}. */
    static String sha256Hex(MessageDigest md, byte[] buf, int len) {
        md.reset();
        md.update(buf, 0, len);
        return HEX.formatHex(md.digest());
    }

    /** Writes a double in canonical form. */
    static void writeDouble(JsonGenerator g, double d) throws IOException {
        if (Double.isNaN(d)) {
            g.writeString("NaN");
        } else if (Double.isInfinite(d)) {
            g.writeString(d > 0 ? "Infinity" : "-Infinity");
        } else {
            g.writeNumber(d);
        }
    }

    /** Writes a string value, repaired to well-formed UTF-16. */
    static void writeString(JsonGenerator g, String s) throws IOException {
        g.writeString(wellFormed(s));
    }

    /** True when {@code s} has no lone surrogate (what the audit log can carry as it is). */
    public static boolean isWellFormed(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return false;
                }
            }
        }
        return true;
    }

    /** {@code s} with each lone surrogate replaced by U+FFFD (the same string when there is none). */
    static String wellFormed(String s) {
        if (isWellFormed(s)) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                b.append(c).append(s.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                b.append('\uFFFD');
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * Writes a parsed record in canonical form, its field {@code field} included, into {@code out}
     * (through {@code g}, which writes to it), and returns where that field's bytes lie in
     * {@code out}: {@code start << 32 | end}, the comma that separates it from its neighbour included,
     * so that leaving out that range gives exactly the canonical form without the field; -1 when the
     * record has no such field.
     */
    static long writeRecord(JsonGenerator g, ByteSink out, JsonNode n, String field) throws IOException {
        List<String> names = new ArrayList<>(n.size());
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        names.sort(null);
        long span = -1;
        g.writeStartObject();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            boolean marked = name.equals(field);
            if (marked) {
                g.flush();
            }
            int start = out.size();
            g.writeFieldName(wellFormed(name));
            writeTree(g, n.get(name), null);
            if (marked) {
                g.flush();
                // ",\"f\":v" when it follows another field; "\"f\":v," when it is the first of several
                span = (long) start << 32 | (out.size() + (i == 0 && names.size() > 1 ? 1 : 0));
            }
        }
        g.writeEndObject();
        return span;
    }

    /**
     * Writes a parsed tree in canonical form.
     *
     * @param g the generator
     * @param n the node
     * @param skipTopLevelField a field of the top-level object to leave out, or null
     */
    static void writeTree(JsonGenerator g, JsonNode n, String skipTopLevelField) throws IOException {
        switch (n.getNodeType()) {
            case OBJECT -> {
                List<String> names = new ArrayList<>(n.size());
                for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                    String name = it.next();
                    if (!name.equals(skipTopLevelField)) {
                        names.add(name);
                    }
                }
                names.sort(null);
                g.writeStartObject();
                for (String name : names) {
                    g.writeFieldName(wellFormed(name));
                    writeTree(g, n.get(name), null);
                }
                g.writeEndObject();
            }
            case ARRAY -> {
                g.writeStartArray();
                for (JsonNode e : n) {
                    writeTree(g, e, null);
                }
                g.writeEndArray();
            }
            case STRING -> writeString(g, n.textValue());
            case NUMBER -> {
                if (n.isIntegralNumber()) {
                    if (n.canConvertToLong()) {
                        g.writeNumber(n.longValue());
                    } else {
                        g.writeNumber(n.bigIntegerValue());
                    }
                } else {
                    writeDouble(g, n.doubleValue());
                }
            }
            case BOOLEAN -> g.writeBoolean(n.booleanValue());
            case NULL -> g.writeNull();
            default -> throw new IOException("unexpected JSON node type " + n.getNodeType());
        }
    }
}
