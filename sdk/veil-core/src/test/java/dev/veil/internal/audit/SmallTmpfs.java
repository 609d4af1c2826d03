package dev.veil.internal.audit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A tmpfs of a given size mounted for one test, for a real full disk or a real sparse file. Mounting
 * needs root (as in CI and the README's test command); elsewhere the test is skipped with the given
 * reason.
 */
final class SmallTmpfs {
    private SmallTmpfs() {}

    /** Mounts a tmpfs of {@code size} (as mount's {@code size=} option) at {@code dir/small}, or skips. */
    static Path mount(Path dir, String size, String skipped) throws IOException, InterruptedException {
        Path mount = dir.resolve("small");
        Files.createDirectories(mount);
        boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mount.toString()) == 0;
        Assumptions.assumeTrue(mounted, "cannot mount a " + size + " tmpfs (needs root and the mount command): "
                + skipped);
        return mount;
    }

    /** Unmounts lazily: a writer a failed test left open must not keep the mount (and its tmpfs) alive. */
    static void unmount(Path mount) throws IOException, InterruptedException {
        if (mount != null) {
            run("umount", "-l", mount.toString());
        }
    }

    private static int run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
