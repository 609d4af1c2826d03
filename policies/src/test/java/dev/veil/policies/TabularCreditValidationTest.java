package dev.veil.policies;

import static dev.veil.policies.CreditApplications.typical;
import static dev.veil.policies.CreditApplications.typicalWith;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.veil.AuthMethod;
import dev.veil.Features;
import dev.veil.PolicyBundle;
import dev.veil.ReasonCode;
import dev.veil.internal.validation.CompiledContract;
import dev.veil.internal.validation.Violation;
import dev.veil.policies.CreditApplications.Feature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;

/**
 * The tabular-credit bundle's input contract, applied as the Guard applies it (the contract of the
 * bundle's validation decision, compiled): every required feature, range and cross-field rule, and
 * two properties: an application inside every range and rule is never refused, and one feature
 * pushed out of its range always is, naming that feature.
 */
class TabularCreditValidationTest {
    static CompiledContract contract;

    @BeforeAll
    static void load() {
        PolicyBundle b = PolicyBundle.classpath("veil-policies/tabular-credit");
        contract = Docs.contract(b, "demo-broker-app", AuthMethod.API_KEY, Set.of("broker"), "brokerline",
                Map.of("contract", "active"), 8, CreditApplications.REQUIRED);
    }

    static Violation check(Map<String, Double> application) {
        return contract.check(Features.named(application), -1);
    }

    @Test
    void aTypicalApplicationIsValidWithOrWithoutACoApplicant() {
        assertThat(check(typical())).isNull();
        assertThat(check(typicalWith("co_applicant_income", 35_000))).isNull();
    }

    static List<String> required() {
        return CreditApplications.REQUIRED;
    }

    @ParameterizedTest
    @MethodSource("required")
    void everyRequiredFeatureMustBePresent(String feature) {
        assertThat(check(typicalWith(feature, null))).isEqualTo(new Violation(ReasonCode.INVALID_INPUT, "features",
                "required feature '" + feature + "' is missing"));
        Map<String, Double> nullValue = typical();
        nullValue.put(feature, null);
        assertThat(check(nullValue)).as("a null is a left-out key").isEqualTo(new Violation(ReasonCode.INVALID_INPUT,
                "features", "required feature '" + feature + "' is missing"));
    }

    @Test
    void theCoApplicantIncomeIsOptionalButRangeChecked() {
        assertThat(check(typicalWith("co_applicant_income", -1))).isEqualTo(new Violation(ReasonCode.INVALID_INPUT,
                "features", "feature 'co_applicant_income' is -1, outside its allowed range [0, 5000000]",
                "feature 'co_applicant_income' is outside its allowed range [0, 5000000]"));
    }

    @Test
    void featuresTheModelDoesNotKnowAreRefused() {
        Violation v = check(typicalWith("credit_score", 700));
        assertThat(v.code()).isEqualTo(ReasonCode.INVALID_INPUT);
        assertThat(v.rule()).isEqualTo("features");
        assertThat(v.message()).startsWith("unknown feature 'credit_score'; the contract lists ")
                .endsWith(" and does not allow other features");
    }

    @Test
    void infiniteValuesAreRefused() {
        assertThat(check(typicalWith("income", Double.POSITIVE_INFINITY))).isEqualTo(new Violation(
                ReasonCode.INVALID_INPUT, "finite",
                "feature 'income' is Infinity; every value must be a finite number",
                "feature 'income' is not a finite number; every value must be a finite number"));
    }

    @Test
    void largePayloadsAreRefused() {
        assertThat(contract.check(Features.named(typical()), 2049)).isEqualTo(new Violation(
                ReasonCode.PAYLOAD_TOO_LARGE, "payload", "the payload is 2049 bytes, above the limit of 2048 bytes"));
        assertThat(contract.check(Features.named(typical()), 2048)).isNull();
    }

    static void assertBreaks(Map<String, Double> application, String rule, String expr) {
        Violation v = check(application);
        assertThat(v).as("%s", application).isNotNull();
        assertThat(v.code()).isEqualTo(ReasonCode.INVALID_INPUT);
        assertThat(v.rule()).isEqualTo(rule);
        assertThat(v.message()).startsWith("rule '" + rule + "' failed: " + expr + " (");
    }

    @Test
    void employmentCannotStartBeforeFourteen() {
        assertThat(check(typicalWith("age", 30, "credit_history_years", 10, "years_employed", 16))).isNull();
        assertBreaks(typicalWith("age", 30, "credit_history_years", 10, "years_employed", 16.5), "employed-after-14",
                "years_employed <= age - 14");
    }

    @Test
    void creditHistoryCannotStartBeforeSixteen() {
        assertThat(check(typicalWith("age", 30, "credit_history_years", 14))).isNull();
        assertBreaks(typicalWith("age", 30, "credit_history_years", 14.5), "credit-history-after-16",
                "credit_history_years <= age - 16");
    }

    @Test
    void theLoanIsAtMostTwentyTimesTheIncome() {
        assertThat(check(typicalWith("income", 10_000, "loan_amount", 200_000))).isNull();
        assertBreaks(typicalWith("income", 10_000, "loan_amount", 200_001), "loan-vs-income",
                "loan_amount <= 20 * income");
        assertBreaks(typicalWith("income", 0, "loan_amount", 1000), "loan-vs-income", "loan_amount <= 20 * income");
    }

    @Test
    void theLoanIsRepaidBeforeTheApplicantTurnsNinety() {
        assertThat(check(typicalWith("age", 70, "years_employed", 40, "loan_term_months", 240))).isNull();
        assertBreaks(typicalWith("age", 70, "years_employed", 40, "loan_term_months", 241), "repaid-before-90",
                "age + loan_term_months / 12 <= 90");
        assertBreaks(typicalWith("age", 95, "loan_term_months", 6), "repaid-before-90",
                "age + loan_term_months / 12 <= 90");
    }

    // ------------------------------------------------------------------ properties

    /** Often exactly a bound, otherwise anywhere in [lo, hi]. */
    static double pick(RandomnessSource in, double lo, double hi) {
        int k = integers().between(0, 9).generate(in);
        if (k == 0 || lo == hi) {
            return lo;
        }
        if (k == 1) {
            return hi;
        }
        return doubles().between(lo, hi).generate(in);
    }

    /**
     * Applications inside every range and every cross-field rule: ages and terms in whole years and
     * months, as applications carry them, everything else anywhere in its allowed range up to the
     * bounds the rules set (often exactly on them), the co-applicant present or not, and the
     * features in any order.
     */
    static final Gen<Map<String, Double>> VALID = in -> {
        int age = integers().between(18, 89).generate(in);
        Map<String, Double> a = new LinkedHashMap<>();
        double income = pick(in, 50, 5_000_000);
        a.put("income", income);
        a.put("loan_amount", pick(in, 1000, Math.min(2_000_000, 20 * income)));
        a.put("loan_term_months", (double) integers().between(6, Math.min(360, (90 - age) * 12)).generate(in));
        a.put("age", (double) age);
        a.put("years_employed", pick(in, 0, Math.min(70, age - 14)));
        a.put("debt_ratio", pick(in, 0, 1.5));
        a.put("credit_history_years", pick(in, 0, Math.min(84, age - 16)));
        a.put("open_credit_lines", (double) integers().between(0, 60).generate(in));
        if (booleans().all().generate(in)) {
            a.put("co_applicant_income", pick(in, 0, 5_000_000));
        }
        return rotate(a, integers().between(0, a.size() - 1).generate(in));
    };

    static Map<String, Double> rotate(Map<String, Double> a, int by) {
        List<Map.Entry<String, Double>> e = new ArrayList<>(a.entrySet());
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < e.size(); i++) {
            Map.Entry<String, Double> x = e.get((i + by) % e.size());
            out.put(x.getKey(), x.getValue());
        }
        return out;
    }

    @Test
    void applicationsInsideEveryRangeAndRuleAreNeverRefused() {
        qt().withExamples(3000).forAll(VALID).checkAssert(a -> assertThat(check(a)).as("%s", a).isNull());
    }

    /** A valid application with one feature pushed out of its range, and which one. */
    record Pushed(Map<String, Double> application, String feature, double value) {}

    static final Gen<Pushed> PUSHED = in -> {
        Map<String, Double> a = VALID.generate(in);
        Feature f = CreditApplications.FEATURES.get(integers().between(0, CreditApplications.FEATURES.size() - 1)
                .generate(in));
        // how far out: from a thousandth to a million, as a mantissa in [1, 10) times a power of ten
        double by = doubles().between(1, 10).generate(in) * Math.pow(10, integers().between(-3, 6).generate(in));
        double value = booleans().all().generate(in) ? f.max() + by : f.min() - by;
        if (!(value > f.max() || value < f.min())) {
            throw new IllegalStateException(value + " is not outside " + f);
        }
        a.put(f.name(), value);
        return new Pushed(a, f.name(), value);
    };

    @Test
    void anyOneFeatureOutsideItsRangeIsAlwaysRefusedByName() {
        qt().withExamples(3000).forAll(PUSHED).checkAssert(p -> {
            Violation v = check(p.application());
            assertThat(v).as("%s", p).isNotNull();
            assertThat(v.code()).isEqualTo(ReasonCode.INVALID_INPUT);
            assertThat(v.rule()).isEqualTo("features");
            assertThat(v.message()).startsWith("feature '" + p.feature() + "' is ")
                    .contains("outside its allowed range");
        });
    }
}
