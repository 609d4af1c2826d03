package dev.veil.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.PolicyBundle;
import dev.veil.PolicyError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A validation contract that no request can pass (its shape leaves no room for the features every
 * request must carry) is refused when the bundle loads, naming the file, line, column and both
 * numbers; a contract that some request can pass loads.
 */
class ContractContradictionTest {
    @TempDir
    Path dir;

    private PolicyBundle load(String validation) {
        return ValidationPolicies.load(dir, "contradictions", validation, null);
    }

    private PolicyError rejected(String validation) {
        return ValidationPolicies.rejected(dir, "contradictions", validation, null);
    }

    @Test
    void fourRequiredFeaturesDoNotFitAShapeOfThree() {
        PolicyError e = rejected("""
                  default:
                    shape: [3]
                    features:
                      income: {min: 0}
                      loan_amount: {min: 0}
                      age: {min: 18}
                      term: {min: 1}
                """);
        assertThat(e).isEqualTo(new PolicyError("policy.veil.yaml", 8, 5, "validation.default.features: "
                + "4 features must be in every request (4 required [age, income, loan_amount, term]) but the shape [3]"
                + " holds 3 values: no request can carry them all; make some optional (required: false) or fix"
                + " the shape"));
    }

    @Test
    void theShapesTotalSizeCounts() {
        load("""
                  default:
                    shape: [2, 2]
                    features: {a: {}, b: {}, c: {}, d: {}}
                """);
        PolicyError e = rejected("""
                  default:
                    shape: [2, 2]
                    features: {a: {}, b: {}, c: {}, d: {}, e: {}}
                """);
        assertThat(e.message()).contains("5 features must be in every request", "the shape [2, 2] holds 4 values");
        assertThat(e.line()).isEqualTo(8);
    }

    @Test
    void featuresReadByCrossFieldRulesMustBeThereToo() {
        PolicyError e = rejected("""
                  default:
                    shape: [3]
                    features:
                      income: {}
                      loan: {}
                      age: {required: false}
                      term: {required: false}
                    cross_field:
                      - {id: term-vs-age, expr: "age + term / 12 <= 90"}
                """);
        assertThat(e.message()).startsWith("validation.default.features: 4 features must be in every request "
                + "(2 required [income, loan] and 2 read by cross_field rules [age, term]) but the shape [3] holds 3"
                + " values");
        assertThat(e.line()).isEqualTo(8);
    }

    /** An optional feature a rule reads would refuse, by the rule, every request without it: not optional at all. */
    @Test
    void anOptionalFeatureThatACrossFieldRuleReadsIsRefused() {
        String contract = """
                  default:
                    shape: [4]
                    features:
                      income: {}
                      loan: {}
                      co_income: {required: false}
                      age: {}
                    cross_field:
                      - {id: adult, expr: "age >= 18"}
                      - {id: loan-vs-income, expr: "loan <= 20 * INCOME"}
                """;
        PolicyError e = rejected(contract.replace("INCOME", "(income + co_income)"));
        assertThat(e.message()).isEqualTo("validation.default.cross_field: feature 'co_income' is optional "
                + "(required: false) but cross_field rule 'loan-vs-income' reads it, and a rule refuses every request "
                + "without a feature it reads; make the feature required, or leave it out of the rule");
        load(contract.replace("INCOME", "income"));
    }

    /**
     * The distribution check scores every feature and refuses a request without one, blaming the
     * statistics: an optional feature is refused at load, as one a rule reads is.
     */
    @Test
    void anOptionalFeatureInAContractWithADistributionCheckIsRefused() throws IOException {
        Files.createDirectories(dir.resolve("training"));
        Files.writeString(dir.resolve("training/data.json"), "{\"stats\": {\"names\": [\"a\", \"b\", \"c\"],"
                + " \"mean\": [5, 5, 5], \"std\": [1, 1, 1]}}", StandardCharsets.UTF_8);
        String contract = """
                  default:
                    shape: []
                    features:
                      a: {required: false}
                      b: {required: false}
                      c: {REQUIRED}
                    distribution: {stats: training.stats, max_rms_z: 4, summary: false}
                """;
        PolicyError e = rejected(contract.replace("REQUIRED", "required: false"));
        assertThat(e).isEqualTo(new PolicyError("policy.veil.yaml", 12, 5, "validation.default.distribution:"
                + " feature 'a' is optional (required: false) but the contract has a distribution check, which needs"
                + " a value for every feature and refuses every request without one; make the feature required, or"
                + " turn the distribution check off"));
        load(contract.replace("REQUIRED", "").replace("a: {required: false}", "a: {}")
                .replace("b: {required: false}", "b: {}"));
    }

    @Test
    void aListThatCannotFillTheShapeWhileUnknownFeaturesAreRefused() {
        // a named request needs 4 listed names; an unnamed one lacks 'income'
        PolicyError e = rejected("""
                  default:
                    shape: [4]
                    features:
                      income: {}
                      age: {required: false}
                """);
        assertThat(e.message()).isEqualTo("validation.default.features: the shape [4] holds 4 values but the"
                + " contract lists only 2 features [age, income] and does not allow other features: a named request"
                + " cannot name all its values, and an unnamed one lacks 'income'; list every feature of the shape,"
                + " set allow_unknown_features: true, or fix the shape");
        assertThat(e.line()).isEqualTo(8);
        assertThat(e.column()).isEqualTo(5);
    }

    /** Unnamed requests are refused by a contract that lists features, so optional ones cannot fill the shape. */
    @Test
    void optionalFeaturesThatCannotFillTheShapeWhileUnknownFeaturesAreRefused() {
        PolicyError e = rejected("""
                  default:
                    shape: [4]
                    features: {a: {required: false}}
                """);
        assertThat(e.message()).isEqualTo("validation.default.features: the shape [4] holds 4 values but the"
                + " contract lists only 1 feature [a] and does not allow other features: a named request cannot"
                + " name all its values, and an unnamed one is refused, as the contract's features are named;"
                + " list every feature of the shape, set allow_unknown_features: true, or fix the shape");
        load("""
                  default:
                    shape: [4]
                    allow_unknown_features: true
                    features: {a: {required: false}}
                """);
    }

    @Test
    void aValidationRuleThatShrinksTheShapeIsCheckedAsMerged() {
        PolicyError e = rejected("""
                  default:
                    shape: [3]
                    features: {a: {}, b: {}, c: {}}
                  rules:
                    - id: small
                      when: {roles: [x]}
                      contract: {shape: [2]}
                """);
        assertThat(e.message()).startsWith("validation.rules[0].contract.features: 3 features must be in every"
                + " request (3 required [a, b, c]) but the shape [2] holds 2 values");
        assertThat(e.line()).as("the rule's contract, which holds no features of its own").isEqualTo(12);
    }

    @Test
    void contractsSomeRequestCanPassLoad() {
        // as many required features as values
        load("""
                  default:
                    shape: [3]
                    features: {a: {}, b: {}, c: {}}
                """);
        // optional features beyond the shape: a request names 3 of them
        load("""
                  default:
                    shape: [3]
                    features: {a: {}, b: {}, c: {required: false}, d: {required: false}}
                """);
        // any length
        load("""
                  default:
                    shape: []
                    features: {a: {}, b: {}, c: {}, d: {}, e: {}}
                """);
        // fewer listed features than values, but other features are allowed
        load("""
                  default:
                    shape: [4]
                    allow_unknown_features: true
                    features: {a: {}}
                """);
        // a rule reading fewer features than the shape holds
        load("""
                  default:
                    shape: [3]
                    allow_unknown_features: true
                    features: {a: {}, b: {}}
                    cross_field:
                      - {id: r, expr: "a <= b"}
                """);
    }

    /** A required feature whose own range misses the contract's range: every request was refused. */
    @Test
    void aRequiredFeatureWhoseRangeMissesTheGlobalRange() {
        PolicyError e = rejected("""
                  default:
                    shape: []
                    range: {min: 0, max: 1}
                    features: {age: {min: 18, max: 120}, income: {min: 0}}
                """);
        assertThat(e).isEqualTo(new PolicyError("policy.veil.yaml", 9, 5, "validation.default.features: feature 'age'"
                + " must be in every request and within its range [18, 120], but every value must also be within the"
                + " contract's range [0, 1]: no value is in both, so no request can pass; fix one of the ranges, or"
                + " make the feature optional (required: false)"));
        // optional: a request without it passes
        load("""
                  default:
                    shape: []
                    range: {min: 0, max: 1}
                    features: {age: {min: 18, max: 120, required: false}, income: {min: 0}}
                """);
    }

    /**
     * Statistics of unscaled data (pixels 0 to 255) under a contract of scaled inputs (0 to 1): the
     * |z| bound leaves a feature no value inside the range, and every request was refused as out of
     * distribution.
     */
    @Test
    void distributionBoundsThatMissTheRangeForSomeFeature() {
        String stats = """
                {"mean": [0.5, 128], "std": [0.2, 40], "summary": {"mean": [0, 255], "std": [0, 200], "roughness": [0, 255]}}""";
        PolicyError e = ValidationPolicies.rejected(dir, "contradictions", """
                  default:
                    shape: [2]
                    range: {min: 0, max: 1}
                    distribution: {stats: training.stats, max_abs_z: 3}
                """, stats);
        assertThat(e).isEqualTo(new PolicyError("policy.veil.yaml", 9, 5, "validation.default.distribution: the"
                + " value at index 1 must be within max_abs_z of its training mean, which leaves no value within the"
                + " contract's range [0, 1]: no request can pass; were the statistics computed on differently scaled"
                + " data? Recompute them on inputs as the model receives them, or fix the range"));
        ValidationPolicies.load(dir, "contradictions", """
                  default:
                    shape: [2]
                    range: {min: 0, max: 255}
                    distribution: {stats: training.stats, max_abs_z: 3}
                """, stats);
    }
}
