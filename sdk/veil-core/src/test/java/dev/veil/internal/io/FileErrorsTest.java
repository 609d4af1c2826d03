package dev.veil.internal.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

class FileErrorsTest {
    @Test
    void theReasonIsInWordsWithoutTheExceptionsName() {
        assertThat(FileErrors.reason(new AccessDeniedException("/b/x.rego"))).isEqualTo("permission denied");
        assertThat(FileErrors.reason(new NoSuchFileException("/b/x.rego"))).isEqualTo("no such file or directory");
        assertThat(FileErrors.reason(new FileSystemException("/b/x.rego", null, "Input/output error")))
                .isEqualTo("input/output error");
        assertThat(FileErrors.reason(new FileSystemException("/b/x.rego", null, "I/O error"))).isEqualTo("I/O error");
        assertThat(FileErrors.reason(new FileSystemException("/b/x.rego"))).isEqualTo("the system gave no reason");
        assertThat(FileErrors.reason(new IOException("Stale file handle"))).isEqualTo("Stale file handle");
        assertThat(FileErrors.reason(new IOException())).isEqualTo("an input/output error");
    }
}
