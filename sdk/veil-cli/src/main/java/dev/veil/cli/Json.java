package dev.veil.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.veil.internal.text.ControlChars;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/** JSON reading and printing for the CLI: strict reading, errors with file:line:column. */
final class Json {
    /** Strict: no duplicate members, nothing after the value. Prints indented. */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final Pattern SOURCE_REF = Pattern.compile("\\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]");

    private Json() {}

    /**
     * Reads a file holding one JSON object.
     *
     * @param what how messages name the file, e.g. {@code "--input"}
     * @throws CliException when the file is missing or unreadable ({@code what FILE: ...}), is
     *     empty, is not valid JSON ({@code FILE:LINE:COLUMN: ...}) or is not an object
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> readObject(Path file, String what) {
        byte[] bytes = CliFiles.read(file, what);
        if (new String(bytes, StandardCharsets.UTF_8).isBlank()) {
            throw new CliException(what + " " + file + ": is empty, expected a JSON object");
        }
        Object v;
        try {
            v = MAPPER.readValue(bytes, Object.class);
        } catch (JsonProcessingException e) {
            throw new CliException(syntaxError(file.toString(), e), e);
        } catch (IOException e) {
            throw new CliException(what + " " + file + ": cannot be read: " + CliFiles.describe(e), e);
        }
        if (!(v instanceof Map)) {
            throw new CliException(file + ": expected a JSON object {...}, found " + describe(v));
        }
        return (Map<String, Object>) v;
    }

    /**
     * A JSON syntax error as {@code FILE:LINE:COLUMN: message} (1-based; line and column left out
     * when Jackson does not know them), without Jackson's source references.
     */
    static String syntaxError(String file, JsonProcessingException e) {
        JsonLocation loc = e.getLocation();
        String where = loc != null && loc.getLineNr() > 0
                ? file + ":" + loc.getLineNr() + ":" + Math.max(1, loc.getColumnNr())
                : file;
        return where + ": invalid JSON: " + clean(e.getOriginalMessage());
    }

    /** Jackson's message with "[Source: ...; line: L, column: C]" shortened to "line L, column C". */
    static String clean(String message) {
        if (message == null) {
            return "syntax error";
        }
        String m = stripSourceRefs(message);
        if (m.startsWith("Trailing token")) {
            return "unexpected content after the JSON value; a file holds exactly one value";
        }
        return m.replaceAll("\\R", " ");
    }

    /** Replaces Jackson's "[Source: ...; line: L, column: C]" by "line L, column C". */
    static String stripSourceRefs(String message) {
        return SOURCE_REF.matcher(message).replaceAll("line $1, column $2");
    }

    /** Describes a parsed JSON value's type for messages. */
    static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Map) {
            return "an object";
        }
        if (v instanceof java.util.List) {
            return "an array";
        }
        if (v instanceof String) {
            return "a string";
        }
        if (v instanceof Boolean) {
            return "a boolean";
        }
        if (v instanceof Number) {
            return "a number";
        }
        return "a " + v.getClass().getSimpleName();
    }

    /**
     * {@code v} as indented JSON for a terminal ({@code veil eval}'s decisions): every character that
     * hides or reorders text or renders as nothing ({@link ControlChars#escapedAt}: C0, DEL, C1,
     * U+2028/U+2029, format characters such as U+202E, lone surrogates, invisible fillers) written as
     * a {@code \\uXXXX} escape, so that a policy's message holding ESC[2J, U+009B or U+202E shows as
     * text instead of acting on the terminal. Still JSON, and of the same value. Files are written with
     * {@link #text} instead.
     */
    static String print(Object v) {
        return escapeHidden(text(v));
    }

    /**
     * {@code v} as indented JSON, as Jackson writes it (only characters below U+0020 escaped): for the
     * files the CLI writes (a key store, training statistics, a bundle's thresholds data.json), whose
     * bytes stay those of earlier versions; a program reads them, not a terminal.
     */
    static String text(Object v) {
        try {
            return MAPPER.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot print as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * JSON text {@code json} (as Jackson writes it) with each {@link ControlChars#escapedAt} character
     * escaped. Done on the text rather than with a Jackson {@code CharacterEscapes}, which is asked
     * about one UTF-16 unit at a time and so cannot tell a lone surrogate from half of a pair (an
     * emoji, which stays as it is, or a tag character, which is escaped). Outside strings JSON text
     * holds only ASCII punctuation, digits, letters and whitespace, and Jackson escapes every
     * character below U+0020 inside a string, so a raw line feed, carriage return or tab is the
     * indentation's and stays; any other such character is inside a string, where {@code \\uXXXX}
     * is the same character.
     */
    static String escapeHidden(String json) {
        StringBuilder sb = new StringBuilder(json.length() + 16);
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c == '\n' || c == '\r' || c == '\t') {
                sb.append(c);
            } else {
                ControlChars.appendAt(sb, json, i);
            }
        }
        return sb.toString();
    }
}
