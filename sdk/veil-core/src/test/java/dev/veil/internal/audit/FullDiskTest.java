package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk: a 64 KiB tmpfs mounted for the test. Mounting needs root (as in CI and the
 * README's test command); elsewhere the test is skipped and says so.
 */
class FullDiskTest {
    @TempDir
    Path tmp;
    private Path mount;

    @BeforeEach
    void mountSmallDisk() throws Exception {
        mount = tmp.resolve("small");
        Files.createDirectories(mount);
        boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount.toString()) == 0;
        Assumptions.assumeTrue(mounted, "cannot mount a 64 KiB tmpfs (needs root and the mount command): the "
                + "full-disk tests of the audit log are skipped");
    }

    @AfterEach
    void unmount() throws Exception {
        if (mount != null) {
            run("umount", mount.toString());
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

    @Test
    void aDurableLogThatFillsTheDiskEndsWithAWholeRecordAndOpensAgain() throws Exception {
        Path file = mount.resolve("audit.jsonl");
        int written = 0;
        try (AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).durable())) {
            for (int i = 0; i < 10_000; i++) {
                try {
                    w.append(AuditFixtures.fullRelease("r" + i));
                    written++;
                } catch (AuditUnavailableException full) {
                    break;
                }
            }
        } catch (AuditUnavailableException closedAfterFailure) {
            // close() reports the failure again
        }
        assertThat(written).as("records before the disk filled").isGreaterThan(0).isLessThan(10_000);
        AuditVerification v = AuditLog.verify(file);
        assertThat(v.ok()).as(v.message()).isTrue();
        assertThat(v.records()).as("every record whose append returned, and no other").isEqualTo(written);
        // once there is room again the log opens and its chain goes on
        Path moved = tmp.resolve("audit.jsonl");
        Files.copy(file, moved);
        try (AuditWriter w = AuditWriters.open(AuditLog.jsonLines(moved).durable())) {
            w.append(AuditFixtures.fullRelease("after"));
        }
        assertThat(AuditLog.verify(moved).records()).isEqualTo(written + 1);
    }

    @Test
    void anAsyncLogThatFillsTheDiskEndsWithAWholeRecord() throws Exception {
        Path file = mount.resolve("audit.jsonl");
        AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).async(64, java.time.Duration.ofSeconds(5)));
        for (int i = 0; i < 10_000; i++) {
            try {
                w.append(AuditFixtures.fullRelease("r" + i));
            } catch (AuditUnavailableException full) {
                break;
            }
        }
        assertThatThrownBy(w::close).isInstanceOf(AuditUnavailableException.class);
        AuditVerification v = AuditLog.verify(file);
        assertThat(v.ok()).as(v.message()).isTrue();
        // the writer batches what the queue holds, so how many batches fitted before the disk filled
        // varies; what must hold: the disk did fill, and the file has exactly the written records
        assertThat(w.stats().lost()).as("records of the batch that did not fit").isGreaterThan(0);
        assertThat(w.stats().recordsWritten()).as("records the writer counts as written are in the file")
                .isEqualTo(v.records());
    }
}
