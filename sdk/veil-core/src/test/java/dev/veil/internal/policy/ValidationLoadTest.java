package dev.veil.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.PolicyBundle;
import dev.veil.PolicyError;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Validation sections that would check less than they say are refused when the bundle loads, with
 * the file, line and column: summary statistics with ranges missing, a cross-field rule reading a
 * feature the contract does not list, a shape whose size does not fit an int.
 */
class ValidationLoadTest {
    @TempDir
    Path dir;

    private PolicyBundle load(String validation, String stats) {
        return ValidationPolicies.load(dir, "validation-load", validation, stats);
    }

    private PolicyError rejected(String validation, String stats) {
        return ValidationPolicies.rejected(dir, "validation-load", validation, stats);
    }

    private static final String SUMMARY_CHECK = """
              default:
                shape: [2]
                features: {a: {min: 0, max: 10}, b: {min: 0, max: 10}}
                distribution: {stats: training.stats, summary: true}
            """;

    @Test
    void summaryStatisticsMustHoldEveryRangeTheCheckUses() {
        String stats = """
                {"names": ["a", "b"], "mean": [5, 5], "std": [1, 1], "summary": SUMMARY}""";
        assertThat(rejected(SUMMARY_CHECK, stats.replace("SUMMARY", "{}")).message())
                .contains("data.training.stats: summary.mean is missing; the summary check needs the ranges of mean,"
                        + " std and roughness: recompute the statistics with veil stats");
        assertThat(rejected(SUMMARY_CHECK, stats.replace("SUMMARY", "{\"mean\": [0, 10], \"roughness\": [0, 10]}"))
                .message()).contains("data.training.stats: summary.std is missing; ");
        load(SUMMARY_CHECK, stats.replace("SUMMARY",
                "{\"mean\": [0, 10], \"std\": [0, 10], \"roughness\": [0, 10]}"));
        // not used: only what is there is validated
        load(SUMMARY_CHECK.replace("summary: true", "summary: false, max_abs_z: 4"),
                stats.replace("SUMMARY", "{\"roughness\": [0, 10]}"));
    }

    @Test
    void aCrossFieldRuleReadsOnlyListedFeaturesEvenWhenOthersAreAllowed() {
        String contract = """
                  default:
                    shape: []
                    allow_unknown_features: true
                    features:
                      income: {min: 0}
                      loan: {min: 0}
                    cross_field:
                      - {id: loan-vs-income, expr: "loan <= 20 * INCOME"}
                """;
        PolicyError e = rejected(contract.replace("INCOME", "incme"), null);
        assertThat(e).isEqualTo(new PolicyError("policy.veil.yaml", 12, 5, "validation.default.cross_field: "
                + "cross_field rule 'loan-vs-income': unknown feature 'incme'; a rule reads only the features the"
                + " contract lists [income, loan]: list it under features or fix the name at column 14 of"
                + " 'loan <= 20 * incme'"));
        assertThat(rejected("""
                  default:
                    shape: []
                    cross_field:
                      - {id: positive, expr: "x > 0"}
                """, null).message()).contains("unknown feature 'x'; a rule reads only the features the contract"
                        + " lists (none): ");
        load(contract.replace("INCOME", "income"), null);
    }

    @Test
    void aCrossFieldRuleNestedTooDeeplyIsALoadErrorNotAStackOverflow() {
        PolicyError e = rejected("""
                  default:
                    shape: []
                    features: {age: {min: 0}, years_employed: {min: 0}}
                    cross_field:
                      - {id: tenure, expr: "years_employed <= PARENS - 14"}
                """.replace("PARENS", "(".repeat(3000) + "age" + ")".repeat(3000)), null);
        assertThat(e.file()).isEqualTo("policy.veil.yaml");
        assertThat(e.line()).isEqualTo(9);
        assertThat(e.column()).isEqualTo(5);
        assertThat(e.message()).startsWith("validation.default.cross_field: cross_field rule 'tenure': the "
                + "expression nests more than 200 levels deep").contains(" at column 219 of ");
    }

    @Test
    void aShapeWhoseSizeDoesNotFitAnIntIsRefusedNotWrapped() {
        // 16 * 26983373 * 218641 * 1954213 is 784 modulo 2^64
        PolicyError e = rejected("""
                  default:
                    shape: [16, 26983373, 218641, 1954213]
                """, null);
        assertThat(e).isEqualTo(new PolicyError("policy.veil.yaml", 7, 5, "validation.default.shape: the shape"
                + " [16, 26983373, 218641, 1954213] holds more than 2147483647 values (the largest array a Java"
                + " vector can hold); check its dimensions"));
        assertThat(rejected("""
                  default:
                    shape: [784]
                  rules:
                    - id: huge
                      when: {roles: [x]}
                      contract: {shape: [65536, 32768]}
                """, null).message()).startsWith("validation.rules[0].contract.shape: the shape [65536, 32768] holds"
                        + " more than 2147483647 values");
        load("""
                  default:
                    shape: [1, 2147483647]
                """, null);
    }
}
