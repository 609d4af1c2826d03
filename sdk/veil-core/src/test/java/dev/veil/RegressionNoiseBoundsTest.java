package dev.veil;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A regression's noise with {@code bounds}: the value is clamped before the noise, so that the
 * epsilon the ledger charges holds whatever the model answers (without bounds it holds only while
 * the value moves by at most the sensitivity the policy states; an outlier the model reproduces
 * from one training record was released next to it). A classification answered under such a
 * release, or under a {@code round} above 1, is refused before anything is charged.
 */
class RegressionNoiseBoundsTest {
    @TempDir Path tmp;

    private Guard<double[]> guard(String yaml, Function<double[], Prediction> model, Duration age) {
        return OneFeatureGuard.build(tmp, yaml, model, age);
    }

    private static Response ask(Guard<double[]> g, double x) {
        return OneFeatureGuard.ask(g, x);
    }

    /**
     * The model answers the value it was asked for; with bounds [0, 50000] an outlier of 1e12 is
     * noised as 50000 (Laplace scale 12,500: the sampler never goes past about 700 scales), without
     * them it comes out near 1e12.
     */
    @Test
    void anOutlierIsNoisedAsTheBoundAndTheReleaseSaysItWasClamped() throws Exception {
        String bounded = """
                output:
                  default: {form: full, noise: {mechanism: laplace, epsilon: 4, bounds: [0, 50000]}}
                  privacy: {per_caller_epsilon: 1000, period_seconds: 86400}
                """;
        try (Guard<double[]> g = guard(bounded, x -> Prediction.regression(x[0]), Duration.ofDays(1))) {
            Response r = ask(g, 1e12);
            assertThat(r).isInstanceOf(Response.Released.class);
            ReleasedPrediction p = ((Response.Released) r).prediction();
            assertThat(p.value().getAsDouble()).isBetween(50000 - 1e8, 50000 + 1e8);
            assertThat(p.applied()).containsExactly("clamp(0.0,50000.0)", "noise(laplace,epsilon=4.0)");
        }
        try (Guard<double[]> g = guard(bounded.replace(", bounds: [0, 50000]", ", sensitivity: 50000"),
                x -> Prediction.regression(x[0]), Duration.ofDays(1))) {
            ReleasedPrediction p = ((Response.Released) ask(g, 1e12)).prediction();
            assertThat(p.value().getAsDouble()).isGreaterThan(1e11);
            assertThat(p.applied()).containsExactly("noise(laplace,epsilon=4.0)");
        }
    }

    /** A degraded answer that carries the normal release's noise carries its bounds too. */
    @Test
    void aDegradedRegressionBorrowsTheBoundsWithTheNoise() throws Exception {
        String yaml = """
                model: {default: {max_age_days: 1, on_stale: degrade}}
                output:
                  default: {form: full, noise: {mechanism: laplace, epsilon: 4, bounds: [0, 50000]}}
                  privacy: {per_caller_epsilon: 1000, period_seconds: 86400}
                """;
        try (Guard<double[]> g = guard(yaml, x -> Prediction.regression(x[0]), Duration.ofDays(3))) {
            Response r = ask(g, 1e12);
            assertThat(((Response.Released) r).degraded()).isTrue();
            ReleasedPrediction p = ((Response.Released) r).prediction();
            assertThat(p.applied()).startsWith("clamp(0.0,50000.0)", "noise(laplace,epsilon=4.0)");
            assertThat(p.value().getAsDouble()).isBetween(50000 - 1e8, 50000 + 1e8);
        }
    }

    /**
     * A classification under a release meant for a regression's value is refused as a failure
     * ({@code internal_error}) before the ledger is asked: with a budget of 2 and releases of 1, the
     * third request is refused for the same reason, not as {@code budget_exhausted} (a step above 1
     * was charged and then refused before).
     */
    @Test
    void aClassificationUnderARegressionsReleaseIsRefusedBeforeAnyCharge() throws Exception {
        Function<double[], Prediction> animals = x -> Prediction.classification(List.of("cat", "dog"),
                new double[] {0.7, 0.3});
        for (String release : List.of(
                "{form: full, allow_label_change: true, noise: {mechanism: laplace, epsilon: 1, bounds: [0, 1]}}",
                "{form: full, round: 1000, noise: {mechanism: laplace, epsilon: 1}}")) {
            String yaml = "output:\n  default: " + release
                    + "\n  privacy: {per_caller_epsilon: 2, period_seconds: 86400}\n";
            try (Guard<double[]> g = guard(yaml, animals, Duration.ofDays(1))) {
                for (int i = 0; i < 3; i++) {
                    Response r = ask(g, 1);
                    assertThat(r).as("%s, request %s", release, i).isInstanceOf(Response.Denied.class);
                    assertThat(((Response.Denied) r).reason().code()).as("%s, request %s", release, i)
                            .isEqualTo(ReasonCode.INTERNAL_ERROR);
                }
            }
        }
    }
}
