package dev.veil.internal.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.Features;
import dev.veil.ReasonCode;
import dev.veil.spi.InputContract;
import dev.veil.spi.InputContract.CrossFieldRule;
import dev.veil.spi.InputContract.DistributionCheck;
import dev.veil.spi.InputContract.FeatureSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class CompiledContractTest {
    private static final double INF = Double.POSITIVE_INFINITY;

    private static CompiledContract compile(List<Integer> shape, double min, double max) {
        return CompiledContract.compile(new InputContract(shape, min, max, Map.of(), true, List.of(), 0, null));
    }

    private static CompiledContract named(Map<String, FeatureSpec> specs, boolean allowUnknown, CrossFieldRule... rules) {
        return CompiledContract.compile(new InputContract(List.of(), -INF, INF, specs, allowUnknown, List.of(rules), 0,
                null));
    }

    private static CompiledContract withDistribution(List<Integer> shape, DistributionCheck d) {
        return CompiledContract.compile(new InputContract(shape, -INF, INF, Map.of(), true, List.of(), 0, d));
    }

    /** Named features in the given order; a null value marks an absent feature. */
    /**
     * Named features in the given order; a {@code null} value marks the feature absent in a fixed
     * layout ({@link Features#named(List, double[], java.util.BitSet)}, which keeps its place: what
     * the absent-feature checks see); without one, {@link Features#named(Map)}.
     */
    private static Features features(Object... nameValue) {
        Map<String, Double> m = new LinkedHashMap<>();
        java.util.BitSet absent = new java.util.BitSet();
        for (int i = 0; i < nameValue.length; i += 2) {
            Object v = nameValue[i + 1];
            if (v == null) {
                absent.set(i / 2);
            }
            m.put((String) nameValue[i], v == null ? null : ((Number) v).doubleValue());
        }
        if (absent.isEmpty()) {
            return Features.named(m);
        }
        double[] values = new double[m.size()];
        int k = 0;
        for (Double v : m.values()) {
            values[k++] = v == null ? 0 : v;
        }
        return Features.named(List.copyOf(m.keySet()), values, absent);
    }

    private static Violation violation(ReasonCode code, String rule, String message) {
        return new Violation(code, rule, message);
    }

    private static Violation invalid(String rule, String message) {
        return violation(ReasonCode.INVALID_INPUT, rule, message);
    }

    @Test
    void shouldAcceptAnyFiniteInputUnderTheAnyContract() {
        CompiledContract c = CompiledContract.compile(InputContract.ANY);
        assertThat(c.check(Features.of(-1e300, 0, 1e300), -1)).isNull();
        assertThat(c.check(Features.of(), -1)).isNull();
        assertThat(c.contract()).isSameAs(InputContract.ANY);
    }

    @Test
    void shouldRejectNullContract() {
        assertThatThrownBy(() -> CompiledContract.compile(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("contract must not be null");
    }

    /** Any engine's contract (a Rego bundle's too): two features that print alike are one name. */
    @Test
    void shouldRefuseFeatureNamesThatDifferOnlyInUnicodeNormalisation() {
        FeatureSpec any = new FeatureSpec(true, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
        assertThatThrownBy(() -> new InputContract(List.of(), Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY,
                Map.of("cafe\u0301", any, "caf\u00e9", any), false, List.of(), 0, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("features 'cafe\\u0301' and 'caf\\u00e9' are one name in two Unicode forms");
    }

    @Nested
    class Payload {
        private final CompiledContract limited = CompiledContract.compile(
                new InputContract(List.of(), 0, 1, Map.of(), true, List.of(), 16, null));

        @Test
        void shouldRefusePayloadAboveTheLimit() {
            assertThat(limited.check(Features.of(0, 1), 16)).isNull();
            assertThat(limited.check(Features.of(0, 1), 17)).isEqualTo(violation(ReasonCode.PAYLOAD_TOO_LARGE,
                    "payload", "the payload is 17 bytes, above the limit of 16 bytes"));
        }

        @Test
        void shouldEstimateUnknownPayloadAtEightBytesPerFeature() {
            assertThat(limited.check(Features.of(0, 1), -1)).isNull();
            assertThat(limited.check(Features.of(0, 1, 0), -1)).isEqualTo(violation(ReasonCode.PAYLOAD_TOO_LARGE,
                    "payload", "the payload of 3 features is about 24 bytes (8 per feature), above the limit of 16 bytes"));
        }

        @Test
        void shouldCheckPayloadBeforeAnythingElse() {
            assertThat(limited.check(Features.of(Double.NaN, 7, 9), 1000).rule()).isEqualTo("payload");
        }

        @Test
        void shouldIgnorePayloadSizeWithoutALimit() {
            assertThat(compile(List.of(), 0, 1).check(Features.of(0.5), Long.MAX_VALUE)).isNull();
        }

        @Test
        void shouldRejectPayloadSizeBelowMinusOne() {
            assertThatThrownBy(() -> limited.check(Features.of(0), -2))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("payloadBytes must be >= 0, or -1 when unknown, was -2");
        }
    }

    @Nested
    class Shape {
        @Test
        void shouldRefuseWrongDimensionNamingTheShape() {
            CompiledContract c = compile(List.of(28, 28), 0, 1);
            assertThat(c.check(Features.of(new double[784]), -1)).isNull();
            assertThat(c.check(Features.of(new double[783]), -1))
                    .isEqualTo(invalid("shape", "expected 784 features (shape [28, 28]), got 783"));
            assertThat(compile(List.of(3), 0, 1).check(Features.of(0, 0, 0, 0), -1))
                    .isEqualTo(invalid("shape", "expected 3 features (shape [3]), got 4"));
        }

        @Test
        void aNamedRequestOfTheWrongCountIsToldWhichRequiredFeaturesItLacks() {
            CompiledContract c = CompiledContract.compile(new InputContract(List.of(3), -INF, INF,
                    Map.of("income", new FeatureSpec(true, 0, INF), "loan", new FeatureSpec(true, 0, INF),
                            "age", new FeatureSpec(true, 18, 120), "bonus", new FeatureSpec(false, 0, INF)),
                    false, List.of(), 0, null));
            assertThat(c.check(features("income", 1.0, "loan", 2.0), -1))
                    .isEqualTo(invalid("shape", "expected 3 features (shape [3]), got 2; missing: age"));
            assertThat(c.check(features("bonus", 1.0), -1))
                    .isEqualTo(invalid("shape", "expected 3 features (shape [3]), got 1; missing: age, income, loan"));
            assertThat(c.check(Features.of(1, 2), -1)).as("an unnamed request has no names to miss")
                    .isEqualTo(invalid("shape", "expected 3 features (shape [3]), got 2"));
        }

        @Test
        void aNamedRequestOfTheWrongCountIsToldWhichFeaturesAreUnknown() {
            CompiledContract c = CompiledContract.compile(new InputContract(List.of(2), -INF, INF,
                    Map.of("income", new FeatureSpec(true, 0, INF), "age", new FeatureSpec(true, 18, 120)),
                    false, List.of(), 0, null));
            assertThat(c.check(features("income", 1.0, "age", 30.0, "zzz", 2.0), -1))
                    .isEqualTo(invalid("shape", "expected 2 features (shape [2]), got 3; unknown: zzz"));
            assertThat(c.check(features("income", 1.0, "bonus", 2.0, "zzz", 2.0), -1))
                    .isEqualTo(invalid("shape", "expected 2 features (shape [2]), got 3; missing: age; unknown: bonus, "
                            + "zzz"));
            assertThat(c.check(Features.named(List.of("a\nb"), new double[] {1}), -1).message())
                    .as("the request's text, escaped").endsWith("missing: age, income; unknown: a\\u000ab");
        }

        @Test
        void shouldCheckShapeBeforeFiniteness() {
            assertThat(compile(List.of(3), 0, 1).check(Features.of(Double.NaN), -1).rule()).isEqualTo("shape");
        }

        @Test
        void shouldAcceptAnyLengthWithoutShape() {
            CompiledContract c = compile(List.of(), 0, 1);
            assertThat(c.check(Features.of(0), -1)).isNull();
            assertThat(c.check(Features.of(new double[1000]), -1)).isNull();
        }
    }

    @Nested
    class Finiteness {
        @Test
        void shouldRefuseNaNNamingIndexAndPositionInShape() {
            double[] v = new double[8];
            v[5] = Double.NaN;
            assertThat(compile(List.of(2, 4), 0, 1).check(Features.of(v), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(invalid("finite",
                    "value at index 5 (position [1, 1] of shape [2, 4]) is NaN; every value must be a finite number"));
        }

        @Test
        void shouldRefuseInfinitiesNamingTheIndex() {
            CompiledContract any = compile(List.of(), -INF, INF);
            assertThat(any.check(Features.of(0, 1, INF), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(
                    invalid("finite", "value at index 2 is Infinity; every value must be a finite number"));
            assertThat(any.check(Features.of(-INF), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(
                    invalid("finite", "value at index 0 is -Infinity; every value must be a finite number"));
        }

        @Test
        void shouldRefuseInfinityInNamedFeatureNamingIt() {
            CompiledContract c = named(Map.of(), true);
            assertThat(c.check(features("age", 30, "income", INF), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(
                    invalid("finite", "feature 'income' is Infinity; every value must be a finite number"));
        }

        @Test
        void shouldTreatNullNamedFeatureAsAbsentNotAsNaN() {
            CompiledContract c = named(Map.of("income", new FeatureSpec(false, 0, 100)), false);
            assertThat(c.check(features("income", null), -1)).isNull();
        }

        @Test
        void shouldRefuseANaNValueOfAnOptionalNamedFeature() {
            CompiledContract c = named(Map.of("income", new FeatureSpec(false, 0, 100)), false);
            assertThat(c.check(features("income", Double.NaN), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(
                    invalid("finite", "feature 'income' is NaN; every value must be a finite number"));
        }

        @Test
        void shouldTreatFeaturesMarkedAbsentInAFixedLayoutAsAbsentAndItsNaNValuesAsValues() {
            CompiledContract c = named(Map.of("a", new FeatureSpec(true, 0, 10), "b", new FeatureSpec(false, 0, 10)),
                    false);
            List<String> layout = List.of("a", "b");
            java.util.BitSet second = new java.util.BitSet();
            second.set(1);

            assertThat(c.check(Features.named(layout, new double[] {1, 99}, second), -1)).isNull();
            assertThat(c.check(Features.named(layout, new double[] {1, Double.NaN}), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(
                    invalid("finite", "feature 'b' is NaN; every value must be a finite number"));
            java.util.BitSet first = new java.util.BitSet();
            first.set(0);
            assertThat(c.check(Features.named(layout, new double[] {1, 2}, first), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(invalid("features",
                    "required feature 'a' is missing (the request marks it absent)"));
        }

        @Test
        void shouldReportNonFiniteBeforeAnEarlierOutOfRangeValue() {
            assertThat(compile(List.of(), 0, 1).check(Features.of(5, Double.NaN), -1).rule()).isEqualTo("finite");
        }
    }

    @Nested
    class GlobalRange {
        @Test
        void shouldRefuseValueOutsideRangeNamingBound() {
            CompiledContract c = compile(List.of(), 0, 1);
            assertThat(c.check(Features.of(0, 1, 0.5), -1)).isNull();
            assertThat(c.check(Features.of(0, 1.5, 7), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(
                    invalid("range", "value at index 1 is 1.5, outside the allowed range [0, 1]"));
            assertThat(c.check(Features.of(-0.25), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(
                    invalid("range", "value at index 0 is -0.25, outside the allowed range [0, 1]"));
        }

        @Test
        void shouldApplyGlobalRangeToNamedFeatures() {
            CompiledContract c = CompiledContract.compile(
                    new InputContract(List.of(), 0, 1000, Map.of(), true, List.of(), 0, null));
            assertThat(c.check(features("age", -1), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(
                    invalid("range", "feature 'age' is -1, outside the allowed range [0, 1000]"));
        }
    }

    @Nested
    class NamedFeatures {
        private final Map<String, FeatureSpec> specs = Map.of(
                "age", new FeatureSpec(true, 0, 120),
                "income", new FeatureSpec(true, 0, 1e7),
                "loan", new FeatureSpec(false, 0, 1e8));

        @Test
        void shouldAcceptValidRequestInAnyOrderAndWithoutOptionalFeatures() {
            CompiledContract c = named(specs, false);
            assertThat(c.check(features("age", 30, "income", 5e4, "loan", 1e5), -1)).isNull();
            assertThat(c.check(features("loan", 1e5, "income", 5e4, "age", 30), -1)).isNull();
            assertThat(c.check(features("income", 5e4, "age", 30), -1)).isNull();
            assertThat(c.check(features("income", 5e4, "age", 30, "loan", null), -1)).isNull();
        }

        @Test
        void shouldRefuseMissingRequiredFeature() {
            CompiledContract c = named(specs, false);
            assertThat(c.check(features("income", 5e4), -1))
                    .isEqualTo(invalid("features", "required feature 'age' is missing"));
            assertThat(c.check(features("age", null, "income", 5e4), -1))
                    .isEqualTo(invalid("features", "required feature 'age' is missing (the request marks it absent)"));
            Map<String, Double> nullAge = new LinkedHashMap<>();
            nullAge.put("age", null);
            nullAge.put("income", 5e4);
            assertThat(c.check(Features.named(nullAge), -1)).as("a null in a map is a left-out key")
                    .isEqualTo(invalid("features", "required feature 'age' is missing"));
            assertThat(c.check(Features.of(30, 5e4), -1)).isEqualTo(invalid("features",
                    "required feature 'age' is missing (the request's features are not named: send them by name, a "
                            + "JSON object such as {\"age\": ...}, or Features.named)"));
        }

        /** A misspelt name: the refusal names the missing feature and the name the request sent instead. */
        @Test
        void shouldNameTheUnlistedFeatureNextToTheMissingOne() {
            String expected = "required feature 'age' is missing; the request has feature 'aeg', which the "
                    + "contract does not list";
            assertThat(named(specs, false).check(features("aeg", 30, "income", 5e4), -1))
                    .isEqualTo(invalid("features", expected));
            assertThat(named(specs, true).check(features("aeg", 30, "income", 5e4), -1))
                    .as("also where other features are allowed").isEqualTo(invalid("features", expected));
            assertThat(named(specs, false).check(features("age", null, "aeg", 30, "income", 5e4), -1))
                    .as("a feature marked absent is not missing by its name")
                    .isEqualTo(invalid("features", "required feature 'age' is missing (the request marks it absent)"));
        }

        /** Unnamed values match no listed feature, so no range of theirs is checked: refused, whatever is required. */
        @Test
        void anUnnamedRequestIsRefusedWhenTheContractListsFeaturesEvenIfAllAreOptional() {
            Map<String, FeatureSpec> optional = Map.of(
                    "income", new FeatureSpec(false, 0, 1e7),
                    "age", new FeatureSpec(false, 18, 120));
            CompiledContract c = named(optional, false);
            assertThat(c.check(features("age", 5), -1)).usingRecursiveComparison().ignoringFields("redacted")
                    .isEqualTo(invalid("features", "feature 'age' is 5, outside its allowed range [18, 120]"));
            assertThat(c.check(Features.of(-1e300, 5, 7), -1)).isEqualTo(invalid("features",
                    "the request's features are not named, but the contract lists named features [age, income] and"
                            + " does not allow other features; send the features by name (a JSON object such as"
                            + " {\"age\": ...}, or Features.named)"));
            assertThat(c.check(features("age", 30), -1)).isNull();
            assertThat(c.check(Features.of(), -1)).as("no values: nothing escapes a range").isNull();
            assertThat(named(optional, true).check(Features.of(-1e300, 5, 7), -1))
                    .as("a contract that allows other features takes unnamed values as other features").isNull();
            assertThat(named(specs, false).check(Features.of(30, 5e4), -1).message())
                    .as("with required features the missing one is named first, with the fix")
                    .isEqualTo("required feature 'age' is missing (the request's features are not named: send them "
                            + "by name, a JSON object such as {\"age\": ...}, or Features.named)");
        }

        @Test
        void shouldRefuseUnknownFeatureWhenNotAllowed() {
            assertThat(named(specs, false).check(features("age", 30, "income", 5e4, "colour", 2), -1))
                    .isEqualTo(invalid("features", "unknown feature 'colour'; the contract lists [age, income, loan]"
                            + " and does not allow other features"));
            assertThat(named(Map.of(), false).check(features("x", 1), -1)).isEqualTo(invalid("features",
                    "unknown feature 'x'; the contract lists no named features and does not allow other features"));
        }

        @Test
        void shouldAcceptUnknownFeatureWhenAllowed() {
            assertThat(named(specs, true).check(features("age", 30, "income", 5e4, "colour", 2), -1)).isNull();
        }

        @Test
        void shouldRefuseFeatureOutsideItsOwnRange() {
            assertThat(named(specs, false).check(features("age", 150, "income", 5e4), -1))
                    .usingRecursiveComparison().ignoringFields("redacted").isEqualTo(invalid("features", "feature 'age' is 150, outside its allowed range [0, 120]"));
            assertThat(named(specs, false).check(features("age", 120, "income", 0), -1)).isNull();
        }

        @Test
        void shouldReportMissingBeforeUnknownBeforeRange() {
            CompiledContract c = named(specs, false);
            assertThat(c.check(features("age", 150, "colour", 1), -1).message())
                    .isEqualTo("required feature 'income' is missing; the request has feature 'colour', which the "
                            + "contract does not list");
            assertThat(c.check(features("age", 150, "income", 5e4, "colour", 1), -1).message())
                    .startsWith("unknown feature 'colour'");
        }

        @Test
        void shouldReportTheFirstMissingFeatureByName() {
            assertThat(named(specs, false).check(features("loan", 1), -1).message())
                    .isEqualTo("required feature 'age' is missing");
        }

        @Test
        void shouldQuoteTheRequestsFeatureNamesEscapedAndCut() {
            String forged = "evil\nINJECTED {\"allowed\":true}";
            Violation unknown = named(specs, false).check(features("age", 30, "income", 5e4, forged, 1), -1);
            assertThat(unknown.message()).startsWith("unknown feature 'evil\\u000aINJECTED {\"allowed\":true}'; ")
                    .doesNotContain("\n");
            assertThat(unknown.redacted()).doesNotContain("\n");

            String longName = "n".repeat(20_000);
            Map<String, Double> many = new LinkedHashMap<>();
            for (int i = 0; i < 200; i++) {
                many.put(i + longName, 1.0);
            }
            assertThat(named(Map.of(), false).check(Features.named(many), -1).message()).as("unknown, cut")
                    .startsWith("unknown feature '0" + "n".repeat(63) + "...'; ").hasSizeLessThan(300);

            // every per-feature message names the feature through label()
            Violation range = compile(List.of(), 0, 1).check(features(forged + longName, 2), -1);
            assertThat(range.message()).isEqualTo("feature 'evil\\u000aINJECTED {\"allowed\":true}"
                    + "n".repeat(29) + "...' is 2, outside the allowed range [0, 1]");
            assertThat(range.redacted()).doesNotContain("\n").hasSizeLessThan(200);
            Violation nan = compile(List.of(), -INF, INF).check(features(forged, Double.POSITIVE_INFINITY), -1);
            assertThat(nan.message()).startsWith("feature 'evil\\u000aINJECTED").doesNotContain("\n");
        }
    }

    /**
     * A request's feature name with an invisible character (U+200B) or a bidi override (U+202E,
     * which reverses the rest of a log line on screen) was quoted raw: "unknown feature 'income';
     * the contract lists [income]" read as nonsense, and a log line could be made to read otherwise.
     */
    @Test
    void shouldEscapeInvisibleFormatCharactersInTheRequestsFeatureNames() {
        CompiledContract c = CompiledContract.compile(new InputContract(List.of(), -INF, INF,
                Map.of("income", new FeatureSpec(false, -INF, INF)), false, List.of(), 0, null));
        assertThat(c.check(Features.named(Map.of("income\u200b", 1.0)), -1).message())
                .isEqualTo("unknown feature 'income\\u200b'; the contract lists [income] and does not allow other"
                        + " features");
        assertThat(c.check(Features.named(Map.of("\u202edeifitrec", 1.0)), -1).message())
                .startsWith("unknown feature '\\u202edeifitrec'; ");
    }

    /**
     * Format characters outside the BMP (the tag characters U+E0001, U+E0020 to U+E007F, invisible and
     * able to carry hidden ASCII) were quoted raw; and a name cut at 64 characters could end in the
     * first half of a surrogate pair.
     */
    @Test
    void shouldEscapeFormatCharactersOutsideTheBmpAndNeverCutAPair() {
        String tag = new String(Character.toChars(0xE0041));
        assertThat(FeatureNames.printable("income" + tag)).isEqualTo("income\\udb40\\udc41");
        String emoji = "\ud83d\ude00";
        assertThat(FeatureNames.printable("n".repeat(63) + emoji + "x")).isEqualTo("n".repeat(63) + emoji + "...");
    }

    @Nested
    class CrossField {
        private final Map<String, FeatureSpec> specs = Map.of(
                "loan", new FeatureSpec(true, 0, 1e8),
                "income", new FeatureSpec(false, 0, 1e7));

        @Test
        void shouldRefuseFailingRuleNamingItsIdAndValues() {
            CompiledContract c = named(specs, false, new CrossFieldRule("cap", "loan <= 10 * income"));
            assertThat(c.check(features("loan", 1e5, "income", 5e4), -1)).isNull();
            assertThat(c.check(features("loan", 5e5, "income", 1e3), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(
                    invalid("cap", "rule 'cap' failed: loan <= 10 * income (loan = 500000, income = 1000)"));
        }

        @Test
        void shouldRefuseRuleOverAbsentFeature() {
            CompiledContract c = named(specs, false, new CrossFieldRule("cap", "loan <= 10 * income"));
            Violation expected = invalid("cap", "rule 'cap' refers to feature 'income', which is absent from the request");
            assertThat(c.check(features("loan", 5), -1)).isEqualTo(expected);
            assertThat(c.check(features("loan", 5, "income", null), -1)).isEqualTo(expected);
        }

        @Test
        void shouldRefuseRuleOnUnnamedRequest() {
            CompiledContract c = named(Map.of("x", new FeatureSpec(false, -INF, INF)), true,
                    new CrossFieldRule("pos", "x > 0"));
            assertThat(c.check(Features.of(1), -1)).isEqualTo(
                    invalid("pos", "rule 'pos' refers to feature 'x', which is absent from the request"));
        }

        @Test
        void shouldFailRuleOnDivisionByZero() {
            CompiledContract c = named(specs, false, new CrossFieldRule("ratio", "loan / income < 100"));
            assertThat(c.check(features("loan", 5, "income", 0), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(invalid("ratio",
                    "rule 'ratio' could not be evaluated: division by zero in 'loan / income' ('income' is 0)"
                            + " (loan = 5, income = 0)"));
        }

        @Test
        void shouldReportTheFirstFailingRuleInContractOrder() {
            CompiledContract c = named(specs, false,
                    new CrossFieldRule("ok", "loan >= 0"),
                    new CrossFieldRule("second", "loan < 1"),
                    new CrossFieldRule("third", "income < 1"));
            assertThat(c.check(features("loan", 5, "income", 5), -1).rule()).isEqualTo("second");
        }

        @Test
        void shouldCheckNamedFeaturesBeforeRules() {
            CompiledContract c = named(specs, false, new CrossFieldRule("cap", "loan <= 10 * income"));
            assertThat(c.check(features("loan", 1e9, "income", 1), -1).rule()).isEqualTo("features");
        }

        @Test
        void shouldRejectRuleUsingUnlistedFeatureWhenUnknownFeaturesAreNotAllowed() {
            assertThatThrownBy(() -> named(specs, false, new CrossFieldRule("cap", "loan <= 10 * salary")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("cross_field rule 'cap': unknown feature 'salary'; a rule reads only the features the"
                            + " contract lists [income, loan]: list it under features or fix the name at column 14 of"
                            + " 'loan <= 10 * salary'");
        }

        /** Else the caller, who may send any feature, would supply the unlisted one and decide the rule. */
        @Test
        void shouldRejectRuleUsingUnlistedFeatureEvenWhenUnknownFeaturesAreAllowed() {
            assertThatThrownBy(() -> named(specs, true, new CrossFieldRule("cap", "loan <= 20 * incme")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("cross_field rule 'cap': unknown feature 'incme'; a rule reads only the features the"
                            + " contract lists [income, loan]: list it under features or fix the name at column 14 of"
                            + " 'loan <= 20 * incme'");
            assertThatThrownBy(() -> named(Map.of(), true, new CrossFieldRule("cap", "loan <= 10 * salary")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("cross_field rule 'cap': unknown feature 'loan'; a rule reads only the features the"
                            + " contract lists (none): list it under features or fix the name at column 1 of"
                            + " 'loan <= 10 * salary'");
        }

        @Test
        void shouldRejectMalformedRuleAtCompileTime() {
            assertThatThrownBy(() -> named(specs, false, new CrossFieldRule("cap", "loan <= ")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("cross_field rule 'cap': expected a number")
                    .hasMessageContaining("at column 9");
        }

        @Test
        void shouldRejectDuplicateAndBlankRuleIds() {
            assertThatThrownBy(() -> named(specs, false, new CrossFieldRule("a", "loan > 0"),
                    new CrossFieldRule("a", "loan < 9")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("cross_field rule id 'a' is used twice; ids must be unique");
            assertThatThrownBy(() -> named(specs, false, new CrossFieldRule(" ", "loan > 0")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("cross_field rule 1 needs an id, was blank");
        }

        @Test
        void shouldResolvePositionsForEachLayoutEvenWhenLayoutsAlternate() {
            FeatureSpec any = new FeatureSpec(true, -INF, INF);
            CompiledContract c = named(Map.of("a", any, "b", any), true, new CrossFieldRule("diff", "a - b == 1"));
            for (int i = 0; i < 3; i++) {
                assertThat(c.check(features("a", 3, "b", 2), -1)).isNull();
                assertThat(c.check(features("b", 2, "a", 3), -1)).isNull();
                assertThat(c.check(features("b", 3, "a", 2), -1)).isNotNull();
                assertThat(c.check(features("x", 0, "a", 3, "b", 2), -1)).isNull();
            }
        }
    }

    @Nested
    class Distribution {
        private DistributionCheck check(double[] mean, double[] std, double floor, double absZ, double rmsZ,
                Map<String, double[]> summary) {
            return new DistributionCheck(mean, std, floor, absZ, rmsZ, summary);
        }

        /** Statistics named [age, income] (as veil stats --header writes them) over a contract of those features. */
        private CompiledContract namedStats(boolean allowUnknown) {
            DistributionCheck d = new DistributionCheck(new double[] {40, 50_000}, new double[] {10, 10_000}, 0.05, 4,
                    0, Map.of(), "training.stats", List.of("age", "income"));
            return CompiledContract.compile(new InputContract(List.of(), -INF, INF,
                    Map.of("age", new FeatureSpec(true, 0, INF), "income", new FeatureSpec(true, 0, INF)),
                    allowUnknown, List.of(), 0, d));
        }

        @Test
        void aListInAnotherOrderThanNamedStatisticsIsRefusedNotScoredAgainstTheWrongFeatures() {
            CompiledContract c = namedStats(false);
            // age 50,000 and income 40: far out for both, but each would sit on the other's mean
            Features probe = Features.named(Map.of("age", 50_000, "income", 40));
            assertThat(c.check(probe, -1).code()).isEqualTo(ReasonCode.OUT_OF_DISTRIBUTION);
            List<String> swapped = List.of("income", "age");
            Violation v = c.check(Features.named(swapped, new double[] {40, 50_000}), -1);
            assertThat(v).isEqualTo(invalid("distribution", "feature 'income' is at position 0 of the request, where "
                    + "the distribution statistics describe 'age'; the statistics are in name order, so the features "
                    + "must reach the check in that order: build Features.named(List, double[]) with the names in "
                    + "name order [age, income], or use Features.named(Map), which sorts them"));
            assertThat(c.check(Features.named(swapped, new double[] {50_000, 40}), -1))
                    .as("even a typical input: the order is wrong for every request").isEqualTo(v);
            List<String> ordered = new java.util.ArrayList<>(List.of("age", "income"));
            assertThat(c.check(Features.named(ordered, new double[] {40, 50_000}), -1)).isNull();
            assertThat(c.check(Features.named(ordered, new double[] {50_000, 40}), -1).code())
                    .isEqualTo(ReasonCode.OUT_OF_DISTRIBUTION);
            assertThat(c.check(Features.named(swapped, new double[] {40, 50_000}), -1))
                    .as("after another list was checked").isEqualTo(v);
        }

        @Test
        void withUnknownFeaturesAllowedTheListedOnesMustComeInTheStatisticsOrder() {
            CompiledContract c = namedStats(true);
            assertThat(c.check(Features.named(List.of("age", "bonus", "income"), new double[] {40, 1, 50_000}), -1))
                    .isNull();
            assertThat(c.check(Features.named(List.of("income", "bonus", "age"), new double[] {40, 1, 50_000}), -1)
                    .message()).startsWith("feature 'income' is at position 0 of the request, where the distribution "
                            + "statistics describe 'age';");
        }

        @Test
        void statisticsWithoutNamesAreReadInTheirOwnOrder() {
            DistributionCheck d = new DistributionCheck(new double[] {50_000, 40}, new double[] {10_000, 10}, 0.05, 4,
                    0, Map.of());
            CompiledContract c = CompiledContract.compile(new InputContract(List.of(), -INF, INF,
                    Map.of("age", new FeatureSpec(true, 0, INF), "income", new FeatureSpec(true, 0, INF)),
                    false, List.of(), 0, d));
            assertThat(c.check(Features.named(List.of("income", "age"), new double[] {50_000, 40}), -1)).isNull();
        }

        @Test
        void shouldRefuseFeatureBeyondMaxAbsZ() {
            CompiledContract c = withDistribution(List.of(3),
                    check(new double[3], new double[] {1, 1, 1}, 0.1, 3, 0, Map.of()));
            assertThat(c.check(Features.of(0, 3, -3), -1)).isNull();
            assertThat(c.check(Features.of(0, 3.5, 0), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(violation(ReasonCode.OUT_OF_DISTRIBUTION,
                    "distribution", "value at index 1 is 3.5, too far from the training data"));
        }

        @Test
        void shouldFloorTheStandardDeviation() {
            CompiledContract c = withDistribution(List.of(),
                    check(new double[1], new double[1], 0.5, 3, 0, Map.of()));
            assertThat(c.check(Features.of(1.5), -1)).isNull();
            assertThat(c.check(Features.of(2), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(violation(ReasonCode.OUT_OF_DISTRIBUTION,
                    "distribution", "value at index 0 is 2, too far from the training data"));
        }

        @Test
        void shouldRefuseInputBeyondMaxRmsZ() {
            CompiledContract c = withDistribution(List.of(),
                    check(new double[4], new double[] {1, 1, 1, 1}, 0.1, 0, 1, Map.of()));
            assertThat(c.check(Features.of(1, 1, 1, 1), -1)).isNull();
            assertThat(c.check(Features.of(1, 1, 1, 1.1), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(violation(ReasonCode.OUT_OF_DISTRIBUTION,
                    "distribution", "the input as a whole is too far from the training data (its RMS z-score over "
                            + "all 4 features is above the policy's limit)"));
        }

        @Test
        void shouldCheckRmsZOnOddLengths() {
            CompiledContract c = withDistribution(List.of(),
                    check(new double[3], new double[] {1, 1, 1}, 0.1, 0, 1, Map.of()));
            assertThat(c.check(Features.of(1, 1, 1), -1)).isNull();
            assertThat(c.check(Features.of(1, 1, 1.2), -1)).isNotNull();
        }

        private final double[] half = {0.5, 0.5, 0.5, 0.5};
        private final double[] tenth = {0.1, 0.1, 0.1, 0.1};

        @Test
        void shouldRefuseInputWhoseMeanIsOutsideTheTrainingRange() {
            CompiledContract c = withDistribution(List.of(),
                    check(half, tenth, 0.01, 0, 0, Map.of("mean", new double[] {0.2, 0.8})));
            assertThat(c.check(Features.of(0.3, 0.5, 0.4, 0.6), -1)).isNull();
            assertThat(c.check(Features.of(0, 0, 0, 0), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(violation(ReasonCode.OUT_OF_DISTRIBUTION,
                    "distribution", "the input's mean is 0.000, outside the range seen in training"));
        }

        @Test
        void shouldRefuseInputWhoseStdIsOutsideTheTrainingRange() {
            CompiledContract c = withDistribution(List.of(),
                    check(half, tenth, 0.01, 0, 0, Map.of("std", new double[] {0.1, 1})));
            assertThat(c.check(Features.of(0.3, 0.5, 0.4, 0.8), -1)).isNull();
            assertThat(c.check(Features.of(0.5, 0.5, 0.5, 0.5), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(violation(
                    ReasonCode.OUT_OF_DISTRIBUTION, "distribution",
                    "the input's standard deviation is 0.000, outside the range seen in training"));
        }

        @Test
        void shouldReportExactStatisticsWithoutOnePassRounding() {
            // centre 0.2 and constant 0.7: the one-pass variance is a rounding residue, the exact one is 0
            CompiledContract c = withDistribution(List.of(), check(new double[] {0.2, 0.2, 0.2}, new double[3], 0.01,
                    0, 0, Map.of("std", new double[] {0.01, 1})));
            assertThat(c.check(Features.of(0.7, 0.7, 0.7), -1).message())
                    .isEqualTo("the input's standard deviation is 0.000, outside the range seen in training");
        }

        @Test
        void shouldRefuseInputWhoseRoughnessIsOutsideTheTrainingRange() {
            CompiledContract c = withDistribution(List.of(),
                    check(half, tenth, 0.01, 0, 0, Map.of("roughness", new double[] {0, 0.1})));
            assertThat(c.check(Features.of(0.1, 0.15, 0.2, 0.25), -1)).isNull();
            assertThat(c.check(Features.of(0, 1, 0, 1), -1)).usingRecursiveComparison().ignoringFields("redacted").isEqualTo(violation(ReasonCode.OUT_OF_DISTRIBUTION,
                    "distribution", "the input's roughness (mean absolute difference of neighbouring values) is 1.000,"
                            + " outside the range seen in training"));
        }

        @Test
        void shouldComputeSummariesForOddLengthsAndSingleFeatures() {
            CompiledContract three = withDistribution(List.of(), check(new double[] {0, 0, 0},
                    new double[] {1, 1, 1}, 0.1, 0, 0, Map.of("roughness", new double[] {0.9, 1.1})));
            assertThat(three.check(Features.of(0, 1, 0), -1)).isNull();
            assertThat(three.check(Features.of(0, 1, 1), -1)).isNotNull();
            CompiledContract one = withDistribution(List.of(), check(new double[] {0}, new double[] {1}, 0.1, 0, 0,
                    Map.of("roughness", new double[] {0, 0}, "std", new double[] {0, 0}, "mean", new double[] {2, 3})));
            assertThat(one.check(Features.of(2.5), -1)).isNull();
            assertThat(one.check(Features.of(1.5), -1).message()).startsWith("the input's mean is 1.500");
        }

        @Test
        void shouldRefuseInputOfAnotherLengthThanTheStatistics() {
            CompiledContract c = withDistribution(List.of(),
                    check(new double[3], new double[] {1, 1, 1}, 0.1, 3, 0, Map.of()));
            assertThat(c.check(Features.of(0, 0), -1)).isEqualTo(invalid("distribution", "the input has 2 features but"
                    + " the bundle's distribution statistics describe 3; the statistics do not match this input"));
        }

        /**
         * Features the contract does not list but allows are not scored (the statistics describe the
         * listed ones); the listed ones still are, in the request's order, wherever the others sit.
         */
        @Test
        void shouldScoreOnlyTheListedFeaturesOfARequestWithOthersTheContractAllows() {
            Map<String, FeatureSpec> listed = Map.of("a", new FeatureSpec(true, -INF, INF),
                    "c", new FeatureSpec(true, -INF, INF));
            CompiledContract c = CompiledContract.compile(new InputContract(List.of(), -INF, INF, listed, true,
                    List.of(), 0, check(new double[] {0, 100}, new double[] {1, 1}, 0.1, 3, 0, Map.of())));
            assertThat(c.check(features("a", 1, "b", 1e9, "c", 101, "d", -1e9), -1)).isNull();
            assertThat(c.check(features("a", 1, "b", 0, "c", 110), -1)).isEqualTo(new Violation(
                    ReasonCode.OUT_OF_DISTRIBUTION, "distribution", "feature 'c' is 110, too far from the training data",
                    "feature 'c' is too far from the training data"));
            // a service's own layout: the listed features in its order, as without the others
            assertThat(c.check(Features.named(List.of("c", "x", "a"), new double[] {0, 1e9, 100}), -1)).isNull();
            // statistics of another length than the listed features: still the length mismatch
            CompiledContract three = CompiledContract.compile(new InputContract(List.of(), -INF, INF, listed, true,
                    List.of(), 0, check(new double[3], new double[] {1, 1, 1}, 0.1, 3, 0, Map.of())));
            assertThat(three.check(features("a", 0, "b", 0, "c", 0, "d", 0), -1)).isEqualTo(invalid("distribution",
                    "the input has 4 features but the bundle's distribution statistics describe 3; the statistics do "
                            + "not match this input"));
        }

        @Test
        void shouldRejectStatisticsThatDisagreeWithTheShape() {
            assertThatThrownBy(() -> withDistribution(List.of(2, 2),
                    check(new double[3], new double[] {1, 1, 1}, 0.1, 3, 0, Map.of())))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("distribution statistics describe 3 features but the contract's shape [2, 2] has 4;"
                            + " recompute the statistics for this model's input");
        }

        @Test
        void shouldRejectEmptyOrNonFiniteOrNegativeStatistics() {
            assertThatThrownBy(() -> withDistribution(List.of(), check(new double[0], new double[0], 0.1, 3, 0, null)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("distribution statistics must describe at least one feature, were empty");
            assertThatThrownBy(() -> withDistribution(List.of(),
                    check(new double[] {0, Double.NaN}, new double[] {1, 1}, 0.1, 3, 0, null)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("distribution.mean[1] must be finite, was NaN");
            assertThatThrownBy(() -> withDistribution(List.of(),
                    check(new double[2], new double[] {1, -1}, 0.1, 3, 0, null)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("distribution.std[1] must be finite and >= 0, was -1.0");
            assertThatThrownBy(() -> withDistribution(List.of(),
                    check(new double[2], new double[] {INF, 1}, 0.1, 3, 0, null)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("distribution.std[0] must be finite and >= 0, was Infinity");
        }

        @Test
        void shouldRefuseNamedRequestWithAbsentFeature() {
            CompiledContract c = CompiledContract.compile(new InputContract(List.of(), -INF, INF,
                    Map.of("a", new FeatureSpec(false, -9, 9), "b", new FeatureSpec(false, -9, 9)), false, List.of(),
                    0, check(new double[2], new double[] {1, 1}, 0.1, 0, 0, null)));
            assertThat(c.check(features("a", 1, "b", 1), -1)).isNull();
            assertThat(c.check(features("a", 1, "b", null), -1)).isEqualTo(invalid("distribution",
                    "feature 'b' is absent; the distribution check needs a value for every feature"));
        }

        @Test
        void shouldCheckDistributionLastAndGlobalRangeFirst() {
            DistributionCheck d = check(new double[2], new double[] {1, 1}, 0.1, 2, 0, null);
            CompiledContract c = CompiledContract.compile(new InputContract(List.of(), -5, 5,
                    Map.of("a", new FeatureSpec(true, -INF, INF)), true, List.of(new CrossFieldRule("small", "a < 1")),
                    0, d));
            assertThat(c.check(features("a", 0, "b", 1), -1)).isNull();
            // a is out of the distribution (|z| = 3) and breaks the rule: the rule is reported
            assertThat(c.check(features("a", 3, "b", 0), -1).rule()).isEqualTo("small");
            // b is out of the distribution and out of the global range: the range is reported
            assertThat(c.check(features("a", 0, "b", 6), -1).rule()).isEqualTo("range");
            assertThat(c.check(features("a", 0, "b", 3), -1).rule()).isEqualTo("distribution");
            assertThat(c.check(features("a", 0, "b", INF), -1).rule()).isEqualTo("finite");
        }

        @Test
        void shouldRunEveryStatisticTogether() {
            DistributionCheck d = check(half, tenth, 0.01, 3, 2.5, Map.of("mean", new double[] {0.3, 0.7},
                    "std", new double[] {0, 0.2}, "roughness", new double[] {0, 0.2}));
            CompiledContract c = withDistribution(List.of(2, 2), d);
            assertThat(c.check(Features.of(0.5, 0.55, 0.6, 0.5), -1)).isNull();
            assertThat(c.check(Features.of(0.5, 0.55, 0.9, 0.5), -1).message()).isEqualTo("value at index 2 "
                    + "(position [1, 0] of shape [2, 2]) is 0.9, too far from the training data");
            assertThat(c.check(Features.of(0.76, 0.76, 0.76, 0.76), -1).message())
                    .startsWith("the input as a whole is too far from the training data");
            assertThat(c.check(Features.of(0.28, 0.3, 0.28, 0.3), -1).message())
                    .startsWith("the input's mean is 0.2900");
            assertThat(c.check(Features.of(0.25, 0.75, 0.25, 0.75), -1).message())
                    .startsWith("the input's standard deviation is 0.2500");
            assertThat(c.check(Features.of(0.4, 0.7, 0.4, 0.7), -1).message())
                    .startsWith("the input's roughness (mean absolute difference of neighbouring values) is 0.3000");
        }
    }

    @Nested
    class Unsatisfiable {
        private final FeatureSpec required = new FeatureSpec(true, -INF, INF);
        private final FeatureSpec optional = new FeatureSpec(false, -INF, INF);

        private CompiledContract contract(List<Integer> shape, Map<String, FeatureSpec> specs, boolean allowUnknown,
                CrossFieldRule... rules) {
            return CompiledContract.compile(new InputContract(shape, -INF, INF, specs, allowUnknown, List.of(rules), 0,
                    null));
        }

        @Test
        void compilesButNoRequestPasses() {
            // compile accepts it (a contract a Rego policy builds per request still answers); a loader refuses it
            CompiledContract c = contract(List.of(3), Map.of("a", required, "b", required, "c", required,
                    "d", required), false);
            assertThat(c.unsatisfiable()).startsWith("4 features must be in every request (4 required [a, b, c, d])"
                    + " but the shape [3] holds 3 values");
            assertThat(c.check(features("a", 1, "b", 2, "c", 3), -1).rule()).isEqualTo(Violation.FEATURES);
            assertThat(c.check(Features.of(1, 2, 3), -1).rule()).isEqualTo(Violation.FEATURES);
        }

        @Test
        void aFittingContractIsSatisfiable() {
            assertThat(contract(List.of(3), Map.of("a", required, "b", required, "c", required), false)
                    .unsatisfiable()).isNull();
            assertThat(contract(List.of(), Map.of("a", required, "b", required), false).unsatisfiable()).isNull();
            CompiledContract some = contract(List.of(3), Map.of("a", required, "b", optional, "c", optional,
                    "d", optional), false);
            assertThat(some.unsatisfiable()).isNull();
            assertThat(some.check(features("a", 1, "b", 2, "d", 3), -1)).isNull();
            CompiledContract open = contract(List.of(3), Map.of("a", required), true);
            assertThat(open.unsatisfiable()).isNull();
            assertThat(open.check(features("a", 1, "x", 2, "y", 3), -1)).isNull();
            CompiledContract unnamed = contract(List.of(3), Map.of("a", optional), true);
            assertThat(unnamed.unsatisfiable()).isNull();
            assertThat(unnamed.check(Features.of(1, 2, 3), -1)).isNull();
        }

        @Test
        void optionalFeaturesTooFewForTheShapeWhileOthersAreRefused() {
            // a named request cannot name 3 values, and an unnamed one is refused as unnamed
            CompiledContract c = contract(List.of(3), Map.of("a", optional), false);
            assertThat(c.unsatisfiable()).isEqualTo("the shape [3] holds 3 values but the contract lists only 1"
                    + " feature [a] and does not allow other features: a named request cannot name all its values,"
                    + " and an unnamed one is refused, as the contract's features are named; list every feature of"
                    + " the shape, set allow_unknown_features: true, or fix the shape");
            assertThat(c.check(Features.of(1, 2, 3), -1).rule()).isEqualTo(Violation.FEATURES);
        }

        @Test
        void featuresReadByRulesCount() {
            CompiledContract c = contract(List.of(2), Map.of("a", required, "b", optional, "c", optional), true,
                    new CrossFieldRule("r", "b <= c"));
            assertThat(c.unsatisfiable()).startsWith("3 features must be in every request (1 required [a] and 2 read"
                    + " by cross_field rules [b, c]) but the shape [2] holds 2 values");
            CompiledContract onlyRules = contract(List.of(1), Map.of("b", optional, "c", optional), true,
                    new CrossFieldRule("r", "b <= c"));
            assertThat(onlyRules.unsatisfiable()).startsWith("2 features must be in every request (2 read by"
                    + " cross_field rules [b, c]) but the shape [1] holds 1 value:");
        }

        @Test
        void aClosedListTooShortForTheShape() {
            CompiledContract c = contract(List.of(4), Map.of("a", required, "b", optional), false);
            assertThat(c.unsatisfiable()).startsWith("the shape [4] holds 4 values but the contract lists only 2"
                    + " features [a, b] and does not allow other features");
        }
    }

    @Test
    void theRedactedMessagesQuoteNoValueOfTheRequest() {
        Violation r = compile(List.of(3), 0, 1).check(Features.of(0.5, 0.123456, 2.5), -1);
        assertThat(r.message()).contains("2.5");
        assertThat(r.redacted()).isEqualTo("value at index 2 is outside the allowed range [0, 1]");
        CompiledContract loans = named(Map.of("age", new FeatureSpec(true, 18, 120), "income", new FeatureSpec(true,
                0, INF)), false, new CrossFieldRule("adult-income", "income >= age * 10"));
        Violation age = loans.check(features("age", 7.25, "income", 5000), -1);
        assertThat(age.message()).contains("7.25");
        assertThat(age.redacted()).isEqualTo("feature 'age' is outside its allowed range [18, 120]");
        Violation rule = loans.check(features("age", 40.5, "income", 99.75), -1);
        assertThat(rule.message()).contains("40.5").contains("99.75");
        assertThat(rule.redacted()).isEqualTo("rule 'adult-income' failed: income >= age * 10");
        CompiledContract ratio = named(Map.of("loan", new FeatureSpec(true, 0, INF), "income", new FeatureSpec(true,
                0, INF)), false, new CrossFieldRule("ratio", "loan / income <= 20"));
        Violation div = ratio.check(features("loan", 1000, "income", 0), -1);
        assertThat(div.message()).contains("could not be evaluated").contains("1000");
        assertThat(div.redacted()).isEqualTo("rule 'ratio' could not be evaluated");
        Violation z = withDistribution(List.of(2), new DistributionCheck(new double[] {0, 0}, new double[] {1, 1},
                0.01, 3, 0, Map.of())).check(Features.of(0, 3.75), -1);
        assertThat(z.message()).isEqualTo("value at index 1 is 3.75, too far from the training data");
        assertThat(z.redacted()).isEqualTo("value at index 1 is too far from the training data");
        Violation inf = compile(List.of(3), 0, 1).check(Features.of(0, Double.POSITIVE_INFINITY, 0), -1);
        assertThat(inf.message()).contains("Infinity");
        assertThat(inf.redacted()).isEqualTo("value at index 1 is not a finite number; every value must be a finite "
                + "number");
        Violation rms = withDistribution(List.of(1), new DistributionCheck(new double[] {40}, new double[] {10}, 0.01,
                0, 3, Map.of())).check(Features.of(77.3), -1);
        // the caller's refusal tells neither the z-score, nor the limit, nor the training statistics
        assertThat(rms.message()).isEqualTo(rms.redacted()).doesNotContain("3.7").doesNotContain("40");
        assertThat(rms.redacted()).isEqualTo("the input as a whole is too far from the training data (its RMS z-score "
                + "over all 1 features is above the policy's limit)");
        Violation mean = withDistribution(List.of(1), new DistributionCheck(new double[] {40}, new double[] {10}, 0.01,
                0, 100, Map.of("mean", new double[] {18, 50}))).check(Features.of(77.3), -1);
        assertThat(mean.message()).isEqualTo("the input's mean is 77.30, outside the range seen in training");
        assertThat(mean.redacted()).isEqualTo("the input's mean is outside the range seen in training");
    }
}
