package dev.veil.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.PolicyBundle;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Bundles that differ only in their validation section (and their statistics), for the tests of
 * what a validation contract may say: written to {@code dir} and loaded. The policy file is
 * {@code policy.veil.yaml}; its validation section starts at line 6.
 */
final class ValidationPolicies {
    private static final String POLICY = """
            veil: 1
            name: NAME
            authentication: { anonymous: true }
            access: { default: { effect: allow } }
            validation:
            VALIDATION
            output: { default: { form: full } }
            """;

    private ValidationPolicies() {}

    /**
     * Writes a bundle whose validation section is {@code validation} (indented as under
     * {@code validation:}) and, unless null, {@code training/data.json} holding {@code {"stats": stats}}.
     */
    static PolicyBundle load(Path dir, String name, String validation, String stats) {
        try {
            Files.writeString(dir.resolve("policy.veil.yaml"),
                    POLICY.replace("NAME", name).replace("VALIDATION\n", validation), StandardCharsets.UTF_8);
            if (stats != null) {
                Files.createDirectories(dir.resolve("training"));
                Files.writeString(dir.resolve("training/data.json"), "{\"stats\": " + stats + "}",
                        StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return PolicyBundle.load(dir);
    }

    /** The one load error of {@link #load}; fails the test when the bundle loads, or has several errors. */
    static PolicyError rejected(Path dir, String name, String validation, String stats) {
        try {
            load(dir, name, validation, stats);
        } catch (PolicyLoadException e) {
            assertThat(e.errors()).hasSize(1);
            return e.errors().get(0);
        }
        throw new AssertionError("expected the policy to be rejected:\n" + validation);
    }
}
