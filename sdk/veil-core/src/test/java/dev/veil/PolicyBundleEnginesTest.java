package dev.veil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bundle no registered engine handles is refused with what to do. veil-core's tests run without
 * veil-rego, as a service does whose shaded jar lost veil-rego's service registration: a bundle of
 * .rego modules then names the engines that are registered and how to keep veil-rego's.
 */
class PolicyBundleEnginesTest {
    @TempDir
    Path dir;

    @Test
    void aRegoBundleWithoutTheRegoEngineNamesTheRegisteredEnginesAndTheShadingFix() throws IOException {
        Files.createDirectories(dir.resolve("veil/access"));
        Files.writeString(dir.resolve("veil/access/access.rego"), "package veil.access\n\ndecision := {\"allow\": true}\n");
        assertThatThrownBy(() -> PolicyBundle.load(dir))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("no policy in " + dir)
                // this module's tests also register a test engine, "faulty"
                .hasMessageMatching("(?s).*the bundle has \\.rego modules but the policy engines registered are "
                        + "\\[[a-z, ]*yaml[a-z, ]*\\]: put veil-rego on the class path.*")
                .hasMessageNotContaining("rego]")
                .hasMessageContaining("ServicesResourceTransformer");
    }

    @Test
    void aBundleWithNoPolicyAtAllSaysWhatIsExpectedOnly() throws IOException {
        Files.writeString(dir.resolve("data.json"), "{}");
        assertThatThrownBy(() -> PolicyBundle.load(dir))
                .isInstanceOf(PolicyLoadException.class)
                .hasMessageContaining("expected one *.veil.yaml file (or .rego modules with veil-rego on the class path)")
                .hasMessageNotContaining("engines registered");
    }
}
