package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.AuditVerification;
import dev.veil.Caller;
import dev.veil.Features;
import dev.veil.Reason;
import dev.veil.ReasonCode;
import dev.veil.Stage;
import dev.veil.spi.FieldMode;
import dev.veil.spi.LoggingDecision;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every record the writer produces is one the verifier accepts: the input a record holds is bounded
 * ({@link AuditSerializer#MAX_RECORDED_FEATURES}, {@link AuditSerializer#MAX_RECORDED_NAME_CHARS},
 * {@link AuditSerializer#MAX_RECORDED_MESSAGE_CHARS}), and the largest such record verifies.
 */
class AuditRecordBoundsTest {
    private static final LoggingDecision KEEP = AuditFixtures.KEEP_ALL;
    /** The longest form of a double in the log (24 characters). */
    private static final double LONGEST = -2.2250738585072014E-308;

    private static AuditRecord.Builder record(Features f) {
        return AuditRecord.builder("d", AuditFixtures.T0)
                .bundle("b", "r1")
                .caller(Caller.ANONYMOUS)
                .model("m", "1")
                .features(f)
                .payloadBytes(8L * f.size())
                .logging(KEEP);
    }

    private static AuditRecord release(Features f) {
        return record(f).released(new dev.veil.ReleasedPrediction("cat",
                List.of(new dev.veil.ReleasedPrediction.ScoredLabel("cat", 1.0)), java.util.OptionalDouble.empty(),
                List.of()), false).build();
    }

    /** Writes the record, checks that it verifies, and returns its line's length and its JSON. */
    private static Written write(AuditRecord r) {
        byte[] log = AuditFixtures.log(List.of(r));
        AuditVerification v = AuditFixtures.verify(log);
        assertThat(v.ok()).as(v.message()).isTrue();
        assertThat(log.length - 1).isLessThanOrEqualTo(AuditVerifier.MAX_LINE_BYTES);
        try {
            return new Written(log.length - 1, CanonicalJson.READER.readTree(log)); // the verifier's limits
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private record Written(int bytes, JsonNode json) {}

    private static List<String> names(int count, int length, char fill) {
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String id = Integer.toString(i);
            names.add(id + String.valueOf(fill).repeat(length - id.length()));
        }
        return names;
    }

    @Test
    void shouldKeepTheLargestVectorItMayHoldAndVerifyIt() {
        double[] v = new double[AuditSerializer.MAX_RECORDED_FEATURES];
        Arrays.fill(v, LONGEST);

        Written w = write(release(Features.of(v)));

        assertThat(w.json.get("input").get("features")).hasSize(AuditSerializer.MAX_RECORDED_FEATURES);
        assertThat(w.json.get("input").has("size")).isFalse();
        assertThat(w.json.get("masked").toString()).isEqualTo("[]");
        assertThat(w.bytes).isGreaterThan(25 * AuditSerializer.MAX_RECORDED_FEATURES - 1000)
                .isLessThan(25 * AuditSerializer.MAX_RECORDED_FEATURES + 1000);
    }

    @Test
    void shouldRecordALongerVectorAsItsDigestAndSizeWhateverThePolicyKeeps() {
        double[] v = new double[AuditSerializer.MAX_RECORDED_FEATURES + 1];
        Arrays.fill(v, LONGEST);

        Written w = write(release(Features.of(v)));

        assertThat(w.json.get("input").get("features").asText()).startsWith("sha256:");
        assertThat(w.json.get("input").get("size").asLong()).isEqualTo(v.length);
        assertThat(w.json.get("masked").toString()).isEqualTo("[\"/input/features\"]");
        assertThat(w.bytes).isLessThan(2000);
        // the same digest as input: digest gives
        AuditRecord digested = record(Features.of(v)).logging(new LoggingDecision("r", FieldMode.KEEP,
                FieldMode.DIGEST, FieldMode.KEEP, FieldMode.KEEP)).denied(List.of(Reason.of(ReasonCode.INVALID_INPUT,
                Stage.VALIDATION, "default:range", "no"))).build();
        assertThat(write(digested).json.get("input").get("features")).isEqualTo(w.json.get("input").get("features"));
    }

    @Test
    void shouldKeepNamesUpToTheirBudgetEvenWhenEveryCharacterIsEscapedAndVerifyThem() {
        // 1,000 names of 1,000 characters: U+0001 (six bytes escaped) but for the digits that tell them apart
        List<String> names = names(1000, 1000, '\u0001');
        assertThat(names.stream().mapToInt(String::length).sum()).isEqualTo(AuditSerializer.MAX_RECORDED_NAME_CHARS);

        Written w = write(release(Features.named(names, new double[names.size()])));

        assertThat(w.json.get("input").get("names")).hasSize(1000);
        assertThat(w.json.get("input").get("names").get(7).asText()).isEqualTo(names.get(7));
        assertThat(w.bytes).isGreaterThan(5_900_000);
    }

    @Test
    void shouldRecordNamesBeyondTheirBudgetAsTheirDigest() {
        List<String> names = new ArrayList<>(names(1000, 1000, 'x'));
        names.set(0, names.get(0) + "x");

        Written w = write(release(Features.named(names, new double[names.size()])));

        assertThat(w.json.get("input").get("names").asText()).startsWith("sha256:");
        assertThat(w.json.get("input").get("features")).hasSize(1000);
        assertThat(w.json.get("input").get("size").asInt()).isEqualTo(1000);
        assertThat(w.json.get("masked").toString()).isEqualTo("[\"/input/names\"]");
    }

    @Test
    void shouldRecordTheInputOfARequestRefusedForItsSizeOrShapeAsDigestAndSize() {
        for (Reason why : List.of(
                Reason.of(ReasonCode.PAYLOAD_TOO_LARGE, Stage.VALIDATION, "default:payload", "too large"),
                Reason.of(ReasonCode.INVALID_INPUT, Stage.VALIDATION, "default:shape", "expected 3, got 4"))) {
            AuditRecord r = record(Features.of(1, 2, 3, 4)).denied(List.of(why)).build();

            JsonNode j = write(r).json;

            assertThat(j.get("input").get("features").asText()).as(why.rule()).startsWith("sha256:");
            assertThat(j.get("input").get("size").asInt()).isEqualTo(4);
            assertThat(j.get("masked").toString()).isEqualTo("[\"/input/features\"]");
        }
        // other refusals keep the input as the policy says
        AuditRecord range = record(Features.of(1, 2, 3, 4)).denied(List.of(
                Reason.of(ReasonCode.INVALID_INPUT, Stage.VALIDATION, "default:range", "out of range"))).build();
        assertThat(write(range).json.get("input").get("features")).hasSize(4);
    }

    @Test
    void shouldCutAReasonMessageAfterItsBudgetAndNotInsideASurrogatePair() {
        String huge = "\u0001".repeat(AuditSerializer.MAX_RECORDED_MESSAGE_CHARS - 1) + "\uD83D\uDE00" + "x".repeat(20_000_000);
        AuditRecord r = record(Features.of(1)).denied(List.of(
                Reason.of(ReasonCode.INVALID_INPUT, Stage.VALIDATION, "default:features", huge))).build();

        JsonNode j = write(r).json;

        String recorded = j.get("result").get("reasons").get(0).get("message").asText();
        assertThat(recorded).startsWith("\u0001".repeat(AuditSerializer.MAX_RECORDED_MESSAGE_CHARS - 1) + "...")
                .endsWith("(cut: " + huge.length() + " characters in all)");
        assertThat(AuditSerializer.recordedMessage("short")).isEqualTo("short");
    }

    @Test
    void shouldVerifyStringsAndKeysLongerThanJacksonsDefaultLimits() {
        // Jackson reads at most 20,000,000 characters a string and 50,000 a name by default; the
        // verifier's only limit is the line (a caller id and an attribute name here come from the service)
        Caller caller = new Caller("c".repeat(21_000_000), dev.veil.AuthMethod.API_KEY, java.util.Set.of(), "t",
                java.util.Map.of("k".repeat(60_000), "v"));
        AuditRecord r = record(Features.of(1)).caller(caller).denied(List.of(
                Reason.of(ReasonCode.FORBIDDEN, Stage.ACCESS, "default", "no"))).build();

        Written w = write(r);

        assertThat(w.json.get("caller").get("id").asText()).hasSize(21_000_000);
        assertThat(CanonicalJson.READ_CONSTRAINTS.getMaxStringLength()).isEqualTo(AuditVerifier.MAX_LINE_BYTES);
        assertThat(CanonicalJson.READ_CONSTRAINTS.getMaxNameLength()).isEqualTo(AuditVerifier.MAX_LINE_BYTES);
    }

    @Test
    void shouldBoundTheInputPartOfEveryRecordWellBelowTheLongestLineTheVerifierReads() {
        // values: a comma and 24 characters each; names: 6 bytes a character, quotes and comma;
        // reasons: a handful, 6 bytes a character; the rest of a record is a few KB
        long input = 25L * AuditSerializer.MAX_RECORDED_FEATURES
                + 6L * AuditSerializer.MAX_RECORDED_NAME_CHARS + 3L * AuditSerializer.MAX_RECORDED_FEATURES;
        long reasons = 10L * 6 * (AuditSerializer.MAX_RECORDED_MESSAGE_CHARS + 50);
        // about 34 MB, which leaves the rest of a record (caller, model, result...) over 30 MB
        assertThat(input + reasons).isLessThan(AuditVerifier.MAX_LINE_BYTES - 30_000_000L);
        assertThat(Double.toString(LONGEST)).hasSize(24);
    }
}
