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
        // at the rule's expr, not the cross_field list (line 12)
        assertThat(e).isEqualTo(new PolicyError("policy.veil.yaml", 13, 30, "validation.default.cross_field[0].expr: "
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

    /** The error points at the rule that fails, not at the first rule or the list, after rules that compile. */
    @Test
    void aCrossFieldErrorPointsAtTheFailingRulesOwnExpr() {
        PolicyError e = rejected("""
                  default:
                    shape: []
                    features: {income: {min: 0}, loan: {min: 0}}
                    cross_field:
                      - {id: fine, expr: "loan >= 0"}
                      - {id: broken, expr: "loan <= 20 *"}
                """, null);
        assertThat(e.line()).isEqualTo(11);
        assertThat(e.column()).isEqualTo(22); // the rule's expr key
        assertThat(e.message()).startsWith("validation.default.cross_field[1].expr: cross_field rule 'broken': ");
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
        assertThat(e.line()).isEqualTo(10);
        assertThat(e.column()).isEqualTo(22);
        assertThat(e.message()).startsWith("validation.default.cross_field[0].expr: cross_field rule 'tenure': the "
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

    private static final String STATS_2 = """
            {"mean": [0, 0], "std": [1, 1], "summary": {"mean": [-1, 1], "std": [0, 2], "roughness": [0, 3]}}""";

    /**
     * A number beyond the double range reads as an infinity, and a non-zero one below it as 0: a
     * bound of 1e400 then passed the "refuses nothing" check while refusing nothing, a feature min of
     * 1e400 made a contract no request passes, and max_rms_z 1e-400 turned the RMS check off. Data
     * files already refuse such numbers; the policy file does too, at their line and column.
     */
    @Test
    void aNumberBeyondTheDoubleRangeOrBelowItIsRefusedNotReadAsInfinityOrZero() {
        PolicyError e = rejected("""
                  default:
                    shape: [2]
                    distribution: {stats: training.stats, max_abs_z: 1e400, summary: false}
                """, STATS_2);
        assertThat(e.line()).isEqualTo(8);
        assertThat(e.column()).isEqualTo(54);
        assertThat(e.message()).isEqualTo("number 1e400 at validation.default.distribution.max_abs_z is out of range"
                + " (not a finite 64-bit floating point number, whose largest is about 1.8e308); write a smaller"
                + " number, or leave the key out for no bound where the key allows it");
        assertThat(rejected("""
                  default:
                    shape: []
                    features: {a: {min: -1e999}}
                """, null).message()).startsWith("number -1e999 at validation.default.features.a.min is out of range");
        assertThat(rejected("""
                  default:
                    shape: []
                    range: {max: 1%s}
                """.formatted("0".repeat(400)), null).message())
                .startsWith("number 1" + "0".repeat(400) + " at validation.default.range.max is out of range");
        e = rejected("""
                  default:
                    shape: [2]
                    distribution: {stats: training.stats, max_rms_z: 1e-400}
                """, STATS_2);
        assertThat(e.line()).isEqualTo(8);
        assertThat(e.message()).isEqualTo("number 1e-400 at validation.default.distribution.max_rms_z is too close"
                + " to 0 for a 64-bit floating point number and would read as 0 (which turns some checks off);"
                + " write a larger number, or 0");
        // what a double holds still loads: the largest, the smallest subnormal, zero written any way
        load("""
                  default:
                    shape: [2]
                    range: {min: -1.7976931348623157e308, max: 4.9e-324}
                    distribution: {stats: training.stats, max_abs_z: 0.0e-999, max_rms_z: 3, summary: false}
                """, STATS_2);
    }

    /**
     * "caf\u00e9" (NFC) and "cafe\u0301" (NFD) print the same but are two keys: the duplicate-key
     * check missed them, and the contract loaded two features that look like one, with different
     * bounds, each refused as missing from a request that sends the other. Refused at the features.
     */
    @Test
    void twoFeatureNamesThatDifferOnlyInUnicodeNormalisationAreRefused() {
        PolicyError e = rejected("""
                  default:
                    shape: []
                    features: {"caf\u00e9": {max: 1}, "cafe\u0301": {max: 2}}
                """, null);
        assertThat(e.line()).isEqualTo(8);
        assertThat(e.column()).isEqualTo(5);
        assertThat(e.message()).isEqualTo("validation.default.features: features 'caf\\u00e9' and 'cafe\\u0301' are"
                + " one name in two Unicode forms (they print alike, and a request's key matches only the form it is"
                + " written in); list the feature once, in one form (NFC: 'caf\\u00e9')");
        // one form alone loads, whichever
        load("""
                  default:
                    shape: []
                    features: {"cafe\u0301": {max: 2}}
                """, null);
    }

    /**
     * A std_floor below the smallest normal double (1e-310) made 1 / std_floor infinite, so the RMS
     * z-score of an input exactly at the training mean was 0 * infinity = NaN: refused as "too far
     * from the training data", against the documented z = (x - mean) / max(std, std_floor) = 0.
     */
    @Test
    void aStdFloorWhoseInverseOverflowsIsRefused() {
        PolicyError e = rejected("""
                  default:
                    shape: [2]
                    distribution: {stats: training.stats, std_floor: 1e-310, max_rms_z: 3, summary: false}
                """, STATS_2.replace("\"std\": [1, 1]", "\"std\": [0, 1]"));
        assertThat(e.line()).isEqualTo(8);
        assertThat(e.column()).isEqualTo(43);
        assertThat(e.message()).isEqualTo("validation.default.distribution.std_floor: must be at least"
                + " 2.2250738585072014E-308 (below it 1 / std_floor overflows and z-scores are infinite or NaN), was"
                + " 1.0E-310");
        load("""
                  default:
                    shape: [2]
                    distribution: {stats: training.stats, std_floor: 2.2250738585072014e-308, max_rms_z: 3, summary: false}
                """, STATS_2);
    }

    /**
     * A feature name with an invisible character ("income" + U+200B) read as "income" in the policy
     * but matched no request's "income": declared optional with other features allowed, the real
     * income passed unchecked (1e9 against a max of 100). Feature names get the checks caller ids and
     * roles get (and must not be blank); refused at the contract's features.
     */
    @Test
    void aFeatureNameThatReadsAsAnotherIsRefused() {
        PolicyError e = rejected("""
                  default:
                    shape: []
                    allow_unknown_features: true
                    features: {"income\u200b": {required: false, max: 100}}
                """, null);
        assertThat(e.line()).isEqualTo(9);
        assertThat(e.column()).isEqualTo(5);
        assertThat(e.message()).isEqualTo("validation.default.features: feature name contains an invisible format"
                + " character (U+200B at position 6, 'income?'): it would be a name of its own that reads as another;"
                + " remove it");
        assertThat(rejected("""
                  default:
                    shape: []
                    features: {"income ": {}}
                """, null).message()).startsWith("validation.default.features: feature name has leading or trailing"
                + " whitespace ('income ')");
        assertThat(rejected("""
                  default:
                    shape: []
                    features: {"\u00a0": {}}
                """, null).message()).isEqualTo("validation.default.features: feature names must be non-blank (white"
                + " space alone, no-break spaces included, is blank), was ' '");
    }
    /**
     * A bad name is refused before anything else of the contract is read: the error of a feature's
     * own range (or of the statistics) would otherwise quote the name in its path, invisible
     * character and all.
     */
    @Test
    void aBadFeatureNameIsRefusedBeforeItsRangeIsRead() {
        PolicyError e = rejected("""
                  default:
                    shape: []
                    features: {"income\u200b": {min: 2, max: 1}}
                """, null);
        assertThat(e.line()).isEqualTo(8);
        assertThat(e.message()).startsWith("validation.default.features: feature name contains an invisible format"
                + " character (U+200B at position 6");
    }
}
