package dev.veil.internal.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.PolicyLoadException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzes bundle archives, the files an operator may download from a bundle server: whatever the
 * bytes, loading a {@code .tar.gz} bundle either gives its contents or throws
 * {@link PolicyLoadException} with at least one error; never another exception, and nothing is
 * written anywhere (the archive is read in memory). The input is the tar stream, which the test
 * compresses (so that the fuzzer mutates tar headers, not deflate blocks), or, when it starts with
 * gzip's magic bytes, the file as it is.
 *
 * <p>A normal build runs the regression corpus in
 * {@code src/test/resources/dev/veil/internal/bundle/BundleArchiveFuzzTestInputs/archive/}. To fuzz:
 * {@code JAZZER_FUZZ=1 mvn -pl sdk/veil-core test -Dtest=BundleArchiveFuzzTest -Djacoco.skip=true
 * -Djazzer.hooks=true}; a failing input is written to that directory and becomes a regression case.
 */
class BundleArchiveFuzzTest {
    private static final Path FILE = tempFile();

    @FuzzTest(maxDuration = "2m")
    void archive(byte[] input) throws IOException {
        boolean gzip = input.length >= 2 && (input[0] & 0xff) == 0x1f && (input[1] & 0xff) == 0x8b;
        Files.write(FILE, gzip ? input : TestTar.gzip(input));
        try {
            LoadedBundle b = BundleLoader.load(FILE);
            assertThat(b.files()).allSatisfy(name -> {
                assertThat(name).doesNotStartWith("/").doesNotContain("\\").isNotEmpty();
                assertThat(name.split("/", -1)).doesNotContain("..", ".", "");
            });
        } catch (PolicyLoadException e) {
            assertThat(e.errors()).isNotEmpty().allSatisfy(err -> assertThat(err.message()).isNotBlank());
        }
    }

    private static Path tempFile() {
        try {
            Path f = Files.createTempFile("veil-fuzz-", ".tar.gz");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
