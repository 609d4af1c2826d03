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
import org.junit.jupiter.api.AfterEach;
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
        mount = SmallTmpfs.mount(tmp, "1m", "the test of opening a terabyte log is skipped");
    }

    @AfterEach
    void unmount() throws Exception {
        SmallTmpfs.unmount(mount);
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
