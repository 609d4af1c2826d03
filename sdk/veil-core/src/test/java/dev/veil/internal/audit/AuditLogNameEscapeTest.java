package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.AuditLog;
import dev.veil.LogCapture;
import dev.veil.internal.text.ControlChars;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit writers' log lines name the audit log by the file name the operator gave: the characters
 * that hide or reorder text (U+202E, the escape that starts a terminal command) come out as escapes.
 */
class AuditLogNameEscapeTest {
    static final String HOSTILE = "x\u202Ey\u001B[2Jz";
    static final String SHOWN = "x\\u202ey\\u001b[2Jz";

    @TempDir
    Path dir;

    @Test
    void anAuditLogsNameIsEscapedInTheRenamedWarning() throws Exception {
        Path file = dir.resolve("audit-" + HOSTILE + ".jsonl");
        Path kept = dir.resolve("kept.jsonl");
        List<String> warnings;
        try (LogCapture log = LogCapture.warnings("dev.veil.audit");
                AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).durable())) {
            w.append(AuditFixtures.denial("before"));
            Files.createLink(kept, file);
            Files.delete(file);
            w.append(AuditFixtures.denial("after"));
            warnings = log.messages();
        }
        assertThat(warnings).singleElement().asString()
                .contains("audit log " + dir.resolve("audit-" + SHOWN + ".jsonl") + " was renamed")
                .satisfies(m -> assertThat(ControlChars.hiddenIndexIn(m)).as(m).isEqualTo(-1));
    }
}
