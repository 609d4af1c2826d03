package dev.veil.internal.audit;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import dev.veil.Caller;
import dev.veil.Features;
import dev.veil.Reason;
import dev.veil.ReasonCode;
import dev.veil.ReleasedPrediction;
import dev.veil.Signal;
import dev.veil.Stage;
import dev.veil.internal.validation.Violation;
import dev.veil.spi.FieldMode;
import dev.veil.spi.LoggingDecision;
import dev.veil.spi.PredictionSummary;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Turns {@link AuditRecord}s into hash-chained JSON lines: applies the record's
 * {@link LoggingDecision} (KEEP, MASK into {@code erased}, DIGEST into {@code masked}), writes the
 * record in canonical form ({@link CanonicalJson}), hashes it with the previous record's hash, and
 * inserts {@code hash} at its sorted place, so every line is itself canonical JSON.
 *
 * <p>Holds the chain's state (the previous hash): not thread-safe, one per writer thread, and the
 * order of {@link #append} calls is the order of the chain.
 */
final class AuditSerializer {
    /** {@code prev_hash} of the first record of a file. */
    static final String ZERO_HASH = "0".repeat(64);

    static final String PATH_CALLER_ATTRIBUTES = "/caller/attributes";
    static final String PATH_INPUT_FEATURES = "/input/features";
    static final String PATH_INPUT_NAMES = "/input/names";
    static final String PATH_RAW = "/raw";
    static final String PATH_RESULT_RELEASED = "/result/released";

    /**
     * The most feature values a record holds as values: a longer vector is recorded as its digest,
     * whatever the policy's {@code logging.input}, with {@code input.size}. At most 25 bytes each
     * (a comma and {@code -2.2250738585072014E-308}), so at most 25 MB.
     */
    static final int MAX_RECORDED_FEATURES = 1_000_000;

    /**
     * The most characters (UTF-16 units) the feature names of a record hold together: longer names,
     * or more than {@link #MAX_RECORDED_FEATURES} of them, are recorded as the digest of their
     * canonical JSON. At most 6 bytes a character (a control character's escape) and 3 a name
     * (quotes, comma): 9 MB.
     */
    static final int MAX_RECORDED_NAME_CHARS = 1_000_000;

    /**
     * The most characters of a reason's message a record holds (a message can quote the request's
     * feature names); a longer one is cut there and says how long it was.
     */
    static final int MAX_RECORDED_MESSAGE_CHARS = 4096;

    private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");

    private static final DateTimeFormatter TIMESTAMP = new DateTimeFormatterBuilder()
            .appendPattern("uuuu-MM-dd'T'HH:mm:ss")
            .appendFraction(ChronoField.NANO_OF_SECOND, 9, 9, true)
            .appendLiteral('Z')
            .toFormatter(Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /** Stages sorted by id, the canonical key order of {@code stages}. */
    private static final Stage[] STAGES_BY_ID =
            Arrays.stream(Stage.values()).sorted(Comparator.comparing(Stage::id)).toArray(Stage[]::new);

    private static final VarHandle BIG_ENDIAN_DOUBLE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private static final Comparator<Signal> BY_NAME = Comparator.comparing(Signal::name);

    // Field names, quoted and encoded once (Jackson writes their bytes as they are).
    private static final SerializableString K_ALERTS = new SerializedString("alerts");
    private static final SerializableString K_ALLOWED = new SerializedString("allowed");
    private static final SerializableString K_APPLIED = new SerializedString("applied");
    private static final SerializableString K_ATTRIBUTES = new SerializedString("attributes");
    private static final SerializableString K_BUNDLES = new SerializedString("bundles");
    private static final SerializableString K_CALLER = new SerializedString("caller");
    private static final SerializableString K_CODE = new SerializedString("code");
    private static final SerializableString K_DECISION_ID = new SerializedString("decision_id");
    private static final SerializableString K_DEGRADED = new SerializedString("degraded");
    private static final SerializableString K_ENTROPY = new SerializedString("entropy");
    private static final SerializableString K_ERASED = new SerializedString("erased");
    private static final SerializableString K_FEATURES = new SerializedString("features");
    private static final SerializableString K_ID = new SerializedString("id");
    private static final SerializableString K_INPUT = new SerializedString("input");
    private static final SerializableString K_LABEL = new SerializedString("label");
    private static final SerializableString K_LATENCY_NS = new SerializedString("latency_ns");
    private static final SerializableString K_LEVEL = new SerializedString("level");
    private static final SerializableString K_MARGIN = new SerializedString("margin");
    private static final SerializableString K_MASKED = new SerializedString("masked");
    private static final SerializableString K_MESSAGE = new SerializedString("message");
    private static final SerializableString K_METHOD = new SerializedString("method");
    private static final SerializableString K_MODEL = new SerializedString("model");
    private static final SerializableString K_NAME = new SerializedString("name");
    private static final SerializableString K_NAMES = new SerializedString("names");
    private static final SerializableString K_PATH = new SerializedString("path");
    private static final SerializableString K_PAYLOAD_BYTES = new SerializedString("payload_bytes");
    private static final SerializableString K_PREV_HASH = new SerializedString("prev_hash");
    private static final SerializableString K_RAW = new SerializedString("raw");
    private static final SerializableString K_REASONS = new SerializedString("reasons");
    private static final SerializableString K_RELEASED = new SerializedString("released");
    private static final SerializableString K_RESULT = new SerializedString("result");
    private static final SerializableString K_REVISION = new SerializedString("revision");
    private static final SerializableString K_ROLES = new SerializedString("roles");
    private static final SerializableString K_RULE = new SerializedString("rule");
    private static final SerializableString K_RULES = new SerializedString("rules");
    private static final SerializableString K_SCORE = new SerializedString("score");
    private static final SerializableString K_SCORES = new SerializedString("scores");
    private static final SerializableString K_SIZE = new SerializedString("size");
    private static final SerializableString K_SIGNALS = new SerializedString("signals");
    private static final SerializableString K_STAGE = new SerializedString("stage");
    private static final SerializableString K_STAGES = new SerializedString("stages");
    private static final SerializableString K_TENANT = new SerializedString("tenant");
    private static final SerializableString K_TIMESTAMP = new SerializedString("timestamp");
    private static final SerializableString K_TOP_LABEL = new SerializedString("top_label");
    private static final SerializableString K_TOP_SCORE = new SerializedString("top_score");
    private static final SerializableString K_VALUE = new SerializedString("value");
    private static final SerializableString K_VERSION = new SerializedString("version");

    private final MessageDigest sha = CanonicalJson.sha256();
    private final ByteSink body = new ByteSink(4096);
    private final ByteSink scratch = new ByteSink(1024);
    /** Scratch space for a feature vector's bytes ({@link #vectorDigest}), a chunk at a time. */
    private final byte[] vectorBytes = new byte[8 * VECTOR_CHUNK];
    private final String[] erased = new String[5];
    private final String[] masked = new String[5];
    private String prevHash;

    /**
     * @param prevHash the hash of the record before the first one this serialiser writes (64 zeros
     *     for a new file)
     */
    AuditSerializer(String prevHash) {
        if (prevHash == null || !HASH.matcher(prevHash).matches()) {
            throw new IllegalArgumentException("prevHash must be 64 lowercase hex digits, was " + prevHash);
        }
        this.prevHash = prevHash;
    }

    /** @return the hash of the last record written (the next record's {@code prev_hash}) */
    String lastHash() {
        return prevHash;
    }

    /**
     * Goes back in the chain: the next record follows the record whose hash is {@code lastHash}
     * (one of the hashes {@link #lastHash()} returned), as after a batch that was not written.
     */
    void rewind(String lastHash) {
        if (lastHash == null || !HASH.matcher(lastHash).matches()) {
            throw new IllegalArgumentException("lastHash must be 64 lowercase hex digits, was " + lastHash);
        }
        this.prevHash = lastHash;
    }

    /**
     * Appends one record as a line (with its trailing newline) to {@code out} and advances the chain.
     *
     * @param r the record
     * @param out where the line goes
     * @return the record's hash
     * @throws IOException only when the JSON generator fails (a bug): the chain is then not advanced
     */
    String append(AuditRecord r, ByteSink out) throws IOException {
        LoggingDecision ld = r.logging();
        Caller caller = r.caller();
        Features features = r.features();
        ReleasedPrediction released = r.released();
        PredictionSummary raw = r.raw();

        // Field modes; a field that is absent from the record is neither erased nor masked.
        int nErased = 0;
        int nMasked = 0;
        String attributesDigest = null;
        String featuresDigest = null;
        String namesDigest = null;
        String rawDigest = null;
        String releasedDigest = null;
        switch (ld.caller()) {
            case MASK -> erased[nErased++] = PATH_CALLER_ATTRIBUTES;
            case DIGEST -> {
                masked[nMasked++] = PATH_CALLER_ATTRIBUTES;
                attributesDigest = digest(g -> writeAttributes(g, caller.attributes()));
            }
            case KEEP -> { }
        }
        // An input too large to hold (or refused for its size or shape, as an attacker's would be) is
        // recorded as its digest and its size, so that every record stays one the verifier reads.
        FieldMode inputMode = ld.input();
        boolean namesTooLarge = false;
        boolean sizeRecorded = false;
        if (features != null) {
            boolean vectorTooLarge = vectorTooLarge(r, features);
            namesTooLarge = features.isNamed() && !namesFit(features.names());
            if (vectorTooLarge && inputMode == FieldMode.KEEP) {
                inputMode = FieldMode.DIGEST;
            }
            sizeRecorded = vectorTooLarge || namesTooLarge;
            switch (inputMode) {
                case MASK -> erased[nErased++] = PATH_INPUT_FEATURES;
                case DIGEST -> {
                    masked[nMasked++] = PATH_INPUT_FEATURES;
                    featuresDigest = vectorDigest(features.vector());
                }
                case KEEP -> { }
            }
            if (namesTooLarge) {
                masked[nMasked++] = PATH_INPUT_NAMES;
                namesDigest = digest(g -> writeNames(g, features.names()));
            }
        }
        if (raw != null) {
            switch (ld.raw()) {
                case MASK -> erased[nErased++] = PATH_RAW;
                case DIGEST -> {
                    masked[nMasked++] = PATH_RAW;
                    rawDigest = digest(g -> writeRaw(g, raw));
                }
                case KEEP -> { }
            }
        }
        if (released != null) {
            switch (ld.output()) {
                case MASK -> erased[nErased++] = PATH_RESULT_RELEASED;
                case DIGEST -> {
                    masked[nMasked++] = PATH_RESULT_RELEASED;
                    releasedDigest = digest(g -> writeReleased(g, released));
                }
                case KEEP -> { }
            }
        }

        body.reset();
        int hashAt;
        try (JsonGenerator g = CanonicalJson.FACTORY.createGenerator(body, JsonEncoding.UTF8)) {
            g.writeStartObject();
            // Keys in sorted order: alerts, bundles, caller, decision_id, erased, [hash], input,
            // latency_ns, masked, model, path, prev_hash, raw, result, rules, signals, stages, timestamp.
            g.writeFieldName(K_ALERTS);
            g.writeStartArray();
            for (String a : r.alerts()) {
                CanonicalJson.writeString(g, a);
            }
            g.writeEndArray();

            g.writeFieldName(K_BUNDLES);
            g.writeStartObject();
            g.writeObjectFieldStart(r.bundleName());
            g.writeFieldName(K_REVISION);
            CanonicalJson.writeString(g, r.bundleRevision());
            g.writeEndObject();
            g.writeEndObject();

            g.writeFieldName(K_CALLER);
            g.writeStartObject();
            if (ld.caller() == FieldMode.KEEP) {
                g.writeFieldName(K_ATTRIBUTES);
                writeAttributes(g, caller.attributes());
            } else if (ld.caller() == FieldMode.DIGEST) {
                g.writeFieldName(K_ATTRIBUTES);
                g.writeString(attributesDigest);
            }
            g.writeFieldName(K_ID);
            CanonicalJson.writeString(g, caller.id());
            g.writeFieldName(K_METHOD);
            g.writeString(caller.method().id());
            g.writeFieldName(K_ROLES);
            g.writeStartArray();
            String[] roles = caller.roles().toArray(new String[0]);
            Arrays.sort(roles);
            for (String role : roles) {
                CanonicalJson.writeString(g, role);
            }
            g.writeEndArray();
            g.writeFieldName(K_TENANT);
            CanonicalJson.writeString(g, caller.tenant());
            g.writeEndObject();

            g.writeFieldName(K_DECISION_ID);
            CanonicalJson.writeString(g, r.decisionId());

            g.writeFieldName(K_ERASED);
            g.writeStartArray();
            for (int i = 0; i < nErased; i++) {
                g.writeString(erased[i]);
            }
            g.writeEndArray();

            g.flush();
            hashAt = body.size();

            g.writeFieldName(K_INPUT);
            g.writeStartObject();
            if (features != null) {
                if (inputMode == FieldMode.KEEP) {
                    g.writeFieldName(K_FEATURES);
                    writeVector(g, features.vector());
                } else if (inputMode == FieldMode.DIGEST) {
                    g.writeFieldName(K_FEATURES);
                    g.writeString(featuresDigest);
                }
                if (namesTooLarge) {
                    g.writeFieldName(K_NAMES);
                    g.writeString(namesDigest);
                } else if (features.isNamed()) {
                    g.writeFieldName(K_NAMES);
                    writeNames(g, features.names());
                }
            }
            g.writeFieldName(K_PAYLOAD_BYTES);
            g.writeNumber(r.payloadBytes());
            if (sizeRecorded) {
                g.writeFieldName(K_SIZE);
                g.writeNumber(features.size());
            }
            g.writeEndObject();

            g.writeFieldName(K_LATENCY_NS);
            g.writeNumber(r.latencyNanos());

            g.writeFieldName(K_MASKED);
            g.writeStartArray();
            for (int i = 0; i < nMasked; i++) {
                g.writeString(masked[i]);
            }
            g.writeEndArray();

            g.writeFieldName(K_MODEL);
            g.writeStartObject();
            g.writeFieldName(K_NAME);
            CanonicalJson.writeString(g, r.modelName());
            g.writeFieldName(K_VERSION);
            CanonicalJson.writeString(g, r.modelVersion());
            g.writeEndObject();

            g.writeFieldName(K_PATH);
            CanonicalJson.writeString(g, r.path());

            g.writeFieldName(K_PREV_HASH);
            g.writeString(prevHash);

            if (raw != null) {
                if (ld.raw() == FieldMode.KEEP) {
                    g.writeFieldName(K_RAW);
                    writeRaw(g, raw);
                } else if (ld.raw() == FieldMode.DIGEST) {
                    g.writeFieldName(K_RAW);
                    g.writeString(rawDigest);
                }
            }

            g.writeFieldName(K_RESULT);
            g.writeStartObject();
            g.writeFieldName(K_ALLOWED);
            g.writeBoolean(r.allowed());
            if (released != null) {
                g.writeFieldName(K_APPLIED);
                g.writeStartArray();
                for (String a : released.applied()) {
                    CanonicalJson.writeString(g, a);
                }
                g.writeEndArray();
                g.writeFieldName(K_DEGRADED);
                g.writeBoolean(r.degraded());
            }
            if (!r.reasons().isEmpty()) {
                g.writeFieldName(K_REASONS);
                g.writeStartArray();
                for (Reason reason : r.reasons()) {
                    g.writeStartObject();
                    g.writeFieldName(K_CODE);
                    g.writeString(reason.code().code());
                    g.writeFieldName(K_MESSAGE);
                    CanonicalJson.writeString(g, recordedMessage(reason.message()));
                    g.writeFieldName(K_RULE);
                    CanonicalJson.writeString(g, reason.rule());
                    g.writeFieldName(K_STAGE);
                    g.writeString(reason.stage().id());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            if (released != null) {
                if (ld.output() == FieldMode.KEEP) {
                    g.writeFieldName(K_RELEASED);
                    writeReleased(g, released);
                } else if (ld.output() == FieldMode.DIGEST) {
                    g.writeFieldName(K_RELEASED);
                    g.writeString(releasedDigest);
                }
            }
            g.writeEndObject();

            g.writeFieldName(K_RULES);
            g.writeStartArray();
            for (String rule : r.rules()) {
                CanonicalJson.writeString(g, rule);
            }
            g.writeEndArray();

            g.writeFieldName(K_SIGNALS);
            g.writeStartObject();
            List<Signal> signals = r.signals();
            if (signals.size() == 1) {
                writeSignal(g, signals.get(0));
            } else if (!signals.isEmpty()) {
                Signal[] sorted = signals.toArray(new Signal[0]);
                Arrays.sort(sorted, BY_NAME);
                for (Signal s : sorted) {
                    writeSignal(g, s);
                }
            }
            g.writeEndObject();

            g.writeFieldName(K_STAGES);
            g.writeStartObject();
            for (Stage s : STAGES_BY_ID) {
                StageOutcome o = r.stage(s);
                if (o != null) {
                    g.writeStringField(s.id(), o.id());
                }
            }
            g.writeEndObject();

            g.writeFieldName(K_TIMESTAMP);
            g.writeString(formatTimestamp(r.timestamp()));
            g.writeEndObject();
        }

        String hash = CanonicalJson.sha256Hex(sha, body.array(), body.size());
        out.writeFrom(body, 0, hashAt);
        out.writeAscii(",\"hash\":\"");
        out.writeAscii(hash);
        out.write('"');
        out.writeFrom(body, hashAt, body.size());
        out.write('\n');
        prevHash = hash;
        return hash;
    }

    /** The RFC 3339 form (UTC, nine fraction digits) used for {@code timestamp}. */
    static String formatTimestamp(java.time.Instant t) {
        long seconds = t.getEpochSecond();
        if (seconds < 0 || seconds >= LAST_FOUR_DIGIT_YEAR_END) {
            return TIMESTAMP.format(t); // before 1970 or after 9999: the formatter's signs and widths
        }
        // 1970 to 9999: the same characters, without the formatter's field-by-field machinery
        long days = seconds / 86_400;
        int secondOfDay = (int) (seconds - days * 86_400);
        java.time.LocalDate date = java.time.LocalDate.ofEpochDay(days);
        byte[] c = new byte[30];
        digits(date.getYear(), c, 0, 4);
        c[4] = '-';
        digits(date.getMonthValue(), c, 5, 2);
        c[7] = '-';
        digits(date.getDayOfMonth(), c, 8, 2);
        c[10] = 'T';
        digits(secondOfDay / 3600, c, 11, 2);
        c[13] = ':';
        digits(secondOfDay / 60 % 60, c, 14, 2);
        c[16] = ':';
        digits(secondOfDay % 60, c, 17, 2);
        c[19] = '.';
        digits(t.getNano(), c, 20, 9);
        c[29] = 'Z';
        return new String(c, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** 10000-01-01T00:00:00Z in seconds since the epoch. */
    private static final long LAST_FOUR_DIGIT_YEAR_END = 253_402_300_800L;

    /** Writes {@code v} (non-negative) as {@code n} decimal digits, zero-padded, at {@code at}. */
    private static void digits(int v, byte[] out, int at, int n) {
        for (int i = at + n - 1; i >= at; i--) {
            out[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
    }

    @FunctionalInterface
    private interface JsonWriting {
        void write(JsonGenerator g) throws IOException;
    }

    private String digest(JsonWriting value) throws IOException {
        scratch.reset();
        try (JsonGenerator g = CanonicalJson.FACTORY.createGenerator(scratch, JsonEncoding.UTF8)) {
            value.write(g);
        }
        return "sha256:" + CanonicalJson.sha256Hex(sha, scratch.array(), scratch.size());
    }

    /**
     * The digest of a feature vector: SHA-256 of its values as big-endian IEEE-754 binary64, 8 bytes
     * per value in order, with every NaN as the canonical NaN {@code 0x7ff8000000000000} (as
     * {@link Double#doubleToLongBits} gives; -0.0 stays distinct from 0.0). Not of its canonical JSON, as
     * the other digests are: formatting 784 numbers as shortest round-trip decimals took the writer
     * thread about 54 microseconds per record, hashing their 6272 bytes takes about 4 (a tight loop of
     * Guard calls was limited to the writer's speed). The digest identifies the same vectors either
     * way.
     */
    private String vectorDigest(double[] v) {
        // in chunks of VECTOR_CHUNK values, so that an oversized request's vector needs no more scratch
        sha.reset();
        for (int from = 0; from < v.length; from += VECTOR_CHUNK) {
            int n = Math.min(VECTOR_CHUNK, v.length - from);
            for (int i = 0; i < n; i++) {
                BIG_ENDIAN_DOUBLE.set(vectorBytes, 8 * i, Double.doubleToLongBits(v[from + i]));
            }
            sha.update(vectorBytes, 0, 8 * n);
        }
        return "sha256:" + HexFormat.of().formatHex(sha.digest());
    }

    /** Values a vector digest converts at a time (64 KiB of scratch space). */
    private static final int VECTOR_CHUNK = 8 * 1024;

    private static void writeAttributes(JsonGenerator g, Map<String, String> attributes) throws IOException {
        g.writeStartObject();
        if (!attributes.isEmpty()) {
            String[] keys = attributes.keySet().toArray(new String[0]);
            Arrays.sort(keys);
            for (String k : keys) {
                g.writeFieldName(k);
                CanonicalJson.writeString(g, attributes.get(k));
            }
        }
        g.writeEndObject();
    }

    /** What a record's fixed parts take at most: keys, hashes, timestamp, numbers, brackets. */
    private static final long FIXED_BYTES = 1536;
    /** A digest written in place of a value ({@code "sha256:<hex>"}, quotes and comma). */
    private static final long DIGEST_BYTES = 74;
    /** A double at most ({@code -2.2250738585072014E-308}) and its comma. */
    private static final long DOUBLE_BYTES = 25;

    /**
     * About how many bytes {@link #append} writes for {@code r}, and never fewer: every string at 6
     * bytes a UTF-16 unit (a control character's escape) plus its quotes and comma, every double at
     * {@value #DOUBLE_BYTES}, after the same masking, digesting and size rules as {@link #append}
     * (a kept input of n features counts 25 n bytes). The writers bound their queue and their batches
     * with it. Walks the record's strings (names, attributes, reasons, rules), not its feature values.
     *
     * <p>Computed on the request thread for every record, so each collection has its own loop: one
     * shared helper's {@code iterator()} call sees every collection class (lists and sets of one, two
     * and more elements), is not inlined, and allocates an iterator per collection.
     */
    static long estimatedBytes(AuditRecord r) {
        LoggingDecision ld = r.logging();
        long n = FIXED_BYTES + text(r.decisionId()) + text(r.path()) + text(r.bundleName())
                + text(r.bundleRevision()) + text(r.modelName()) + text(r.modelVersion());
        Caller caller = r.caller();
        n += text(caller.id()) + text(caller.tenant());
        for (String role : caller.roles()) {
            n += text(role);
        }
        if (ld.caller() == FieldMode.KEEP) {
            for (Map.Entry<String, String> a : caller.attributes().entrySet()) {
                n += text(a.getKey()) + text(a.getValue());
            }
        } else if (ld.caller() == FieldMode.DIGEST) {
            n += DIGEST_BYTES;
        }
        Features features = r.features();
        if (features != null) {
            FieldMode input = vectorTooLarge(r, features) && ld.input() == FieldMode.KEEP ? FieldMode.DIGEST
                    : ld.input();
            n += input == FieldMode.KEEP ? DOUBLE_BYTES * features.size() : input == FieldMode.DIGEST ? DIGEST_BYTES : 0;
            if (features.isNamed()) {
                // the names as they are when few and short enough (namesFit), in one pass over them
                List<String> names = features.names();
                long chars = nameChars(names);
                n += namesFit(names.size(), chars) ? 6 * chars + 3L * names.size() : DIGEST_BYTES;
            }
        }
        PredictionSummary raw = r.raw();
        if (raw != null) {
            n += ld.raw() == FieldMode.KEEP ? text(raw.topLabel()) + 3 * DOUBLE_BYTES
                    : ld.raw() == FieldMode.DIGEST ? DIGEST_BYTES : 0;
        }
        ReleasedPrediction released = r.released();
        if (released != null) {
            for (String applied : released.applied()) {
                n += text(applied);
            }
            if (ld.output() == FieldMode.KEEP) {
                n += text(released.label()) + DOUBLE_BYTES;
                for (ReleasedPrediction.ScoredLabel s : released.scores()) {
                    n += text(s.label()) + DOUBLE_BYTES + 2;
                }
            } else if (ld.output() == FieldMode.DIGEST) {
                n += DIGEST_BYTES;
            }
        }
        for (Reason reason : r.reasons()) {
            n += 128 + text(reason.rule()) + 6L * Math.min(reason.message().length(), MAX_RECORDED_MESSAGE_CHARS + 64);
        }
        for (String rule : r.rules()) {
            n += text(rule);
        }
        for (String alert : r.alerts()) {
            n += text(alert);
        }
        for (Signal s : r.signals()) {
            n += 48 + text(s.name()) + DOUBLE_BYTES;
        }
        return n;
    }

    private static long text(String s) {
        return s == null ? 0 : 6L * s.length() + 3;
    }

    /** True when the record keeps a digest and the size, not the values, whatever its logging rule says. */
    private static boolean vectorTooLarge(AuditRecord r, Features features) {
        return features.size() > MAX_RECORDED_FEATURES || refusedForSize(r);
    }

    /** True when a request was refused for its payload's size or its shape (its input may be huge). */
    private static boolean refusedForSize(AuditRecord r) {
        if (r.allowed()) {
            return false;
        }
        for (Reason reason : r.reasons()) {
            if (reason.stage() == Stage.VALIDATION && (reason.code() == ReasonCode.PAYLOAD_TOO_LARGE
                    || reason.rule().endsWith(":" + Violation.SHAPE))) {
                return true;
            }
        }
        return false;
    }

    /** True when the names are few and short enough to be recorded as they are. */
    static boolean namesFit(List<String> names) {
        return names.size() <= MAX_RECORDED_FEATURES && namesFit(names.size(), nameChars(names));
    }

    /** True when {@code count} names of {@code chars} characters in all are recorded as they are. */
    private static boolean namesFit(int count, long chars) {
        return count <= MAX_RECORDED_FEATURES && chars <= MAX_RECORDED_NAME_CHARS;
    }

    private static long nameChars(List<String> names) {
        long chars = 0;
        for (String name : names) {
            chars += name.length();
        }
        return chars;
    }

    /** {@code message}, cut after {@link #MAX_RECORDED_MESSAGE_CHARS} characters (not inside a pair). */
    static String recordedMessage(String message) {
        if (message.length() <= MAX_RECORDED_MESSAGE_CHARS) {
            return message;
        }
        int cut = MAX_RECORDED_MESSAGE_CHARS;
        if (Character.isHighSurrogate(message.charAt(cut - 1))) {
            cut--;
        }
        return message.substring(0, cut) + "... (cut: " + message.length() + " characters in all)";
    }

    private static void writeNames(JsonGenerator g, List<String> names) throws IOException {
        g.writeStartArray();
        for (String name : names) {
            CanonicalJson.writeString(g, name);
        }
        g.writeEndArray();
    }

    private static void writeVector(JsonGenerator g, double[] v) throws IOException {
        g.writeStartArray();
        for (double d : v) {
            CanonicalJson.writeDouble(g, d);
        }
        g.writeEndArray();
    }

    private static void writeRaw(JsonGenerator g, PredictionSummary raw) throws IOException {
        g.writeStartObject();
        g.writeFieldName(K_ENTROPY);
        CanonicalJson.writeDouble(g, raw.entropy());
        g.writeFieldName(K_MARGIN);
        CanonicalJson.writeDouble(g, raw.margin());
        g.writeFieldName(K_TOP_LABEL);
        CanonicalJson.writeString(g, raw.topLabel());
        g.writeFieldName(K_TOP_SCORE);
        CanonicalJson.writeDouble(g, raw.topScore());
        g.writeEndObject();
    }

    private static void writeReleased(JsonGenerator g, ReleasedPrediction p) throws IOException {
        g.writeStartObject();
        if (p.label() != null) {
            g.writeFieldName(K_LABEL);
            CanonicalJson.writeString(g, p.label());
        }
        g.writeFieldName(K_SCORES);
        g.writeStartArray();
        for (ReleasedPrediction.ScoredLabel s : p.scores()) {
            g.writeStartArray();
            CanonicalJson.writeString(g, s.label());
            CanonicalJson.writeDouble(g, s.score());
            g.writeEndArray();
        }
        g.writeEndArray();
        if (p.value().isPresent()) {
            g.writeFieldName(K_VALUE);
            CanonicalJson.writeDouble(g, p.value().getAsDouble());
        }
        g.writeEndObject();
    }

    private static void writeSignal(JsonGenerator g, Signal s) throws IOException {
        g.writeObjectFieldStart(s.name());
        g.writeFieldName(K_LEVEL);
        g.writeString(s.level().id());
        g.writeFieldName(K_SCORE);
        CanonicalJson.writeDouble(g, s.score());
        g.writeEndObject();
    }
}
