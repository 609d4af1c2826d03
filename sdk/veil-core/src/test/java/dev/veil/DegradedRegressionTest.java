package dev.veil;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A degraded regression value is never finer than the normal release would give the same request
 * (policy-reference 5.6: "a degraded request never gets more than a normal one"), whatever
 * {@code output.degraded}'s round: a caller flagged by monitoring, or served by a stale model, got
 * a more precise value than an unflagged one before (a review's tests).
 */
class DegradedRegressionTest {
    @TempDir Path tmp;

    private Guard<double[]> guard(String yaml, double value, Duration age) {
        return OneFeatureGuard.build(tmp, yaml, x -> Prediction.regression(value), age);
    }

    private static double value(Response r) {
        assertThat(r).isInstanceOf(Response.Released.class);
        return ((Response.Released) r).prediction().value().getAsDouble();
    }

    /**
     * policy-reference 5.6: output.degraded "must be form: label_only, the most minimised release, so
     * that a degraded request never gets more than a normal one". For a regression, a degraded
     * label_only with a finer round than the normal release gives a caller flagged by monitoring a
     * finer value (123456.79) than an unflagged one (123457).
     */
    @Test
    void aDegradedRegressionValueIsNeverFinerThanTheNormalOne() throws Exception {
        String yaml = """
                monitoring:
                  detectors:
                    rate: {window_seconds: 60, medium: 2, high: 5}
                  rules:
                    - {id: slow-down, when: {signals: {rate: medium}}, action: degrade}
                output:
                  default: {form: full, round: 1}
                  degraded: {form: label_only, round: 0.01}
                """;
        try (Guard<double[]> g = guard(yaml, 123456.789, Duration.ofDays(1))) {
            double normal = value(g.predict(Request.of(Credentials.anonymous(), new double[] {1})));
            Response flagged = g.predict(Request.of(Credentials.anonymous(), new double[] {1}));
            assertThat(((Response.Released) flagged).degraded()).isTrue();
            double degraded = value(flagged);
            assertThat(normal).isEqualTo(123457.0);
            // the degraded value must be at most as precise: a multiple of the normal step (1)
            assertThat(degraded % 1.0).as("degraded %s vs normal %s", degraded, normal).isZero();
            assertThat(((Response.Released) flagged).prediction().applied()).contains("round(0.01)", "round(1.0)");
        }
    }

    /** The same with the default label_only (2 significant digits) and a degraded round of 0.05. */
    @Test
    void aDegradedLabelOnlyWithRoundIsNotFinerThanLabelOnly() throws Exception {
        String yaml = """
                model: {default: {max_age_days: 1, on_stale: degrade}}
                output:
                  default: {form: label_only}
                  degraded: {form: label_only, round: 0.05}
                """;
        try (Guard<double[]> g = guard(yaml, 123456.789, Duration.ofDays(3))) {
            Response r = g.predict(Request.of(Credentials.anonymous(), new double[] {1}));
            assertThat(((Response.Released) r).degraded()).isTrue();
            assertThat(value(r)).isEqualTo(120000.0); // what a fresh model's normal release gives
        }
    }

    /**
     * A stale model under {@code on_stale: degrade} with a privacy budget: the degraded value carries
     * the normal release's noise and is charged for it, as a degraded classification does, instead of
     * being refused as {@code budget_exhausted} though no budget was spent (a review found the
     * caller told to wait for the period to end, while the cause was the model's age).
     */
    @Test
    void aStaleRegressionUnderABudgetCarriesTheNormalNoiseInsteadOfBeingRefused() throws Exception {
        String yaml = """
                model: {default: {max_age_days: 1, on_stale: degrade}}
                output:
                  default: {form: full, noise: {mechanism: laplace, epsilon: 4, sensitivity: 1000}}
                  privacy: {per_caller_epsilon: 10, period_seconds: 86400}
                """;
        try (Guard<double[]> g = guard(yaml, 250000, Duration.ofDays(3))) {
            for (int i = 0; i < 2; i++) {
                Response r = g.predict(Request.of(Credentials.anonymous(), new double[] {1}));
                assertThat(((Response.Released) r).degraded()).isTrue();
                assertThat(((Response.Released) r).prediction().applied()).anyMatch(a -> a.startsWith("noise("))
                        .contains("round_significant(2)", "label_only");
                assertThat(value(r)).isBetween(200000.0, 300000.0);
            }
            // charged like the normal release: 2 x 4 of 10 spent, the third is over budget
            Response third = g.predict(Request.of(Credentials.anonymous(), new double[] {1}));
            assertThat(third).isInstanceOf(Response.Denied.class);
            assertThat(((Response.Denied) third).reason().code()).isEqualTo(ReasonCode.BUDGET_EXHAUSTED);
        }
    }

    /**
     * A regression's value rounds to a step above 1 (a price to the nearest 1,000); such a step is
     * refused where it meets a classification's scores (every score would round to 0 or 1), failing
     * closed.
     */
    @Test
    void aRegressionValueRoundsToAThousandAndAClassificationRefusesSuchAStep() throws Exception {
        try (Guard<double[]> g = guard("output: {default: {form: full, round: 1000}}\n", 123456.789, Duration.ofDays(1))) {
            Response r = g.predict(Request.of(Credentials.anonymous(), new double[] {1}));
            assertThat(value(r)).isEqualTo(123000.0);
            assertThat(((Response.Released) r).prediction().applied()).containsExactly("round(1000.0)");
        }
        try (Guard<double[]> g = OneFeatureGuard.build(tmp, "output: {default: {form: full, round: 1000}}\n",
                x -> Prediction.classification(java.util.List.of("cat", "dog"), new double[] {0.7, 0.3}),
                Duration.ofDays(1))) {
            Response r = g.predict(Request.of(Credentials.anonymous(), new double[] {1}));
            assertThat(r).isInstanceOf(Response.Denied.class);
            assertThat(((Response.Denied) r).reason().code()).isEqualTo(ReasonCode.INTERNAL_ERROR);
        }
    }
}
