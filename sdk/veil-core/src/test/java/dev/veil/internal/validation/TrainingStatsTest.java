package dev.veil.internal.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.spi.InputContract.DistributionCheck;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class TrainingStatsTest {
    private static final String WHERE = "bundle /b/data.json at veil.stats";

    @Nested
    class Compute {
        @Test
        void shouldComputePerFeatureMeanAndPopulationStd() {
            TrainingStats s = TrainingStats.compute(List.of(
                    new double[] {1, 10}, new double[] {3, 10}, new double[] {5, 10}), 0, 1);
            assertThat(s.mean()).containsExactly(3, 10);
            assertThat(s.std()[0]).isCloseTo(Math.sqrt(8.0 / 3), within(1e-12));
            assertThat(s.std()[1]).isZero();
            assertThat(s.samples()).isEqualTo(3);
        }

        @Test
        void shouldMatchTwoPassStatisticsOnOffsetData() {
            Random r = new Random(7);
            List<double[]> samples = new ArrayList<>();
            for (int k = 0; k < 2000; k++) {
                samples.add(new double[] {1e6 + r.nextGaussian(), -3 + 0.001 * r.nextGaussian()});
            }
            TrainingStats s = TrainingStats.compute(samples, 0, 1);
            for (int i = 0; i < 2; i++) {
                int f = i;
                double mean = samples.stream().mapToDouble(x -> x[f]).average().orElseThrow();
                double var = samples.stream().mapToDouble(x -> (x[f] - mean) * (x[f] - mean)).sum() / samples.size();
                assertThat(s.mean()[i]).isCloseTo(mean, within(1e-9 * Math.max(1, Math.abs(mean))));
                assertThat(s.std()[i]).isCloseTo(Math.sqrt(var), within(1e-9 * Math.sqrt(var)));
            }
        }

        @Test
        void shouldTakeSummaryRangesFromQuantilesWidenedByTenPercent() {
            List<double[]> samples = new ArrayList<>();
            for (int k = 0; k <= 100; k++) {
                samples.add(new double[] {k, k}); // mean k, std 0, roughness 0
            }
            TrainingStats s = TrainingStats.compute(samples, 0.1, 0.9);
            assertThat(s.summary().get("mean")).containsExactly(2, 98); // [10, 90] widened by 8
            assertThat(s.summary().get("std")).containsExactly(0, 0);
            assertThat(s.summary().get("roughness")).containsExactly(0, 0);
        }

        /** A widened lower bound of std or roughness stops at 0 (neither can be negative); the mean's does not. */
        @Test
        void shouldNotWidenStdOrRoughnessBelowZero() {
            List<double[]> samples = new ArrayList<>();
            for (int k = 1; k <= 21; k++) {
                samples.add(new double[] {-k, k}); // mean 0, std k, roughness 2k
            }
            TrainingStats s = TrainingStats.compute(samples, 0, 1);
            assertThat(s.summary().get("std")).containsExactly(0, 23); // [1, 21] widened by 2: -1 -> 0
            assertThat(s.summary().get("roughness")).containsExactly(0, 46); // [2, 42] widened by 4: -2 -> 0

            List<double[]> negative = new ArrayList<>();
            for (int k = 1; k <= 21; k++) {
                negative.add(new double[] {k - 30, k - 30});
            }
            assertThat(TrainingStats.compute(negative, 0, 1).summary().get("mean")).containsExactly(-31, -7);
        }

        @Test
        void shouldInterpolateBetweenOrderStatistics() {
            TrainingStats s = TrainingStats.compute(List.of(new double[] {0, 0}, new double[] {10, 10}), 0.25, 0.75);
            assertThat(s.summary().get("mean")).containsExactly(2, 8); // [2.5, 7.5] widened by 0.5
        }

        @Test
        void shouldDefineSummariesAsTheContractChecksThem() {
            assertThat(TrainingStats.summaries(new double[] {0, 1, 0, 1})).containsExactly(0.5, 0.5, 1);
            assertThat(TrainingStats.summaries(new double[] {3})).containsExactly(3, 0, 0);
        }

        @Test
        void shouldReturnCopies() {
            TrainingStats s = TrainingStats.compute(List.<double[]>of(new double[] {1}), 0, 1);
            s.mean()[0] = 99;
            s.std()[0] = 99;
            s.summary().get("mean")[0] = 99;
            assertThat(s.mean()).containsExactly(1);
            assertThat(s.std()).containsExactly(0);
            assertThat(s.summary().get("mean")).containsExactly(1, 1);
        }

        @Test
        void shouldRejectBadQuantiles() {
            List<double[]> one = List.<double[]>of(new double[] {1});
            assertThatThrownBy(() -> TrainingStats.compute(one, -0.1, 0.9))
                    .hasMessage("quantileLow must be in [0, 1), was -0.1");
            assertThatThrownBy(() -> TrainingStats.compute(one, Double.NaN, 0.9))
                    .hasMessage("quantileLow must be in [0, 1), was NaN");
            assertThatThrownBy(() -> TrainingStats.compute(one, 0.5, 0.5))
                    .hasMessage("quantileHigh must be in (quantileLow, 1] = (0.5, 1], was 0.5");
            assertThatThrownBy(() -> TrainingStats.compute(one, 0, 1.5))
                    .hasMessage("quantileHigh must be in (quantileLow, 1] = (0.0, 1], was 1.5");
        }

        @Test
        void shouldRejectMissingEmptyOrMismatchedSamples() {
            assertThatThrownBy(() -> TrainingStats.compute(null, 0, 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("samples must not be null");
            assertThatThrownBy(() -> TrainingStats.compute(List.of(), 0, 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("samples must not be empty");
            assertThatThrownBy(() -> TrainingStats.compute(Arrays.asList(new double[] {1}, null), 0, 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("sample 1 must have at least one value, was null");
            assertThatThrownBy(() -> TrainingStats.compute(List.of(new double[0]), 0, 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("sample 0 must have at least one value, was empty");
            assertThatThrownBy(() -> TrainingStats.compute(List.of(new double[2], new double[3]), 0, 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("sample 1 has 3 values, but the first sample had 2; all samples must have one length");
        }

        @Test
        void shouldRejectNonFiniteSampleValues() {
            assertThatThrownBy(() -> TrainingStats.compute(
                    List.of(new double[] {0, 0}, new double[] {0, 0}, new double[] {0, Double.NaN}), 0, 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("sample 2 value 1 must be finite, was NaN");
            assertThatThrownBy(() -> TrainingStats.compute(
                    List.<double[]>of(new double[] {Double.NEGATIVE_INFINITY}), 0, 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("sample 0 value 0 must be finite, was -Infinity");
        }
    }

    @Nested
    class Data {
        private final TrainingStats stats = TrainingStats.compute(List.of(
                new double[] {0, 1, 0}, new double[] {0.5, 0.5, 0.5}, new double[] {1, 0, 1}), 0, 1);

        @Test
        void shouldWriteTheDocumentLayout() {
            Map<String, Object> data = stats.toData();
            assertThat(data).containsOnlyKeys("mean", "std", "summary", "samples");
            assertThat(data.get("mean")).isEqualTo(List.of(0.5, 0.5, 0.5));
            assertThat(data.get("samples")).isEqualTo(3L);
            assertThat(List.copyOf(((Map<?, ?>) data.get("summary")).keySet())).isEqualTo(List.of("mean", "std", "roughness"));
        }

        @Test
        void shouldRoundTripThroughJson() throws Exception {
            ObjectMapper json = new ObjectMapper();
            Object parsed = json.readValue(json.writeValueAsString(stats.toData()), Object.class);
            DistributionCheck d = TrainingStats.fromData(parsed, WHERE, 0.01, 4, 3, true);
            assertThat(d.mean()).containsExactly(stats.mean());
            assertThat(d.std()).containsExactly(stats.std());
            assertThat(d.summary()).containsOnlyKeys("mean", "std", "roughness");
            for (String k : List.of("mean", "std", "roughness")) {
                assertThat(d.summary().get(k)).containsExactly(stats.summary().get(k));
            }
            assertThat(d.stdFloor()).isEqualTo(0.01);
            assertThat(d.maxAbsZ()).isEqualTo(4);
            assertThat(d.maxRmsZ()).isEqualTo(3);
        }

        @Test
        void shouldMatchToCheck() {
            DistributionCheck direct = stats.toCheck(0.01, 4, 3, true);
            DistributionCheck parsed = TrainingStats.fromData(stats.toData(), WHERE, 0.01, 4, 3, true);
            assertThat(parsed.mean()).containsExactly(direct.mean());
            assertThat(parsed.summary().get("roughness")).containsExactly(direct.summary().get("roughness"));
            assertThat(stats.toCheck(0.01, 4, 3, false).summary()).isEmpty();
        }

        @Test
        void shouldLeaveSummaryOutWhenNotUsedButStillValidateIt() {
            Map<String, Object> data = stats.toData();
            assertThat(TrainingStats.fromData(data, WHERE, 0.01, 4, 0, false).summary()).isEmpty();
            data.remove("summary");
            assertThat(TrainingStats.fromData(data, WHERE, 0.01, 4, 0, false).summary()).isEmpty();
            Map<String, Object> bad = stats.toData();
            bad.put("summary", Map.of("mean", List.of(2, 1)));
            assertThatThrownBy(() -> TrainingStats.fromData(bad, WHERE, 0.01, 4, 0, false))
                    .hasMessage(WHERE + ": summary.mean must be [low, high] with low <= high, was [2.0, 1.0]");
        }

        @Test
        void shouldAcceptAnyNumberTypeAndPartialSummaryWhenTheSummaryIsNotUsed() {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("mean", List.of(1, 2L, new BigDecimal("0.5")));
            data.put("std", List.of(BigInteger.ONE, 0.5f, 0));
            data.put("summary", Map.of("roughness", List.of(0, 1)));
            DistributionCheck d = TrainingStats.fromData(data, WHERE, 0.1, 3, 0, false);
            assertThat(d.mean()).containsExactly(1, 2, 0.5);
            assertThat(d.std()).containsExactly(1, 0.5, 0);
            assertThat(d.summary()).isEmpty();
        }

        /** A summary check reading only the ranges that are there would check less, or nothing at all. */
        @Test
        void shouldRequireEverySummaryRangeWhenTheSummaryIsUsed() {
            assertRejected(d -> d.put("summary", Map.of()), "summary.mean is missing; the summary check needs the"
                    + " ranges of mean, std and roughness: recompute the statistics with veil stats"
                    + " (TrainingStats.compute in Java), or turn the summary check off (summary: false)");
            assertRejected(d -> summary(d).remove("std"),
                    "summary.std is missing; the summary check needs the ranges of mean, std and roughness:"
                    + " recompute the statistics with veil stats (TrainingStats.compute in Java), or turn the"
                    + " summary check off (summary: false)");
            assertRejected(d -> summary(d).remove("roughness"),
                    "summary.roughness is missing; the summary check needs the ranges of mean, std and roughness:"
                    + " recompute the statistics with veil stats (TrainingStats.compute in Java), or turn the"
                    + " summary check off (summary: false)");
        }

        /** The document's summary, made changeable. */
        @SuppressWarnings("unchecked")
        private static Map<String, Object> summary(Map<String, Object> data) {
            Map<String, Object> m = new LinkedHashMap<>((Map<String, Object>) data.get("summary"));
            data.put("summary", m);
            return m;
        }

        private void assertRejected(Consumer<Map<String, Object>> change, String message) {
            Map<String, Object> data = stats.toData();
            change.accept(data);
            assertThatThrownBy(() -> TrainingStats.fromData(data, WHERE, 0.01, 4, 3, true))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(WHERE + ": " + message);
        }

        @Test
        void shouldWriteNamesFirstAndCheckThemAgainstTheContractsFeatures() {
            Map<String, Object> data = stats.withNames(List.of("a", "b", "c")).toData();
            assertThat(List.copyOf(data.keySet())).containsExactly("names", "mean", "std", "summary", "samples");
            assertThat(data.get("names")).isEqualTo(List.of("a", "b", "c"));
            Set<String> features = Set.of("c", "a", "b");
            assertThat(TrainingStats.fromData(data, WHERE, features, 0.01, 4, 3, true).mean())
                    .containsExactly(stats.mean());
            assertThat(TrainingStats.fromData(data, WHERE, features, 0.01, 4, 3, true).names())
                    .as("kept, so that validation can check a request's order against them")
                    .containsExactly("a", "b", "c");
            assertThat(TrainingStats.fromData(stats.toData(), WHERE, features, 0.01, 4, 3, true).names()).isNull();
            assertThatThrownBy(() -> TrainingStats.fromData(data, WHERE, 0.01, 4, 3, true))
                    .hasMessageStartingWith(WHERE + ": the statistics name their features [a, b, c] but the contract "
                            + "declares none");
            assertThatThrownBy(() -> TrainingStats.fromData(data, WHERE, Set.of("a", "b"), 0.01, 4, 3, true))
                    .hasMessageStartingWith(WHERE + ": the statistics describe the features [a, b, c] but the "
                            + "contract declares [a, b]; not in the contract: [c]");
        }

        /**
         * A CSV header written on one system may hold "cafe" + U+0301 where the policy has "caf\u00e9":
         * the error listed [caf\u00e9] as missing and [caf\u00e9] as extra, which reads as nonsense.
         */
        @Test
        void shouldSayWhenAStatisticsNameIsAContractFeatureInAnotherUnicodeForm() {
            Map<String, Object> data = stats.withNames(List.of("a", "b", "cafe\u0301")).toData();
            assertThatThrownBy(() -> TrainingStats.fromData(data, WHERE, Set.of("a", "b", "caf\u00e9"), 0.01, 4, 3, true))
                    .hasMessageEndingWith("; 'cafe\\u0301' in the statistics and 'caf\\u00e9' in the contract are one"
                            + " name in two Unicode forms: write both in one form (NFC)");
        }

        @Test
        void shouldRejectBadNames() {
            Set<String> abc = Set.of("a", "b", "c");
            for (Object[] c : new Object[][] {
                {"a,b,c", "names must be a list of the features' names, was a string"},
                {List.of("a", "b"), "names must name each of the 3 features once, had 2 names"},
                {List.of("a", "b", " "), "names[2] must be a non-blank string, was ' '"},
                {List.of("a", "b", 3), "names[2] must be a non-blank string, was a number"},
                {List.of("a", "b", "a"), "names[2] repeats 'a'; each feature is named once"},
                {List.of("b", "a", "c"), "names must be in name order [a, b, c], the order in which named features "
                        + "reach the distribution check, was [b, a, c]"}}) {
                Map<String, Object> data = stats.toData();
                data.put("names", c[0]);
                assertThatThrownBy(() -> TrainingStats.fromData(data, WHERE, abc, 0.01, 4, 3, true))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageStartingWith(WHERE + ": " + c[1]);
            }
            assertThatThrownBy(() -> stats.withNames(List.of("b", "a", "c")))
                    .hasMessageStartingWith("names must be in name order [a, b, c]");
        }

        @Test
        void shouldRejectDocumentThatIsNotAnObject() {
            assertThatThrownBy(() -> TrainingStats.fromData(List.of(1), WHERE, 0.01, 4, 3, true))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(WHERE + ": the statistics must be an object with fields mean, std, summary and "
                            + "samples, was a list");
            assertThatThrownBy(() -> TrainingStats.fromData(null, WHERE, 0.01, 4, 3, true))
                    .hasMessageEndingWith("was null");
        }

        @Test
        void shouldRejectUnknownField() {
            assertRejected(d -> d.put("means", List.of()),
                    "unknown field 'means'; the statistics have the fields names, mean, std, summary, samples");
        }

        @Test
        void shouldRejectMissingOrMistypedMeanAndStd() {
            assertRejected(d -> d.remove("mean"), "mean is missing");
            assertRejected(d -> d.remove("std"), "std is missing");
            assertRejected(d -> d.put("mean", "0.5"), "mean must be a list of numbers, was a string");
            assertRejected(d -> d.put("std", Map.of()), "std must be a list of numbers, was an object");
            assertRejected(d -> d.put("mean", Arrays.asList(0.5, "x", 0.5)), "mean[1] must be a number, was a string");
            assertRejected(d -> d.put("mean", Arrays.asList(0.5, null, 0.5)), "mean[1] must be a number, was null");
            assertRejected(d -> d.put("std", List.of(0.5, true, 0.5)), "std[1] must be a number, was a boolean");
        }

        @Test
        void shouldRejectNonFiniteOrNegativeValues() {
            assertRejected(d -> d.put("mean", List.of(Double.NaN, 0.5, 0.5)), "mean[0] must be finite, was NaN");
            assertRejected(d -> d.put("std", List.of(0.5, 0.5, Double.POSITIVE_INFINITY)),
                    "std[2] must be finite, was Infinity");
            assertRejected(d -> d.put("std", List.of(0.5, -1, 0.5)), "std[1] must be >= 0, was -1.0");
            assertRejected(d -> d.put("mean", List.of(new BigDecimal("1e400"), 0, 0)),
                    "mean[0] must be finite, was Infinity");
        }

        @Test
        void shouldRejectWrongLengths() {
            assertRejected(d -> d.put("std", List.of(0.5)), "std must have one value per feature like mean (3), had 1");
            assertRejected(d -> {
                d.put("mean", List.of());
                d.put("std", List.of());
            }, "mean must list at least one value, was empty");
        }

        @Test
        void shouldRejectBadSampleCount() {
            assertRejected(d -> d.put("samples", 1.5), "samples must be a whole number >= 1, was 1.5");
            assertRejected(d -> d.put("samples", 0), "samples must be a whole number >= 1, was 0");
            assertRejected(d -> d.put("samples", "3"), "samples must be a whole number >= 1, was a string");
            assertRejected(d -> d.put("samples", null), "samples must be a whole number >= 1, was null");
        }

        @Test
        void shouldRejectBadSummary() {
            assertRejected(d -> d.remove("summary"), "summary is missing; recompute the statistics with veil stats"
                    + " (TrainingStats.compute in Java), or turn the summary check off (summary: false)");
            assertRejected(d -> d.put("summary", List.of()),
                    "summary must be an object with fields mean, std, roughness, was a list");
            assertRejected(d -> d.put("summary", Map.of("median", List.of(0, 1))),
                    "unknown field 'summary.median'; the summary statistics are mean, std, roughness");
            assertRejected(d -> summary(d).put("mean", List.of(1)),
                    "summary.mean must be [low, high] with low <= high, was [1.0]");
            assertRejected(d -> summary(d).put("std", List.of(0, false)),
                    "summary.std[1] must be a number, was a boolean");
            assertRejected(d -> summary(d).put("roughness", "low"),
                    "summary.roughness must be a list of numbers, was a string");
        }

        @Test
        void shouldNameWhereForBadBounds() {
            assertThatThrownBy(() -> TrainingStats.fromData(stats.toData(), WHERE, 0, 4, 3, true))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(WHERE + ": distribution.std_floor must be > 0, was 0.0");
            assertThatThrownBy(() -> TrainingStats.fromData(stats.toData(), WHERE, 0.1, -1, 3, true))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(WHERE + ": distribution bounds must be >= 0 (0 = off)");
        }
    }
}
