package dev.veil;

import static dev.veil.GuardFixtures.ALICE;
import static dev.veil.GuardFixtures.INFO_A;
import static dev.veil.GuardFixtures.at;
import static dev.veil.GuardFixtures.auditRecords;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A caller who passes access cannot break the audit log with one oversized request: the record of a
 * request refused for its size or shape holds the digest and size of its input, names beyond their
 * budget are digested, and the log still verifies and opens for the next Guard.
 */
@ExtendWith(QuietGuardLog.class)
class AuditOversizedInputTest {
    /** The quickstart bundle's validation section (three named features, at most 4 KiB). */
    private static final String VALIDATION = """
            default:
              shape: [3]
              max_payload_bytes: 4096
              features:
                income:      { min: 0, max: 1000000 }
                loan_amount: { min: 0, max: 5000000 }
                age:         { min: 18, max: 120 }
            """;

    @TempDir
    Path tmp;

    /** The same for an unnamed vector. */
    private static final String VECTOR_VALIDATION = """
            default: {shape: [3], max_payload_bytes: 4096}
            """;

    private PolicyBundle bundle(String validation, String logging) {
        return GuardFixtures.bundle(tmp.resolve("bundle")).set("validation", validation)
                .set("logging", logging).load();
    }

    private static <I> Guard<I> guard(Model<I> model, PolicyBundle b, Path log) {
        return Guard.builder(model).policy(b).audit(AuditLog.jsonLines(log)).build();
    }

    private static Prediction approve() {
        return Prediction.classification(List.of("approve", "refuse"), new double[] {0.8, 0.2});
    }

    /** The log verifies with every record, and a new Guard opens it and appends to it. */
    private static <I> void assertLogVerifiesAndReopens(Model<I> model, PolicyBundle b, Path log, I valid) {
        AuditVerification v = AuditLog.verify(log);
        assertThat(v.ok()).as(v.message()).isTrue();
        assertThat(v.records()).isEqualTo(2);
        try (Guard<I> next = guard(model, b, log)) {
            assertThat(next.predict(Request.of(Credentials.apiKey(ALICE.plaintext()), valid)))
                    .isInstanceOf(Response.Released.class);
        }
        AuditVerification after = AuditLog.verify(log);
        assertThat(after.ok()).as(after.message()).isTrue();
        assertThat(after.records()).isEqualTo(3);
    }

    @Test
    void aFeatureNameOfTwentyOneMillionCharactersIsRecordedAsItsDigest() {
        Model<Map<String, Double>> loans = Model.of(INFO_A, x -> approve(), Features::named);
        PolicyBundle b = bundle(VALIDATION, "default: {input: mask}");
        Path log = tmp.resolve("names.jsonl");
        Map<String, Double> valid = new LinkedHashMap<>(Map.of("income", 50_000.0, "loan_amount", 100_000.0,
                "age", 40.0));
        Map<String, Double> oversized = new LinkedHashMap<>(valid);
        oversized.put("x".repeat(21_000_000), 1.0);

        try (Guard<Map<String, Double>> g = guard(loans, b, log)) {
            assertThat(g.predict(Request.of(Credentials.apiKey(ALICE.plaintext()), valid)))
                    .isInstanceOf(Response.Released.class);
            Response r = g.predict(Request.of(Credentials.apiKey(ALICE.plaintext()), oversized));
            assertThat(r).isInstanceOf(Response.Denied.class);
            assertThat(((Response.Denied) r).reason().rule()).isEqualTo("default:shape");
        }

        assertLogVerifiesAndReopens(loans, b, log, valid);
        Map<String, Object> rec = auditRecords(log).get(1);
        assertThat((String) at(rec, "input", "names")).startsWith("sha256:");
        assertThat(at(rec, "input", "size")).isEqualTo(4);
        assertThat(at(rec, "masked")).isEqualTo(List.of("/input/names"));
        assertThat(at(rec, "erased")).isEqualTo(List.of("/input/features"));
    }

    @Test
    void aVectorOfFourMillionFeaturesRefusedForItsSizeIsRecordedAsItsDigestAndSize() throws Exception {
        Model<double[]> m = Model.ofVector(INFO_A, x -> approve());
        PolicyBundle b = bundle(VECTOR_VALIDATION, "default: {input: keep}");
        Path log = tmp.resolve("vector.jsonl");
        double[] valid = {50_000, 100_000, 40};
        double[] oversized = new double[4_000_000];
        java.util.Arrays.fill(oversized, Math.PI / 10); // 19 bytes each: a 76 MB line if recorded

        try (Guard<double[]> g = guard(m, b, log)) {
            assertThat(g.predict(Request.of(Credentials.apiKey(ALICE.plaintext()), valid)))
                    .isInstanceOf(Response.Released.class);
            Response r = g.predict(Request.of(Credentials.apiKey(ALICE.plaintext()), oversized));
            assertThat(r).isInstanceOf(Response.Denied.class);
            assertThat(((Response.Denied) r).reason().code()).isEqualTo(ReasonCode.PAYLOAD_TOO_LARGE);
        }

        assertLogVerifiesAndReopens(m, b, log, valid);
        assertThat(Files.size(log)).isLessThan(10_000);
        Map<String, Object> rec = auditRecords(log).get(1);
        assertThat((String) at(rec, "input", "features")).startsWith("sha256:");
        assertThat(at(rec, "input", "size")).isEqualTo(4_000_000);
        assertThat(at(rec, "masked")).isEqualTo(List.of("/input/features"));
        assertThat(at(auditRecords(log).get(0), "input", "features")).isEqualTo(List.of(50_000.0, 100_000.0, 40.0));
    }
}
