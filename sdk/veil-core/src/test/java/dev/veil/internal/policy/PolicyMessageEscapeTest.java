package dev.veil.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.veil.LogCapture;
import dev.veil.PolicyBundle;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.internal.text.ControlChars;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A load error quotes the bundle's own text (a key, a value, a file name); an application logs
 * {@link PolicyLoadException#getMessage()} as it is, so the characters that hide or reorder text
 * (U+202E, the escape that starts a terminal command) come out as escapes, in the message as in the
 * error's file.
 */
class PolicyMessageEscapeTest {
    /** As a YAML double-quoted scalar writes U+202E and ESC (a YAML file cannot hold ESC raw). */
    static final String HOSTILE = "x\\u202Ey\\e[2Jz";
    /** The same, as the characters themselves (a file system's name may hold ESC). */
    static final String RAW = "x\u202Ey\u001B[2Jz";
    static final String SHOWN = "x\\u202ey\\u001b[2Jz";

    @TempDir
    Path dir;

    PolicyLoadException load(String policy) {
        write("policy.veil.yaml", policy);
        write("keys.json", YamlPolicyEngineTest.KEYS);
        return catchThrowableOfType(() -> PolicyBundle.load(dir), PolicyLoadException.class);
    }

    void write(String name, String content) {
        try {
            Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void assertEscaped(PolicyLoadException e, String quoted) {
        assertThat(e).as("load error").isNotNull();
        PolicyError error = e.errors().get(0);
        assertThat(error.message()).contains(quoted);
        assertThat(ControlChars.hiddenIndexIn(error.message())).as(error.message()).isEqualTo(-1);
        assertThat(ControlChars.hiddenIndexIn(e.getMessage())).as(e.getMessage()).isEqualTo(-1);
        assertThat(e.getMessage()).contains(SHOWN);
    }

    @Test
    void aKeyIsQuotedEscaped() {
        PolicyLoadException e = load(YamlPolicyEngineTest.POLICY.replace("daily_quota: 1000",
                "\"daily" + HOSTILE + "\": 1000"));
        assertEscaped(e, "unknown key 'daily" + SHOWN + "'");
    }

    @Test
    void aValueIsQuotedEscaped() {
        PolicyLoadException e = load(YamlPolicyEngineTest.POLICY.replace("- id: banned",
                "- id: \"" + HOSTILE + "\"").replace("- id: partners", "- id: \"" + HOSTILE + "\""));
        assertEscaped(e, "duplicate rule id '" + SHOWN + "'");
    }

    @Test
    void aFileNameIsQuotedEscaped() {
        PolicyLoadException e = load(YamlPolicyEngineTest.POLICY.replace("file: keys.json",
                "file: \"keys" + HOSTILE + ".json\""));
        assertEscaped(e, "'keys" + SHOWN + ".json' is not in the bundle");
    }

    @Test
    void aFileNameOfTheBundleIsQuotedEscaped() {
        write("keys\u202E.json", YamlPolicyEngineTest.KEYS); // ESC is refused in an entry's name
        PolicyLoadException e = load(YamlPolicyEngineTest.POLICY.replace("file: keys.json", "file: nokeys.json"));
        assertThat(e).isNotNull();
        assertThat(ControlChars.hiddenIndexIn(e.getMessage())).as(e.getMessage()).isEqualTo(-1);
        assertThat(e.errors().get(0).message()).contains("keys\\u202e.json");
    }

    @Test
    void aBundlesSourceIsEscapedInTheUnverifiedSignatureWarning() throws Exception {
        Path bundle = Files.createDirectory(dir.resolve("bundle-" + RAW));
        Files.writeString(bundle.resolve("policy.veil.yaml"), YamlPolicyEngineTest.POLICY, StandardCharsets.UTF_8);
        Files.writeString(bundle.resolve("keys.json"), YamlPolicyEngineTest.KEYS);
        Files.writeString(bundle.resolve(".signatures.json"), "{\"signatures\": []}");
        List<String> warnings;
        try (LogCapture log = LogCapture.warnings(PolicyBundle.class.getName())) {
            PolicyBundle.load(bundle);
            warnings = log.messages();
        }
        assertThat(warnings).singleElement().asString().contains("bundle-" + SHOWN + " has a signature")
                .satisfies(m -> assertThat(ControlChars.hiddenIndexIn(m)).as(m).isEqualTo(-1));
    }
}
