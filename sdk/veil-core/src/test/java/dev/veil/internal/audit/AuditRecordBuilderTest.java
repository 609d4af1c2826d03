package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Level;
import dev.veil.ModelInfo;
import dev.veil.Reason;
import dev.veil.ReasonCode;
import dev.veil.ReleasedPrediction;
import dev.veil.Response;
import dev.veil.Signal;
import dev.veil.Stage;
import dev.veil.spi.LoggingDecision;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AuditRecordBuilderTest {
    private static final Reason WHY = Reason.of(ReasonCode.FORBIDDEN, Stage.ACCESS, "r1", "not allowed");
    private static final ReleasedPrediction LABEL =
            new ReleasedPrediction("cat", List.of(), OptionalDouble.empty(), List.of("label_only"));

    private static AuditRecord.Builder minimal(String id) {
        return AuditRecord.builder(id, AuditFixtures.T0).bundle("b", "1").caller(Caller.ANONYMOUS).model("m", "1");
    }

    @Test
    void shouldBuildWithDefaults() {
        AuditRecord r = minimal("d").denied(List.of(WHY)).build();

        assertThat(r.path()).isEqualTo("veil/predict");
        assertThat(r.payloadBytes()).isEqualTo(-1);
        assertThat(r.features()).isNull();
        assertThat(r.raw()).isNull();
        assertThat(r.logging()).isEqualTo(LoggingDecision.DEFAULT);
        assertThat(r.stages()).isEmpty();
        assertThat(r.signals()).isEmpty();
        assertThat(r.alerts()).isEmpty();
        assertThat(r.latencyNanos()).isZero();
        assertThat(r.allowed()).isFalse();
        assertThat(r.released()).isNull();
        assertThat(r.reasons()).containsExactly(WHY);
        assertThat(r).hasToString("AuditRecord[d, denied]");
    }

    @Test
    void shouldTakeTheResultFromAResponse() {
        AuditRecord released = minimal("d1").result(new Response.Released("d1", LABEL, true, List.of("a"))).build();
        AuditRecord denied = minimal("d2").result(new Response.Denied("d2", List.of(WHY))).build();

        assertThat(released.allowed()).isTrue();
        assertThat(released.released()).isEqualTo(LABEL);
        assertThat(released.degraded()).isTrue();
        assertThat(denied.allowed()).isFalse();
        assertThat(denied.reasons()).containsExactly(WHY);
    }

    @Test
    void shouldTakeTheModelFromModelInfo() {
        AuditRecord r = minimal("d").model(ModelInfo.of("fashion", "3", Instant.EPOCH)).denied(List.of(WHY)).build();

        assertThat(r.modelName()).isEqualTo("fashion");
        assertThat(r.modelVersion()).isEqualTo("3");
    }

    @Test
    void shouldKeepTheLastOutcomeOfAStage() {
        AuditRecord r = minimal("d").stage(Stage.MODEL, StageOutcome.ALLOW).stage(Stage.MODEL, StageOutcome.ERROR)
                .denied(List.of(WHY)).build();

        assertThat(r.stages()).containsExactly(Map.entry(Stage.MODEL, StageOutcome.ERROR));
    }

    @Test
    void shouldTakeStageOutcomesByOrdinalSkippingNullsAndCopyingTheArray() {
        StageOutcome[] byOrdinal = new StageOutcome[Stage.values().length];
        byOrdinal[Stage.ACCESS.ordinal()] = StageOutcome.ALLOW;
        byOrdinal[Stage.MODEL.ordinal()] = StageOutcome.ERROR;
        AuditRecord.Builder b = minimal("d").stage(Stage.OUTPUT, StageOutcome.DENY).stage(Stage.ACCESS, StageOutcome.DENY)
                .stages(byOrdinal);
        byOrdinal[Stage.VALIDATION.ordinal()] = StageOutcome.ALLOW; // after the call: not seen
        AuditRecord r = b.denied(List.of(WHY)).build();

        assertThat(r.stages()).containsExactly(Map.entry(Stage.ACCESS, StageOutcome.ALLOW),
                Map.entry(Stage.MODEL, StageOutcome.ERROR), Map.entry(Stage.OUTPUT, StageOutcome.DENY));
        assertThat(r.stage(Stage.VALIDATION)).isNull();
        assertThat(r.stage(Stage.MODEL)).isEqualTo(StageOutcome.ERROR);
    }

    @Test
    void shouldRejectStageOutcomesOfAnotherLength() {
        assertThatThrownBy(() -> minimal("d").stages(new StageOutcome[2]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("stages must have one entry per Stage (" + Stage.values().length + "), was 2");
    }

    @Test
    void shouldAddSignalsOneByOneAfterAList() {
        AuditRecord r = minimal("d").signals(List.of(Signal.none("rate"))).signal(new Signal("knn", Level.LOW, 1))
                .denied(List.of(WHY)).build();

        assertThat(r.signals()).extracting(Signal::name).containsExactly("rate", "knn");
        assertThatThrownBy(() -> minimal("d").signals(List.of(Signal.none("rate"))).signal(Signal.none("rate")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("signal names must be unique, was 'rate' twice");
    }

    @Test
    void shouldRejectAResponseWithAnotherDecisionId() {
        assertThatThrownBy(() -> minimal("d1").result(new Response.Denied("d2", List.of(WHY))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("response decision id must be 'd1', was 'd2'");
    }

    @Test
    void shouldRejectABlankDecisionId() {
        assertThatThrownBy(() -> AuditRecord.builder(" ", AuditFixtures.T0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("decisionId must not be blank, was ' '");
    }

    @Test
    void shouldRejectAMissingTimestamp() {
        assertThatThrownBy(() -> AuditRecord.builder("d", null))
                .isInstanceOf(NullPointerException.class).hasMessage("timestamp");
    }

    @Test
    void shouldRejectABlankPath() {
        assertThatThrownBy(() -> minimal("d").path(""))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("path must not be blank, was ''");
    }

    @Test
    void shouldRejectABlankBundleName() {
        assertThatThrownBy(() -> minimal("d").bundle("", "1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("bundle name must not be blank, was ''");
    }

    @Test
    void shouldRejectABlankModelVersion() {
        assertThatThrownBy(() -> minimal("d").model("m", " "))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("model version must not be blank, was ' '");
    }

    @Test
    void shouldRejectAPayloadSizeBelowMinusOne() {
        assertThatThrownBy(() -> minimal("d").payloadBytes(-2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("payloadBytes must be >= 0 or -1 for unknown, was -2");
    }

    @Test
    void shouldRejectANegativeLatency() {
        assertThatThrownBy(() -> minimal("d").latencyNanos(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("latencyNanos must be >= 0, was -1");
    }

    @Test
    void shouldRejectADenialWithoutReasons() {
        assertThatThrownBy(() -> minimal("d").denied(List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("a denial needs at least one reason, was none");
    }

    @Test
    void shouldRejectASecondResult() {
        assertThatThrownBy(() -> minimal("d").denied(List.of(WHY)).released(LABEL, false))
                .isInstanceOf(IllegalStateException.class).hasMessage("audit record d already has a result");
    }

    @Test
    void shouldRejectTwoSignalsWithTheSameName() {
        assertThatThrownBy(() -> minimal("d").signals(List.of(Signal.none("rate"), new Signal("rate", Level.HIGH, 9))))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("signal names must be unique, was 'rate' twice");
    }

    @Test
    void shouldRejectASignalNameWithALoneSurrogate() {
        assertThatThrownBy(() -> minimal("d").signal(Signal.none("r\uD800")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("signal name must be well-formed UTF-16 (no lone surrogate), was 'r\uFFFD'");
    }

    @Test
    void shouldRejectACallerAttributeNameWithALoneSurrogate() {
        Caller c = new Caller("a", AuthMethod.JWT, Set.of(), "", Map.of("\uDC00k", "v"));
        assertThatThrownBy(() -> minimal("d").caller(c))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("caller attribute name must be well-formed UTF-16 (no lone surrogate), was '\uFFFDk'");
    }

    @Test
    void shouldRejectMissingRequiredParts() {
        assertThatThrownBy(() -> AuditRecord.builder("d", AuditFixtures.T0).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("audit record d needs a bundle: call bundle(name, revision)");
        assertThatThrownBy(() -> AuditRecord.builder("d", AuditFixtures.T0).bundle("b", "").build())
                .isInstanceOf(IllegalStateException.class).hasMessage("audit record d needs a caller: call caller(...)");
        assertThatThrownBy(() -> AuditRecord.builder("d", AuditFixtures.T0).bundle("b", "").caller(Caller.ANONYMOUS)
                .build()).isInstanceOf(IllegalStateException.class)
                .hasMessage("audit record d needs a model: call model(...)");
        assertThatThrownBy(() -> minimal("d").build()).isInstanceOf(IllegalStateException.class)
                .hasMessage("audit record d needs a result: call released(...), denied(...) or result(...)");
    }

    @Test
    void shouldBuildOnlyOnce() {
        AuditRecord.Builder b = minimal("d").denied(List.of(WHY));
        b.build();

        assertThatThrownBy(b::build).isInstanceOf(IllegalStateException.class)
                .hasMessage("this AuditRecord.Builder has already built its record");
    }

    @Test
    void shouldRefuseAppendsToAFullInMemoryLog() {
        MemoryAuditWriter w = AuditWriters.inMemory(1);
        w.append(AuditFixtures.denial("a"));

        assertThatThrownBy(() -> w.append(AuditFixtures.denial("b")))
                .isInstanceOf(AuditUnavailableException.class).hasMessage("in-memory audit log is full (1 records)");
        assertThat(w.lines()).hasSize(1);
        assertThat(w.stats().rejected()).isEqualTo(1);
        assertThatThrownBy(() -> AuditWriters.inMemory(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("capacity must be >= 1, was 0");
    }
}
