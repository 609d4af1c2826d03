package dev.veil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A number in a data file that a double cannot hold is a load error at the number, as in the policy
 * file: {@code 1e-400} would read as 0 (a threshold or a statistic of 0, which turns a check off),
 * {@code 1e400} as an infinity. What a double does hold, however small, still loads.
 */
class PolicyBundleDataNumbersTest {
    @TempDir
    Path dir;
    private int bundles;

    /** A fresh bundle directory holding the test policy and one data file. */
    private GuardFixtures.BundleDir bundleWith(String file, String text) {
        return GuardFixtures.bundle(dir.resolve("b" + bundles++)).file(file, text);
    }

    private PolicyError refused(String file, String text) {
        PolicyLoadException e = catchThrowableOfType(() -> bundleWith(file, text).load(),
                PolicyLoadException.class);
        assertThat(e).as("the bundle must not load").isNotNull();
        assertThat(e.errors()).as(e.getMessage()).hasSize(1);
        return e.errors().get(0);
    }

    private Object loaded(String file, String text) {
        return bundleWith(file, text).load().contents().data("t.x.a");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e-400", "-1e-400", "0.00001e-320", "2.5E-999"})
    void aJsonOrYamlDataNumberThatReadsAsZeroIsRefusedAtItsLineAndColumn(String n) {
        PolicyError e = refused("t/data.json", "{\"x\": {\n  \"a\": " + n + "}}");
        assertThat(e.file()).isEqualTo("t/data.json");
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.column()).isEqualTo(8);
        assertThat(e.message()).isEqualTo("number " + n + " at x.a is too close to 0 for a 64-bit floating point"
                + " number and would read as 0 (which turns some checks off); write a larger number, or 0");
        e = refused("t/data.yaml", "x:\n  a: [1, " + n + "]\n");
        assertThat(e.file()).isEqualTo("t/data.yaml");
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.column()).isEqualTo(10);
        assertThat(e.message()).startsWith("number " + n + " at x.a[1] is too close to 0 for a 64-bit floating");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e400", "-1e400"})
    void aJsonOrYamlDataNumberBeyondTheDoubleRangeIsRefused(String n) {
        PolicyError e = refused("t/data.json", "{\"x\": {\"a\": " + n + "}}");
        assertThat(e.file()).isEqualTo("t/data.json");
        assertThat(e.line()).isEqualTo(1);
        assertThat(e.message()).contains(n).contains("out of range");
        e = refused("t/data.yaml", "x: {a: " + n + "}\n");
        assertThat(e.file()).isEqualTo("t/data.yaml");
        assertThat(e.message()).contains(n).contains("out of range");
    }

    @ParameterizedTest
    @ValueSource(strings = {".inf", "-.inf", ".Inf", ".nan", ".NaN"})
    void yamlInfinitiesAndNanAreRefusedInDataFiles(String n) {
        PolicyError e = refused("t/data.yaml", "x:\n  a: " + n + "\n");
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.message()).startsWith("unquoted " + n + " at x.a is an infinity or NaN");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "0.0", "-0.0", "0e-999", "1e-300", "4.9e-324", "-4.9e-324", "1.7976931348623157e308"})
    void whatADoubleHoldsStillLoadsFromJsonAndYaml(String n) {
        Object json = loaded("t/data.json", "{\"x\": {\"a\": " + n + "}}");
        Object yaml = loaded("t/data.yaml", "x: {a: " + n + "}\n");
        double expected = Double.parseDouble(n);
        assertThat(json).isInstanceOf(Number.class).isEqualTo(yaml);
        assertThat(((Number) json).doubleValue()).isEqualTo(expected);
    }
}
