package dev.veil.rego;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.ReasonCode;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.Stage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Rego bundle's output decisions are read per request, so a release the YAML engine refuses at
 * load (noise without {@code output.privacy}, an epsilon no budget can pay, a noise scale that
 * overflows) reaches the Guard: it is denied, with its cause where the policy is to blame, and
 * nothing is charged for it.
 */
class RegoGuardReleaseTest {
    private static final Logger GUARD_LOG = Logger.getLogger("dev.veil.Guard");

    @TempDir
    Path dir;

    private Guard<double[]> guard;

    @BeforeAll
    static void quiet() {
        GUARD_LOG.setLevel(Level.OFF); // the denials below are logged as errors; the assertions say what matters
    }

    @AfterAll
    static void loud() {
        GUARD_LOG.setLevel(null);
    }

    @AfterEach
    void close() {
        if (guard != null) {
            guard.close();
        }
    }

    /**
     * A bundle whose output decision releases with {@code noise} (a Rego object) when the model's top
     * score is above 0.9, and with {@code fallback} otherwise; {@code privacy} is the settings'
     * {@code output.privacy} (or null).
     */
    private Guard<double[]> guard(String noise, String fallback, String privacy) {
        return guard(noise, fallback, privacy, x -> Prediction.classification(List.of("yes", "no"),
                new double[] {x[0], 1 - x[0]}));
    }

    /** As {@link #guard(String, String, String)} with this model. */
    private Guard<double[]> guard(String noise, String fallback, String privacy,
            java.util.function.Function<double[], Prediction> predict) {
        write("veil/settings/data.yaml", """
                name: rego-release
                authentication: { anonymous: true }
                """ + (privacy == null ? "" : "output: { privacy: " + privacy + " }\n"));
        write("policy/access.rego", """
                package veil.access

                decision := {"allow": true, "rule": "all", "message": "", "rate_limit": null, "daily_quota": 0}
                """);
        write("policy/validation.rego", """
                package veil.validation

                decision := {"rule": "default", "contract": {"shape": [2], "min": 0, "max": 1, "features": {},
                    "allow_unknown_features": true, "cross_field": [], "max_payload_bytes": 0, "distribution": null}}
                """);
        write("policy/monitoring.rego", """
                package veil.monitoring

                decision := {"actions": []}
                """);
        write("policy/model.rego", """
                package veil.model

                decision := {"rule": "default", "stale": false, "action": "alert"}
                """);
        write("policy/output.rego", """
                package veil.output

                import rego.v1

                decision := {"rule": "sure", "release": release(%s)} if {
                    input.prediction.top_score > 0.9
                } else := {"rule": "default", "release": release(%s)}

                release(noise) := {"form": "top_k", "top_k": 1, "round": 0, "min_confidence": 0,
                    "reverse_sigmoid": null, "noise": noise, "allow_label_change": false}
                """.formatted(noise, fallback));
        write("policy/logging.rego", """
                package veil.logging

                decision := {"rule": "default", "input": "digest", "output": "keep", "raw": "mask", "caller": "keep"}
                """);
        Model<double[]> model = Model.ofVector(ModelInfo.of("m", "1", Instant.parse("2026-01-01T00:00:00Z")),
                predict::apply);
        guard = Guard.builder(model).policy(PolicyBundle.load(dir))
                .audit(AuditLog.jsonLines(dir.resolve("audit.jsonl"))).build();
        return guard;
    }

    private void write(String name, String text) {
        try {
            Path p = dir.resolve(name);
            Files.createDirectories(p.getParent());
            Files.writeString(p, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Response ask(Guard<double[]> g, double score) {
        return g.predict(Request.of(Credentials.anonymous(), new double[] {score, 0.5}));
    }

    private static Response.Denied denied(Response r, ReasonCode code) {
        assertThat(r).as("response %s", r).isInstanceOf(Response.Denied.class);
        Response.Denied d = (Response.Denied) r;
        assertThat(d.reason().code()).as("code of %s", d.reasons()).isEqualTo(code);
        assertThat(d.reason().stage()).isEqualTo(Stage.OUTPUT);
        return d;
    }

    private static final String LAPLACE = "{\"mechanism\": \"laplace\", \"epsilon\": 1, \"delta\": 0, "
            + "\"sensitivity\": 0}";

    @Test
    void aReleaseWithNoiseAndNoPrivacyBudgetIsDeniedSayingSo() {
        Guard<double[]> g = guard(LAPLACE, "null", null);

        Response.Denied d = denied(ask(g, 0.95), ReasonCode.INTERNAL_ERROR);

        assertThat(d.reason().message()).isEqualTo("stage output could not be evaluated: a release with noise needs "
                + "output.privacy, the budget its epsilon is charged to: this output decision names noise and the "
                + "policy's settings have no output.privacy");
        assertThat(ask(g, 0.6)).isInstanceOf(Response.Released.class);
    }

    @Test
    void aReleaseWhoseEpsilonNoBudgetCanPayIsDeniedSayingSo() {
        Guard<double[]> g = guard(LAPLACE.replace("\"epsilon\": 1", "\"epsilon\": 6"), LAPLACE,
                "{ per_caller_epsilon: 5 }");

        Response.Denied d = denied(ask(g, 0.95), ReasonCode.BUDGET_EXHAUSTED);

        assertThat(d.reason().message()).contains("this release can never be charged: its epsilon 6.0 exceeds "
                + "privacy.per_caller_epsilon 5.0");
        for (int i = 0; i < 5; i++) {
            assertThat(ask(g, 0.6)).as("release %d of epsilon 1: the refused one spent nothing", i)
                    .isInstanceOf(Response.Released.class);
        }
    }

    @Test
    void aReleaseWhoseNoiseScaleOverflowsIsDeniedAndChargesNothing() {
        Guard<double[]> g = guard("{\"mechanism\": \"laplace\", \"epsilon\": 1.0e-300, \"delta\": 0, "
                + "\"sensitivity\": 1.0e10}", LAPLACE, "{ per_caller_epsilon: 2 }");

        denied(ask(g, 0.95), ReasonCode.INTERNAL_ERROR); // its cause (the scale) is in the Guard's log
        assertThat(ask(g, 0.6)).as("epsilon 1 of 2").isInstanceOf(Response.Released.class);
        assertThat(ask(g, 0.6)).as("epsilon 2 of 2: the refused release spent nothing")
                .isInstanceOf(Response.Released.class);
    }

    /**
     * Noise {@code bounds} (for a regression's value; optional in the decision document) reach the
     * Guard from Rego as from YAML: a regression's value is clamped to them before the noise (a value
     * of 950,000 is released near 1), and on a classifier they are refused before anything is charged.
     */
    @Test
    void noiseBoundsClampARegressionsValueFromARegoDecision() {
        Guard<double[]> g = guard(LAPLACE.replace("}", ", \"bounds\": [0, 1]}"), "null", "{ per_caller_epsilon: 2 }",
                x -> Prediction.regression(x[0] * 1e6));

        Response r = ask(g, 0.95);

        assertThat(r).isInstanceOf(Response.Released.class);
        var p = ((Response.Released) r).prediction();
        assertThat(p.applied()).containsExactly("clamp(0.0,1.0)", "noise(laplace,epsilon=1.0)");
        assertThat(p.value().getAsDouble()).isBetween(-1000.0, 1000.0); // Laplace of scale 1 around 1
    }

    /** The same bounds on this classifier: refused before anything is charged. */
    @Test
    void noiseBoundsOnAClassificationAreDeniedAndChargeNothing() {
        Guard<double[]> g = guard(LAPLACE.replace("}", ", \"bounds\": [0, 1]}"), LAPLACE, "{ per_caller_epsilon: 2 }");

        for (int i = 0; i < 3; i++) {
            denied(ask(g, 0.95), ReasonCode.INTERNAL_ERROR);
        }
        assertThat(ask(g, 0.6)).as("epsilon 1 of 2").isInstanceOf(Response.Released.class);
        assertThat(ask(g, 0.6)).as("epsilon 2 of 2: the refused releases spent nothing")
                .isInstanceOf(Response.Released.class);
    }
}
