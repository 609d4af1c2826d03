package dev.veil.internal.audit;

import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/** Records and generators shared by the audit tests. */
final class AuditFixtures {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant T0 = Instant.parse("2026-11-29T10:15:30.123456789Z");
    static final LoggingDecision KEEP_ALL =
            new LoggingDecision("keep-all", FieldMode.KEEP, FieldMode.KEEP, FieldMode.KEEP, FieldMode.KEEP);

    private AuditFixtures() {}

    /** A release record with every field set, all fields kept. */
    static AuditRecord fullRelease(String decisionId) {
        return fullReleaseBuilder(decisionId).build();
    }

    static AuditRecord.Builder fullReleaseBuilder(String decisionId) {
        Map<String, Double> named = new LinkedHashMap<>();
        named.put("age", 42.0);
        named.put("income", 0.25);
        named.put("zip", null);
        ReleasedPrediction released = new ReleasedPrediction("cat",
                List.of(new ReleasedPrediction.ScoredLabel("cat", 0.9), new ReleasedPrediction.ScoredLabel("dog", 0.05)),
                OptionalDouble.empty(), List.of("top_k:2", "round:0.05"));
        return AuditRecord.builder(decisionId, T0)
                .path("veil/predict")
                .bundle("fashion", "2026-11-29.1")
                .caller(new Caller("alice", AuthMethod.JWT, Set.of("analyst", "admin"), "acme",
                        Map.of("team", "risk", "region", "eu")))
                .model("fashion-classifier", "2026-11-01.3")
                // zip absent in a fixed layout, which keeps its place (NaN): a map would leave it out
                .features(Features.named(List.copyOf(named.keySet()), new double[] {42.0, 0.25, 0},
                        java.util.BitSet.valueOf(new long[] {0b100})))
                .payloadBytes(512)
                .released(released, false)
                .stage(Stage.ACCESS, StageOutcome.ALLOW)
                .stage(Stage.VALIDATION, StageOutcome.ALLOW)
                .stage(Stage.OBSERVE, StageOutcome.ALLOW)
                .stage(Stage.MODEL, StageOutcome.ALLOW)
                .stage(Stage.OUTPUT, StageOutcome.ALLOW)
                .signal(new Signal("rate", Level.LOW, 3.5))
                .signal(new Signal("near_duplicate", Level.NONE, 0.0))
                .alerts(List.of("rate-alert"))
                .raw(new PredictionSummary("cat", 0.9, 0.85, 0.39, 3))
                .logging(KEEP_ALL)
                .latencyNanos(1834);
    }

    /** A denial record with the required fields only. */
    static AuditRecord denial(String decisionId) {
        return AuditRecord.builder(decisionId, T0)
                .bundle("fashion", "r1")
                .caller(Caller.ANONYMOUS)
                .model("m", "1")
                .denied(List.of(Reason.of(ReasonCode.UNAUTHENTICATED, Stage.ACCESS, "", "no credentials")))
                .stage(Stage.ACCESS, StageOutcome.DENY)
                .build();
    }

    /** Serialises records through an in-memory writer and returns the log's bytes. */
    static byte[] log(List<AuditRecord> records) {
        MemoryAuditWriter w = AuditWriters.inMemory(Math.max(1, records.size()));
        records.forEach(w::append);
        return w.bytes();
    }

    static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static dev.veil.AuditVerification verify(byte[] log) {
        try {
            return AuditVerifier.verify(new ByteArrayInputStream(log));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> lines(byte[] log) {
        String s = new String(log, StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>(List.of(s.split("\n", -1)));
        if (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
            out.remove(out.size() - 1);
        }
        return out;
    }

    static byte[] join(List<String> lines) {
        StringBuilder b = new StringBuilder();
        for (String l : lines) {
            b.append(l).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    // ---- generators ----

    /** Keys: printable ASCII, never blank. */
    static Gen<String> keys() {
        return strings().basicLatinAlphabet().ofLengthBetween(0, 8).map(s -> "k" + s);
    }

    /** Any text, including control characters, non-BMP characters and lone surrogates. */
    static Gen<String> texts() {
        return strings().allPossible().ofLengthBetween(0, 10)
                .mix(strings().basicLatinAlphabet().ofLengthBetween(0, 10));
    }

    /** Doubles including NaN, infinities, negative zero, subnormals and extremes. */
    static Gen<Double> anyDoubles() {
        return doubles().any().mix(Generate.pick(List.of(Double.NaN, Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY, -0.0, 0.0, Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE,
                Double.MIN_NORMAL, 0.1, 1e-7, 1e21, 2e23, 9007199254740993.0)), 30);
    }

    static Gen<FieldMode> modes() {
        return Generate.enumValues(FieldMode.class);
    }

    static Gen<LoggingDecision> loggingDecisions() {
        return rs -> new LoggingDecision("rule", modes().generate(rs), modes().generate(rs),
                modes().generate(rs), modes().generate(rs));
    }

    /** Random records: releases and denials, with and without features, raw summaries, signals. */
    static Gen<AuditRecord> records() {
        Gen<String> keys = keys();
        Gen<String> texts = texts();
        Gen<Double> ds = anyDoubles();
        Gen<Boolean> coin = booleans().all();
        Gen<Integer> small = integers().between(0, 4);
        Gen<Long> nanos = longs().between(-2_000_000_000L, 32_000_000_000L);
        Gen<LoggingDecision> logging = loggingDecisions();
        return rs -> {
            String id = "d-" + keys.generate(rs) + "-" + integers().between(0, 1_000_000).generate(rs);
            Instant ts = Instant.ofEpochSecond(nanos.generate(rs), integers().between(0, 999_999_999).generate(rs));
            Map<String, String> attributes = new LinkedHashMap<>();
            for (int i = small.generate(rs); i > 0; i--) {
                attributes.put(keys.generate(rs), texts.generate(rs));
            }
            Set<String> roles = new HashSet<>();
            for (int i = small.generate(rs); i > 0; i--) {
                roles.add(texts.generate(rs));
            }
            AuthMethod method = Generate.enumValues(AuthMethod.class).generate(rs);
            AuditRecord.Builder b = AuditRecord.builder(id, ts)
                    .path(coin.generate(rs) ? AuditRecord.DEFAULT_PATH : "veil/" + keys.generate(rs))
                    .bundle(keys.generate(rs), texts.generate(rs))
                    .caller(new Caller(texts.generate(rs), method, roles, texts.generate(rs), attributes))
                    .model("m" + texts.generate(rs), "v" + texts.generate(rs))
                    .payloadBytes(integers().between(-1, 100_000).generate(rs))
                    .logging(logging.generate(rs))
                    .latencyNanos(longs().between(0, Long.MAX_VALUE).generate(rs));
            if (coin.generate(rs)) {
                int n = integers().between(0, 6).generate(rs);
                double[] v = new double[n];
                for (int i = 0; i < n; i++) {
                    v[i] = ds.generate(rs);
                }
                if (coin.generate(rs) && n > 0) {
                    Map<String, Double> named = new LinkedHashMap<>();
                    for (int i = 0; i < n; i++) {
                        named.put("f" + i, v[i]);
                    }
                    b.features(Features.named(named));
                } else {
                    b.features(Features.of(v));
                }
            }
            for (Stage s : Stage.values()) {
                if (coin.generate(rs)) {
                    b.stage(s, Generate.enumValues(StageOutcome.class).generate(rs));
                }
            }
            for (int i = small.generate(rs); i > 0; i--) {
                String name = "s" + i + keys.generate(rs);
                b.signal(new Signal(name, Generate.enumValues(Level.class).generate(rs), ds.generate(rs)));
            }
            b.alerts(lists().of(texts).ofSizeBetween(0, 3).generate(rs));
            if (coin.generate(rs)) {
                b.raw(new PredictionSummary(texts.generate(rs), ds.generate(rs), ds.generate(rs), ds.generate(rs),
                        small.generate(rs)));
                List<ReleasedPrediction.ScoredLabel> scores = new ArrayList<>();
                for (int i = small.generate(rs); i > 0; i--) {
                    scores.add(new ReleasedPrediction.ScoredLabel(texts.generate(rs), ds.generate(rs)));
                }
                ReleasedPrediction p = new ReleasedPrediction(coin.generate(rs) ? texts.generate(rs) : null, scores,
                        coin.generate(rs) ? OptionalDouble.of(ds.generate(rs)) : OptionalDouble.empty(),
                        lists().of(keys).ofSizeBetween(0, 3).generate(rs));
                List<Reason> why = coin.generate(rs) ? List.of() : List.of(reason(rs, texts));
                b.released(p, coin.generate(rs), why);
            } else {
                List<Reason> reasons = new ArrayList<>();
                for (int i = integers().between(1, 3).generate(rs); i > 0; i--) {
                    reasons.add(reason(rs, texts));
                }
                b.denied(reasons);
            }
            return b.build();
        };
    }

    private static Reason reason(org.quicktheories.core.RandomnessSource rs, Gen<String> texts) {
        return Reason.of(Generate.enumValues(ReasonCode.class).generate(rs),
                Generate.enumValues(Stage.class).generate(rs), texts.generate(rs), texts.generate(rs));
    }

    /** Logs of 1 to 12 random records. */
    static Gen<List<AuditRecord>> logs() {
        return lists().of(records()).ofSizeBetween(1, 12);
    }
}
