package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One writer per audit log across processes: a second JVM, started from here, tries to open the
 * log this one holds. The lock must survive everything this process does with the log meanwhile
 * (writing, verifying it), and must not outlive the process that held it.
 */
@Timeout(120)
class AuditFileLockTest {

    @TempDir
    Path dir;

    @Test
    void aSecondProcessIsRefusedWhileThisOneWritesAndVerifiesAndAllowedOnceItCloses() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).durable())) {
            for (int i = 0; i < 20; i++) {
                w.append(AuditFixtures.denial("parent-" + i));
            }
            // opening and closing the log in this process (as AuditLog.verify does) must keep the lock
            assertThat(AuditLog.verify(file).records()).isEqualTo(20);

            Other other = Other.start(file);
            assertThat(other.firstLine()).isEqualTo("refused: audit log " + file
                    + " is locked by another process (its lock file " + file + ".lock); each writer needs its own file");
            assertThat(other.exit()).isEqualTo(3);

            w.append(AuditFixtures.denial("parent-last"));
        }
        Other after = Other.start(file);
        assertThat(after.firstLine()).isEqualTo("opened");
        after.release();
        assertThat(after.exit()).isZero();

        AuditVerification v = AuditLog.verify(file);
        assertThat(v.ok()).as(v.message()).isTrue();
        assertThat(v.records()).isEqualTo(22);
    }

    @Test
    void aLockFileLeftByAKilledWriterDoesNotBlockTheNext() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        Other holder = Other.start(file);
        assertThat(holder.firstLine()).isEqualTo("opened");
        assertThatRefusedHere(file);
        holder.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        assertThat(dir.resolve("audit.jsonl.lock")).exists(); // left behind: its lock, not its existence, matters

        try (AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).durable())) {
            w.append(AuditFixtures.denial("next"));
        }
        AuditVerification v = AuditLog.verify(file);
        assertThat(v.ok()).as(v.message()).isTrue();
        assertThat(v.records()).isEqualTo(2);
    }

    private static void assertThatRefusedHere(Path file) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AuditWriters.open(AuditLog.jsonLines(file)))
                .isInstanceOf(AuditUnavailableException.class)
                .hasMessageContaining("is locked by another process");
    }

    /** The other JVM: {@link Holder} over the file. */
    private record Other(Process process, BufferedReader out) {
        static Other start(Path file) throws IOException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Holder.class.getName(),
                    file.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            return new Other(p, new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
        }

        String firstLine() throws IOException {
            return out.readLine();
        }

        void release() throws IOException {
            OutputStream in = process.getOutputStream();
            in.write('\n');
            in.flush();
        }

        int exit() throws InterruptedException {
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            return process.exitValue();
        }
    }

    /**
     * Run in the other JVM: opens the log (durable), prints {@code opened} and writes one record,
     * then holds it until a line arrives on standard input; or prints {@code refused: <message>}
     * and exits with 3.
     */
    public static final class Holder {
        public static void main(String[] args) throws IOException {
            Path file = Path.of(args[0]);
            AuditWriter w;
            try {
                w = AuditWriters.open(AuditLog.jsonLines(file).durable());
            } catch (AuditUnavailableException e) {
                System.out.println("refused: " + e.getMessage());
                System.out.flush();
                System.exit(3);
                return;
            }
            w.append(AuditFixtures.denial("other-process"));
            System.out.println("opened");
            System.out.flush();
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            w.close();
            System.exit(Files.size(file) > 0 ? 0 : 4);
        }
    }
}
