package dev.veil.internal.audit;

import static dev.veil.internal.audit.AuditFixtures.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.ReasonCode;
import dev.veil.Stage;
import dev.veil.spi.FieldMode;
import dev.veil.spi.LoggingDecision;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuditMaskingTest {
    private static final FieldMode K = FieldMode.KEEP;

    private static JsonNode write(LoggingDecision ld) {
        MemoryAuditWriter w = AuditWriters.inMemory(1);
        w.append(AuditFixtures.fullReleaseBuilder("d").logging(ld).build());
        return parse(w.lines().get(0));
    }

    private static String sha256(String canonicalJson) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        return "sha256:" + HexFormat.of().formatHex(md.digest(canonicalJson.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void shouldLeaveMaskedFieldsOutAndListThemInErased() {
        JsonNode j = write(new LoggingDecision("r", FieldMode.MASK, FieldMode.MASK, FieldMode.MASK, FieldMode.MASK));

        assertThat(j.get("erased").toString())
                .isEqualTo("[\"/caller/attributes\",\"/input/features\",\"/raw\",\"/result/released\"]");
        assertThat(j.get("masked").toString()).isEqualTo("[]");
        assertThat(j.get("caller").has("attributes")).isFalse();
        assertThat(j.get("caller").get("id").asText()).isEqualTo("alice");
        assertThat(j.get("caller").get("roles")).hasSize(2);
        assertThat(j.get("input").has("features")).isFalse();
        assertThat(j.get("input").get("names")).hasSize(3);
        assertThat(j.has("raw")).isFalse();
        assertThat(j.get("result").has("released")).isFalse();
        assertThat(j.get("result").get("allowed").asBoolean()).isTrue();
        assertThat(j.get("result").get("applied")).hasSize(2);
    }

    /** A feature vector's digest hashes its values as big-endian doubles (see VectorDigestTest). */
    private static String sha256OfDoubles(double... v) throws Exception {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 * v.length);
        for (double d : v) {
            b.putLong(Double.doubleToLongBits(d));
        }
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
    }

    @Test
    void shouldReplaceDigestedFieldsBySha256OfTheirCanonicalJsonAndFeaturesByThatOfTheirBytes() throws Exception {
        JsonNode j = write(new LoggingDecision("r", FieldMode.DIGEST, FieldMode.DIGEST, FieldMode.DIGEST,
                FieldMode.DIGEST));

        assertThat(j.get("masked").toString())
                .isEqualTo("[\"/caller/attributes\",\"/input/features\",\"/raw\",\"/result/released\"]");
        assertThat(j.get("erased").toString()).isEqualTo("[]");
        assertThat(j.get("input").get("features").asText()).isEqualTo(sha256OfDoubles(42.0, 0.25, Double.NaN));
        assertThat(j.get("caller").get("attributes").asText()).isEqualTo(sha256("{\"region\":\"eu\",\"team\":\"risk\"}"));
        assertThat(j.get("raw").asText())
                .isEqualTo(sha256("{\"entropy\":0.39,\"margin\":0.85,\"top_label\":\"cat\",\"top_score\":0.9}"));
        assertThat(j.get("result").get("released").asText())
                .isEqualTo(sha256("{\"label\":\"cat\",\"scores\":[[\"cat\",0.9],[\"dog\",0.05]]}"));
    }

    @Test
    void shouldTreatEachFieldByItsOwnMode() {
        JsonNode j = write(new LoggingDecision("r", FieldMode.DIGEST, K, FieldMode.MASK, K));

        assertThat(j.get("masked").toString()).isEqualTo("[\"/input/features\"]");
        assertThat(j.get("erased").toString()).isEqualTo("[\"/raw\"]");
        assertThat(j.get("caller").get("attributes").isObject()).isTrue();
        assertThat(j.get("result").get("released").isObject()).isTrue();
    }

    @Test
    void shouldListOnlyFieldsTheRecordHas() {
        // a denial at access: no features, no raw summary, no release
        MemoryAuditWriter w = AuditWriters.inMemory(1);
        w.append(AuditFixtures.denial("d"));
        JsonNode j = parse(w.lines().get(0));

        assertThat(j.get("erased").toString()).isEqualTo("[]");
        assertThat(j.get("masked").toString()).isEqualTo("[]");
    }

    @Test
    void shouldNeverWriteAMaskedOrDigestedValue() {
        // Invariant: for every record and every logging decision, a field is written as it is exactly
        // when its mode is KEEP, is absent and listed in erased exactly when MASK, and is a sha256 digest
        // listed in masked exactly when DIGEST (fields the record lacks are never listed).
        qt().withExamples(300).forAll(AuditFixtures.records()).checkAssert(r -> {
            MemoryAuditWriter w = AuditWriters.inMemory(1);
            w.append(r);
            JsonNode j = parse(w.lines().get(0));
            LoggingDecision ld = r.logging();
            List<String> erased = new ArrayList<>();
            List<String> masked = new ArrayList<>();
            check(j.get("caller"), "attributes", true, ld.caller(), "/caller/attributes", erased, masked);
            // the input of a request refused for its size or shape is not kept (AuditRecordBoundsTest)
            boolean refusedForSize = !r.allowed() && r.reasons().stream().anyMatch(x -> x.stage() == Stage.VALIDATION
                    && (x.code() == ReasonCode.PAYLOAD_TOO_LARGE || x.rule().endsWith(":shape")));
            FieldMode input = refusedForSize && ld.input() == K ? FieldMode.DIGEST : ld.input();
            check(j.get("input"), "features", r.features() != null, input, "/input/features", erased, masked);
            check(j, "raw", r.raw() != null, ld.raw(), "/raw", erased, masked);
            check(j.get("result"), "released", r.released() != null, ld.output(), "/result/released", erased, masked);
            assertThat(j.get("erased").toString()).isEqualTo(AuditFixtures.JSON.valueToTree(erased).toString());
            assertThat(j.get("masked").toString()).isEqualTo(AuditFixtures.JSON.valueToTree(masked).toString());
        });
    }

    private static void check(JsonNode parent, String field, boolean present, FieldMode mode, String path,
            List<String> erased, List<String> masked) {
        if (!present) {
            assertThat(parent.has(field)).isFalse();
            return;
        }
        switch (mode) {
            case KEEP -> assertThat(parent.get(field).isContainerNode()).as(path).isTrue();
            case MASK -> {
                assertThat(parent.has(field)).as(path).isFalse();
                erased.add(path);
            }
            case DIGEST -> {
                assertThat(parent.get(field).asText()).as(path).matches("sha256:[0-9a-f]{64}");
                masked.add(path);
            }
        }
    }
}
