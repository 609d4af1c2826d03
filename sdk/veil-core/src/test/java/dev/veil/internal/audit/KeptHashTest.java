package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A hash kept from an earlier check: some record must still have it as its own hash. */
class KeptHashTest {

    private static AuditVerification verify(byte[] log, String kept) throws IOException {
        return AuditVerifier.verify(new ByteArrayInputStream(log), kept);
    }

    @Test
    void aKeptHashPassesWhileTheLogOnlyGrowsAndFailsOnceItsRecordIsCutOff() throws IOException {
        byte[] two = AuditFixtures.log(List.of(AuditFixtures.fullRelease("d1"), AuditFixtures.fullRelease("d2")));
        String firstHash = AuditFixtures.verify(AuditFixtures.join(AuditFixtures.lines(two).subList(0, 1))).lastHash();
        String lastHash = AuditFixtures.verify(two).lastHash();

        assertThat(verify(two, firstHash).ok()).as("the log grew after the first record's hash was kept").isTrue();
        assertThat(verify(two, lastHash).ok()).isTrue();
        assertThat(verify(two, AuditSerializer.ZERO_HASH).ok()).isTrue();

        byte[] cut = AuditFixtures.join(AuditFixtures.lines(two).subList(0, 1));
        AuditVerification v = verify(cut, lastHash);
        assertThat(v.ok()).isFalse();
        assertThat(v.records()).isEqualTo(1);
        assertThat(v.firstBrokenLine()).isEqualTo(2);
        assertThat(v.message()).isEqualTo("no record of the log has the hash " + lastHash + " kept from an earlier "
                + "check (its last record's is " + firstHash + "): records were removed from its end, or it was "
                + "rewritten");
        assertThat(AuditFixtures.verify(cut).ok()).as("the chain alone cannot see it").isTrue();
    }

    @Test
    void theApiTakesOnlyALowercaseHash(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("audit.jsonl");
        Files.write(file, AuditFixtures.log(List.of(AuditFixtures.fullRelease("d1"))));
        String last = AuditLog.verify(file).lastHash();

        assertThat(AuditLog.verify(file, last).ok()).isTrue();
        assertThatThrownBy(() -> AuditLog.verify(file, last.toUpperCase(java.util.Locale.ROOT)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("keptHash must be 64 lowercase hexadecimal digits");
    }
}
