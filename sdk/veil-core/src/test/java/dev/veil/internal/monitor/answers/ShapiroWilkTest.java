package dev.veil.internal.monitor.answers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.veil.internal.monitor.ShapiroWilk;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Royston's Shapiro-Wilk W against known values: by hand for n = 3, the published example of
 * Shapiro and Wilk (1965), and values computed with scipy.stats.shapiro 1.17.1 (which implements the
 * same algorithm, AS R94) for the samples below.
 */
class ShapiroWilkTest {
    private static double w(double... x) {
        return ShapiroWilk.w(x.clone(), x.length);
    }

    @Test
    void shouldGiveTheHandComputedValueForThreeValues() {
        // a = (-sqrt(1/2), 0, sqrt(1/2)): (a.x)^2 = 9/2; sum of squares = 42/9; W = 81/84
        assertThat(w(1, 2, 4)).isCloseTo(81.0 / 84, within(1e-12));
        assertThat(w(4, 1, 2)).as("order does not matter").isCloseTo(81.0 / 84, within(1e-12));
        assertThat(w(1, 2, 3)).as("equally spaced").isCloseTo(1.0, within(1e-12));
    }

    @Test
    void shouldReproduceShapiroAndWilksPublishedExample() {
        // Shapiro & Wilk (1965), section 4: weights of 11 men, W = 0.79 (exact coefficients)
        assertThat(w(148, 154, 158, 160, 161, 162, 166, 170, 182, 195, 236)).isCloseTo(0.79, within(0.005));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "four, 0.8068856643251408",
        "five, 0.7010554320537472",
        "six, 0.8283831602934135",
        "weights, 0.7888146948631716",
        "squares20, 0.9061306286053874",
        "exp100, 0.889254006279402",
        "uniform300, 0.954650794281415",
        "normal200, 0.9997679623203325",
    })
    void shouldMatchScipy(String sample, double expected) {
        double[] x = switch (sample) {
            case "four" -> new double[] {1, 2, 3, 10};
            case "five" -> new double[] {2, 4, 5, 7, 30};
            case "six" -> new double[] {1, 3, 3.5, 7, 8, 20};
            case "weights" -> new double[] {148, 154, 158, 160, 161, 162, 166, 170, 182, 195, 236};
            case "squares20" -> IntStream.rangeClosed(1, 20).mapToDouble(i -> i * i).toArray();
            case "exp100" -> IntStream.rangeClosed(1, 100).mapToDouble(i -> Math.exp(i / 40.0)).toArray();
            case "uniform300" -> IntStream.range(0, 300).mapToDouble(i -> ((i * 7919) % 300) / 300.0).toArray();
            case "normal200" -> IntStream.range(0, 200)
                    .mapToDouble(i -> ShapiroWilk.normalQuantile((i + 0.5) / 200)).toArray();
            default -> throw new IllegalArgumentException(sample);
        };
        assertThat(w(x)).isCloseTo(expected, within(1e-7));
    }

    @ParameterizedTest
    @CsvSource({
        "1e-10, -6.361340902404056",
        "0.001, -3.090232306167813",
        "0.025, -1.9599639845400545",
        "0.3, -0.5244005127080409",
        "0.5, 0.0",
        "0.975, 1.959963984540054",
        "0.999999, 4.753424308817087",
    })
    void shouldComputeNormalQuantilesLikeScipy(double p, double expected) {
        assertThat(ShapiroWilk.normalQuantile(p)).isCloseTo(expected, within(1e-12));
    }

    @Test
    void shouldHaveUnitNormCoefficients() {
        for (int n = 3; n <= 600; n++) {
            double[] a = ShapiroWilk.coefficients(n);
            assertThat(a).hasSize(n / 2);
            double s = 0;
            for (double v : a) {
                s += 2 * v * v;
            }
            assertThat(s).as("sum of squared coefficients for n = %d", n).isCloseTo(1.0, within(1e-9));
            for (int i = 1; i < a.length; i++) {
                assertThat(a[i]).as("coefficients decrease toward the middle, n = %d", n).isLessThan(a[i - 1]);
            }
        }
    }

    @Test
    void propertyWIsInUnitIntervalAndInvariantUnderShiftAndScale() {
        qt().withExamples(300)
                .forAll(lists().of(doubles().between(-1e6, 1e6)).ofSizeBetween(3, 400),
                        doubles().between(1e-3, 1e3), doubles().between(-1e3, 1e3))
                .checkAssert((values, scale, shift) -> {
                    double[] x = values.stream().mapToDouble(Double::doubleValue).toArray();
                    double w = ShapiroWilk.w(x.clone(), x.length);
                    if (Double.isNaN(w)) {
                        assertThat(x).containsOnly(x[0]);
                        return;
                    }
                    assertThat(w).isGreaterThan(0).isLessThanOrEqualTo(1);
                    double[] y = new double[x.length];
                    for (int i = 0; i < x.length; i++) {
                        y[i] = scale * x[i] + shift;
                    }
                    double wy = ShapiroWilk.w(y, y.length);
                    assertThat(wy).isCloseTo(w, within(1e-6));
                });
    }

    @Test
    void shouldBeNaNForConstantSamples() {
        assertThat(w(5, 5, 5, 5)).isNaN();
    }

    @Test
    void shouldRefuseTooFewOrTooManyValues() {
        assertThatThrownBy(() -> w(1, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Shapiro-Wilk needs between 3 and 5000 values, was 2");
        assertThatThrownBy(() -> ShapiroWilk.w(new double[5001], 5001)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Shapiro-Wilk needs between 3 and 5000 values, was 5001");
        assertThatThrownBy(() -> ShapiroWilk.w(new double[3], 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Shapiro-Wilk needs between 3 and 5000 values, was 4");
    }

    @Test
    void shouldRefuseNonFiniteValues() {
        assertThatThrownBy(() -> w(1, Double.NaN, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Shapiro-Wilk needs finite values, value 1 was NaN");
        assertThatThrownBy(() -> w(1, 2, Double.POSITIVE_INFINITY)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Shapiro-Wilk needs finite values, value 2 was Infinity");
    }

    @Test
    void shouldRefuseProbabilitiesOutsideTheOpenUnitInterval() {
        for (double p : new double[] {0, 1, -0.1, Double.NaN}) {
            assertThatThrownBy(() -> ShapiroWilk.normalQuantile(p)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("p must be in (0, 1), was " + p);
        }
    }
}
