package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.AuditVerification;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the audit log verifier ({@code veil audit verify}), which reads files that an intruder may
 * have edited: whatever the bytes, it returns a verdict, never throws. A verdict of "ok" needs every
 * line to end with a newline (a last line without one was cut), counts exactly those lines and names
 * no broken line; any other verdict names a broken line within the input and says what is wrong.
 *
 * <p>A normal build runs the regression corpus in
 * {@code src/test/resources/dev/veil/internal/audit/AuditVerifyFuzzTestInputs/verify/} (a real log
 * of a few records and edits of it). To fuzz:
 * {@code JAZZER_FUZZ=1 mvn -pl sdk/veil-core test -Dtest=AuditVerifyFuzzTest -Djacoco.skip=true
 * -Djazzer.hooks=true}; a failing input is written to that directory and becomes a regression case.
 */
class AuditVerifyFuzzTest {
    /** The seeds mean what their names say: an intact log and three kinds of tampering. */
    @Test
    void seedsAreAnIntactLogAndItsTamperedCopies() throws IOException {
        assertThat(verdict("four-records")).satisfies(v -> assertThat(v.ok()).isTrue(),
                v -> assertThat(v.records()).isEqualTo(4));
        assertThat(verdict("edited").firstBrokenLine()).isEqualTo(1);
        assertThat(verdict("removed").firstBrokenLine()).isEqualTo(2);
        assertThat(verdict("truncated").firstBrokenLine()).isEqualTo(4);
    }

    private static AuditVerification verdict(String seed) throws IOException {
        try (InputStream in = AuditVerifyFuzzTest.class.getResourceAsStream("AuditVerifyFuzzTestInputs/verify/" + seed)) {
            return AuditVerifier.verify(in);
        }
    }

    @FuzzTest(maxDuration = "2m")
    void verify(byte[] log) throws IOException {
        AuditVerification v = AuditVerifier.verify(new ByteArrayInputStream(log));
        long newlines = 0;
        for (byte b : log) {
            if (b == '\n') {
                newlines++;
            }
        }
        long lines = newlines + (log.length > 0 && log[log.length - 1] != '\n' ? 1 : 0);
        assertThat(v.message()).isNotBlank();
        if (v.ok()) {
            assertThat(lines).isEqualTo(newlines);
            assertThat(v.records()).isEqualTo(newlines);
            assertThat(v.firstBrokenLine()).isZero();
            assertThat(v.lastHash()).matches("[0-9a-f]{64}");
        } else {
            assertThat(v.firstBrokenLine()).isBetween(1L, lines);
        }
    }
}
