package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.assertFails;
import static dev.veil.cli.CliTestSupport.quickstartBundle;
import static dev.veil.cli.CliTestSupport.s;
import static dev.veil.cli.CliTestSupport.veil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.cli.CliTestSupport.QuickstartBundle;
import dev.veil.cli.CliTestSupport.Result;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file the CLI reads whole (an input document, a key store, trusted keys) is capped at the
 * bundle loader's per-file limit: a 3 GB file is one line and exit 2, not an OutOfMemoryError.
 */
class FileSizeCapTest {
    static final long HUGE = 3L << 30;

    @TempDir
    Path tmp;

    /** A sparse file of {@code size} bytes: no disk, and no memory unless read whole. */
    Path sparse(String name, long size) throws Exception {
        Path p = tmp.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
        }
        return p;
    }

    @Test
    void aHugeEvalInputIsRefusedWithItsSize() throws Exception {
        QuickstartBundle bundle = quickstartBundle(tmp.resolve("bundle"));
        Path input = sparse("input.json", HUGE);
        Result r = veil("eval", "--bundle", s(bundle.dir()), "--input", s(input));
        assertFails(r, 2, "veil eval: --input " + input + ": is 3221225472 bytes, more than the 16 MiB (16777216"
                + " bytes) a file read here may hold; is it the right file?");
        assertThat(r.errLines()).hasSize(1);
    }

    @Test
    void aHugeKeyStoreIsRefusedAndLeftAlone() throws Exception {
        Path store = sparse("keys.json", HUGE);
        Result r = veil("key", "create", "--caller", "carol", "--store", s(store));
        assertFails(r, 2, "veil key create: --store " + store + ": is 3221225472 bytes, more than the 16 MiB");
        assertThat(r.errLines()).hasSize(1);
        assertThat(Files.size(store)).isEqualTo(HUGE);
    }

    @Test
    void hugeTrustedKeysAreRefusedWithTheirSize() throws Exception {
        QuickstartBundle bundle = quickstartBundle(tmp.resolve("bundle"));
        Path trusted = sparse("trusted.json", HUGE);
        Result r = veil("bundle", "verify", s(bundle.dir()), "--trusted-keys", s(trusted));
        assertFails(r, 2, "veil bundle verify: --trusted-keys " + trusted + ": the file is 3221225472 bytes, more"
                + " than the 16 MiB (16777216 bytes) a trusted-keys file may hold (a bundle file's limit); give the"
                + " JWK Set file");
        assertThat(r.errLines()).hasSize(1);
    }

    @Test
    void aFileAtTheCapIsReadAndOneByteMoreIsNot() throws Exception {
        QuickstartBundle bundle = quickstartBundle(tmp.resolve("bundle"));
        // 16 MiB of zero bytes is read (and is no JSON); one byte more is refused unread
        Path input = sparse("input.json", CliFiles.MAX_READ_BYTES);
        assertFails(veil("eval", "--bundle", s(bundle.dir()), "--input", s(input)), 2, "veil eval: ");
        assertThat(veil("eval", "--bundle", s(bundle.dir()), "--input", s(input)).err())
                .doesNotContain("more than the 16 MiB");
        Path over = sparse("over.json", CliFiles.MAX_READ_BYTES + 1);
        assertFails(veil("eval", "--bundle", s(bundle.dir()), "--input", s(over)), 2,
                "is 16777217 bytes, more than the 16 MiB (16777216 bytes)");
    }
}
