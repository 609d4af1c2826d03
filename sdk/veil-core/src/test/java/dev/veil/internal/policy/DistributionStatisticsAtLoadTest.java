package dev.veil.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.PolicyBundle;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Errors of the distribution check point at what is wrong: a bound of the policy at its key in the
 * policy file, checked before the statistics are read; a bad field of the statistics at the data
 * file that holds it, with its line and column.
 */
class DistributionStatisticsAtLoadTest {
    /** The policy, with {@code DISTRIBUTION} replaced by the distribution mapping (line 9). */
    private static final String POLICY = """
            veil: 1
            name: stats
            authentication: { anonymous: true }
            access: { default: { effect: allow } }
            validation:
              default:
                shape: [2]
                distribution:
                  DISTRIBUTION
            output: { default: { form: full } }
            """;

    /** Good statistics, one field per line. */
    private static final String STATS = """
            {"stats": {
              "mean": [5, 5],
              "std": [1,
                      STD],
              "summary": {"mean": [0, 10], "std": [0, 10], "roughness": [0, 10]}
            }}
            """;

    @TempDir
    Path dir;

    private void write(String name, String content) {
        try {
            Path p = dir.resolve(name);
            Files.createDirectories(p.getParent());
            Files.writeString(p, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private PolicyError error(String distribution) {
        write("p.veil.yaml", POLICY.replace("DISTRIBUTION", distribution));
        try {
            PolicyBundle.load(dir);
        } catch (PolicyLoadException e) {
            assertThat(e.errors()).hasSize(1);
            return e.errors().get(0);
        }
        throw new AssertionError("the bundle loaded");
    }

    @Test
    void aBadValueInTheStatisticsIsReportedAtItsLineAndColumnInTheDataFile() {
        write("training/data.json", STATS.replace("STD", "-1"));
        assertThat(error("{stats: training.stats, max_rms_z: 4}")).isEqualTo(new PolicyError("training/data.json", 4, 11,
                "data.training.stats: std[1] must be >= 0, was -1.0"));
        write("training/data.json", STATS.replace("STD", "\"one\""));
        assertThat(error("{stats: training.stats, max_rms_z: 4}")).isEqualTo(new PolicyError("training/data.json", 4, 11,
                "data.training.stats: std[1] must be a number, was a string"));
        write("training/data.json", STATS.replace("STD", "1").replace("\"mean\": [5, 5],", "\"mean\": [5, 5], \"median\": 3,"));
        assertThat(error("{stats: training.stats, max_rms_z: 4}")).isEqualTo(new PolicyError("training/data.json", 2, 19,
                "data.training.stats: unknown field 'median'; the statistics have the fields names, mean, std, summary,"
                        + " samples"));
    }

    @Test
    void aMissingFieldIsReportedAtTheStatisticsThatLackIt() {
        write("training/data.json", "{\n  \"stats\": {\"mean\": [5, 5]}\n}\n");
        assertThat(error("{stats: training.stats, max_rms_z: 4, summary: false}")).isEqualTo(new PolicyError(
                "training/data.json", 2, 3, "data.training.stats: std is missing"));
    }

    @Test
    void statisticsInTheirOwnDataFileOrInYamlAreFoundThere() {
        write("training/stats/data.yaml", """
                mean: [5, 5]
                std: [1, -2]
                summary: {mean: [0, 10], std: [0, 10], roughness: [0, 10]}
                """);
        assertThat(error("{stats: training.stats, max_rms_z: 4}")).isEqualTo(new PolicyError(
                "training/stats/data.yaml", 2, 10, "data.training.stats: std[1] must be >= 0, was -2.0"));
    }

    @Test
    void thePolicysOwnBoundsAreCheckedFirstEachAtItsKey() {
        write("training/data.json", STATS.replace("STD", "-1")); // broken too: the bound is reported
        PolicyError rms = error("{stats: training.stats, max_rms_z: -3}");
        assertThat(rms).isEqualTo(new PolicyError("p.veil.yaml", 9, 31,
                "validation.default.distribution.max_rms_z: must be >= 0 (0 = off), was -3.0"));
        assertThat(error("{stats: training.stats, max_abs_z: -1, max_rms_z: 4}").message())
                .isEqualTo("validation.default.distribution.max_abs_z: must be >= 0 (0 = off), was -1.0");
        assertThat(error("{stats: training.stats, std_floor: 0, max_rms_z: 4}").message())
                .isEqualTo("validation.default.distribution.std_floor: must be > 0, was 0.0");
    }

    @Test
    void goodStatisticsLoad() {
        write("training/data.json", STATS.replace("STD", "1"));
        write("p.veil.yaml", POLICY.replace("DISTRIBUTION", "{stats: training.stats, max_rms_z: 4}"));
        assertThat(PolicyBundle.load(dir)).isNotNull();
    }
}
