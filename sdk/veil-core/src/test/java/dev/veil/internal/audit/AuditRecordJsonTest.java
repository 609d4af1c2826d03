package dev.veil.internal.audit;

import static dev.veil.internal.audit.AuditFixtures.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.Caller;
import dev.veil.Features;
import dev.veil.ReleasedPrediction;
import dev.veil.spi.FieldMode;
import dev.veil.spi.LoggingDecision;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class AuditRecordJsonTest {

    private static String onlyLine(AuditRecord r) {
        MemoryAuditWriter w = AuditWriters.inMemory(1);
        w.append(r);
        return w.lines().get(0);
    }

    private static String canonical(JsonNode tree, String skip) {
        ByteSink out = new ByteSink(256);
        try (JsonGenerator g = CanonicalJson.FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            CanonicalJson.writeTree(g, tree, skip);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    @Test
    void shouldWriteEveryFieldOfAReleaseRecord() {
        JsonNode j = parse(onlyLine(AuditFixtures.fullRelease("d-1")));

        List<String> names = new ArrayList<>();
        j.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactly("alerts", "bundles", "caller", "decision_id", "erased", "hash", "input",
                "latency_ns", "masked", "model", "path", "prev_hash", "raw", "result", "rules", "signals", "stages",
                "timestamp");
        assertThat(j.get("decision_id").asText()).isEqualTo("d-1");
        assertThat(j.get("path").asText()).isEqualTo("veil/predict");
        assertThat(j.get("timestamp").asText()).isEqualTo("2026-11-29T10:15:30.123456789Z");
        assertThat(j.get("bundles").toString()).isEqualTo("{\"fashion\":{\"revision\":\"2026-11-29.1\"}}");
        assertThat(j.get("caller").toString()).isEqualTo("{\"attributes\":{\"region\":\"eu\",\"team\":\"risk\"},"
                + "\"id\":\"alice\",\"method\":\"jwt\",\"roles\":[\"admin\",\"analyst\"],\"tenant\":\"acme\"}");
        assertThat(j.get("model").toString()).isEqualTo("{\"name\":\"fashion-classifier\",\"version\":\"2026-11-01.3\"}");
        assertThat(j.get("input").toString()).isEqualTo(
                "{\"features\":[42.0,0.25,\"NaN\"],\"names\":[\"age\",\"income\",\"zip\"],\"payload_bytes\":512}");
        assertThat(j.get("result").toString()).isEqualTo("{\"allowed\":true,\"applied\":[\"top_k:2\",\"round:0.05\"],"
                + "\"degraded\":false,\"released\":{\"label\":\"cat\",\"scores\":[[\"cat\",0.9],[\"dog\",0.05]]}}");
        assertThat(j.get("stages").toString()).isEqualTo(
                "{\"access\":\"allow\",\"model\":\"allow\",\"observe\":\"allow\",\"output\":\"allow\","
                        + "\"validation\":\"allow\"}");
        assertThat(j.get("signals").toString()).isEqualTo(
                "{\"near_duplicate\":{\"level\":\"none\",\"score\":0.0},\"rate\":{\"level\":\"low\",\"score\":3.5}}");
        assertThat(j.get("alerts").toString()).isEqualTo("[\"rate-alert\"]");
        assertThat(j.get("raw").toString()).isEqualTo(
                "{\"entropy\":0.39,\"margin\":0.85,\"top_label\":\"cat\",\"top_score\":0.9}");
        assertThat(j.get("latency_ns").asLong()).isEqualTo(1834);
        assertThat(j.get("erased").toString()).isEqualTo("[]");
        assertThat(j.get("masked").toString()).isEqualTo("[]");
        assertThat(j.get("prev_hash").asText()).isEqualTo("0".repeat(64));
        assertThat(j.get("hash").asText()).matches("[0-9a-f]{64}");
    }

    @Test
    void shouldWriteADenialWithItsReasonsAndNoRelease() {
        JsonNode j = parse(onlyLine(AuditFixtures.denial("d-2")));

        assertThat(j.get("result").toString()).isEqualTo("{\"allowed\":false,\"reasons\":[{\"code\":\"unauthenticated\","
                + "\"message\":\"no credentials\",\"rule\":\"\",\"stage\":\"access\"}]}");
        assertThat(j.get("input").toString()).isEqualTo("{\"payload_bytes\":-1}");
        assertThat(j.has("raw")).isFalse();
        assertThat(j.get("caller").toString()).isEqualTo(
                "{\"attributes\":{},\"id\":\"anonymous\",\"method\":\"none\",\"roles\":[],\"tenant\":\"\"}");
        assertThat(j.get("stages").toString()).isEqualTo("{\"access\":\"deny\"}");
        assertThat(j.get("signals").toString()).isEqualTo("{}");
        assertThat(j.get("alerts").toString()).isEqualTo("[]");
        // the default logging decision applies: nothing here to digest, raw absent
        assertThat(j.get("erased").toString()).isEqualTo("[]");
        assertThat(j.get("masked").toString()).isEqualTo("[]");
    }

    @Test
    void shouldWriteARegressionValueWithoutLabelOrScores() {
        ReleasedPrediction p = new ReleasedPrediction(null, List.of(), OptionalDouble.of(12.5), List.of("round:0.5"));
        AuditRecord r = AuditRecord.builder("d-3", AuditFixtures.T0).bundle("b", "1").caller(Caller.ANONYMOUS)
                .model("m", "1").released(p, true).logging(AuditFixtures.KEEP_ALL).build();

        JsonNode j = parse(onlyLine(r));

        assertThat(j.get("result").toString()).isEqualTo(
                "{\"allowed\":true,\"applied\":[\"round:0.5\"],\"degraded\":true,\"released\":{\"scores\":[],\"value\":12.5}}");
    }

    @Test
    void shouldWriteTheTimestampInUtcWithNineFractionDigits() {
        AuditRecord r = AuditRecord.builder("d-4", Instant.parse("2026-01-02T03:04:05Z")).bundle("b", "1")
                .caller(Caller.ANONYMOUS).model("m", "1").denied(AuditFixtures.denial("x").reasons()).build();

        assertThat(parse(onlyLine(r)).get("timestamp").asText()).isEqualTo("2026-01-02T03:04:05.000000000Z");
    }

    @Test
    void shouldWriteNonFiniteNumbersAsStrings() {
        AuditRecord r = AuditRecord.builder("d-5", AuditFixtures.T0).bundle("b", "1").caller(Caller.ANONYMOUS)
                .model("m", "1").features(Features.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                        -0.0, 1e-7, 1e21))
                .logging(AuditFixtures.KEEP_ALL).denied(AuditFixtures.denial("x").reasons()).build();

        assertThat(parse(onlyLine(r)).get("input").get("features").toString())
                .isEqualTo("[\"NaN\",\"Infinity\",\"-Infinity\",-0.0,1.0E-7,1.0E21]");
    }

    @Test
    void shouldReplaceLoneSurrogatesInValuesSoTheLineIsValidUtf8() {
        Caller c = new Caller("bad\uD800id", dev.veil.AuthMethod.API_KEY, java.util.Set.of(), "", Map.of("k", "\uDC00"));
        AuditRecord r = AuditRecord.builder("d-6", AuditFixtures.T0).bundle("b", "1").caller(c).model("m", "1")
                .logging(AuditFixtures.KEEP_ALL).denied(AuditFixtures.denial("x").reasons()).build();

        String line = onlyLine(r);

        assertThat(parse(line).get("caller").get("id").asText()).isEqualTo("bad\uFFFDid");
        assertThat(parse(line).get("caller").get("attributes").get("k").asText()).isEqualTo("\uFFFD");
        assertThat(AuditFixtures.verify((line + "\n").getBytes(StandardCharsets.UTF_8)).ok()).isTrue();
    }

    @Test
    void shouldWriteEveryLineInCanonicalFormWithTheHashOfItsContent() {
        // Invariant: a line is exactly the canonical JSON of itself (keys sorted, no whitespace), and
        // its hash is the SHA-256 of the canonical JSON without the hash field.
        qt().withExamples(300).forAll(AuditFixtures.records()).checkAssert(r -> {
            String line = onlyLine(r);
            JsonNode tree = parse(line);
            assertThat(canonical(tree, null)).isEqualTo(line);
            byte[] body = canonical(tree, "hash").getBytes(StandardCharsets.UTF_8);
            assertThat(CanonicalJson.sha256Hex(CanonicalJson.sha256(), body, body.length))
                    .isEqualTo(tree.get("hash").asText());
        });
    }

    @Test
    void shouldChainEachRecordToThePreviousOne() {
        MemoryAuditWriter w = AuditWriters.inMemory(3);
        w.append(AuditFixtures.denial("a"));
        w.append(AuditFixtures.denial("b"));
        w.append(AuditFixtures.fullRelease("c"));

        List<String> lines = w.lines();
        assertThat(parse(lines.get(0)).get("prev_hash").asText()).isEqualTo(AuditSerializer.ZERO_HASH);
        assertThat(parse(lines.get(1)).get("prev_hash").asText()).isEqualTo(parse(lines.get(0)).get("hash").asText());
        assertThat(parse(lines.get(2)).get("prev_hash").asText()).isEqualTo(parse(lines.get(1)).get("hash").asText());
    }

    @Test
    void shouldApplyTheDefaultLoggingDecisionWhenNoneIsGiven() {
        AuditRecord r = AuditFixtures.fullReleaseBuilder("d-7").logging(LoggingDecision.DEFAULT).build();

        JsonNode j = parse(onlyLine(r));

        // input masked (a digest of few possible values is reversed by brute force), raw masked
        assertThat(j.path("masked").isEmpty()).isTrue();
        assertThat(j.get("erased").toString()).isEqualTo("[\"/input/features\",\"/raw\"]");
        assertThat(j.has("raw")).isFalse();
        assertThat(j.get("result").get("released").get("label").asText()).isEqualTo("cat");
    }

    @Test
    void shouldDigestTheInputWhenTheDecisionSaysSo() {
        AuditRecord r = AuditFixtures.fullReleaseBuilder("d-8").logging(new LoggingDecision("r", FieldMode.DIGEST,
                FieldMode.KEEP, FieldMode.MASK, FieldMode.KEEP)).build();

        JsonNode j = parse(onlyLine(r));

        assertThat(j.get("masked").toString()).isEqualTo("[\"/input/features\"]");
        assertThat(j.get("erased").toString()).isEqualTo("[\"/raw\"]");
    }
}
