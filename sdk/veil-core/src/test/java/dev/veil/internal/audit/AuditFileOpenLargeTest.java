package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opening a log reads its last line, not the whole file: a log of a terabyte (a sparse file, a hole
 * followed by one record, on a 1 MiB tmpfs mounted for the test, so that nothing can fill a disk)
 * opens at once when its last record is sound. Reading the terabyte to number the last line, as
 * opening once did for a message it only needs when the line is broken, takes many minutes. Mounting
 * needs root (as in CI and FullDiskTest); elsewhere the test is skipped and says so.
 */
class AuditFileOpenLargeTest {
    private static final long TIB = 1L << 40;

    @TempDir
    Path tmp;
    private Path mount;

    @BeforeEach
    void mountSmallDisk() throws Exception {
        mount = tmp.resolve("small");
        Files.createDirectories(mount);
        boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.toString()) == 0;
        Assumptions.assumeTrue(mounted, "cannot mount a 1 MiB tmpfs (needs root and the mount command): the test of "
                + "opening a terabyte log is skipped");
    }

    @AfterEach
    void unmount() throws Exception {
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

    /** A terabyte of zero bytes without a newline, a newline, then {@code last} (one line, with its newline). */
    private Path terabyteEndingWith(byte[] last) throws IOException {
        Path file = mount.resolve("audit.jsonl");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(TIB); // a hole: no block of the tmpfs is taken
            f.write('\n');
            f.write(last);
        }
        return file;
    }

    @Test
    void shouldOpenATerabyteLogWhoseLastRecordIsSoundWithoutReadingWhatComesBefore() throws Exception {
        byte[] record = AuditFixtures.log(List.of(AuditFixtures.denial("d-last")));
        String hash = AuditFixtures.parse(new String(record, StandardCharsets.UTF_8).trim()).get("hash").asText();
        Path file = terabyteEndingWith(record);

        AuditFile opened = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> AuditFile.open(file));
        try {
            assertThat(opened.lastHash()).isEqualTo(hash);
        } finally {
            opened.close();
        }
    }

    @Test
    void shouldStillNumberTheBrokenLastLineOfALog() throws Exception {
        // the error path counts the lines before the broken one (here 2 newlines: before it, 3 lines)
        Path file = mount.resolve("broken.jsonl");
        Files.write(file, ("x\n\n" + "{\"decision_id\":\"d\"}\n").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> AuditFile.open(file)).isInstanceOf(AuditUnavailableException.class)
                .hasMessageContaining("is broken: line 3 ");
    }
}
