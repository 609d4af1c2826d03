package dev.veil.policies;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Features;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.Request;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an audit record with {@code raw: mask} and {@code output: mask} still says about the raw
 * prediction (docs/audit-log.md, "What raw: mask does not hide"): the output rule that matched on
 * {@code top_score}, and the answer detectors' scores; and that the YAML and the Rego engine write
 * the same records.
 */
class MaskedRawRecordTest {
    static final String DETECTORS = """
                boundary: {window: 20, min_queries: 3, margin: 0.1, low: 0.3, medium: 0.5, high: 0.9}
                class_focus: {window: 20, min_queries: 3, low: 0.5, medium: 0.8, high: 0.99}
            """;

    static final String YAML = """
            veil: 1
            name: masked
            authentication: {anonymous: true}
            access: {default: {effect: allow}}
            validation: {default: {shape: [2]}}
            monitoring:
              detectors:
            """ + DETECTORS + """
              rules:
                - {id: near-boundary-alert, when: {signals: {boundary: medium}}, action: alert}
            output:
              default: {form: label_only}
              rules:
                - {id: confident, when: {top_score: {gte: 0.9}}, release: {form: label_only}}
            logging:
              default: {input: mask, output: mask, raw: mask, caller: keep}
            """;

    static final String SETTINGS = """
            name: masked
            authentication: {anonymous: true}
            monitoring:
              detectors:
            """ + DETECTORS;

    static final String REGO = """
            package veil

            import rego.v1

            rank := {"none": 0, "low": 1, "medium": 2, "high": 3}

            access.decision := {"allow": true, "rule": "default", "message": "allowed by rule default",
                "rate_limit": null, "daily_quota": 0}

            validation.decision := {"rule": "default", "contract": {"shape": [2], "min": null, "max": null,
                "features": {}, "allow_unknown_features": true, "cross_field": [], "max_payload_bytes": 0,
                "distribution": null}}

            monitoring.decision := {"actions": [{"action": "alert", "rule": "near-boundary-alert",
                "signal": "boundary", "cooldown_seconds": 0, "throttle_per_second": 0}]} if {
            	rank[input.signals.boundary.level] >= rank.medium
            } else := {"actions": []}

            model.decision := {"rule": "default", "stale": false, "action": "alert"}

            label_only := {"form": "label_only", "top_k": 0, "round": 0, "min_confidence": 0,
                "reverse_sigmoid": null, "noise": null, "allow_label_change": false}

            output.decision := {"rule": "confident", "release": label_only} if {
            	input.prediction.top_score >= 0.9
            } else := {"rule": "default", "release": label_only}

            logging.decision := {"rule": "default", "input": "mask", "output": "mask", "raw": "mask",
                "caller": "keep"}
            """;

    /** The raw top score of each request, in order: the runner-up has the rest. */
    static final double[] TOP = {0.95, 0.55, 0.52, 0.97, 0.51, 0.53, 0.99};

    @TempDir
    Path dir;

    @Test
    void rulesAndSignalsOfAMaskedRecordFollowTheRawPredictionInBothEngines() throws IOException {
        Path yaml = Files.createDirectories(dir.resolve("yaml"));
        Files.writeString(yaml.resolve("masked.veil.yaml"), YAML);
        Path rego = Files.createDirectories(dir.resolve("rego/veil/settings"));
        Files.writeString(rego.resolve("data.yaml"), SETTINGS);
        Files.writeString(dir.resolve("rego/veil/policy.rego"), REGO);

        List<JsonNode> fromYaml = run(PolicyBundle.load(yaml), dir.resolve("yaml.jsonl"));
        List<JsonNode> fromRego = run(PolicyBundle.load(dir.resolve("rego")), dir.resolve("rego.jsonl"));

        for (int i = 0; i < TOP.length; i++) {
            JsonNode r = fromYaml.get(i);
            assertThat(r.has("raw")).isFalse();
            assertThat(r.path("result").has("released")).isFalse();
            assertThat(r.path("erased").toString()).contains("/raw", "/result/released", "/input/features");
            // the rule that matched on the raw top score is named, whatever raw: mask says
            assertThat(r.path("rules").toString()).contains(TOP[i] >= 0.9 ? "output:confident" : "output:default");
        }
        // the boundary detector counts the earlier raw answers with a margin below 0.1: 0.52, 0.51, 0.53 of six
        JsonNode last = fromYaml.get(TOP.length - 1);
        assertThat(last.at("/signals/boundary/score").doubleValue()).isEqualTo(0.5);
        assertThat(last.path("alerts").toString()).isEqualTo("[\"near-boundary-alert\"]");
        // the Rego engine's records are the same, but for what differs by request and bundle
        assertThat(fromRego).isEqualTo(fromYaml);
    }

    private static List<JsonNode> run(PolicyBundle bundle, Path log) {
        Model<double[]> model = Model.of(ModelInfo.of("scorer", "1", Instant.now()),
                x -> Prediction.classification(List.of("a", "b"), new double[] {x[0], 1 - x[0]}), Features::of);
        try (Guard<double[]> g = Guard.builder(model).policy(bundle).audit(AuditLog.jsonLines(log).durable()).build()) {
            for (double top : TOP) {
                assertThat(g.predict(Request.of(Credentials.anonymous(), new double[] {top, 0})).allowed()).isTrue();
            }
        }
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode r : AuditRecords.read(log)) {
            ObjectNode o = (ObjectNode) r;
            o.remove(List.of("decision_id", "hash", "prev_hash", "timestamp", "latency_ns"));
            out.add(o);
        }
        return out;
    }
}
