package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Features;
import dev.veil.Level;
import dev.veil.Reason;
import dev.veil.ReasonCode;
import dev.veil.ReleasedPrediction;
import dev.veil.Signal;
import dev.veil.Stage;
import dev.veil.spi.FieldMode;
import dev.veil.spi.LoggingDecision;
import dev.veil.spi.PredictionSummary;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link AuditRecord#estimatedBytes()}, which bounds the writers' queue and batches, is never less
 * than the bytes of the record's line.
 */
class AuditRecordEstimateTest {

    private static long lineBytes(AuditRecord r) {
        return AuditFixtures.log(List.of(r)).length;
    }

    @Test
    void shouldNeverEstimateFewerBytesThanTheLineOfARandomRecord() {
        qt().withExamples(500).forAll(AuditFixtures.records())
                .checkAssert(r -> assertThat(r.estimatedBytes()).isGreaterThanOrEqualTo(lineBytes(r)));
    }

    /** Every string of control characters (6 bytes each escaped), every double 24 characters long. */
    private static AuditRecord worstCase(int n, FieldMode input, boolean released) {
        String c = "\u0001".repeat(n) + "x";
        double[] v = new double[n];
        Arrays.fill(v, -2.2250738585072014E-308);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            names.add(c + i);
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            attributes.put(c + i, c);
        }
        AuditRecord.Builder b = AuditRecord.builder(c + "id", AuditFixtures.T0).path(c + "p").bundle(c + "b", c)
                .caller(new Caller(c, AuthMethod.API_KEY, Set.of(c, c + "r"), c, attributes))
                .model(c + "m", c)
                .features(Features.named(names, v))
                .payloadBytes(Long.MAX_VALUE)
                .rules(List.of(c, c + "x"))
                .alerts(List.of(c))
                .signal(new Signal(c + "s", Level.HIGH, -2.2250738585072014E-308))
                .raw(new PredictionSummary(c, -2.2250738585072014E-308, -2.2250738585072014E-308,
                        -2.2250738585072014E-308, 3))
                .logging(new LoggingDecision("r", input, FieldMode.KEEP, FieldMode.KEEP, FieldMode.KEEP))
                .latencyNanos(Long.MAX_VALUE);
        for (Stage s : Stage.values()) {
            b.stage(s, StageOutcome.ERROR);
        }
        List<Reason> reasons = List.of(Reason.of(ReasonCode.AUDIT_UNAVAILABLE, Stage.VALIDATION, c,
                "\u0001".repeat(5000)), Reason.of(ReasonCode.INTERNAL_ERROR, Stage.OUTPUT, c, c));
        if (released) {
            b.released(new ReleasedPrediction(c, List.of(new ReleasedPrediction.ScoredLabel(c,
                    -2.2250738585072014E-308)), OptionalDouble.of(-2.2250738585072014E-308), List.of(c)), true, reasons);
        } else {
            b.denied(reasons);
        }
        return b.build();
    }

    @Test
    void shouldNeverEstimateFewerBytesThanTheLineOfTheWidestRecords() {
        qt().withExamples(60).forAll(integers().between(0, 300), integers().between(0, 2), integers().between(0, 1))
                .checkAssert((n, mode, released) -> {
                    AuditRecord r = worstCase(n, FieldMode.values()[mode], released == 1);
                    assertThat(r.estimatedBytes()).isGreaterThanOrEqualTo(lineBytes(r));
                });
    }

    @Test
    void shouldCountAKeptInputAt25BytesAFeatureAndAMaskedOneNotAtAll() {
        double[] v = new double[1_000_000];
        AuditRecord kept = AuditRecord.builder("d", AuditFixtures.T0).bundle("b", "1").caller(Caller.ANONYMOUS)
                .model("m", "1").features(Features.of(v)).denied(List.of(Reason.of(ReasonCode.INTERNAL_ERROR,
                        Stage.MODEL, "", "x"))).logging(AuditFixtures.KEEP_ALL).build();
        AuditRecord masked = AuditRecord.builder("d", AuditFixtures.T0).bundle("b", "1").caller(Caller.ANONYMOUS)
                .model("m", "1").features(Features.of(v)).denied(List.of(Reason.of(ReasonCode.INTERNAL_ERROR,
                        Stage.MODEL, "", "x"))).build();
        assertThat(kept.estimatedBytes()).isBetween(25_000_000L, 25_010_000L);
        assertThat(masked.estimatedBytes()).isLessThan(3_000L);
    }
}
