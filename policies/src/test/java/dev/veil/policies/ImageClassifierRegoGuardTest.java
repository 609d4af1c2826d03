package dev.veil.policies;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.Reason;
import dev.veil.ReasonCode;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.Stage;
import dev.veil.policies.tools.FashionMnist;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A real {@link Guard} on the image-classifier policy, end to end, written in YAML and in Rego: the
 * same requests get the same answers (allowed call, forbidden role, invalid input, flood blocked).
 * Needs no data set: the model is a fixed classifier and the image the training mean.
 */
class ImageClassifierRegoGuardTest {
    static final Instant START = Instant.parse("2026-12-01T00:00:00Z");
    static final double[] SCORES = {0.02, 0.01, 0.03, 0.04, 0.6, 0.01, 0.2, 0.03, 0.05, 0.01};

    static PolicyBundle yaml;
    static PolicyBundle rego;
    static double[] image;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        yaml = PolicyBundle.classpath("veil-policies/image-classifier");
        rego = PolicyBundle.classpath("veil-policies/image-classifier-rego");
        image = textured(ImageClassifierPolicyTest.meanImage(yaml));
    }

    /**
     * The training images' mean with a fine checker of +-0.1 on its ink: the mean alone is a blur,
     * smoother than any real image, which the smooth detector flags (a flood of it would be blocked
     * by smooth-block from its 20th query, before the rate ladder this class tests).
     */
    static double[] textured(double[] mean) {
        double[] x = mean.clone();
        for (int i = 0; i < x.length; i++) {
            if (x[i] > 0.2) {
                x[i] = Math.min(1, x[i] + ((i / 28 + i % 28) % 2 == 0 ? 0.1 : -0.1));
            }
        }
        return x;
    }

    static Stream<Named<PolicyBundle>> bundles() {
        return Stream.of(Named.of("yaml", yaml), Named.of("rego", rego));
    }

    record Run(Guard<double[]> guard, MutableClock clock, AtomicInteger calls) {}

    Run guard(PolicyBundle bundle, String audit) {
        MutableClock clock = new MutableClock(START);
        AtomicInteger calls = new AtomicInteger();
        Model<double[]> model = Model.ofVector(ModelInfo.of("stub", "1", START.minus(Duration.ofDays(10))), x -> {
            calls.incrementAndGet();
            return Prediction.classification(FashionMnist.CLASSES, SCORES.clone());
        });
        Guard<double[]> g = Guard.builder(model).policy(bundle).audit(AuditLog.jsonLines(dir.resolve(audit)))
                .clock(clock).build();
        return new Run(g, clock, calls);
    }

    static Credentials analyst() {
        return Credentials.apiKey(DemoKeys.key("image-classifier", "demo-analyst"));
    }

    static Reason denied(Response r) {
        assertThat(r).as("%s", r).isInstanceOf(Response.Denied.class);
        return ((Response.Denied) r).reason();
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void anAnalystGetsTheTopThreeRounded(PolicyBundle b) {
        Run run = guard(b, "allowed.jsonl");
        try (Guard<double[]> g = run.guard()) {
            Response r = g.predict(Request.of(analyst(), image));
            assertThat(r).as("%s", r).isInstanceOf(Response.Released.class);
            Response.Released ok = (Response.Released) r;
            assertThat(ok.prediction().label()).isEqualTo("coat");
            assertThat(ok.prediction().scores()).hasSize(3);
            assertThat(ok.degraded()).isFalse();
        }
        assertThat(run.calls()).hasValue(1);
        assertThat(AuditLog.verify(dir.resolve("allowed.jsonl")).ok()).isTrue();
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void aCallerWithoutAnAllowedRoleIsForbidden(PolicyBundle b) {
        Run run = guard(b, "forbidden.jsonl");
        String token = DemoTokens.sign("ivan", List.of("intern"), "acme", Map.of(), START);
        try (Guard<double[]> g = run.guard()) {
            Reason r = denied(g.predict(Request.of(Credentials.bearer(token), image)));
            assertThat(r.code()).isEqualTo(ReasonCode.FORBIDDEN);
            assertThat(r.rule()).isEqualTo("default");
            assertThat(r.message()).isEqualTo("no access rule allows this caller; ask the ML platform team for the "
                    + "analyst role");
            String suspended = DemoTokens.sign("sue", List.of("researcher"), "acme", Map.of("status", "suspended"),
                    START);
            assertThat(denied(g.predict(Request.of(Credentials.bearer(suspended), image))).rule()).isEqualTo("suspended");
        }
        assertThat(run.calls()).hasValue(0);
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void anInvalidInputIsRefusedBeforeTheModel(PolicyBundle b) {
        Run run = guard(b, "invalid.jsonl");
        try (Guard<double[]> g = run.guard()) {
            Reason shape = denied(g.predict(Request.of(analyst(), new double[10])));
            assertThat(shape.code()).isEqualTo(ReasonCode.INVALID_INPUT);
            assertThat(shape.stage()).isEqualTo(Stage.VALIDATION);
            double[] white = new double[784];
            java.util.Arrays.fill(white, 1.0);
            assertThat(denied(g.predict(Request.of(analyst(), white))).code()).isEqualTo(ReasonCode.OUT_OF_DISTRIBUTION);
        }
        assertThat(run.calls()).hasValue(0);
    }

    @ParameterizedTest
    @MethodSource("bundles")
    void aFloodIsAlertedThenDegradedThenBlocked(PolicyBundle b) {
        Run run = guard(b, "flood.jsonl");
        try (Guard<double[]> g = run.guard()) {
            int n = 0;
            Response r;
            do {
                n++;
                run.clock().advance(Duration.ofMillis(200));
                r = g.predict(Request.of(analyst(), image));
                if (n == 60) {
                    // one image over and over: class_focus remembers a resent input once, so the rate
                    // ladder alone answers the flood
                    assertThat(((Response.Released) r).alerts()).containsExactly("rate-alert");
                }
                if (n == 150) {
                    assertThat(((Response.Released) r).degraded()).isTrue();
                }
            } while (r instanceof Response.Released && n < 1000);
            assertThat(n).isEqualTo(180);
            Reason blocked = denied(r);
            assertThat(blocked.code()).isEqualTo(ReasonCode.BLOCKED);
            assertThat(blocked.rule()).isEqualTo("rate-block");
        }
        assertThat(AuditLog.verify(dir.resolve("flood.jsonl")).ok()).isTrue();
    }
}
