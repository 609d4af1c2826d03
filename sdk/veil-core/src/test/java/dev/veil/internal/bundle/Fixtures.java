package dev.veil.internal.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Helpers shared by the bundle tests. */
final class Fixtures {
    private Fixtures() {}

    static Path write(Path root, String rel, String content) {
        return write(root, rel, content.getBytes(StandardCharsets.UTF_8));
    }

    static Path write(Path root, String rel, byte[] content) {
        try {
            Path p = root.resolve(rel);
            Files.createDirectories(p.getParent());
            Files.write(p, content);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object value) {
        assertThat(value).isInstanceOf(Map.class);
        return (Map<String, Object>) value;
    }

    /** Runs a command (the system tar, mkfifo) and fails the test if it fails. */
    static void run(Path workDir, String... command) {
        try {
            Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("command finished: %s", List.of(command)).isTrue();
            assertThat(p.exitValue()).as("exit code of %s; output: %s", List.of(command), output).isZero();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** {@code tar -czf archive -C dir [extra...] .} with the system tar. */
    static Path tarGz(Path dir, Path archive, String... extra) {
        List<String> cmd = new ArrayList<>(List.of("tar", "-czf", archive.toString()));
        cmd.addAll(List.of(extra));
        cmd.addAll(List.of("-C", dir.toString(), "."));
        run(dir, cmd.toArray(String[]::new));
        return archive;
    }

    /** Runs the call, asserts it throws a PolicyLoadException and returns its errors. */
    static List<PolicyError> errors(ThrowingCallable call) {
        PolicyLoadException e = catchThrowableOfType(PolicyLoadException.class, call);
        assertThat(e).as("a PolicyLoadException").isNotNull();
        return e.errors();
    }

    /** The only error of a PolicyLoadException thrown by the call. */
    static PolicyError error(ThrowingCallable call) {
        List<PolicyError> errors = errors(call);
        assertThat(errors).hasSize(1);
        return errors.get(0);
    }
}
