package dev.veil.internal.bundle;

import static dev.veil.internal.bundle.Fixtures.error;
import static dev.veil.internal.bundle.Fixtures.tarGz;
import static dev.veil.internal.bundle.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BundleLoaderArchiveTest {
    private static final String LONG_DIR = "veil/one-directory-level/two-directory-level/three-directory-level/"
            + "four-directory-level/five-directory-level/";

    @TempDir
    Path tmp;

    private Path archive(byte[] gz) throws IOException {
        Path p = tmp.resolve("bundle-" + System.nanoTime() + ".tar.gz");
        Files.write(p, gz);
        return p;
    }

    private Path sampleDirectory() {
        Path dir = tmp.resolve("src");
        write(dir, ".manifest", "{\"revision\": \"7\", \"roots\": [\"veil\"]}");
        write(dir, "veil/data.json", "{\"a\": 1}");
        write(dir, "veil/keys/data.yaml", "k: v\n");
        write(dir, "veil/policy.rego", "package veil\n");
        write(dir, "veil/output.veil.yaml", "output: {}\n");
        write(dir, LONG_DIR + "data.json", "{\"deep\": true}");
        return dir;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gnu", "pax", "ustar", "posix"})
    void shouldLoadArchiveWrittenBySystemTarLikeTheDirectory(String format) {
        Path dir = sampleDirectory();
        Path tgz = tarGz(dir, tmp.resolve("b.tar.gz"), "--format=" + format);

        LoadedBundle fromDir = BundleLoader.load(dir);
        LoadedBundle fromTar = BundleLoader.load(tgz);

        assertThat(LONG_DIR.length()).isGreaterThan(100);
        assertThat(fromTar.files()).isEqualTo(fromDir.files()).contains(LONG_DIR + "data.json");
        for (String f : fromDir.files()) {
            assertThat(fromTar.read(f)).as(f).isEqualTo(fromDir.read(f));
        }
        assertThat(fromTar.data()).isEqualTo(fromDir.data());
        assertThat(fromTar.revision()).isEqualTo("7");
        assertThat(fromTar.source()).isEqualTo(tgz.toString());
    }

    @Test
    void shouldRecogniseGzipByContentWhateverTheName() throws IOException {
        Path dir = sampleDirectory();
        Path tgz = tarGz(dir, tmp.resolve("b.tar.gz"));
        Path renamed = Files.copy(tgz, tmp.resolve("bundle.bin"));
        assertThat(BundleLoader.load(renamed).files()).contains("veil/policy.rego");
    }

    @Test
    void shouldRejectSymlinkStoredBySystemTar() throws IOException {
        Path dir = tmp.resolve("src");
        write(dir, "data.json", "{}");
        Files.createSymbolicLink(dir.resolve("passwd"), Path.of("data.json"));
        Path tgz = tarGz(dir, tmp.resolve("b.tar.gz"));
        PolicyError e = error(() -> BundleLoader.load(tgz));
        assertThat(e.file()).isEqualTo("./passwd");
        assertThat(e.message()).isEqualTo("tar entry is a symbolic link; a bundle may hold only regular files and"
                + " directories");
    }

    @Test
    void shouldRejectHardLinkStoredBySystemTar() throws IOException {
        Path dir = tmp.resolve("src");
        write(dir, "a.rego", "package a\n");
        Files.createLink(dir.resolve("b.rego"), dir.resolve("a.rego"));
        Path tgz = tarGz(dir, tmp.resolve("b.tar.gz"));
        assertThat(error(() -> BundleLoader.load(tgz)).message()).startsWith("tar entry is a hard link");
    }

    @Test
    void shouldIgnoreHiddenEntriesInArchive() throws IOException {
        Path dir = tmp.resolve("src");
        write(dir, ".git/HEAD", "ref: refs/heads/main\n");
        write(dir, ".DS_Store", "junk");
        write(dir, ".manifest", "{}");
        write(dir, "p.rego", "package p\n");
        Path tgz = tarGz(dir, tmp.resolve("b.tar.gz"));
        assertThat(BundleLoader.load(tgz).files()).containsExactly(".manifest", "p.rego");
    }

    @Test
    void shouldReadPaxPathGnuLongNameUstarPrefixAndIgnorePaxGlobalHeaders() throws IOException {
        String longName = "a/" + "b".repeat(120) + "/data.json";
        byte[] gz = new TestTar()
                .paxRecords('g', TestTar.paxRecord("comment", "made by hand"))
                .paxPath("from/pax.rego").file("ignored-short-name", "package pax")
                .gnuLongName(longName).file("ignored-too", "{\"x\": 1}")
                .ustarSplit("with/prefix", "file.rego", "package prefixed")
                .dir("./").dir("empty/")
                .end().gzipped();
        LoadedBundle b = BundleLoader.load(archive(gz));
        assertThat(b.files()).containsExactly(longName, "from/pax.rego", "with/prefix/file.rego");
        assertThat(b.data("a." + "b".repeat(120) + ".x")).isEqualTo(1L);
    }

    @Test
    void shouldUsePaxSizeRecord() throws IOException {
        byte[] records = concat(TestTar.paxRecord("path", "p.rego"), TestTar.paxRecord("size", "9"));
        TestTar tar = new TestTar().paxRecords('x', records);
        tar.raw(TestTar.header("p.rego", '0', 0, "", "")).content("package p".getBytes(StandardCharsets.UTF_8));
        assertThat(new String(BundleLoader.load(archive(tar.end().gzipped())).read("p.rego"), StandardCharsets.UTF_8))
                .isEqualTo("package p");
    }

    @Test
    void shouldRejectParentSegmentNamingTheEntry() throws IOException {
        byte[] gz = new TestTar().file("ok.rego", "package ok").file("../../etc/cron.d/evil", "x").end().gzipped();
        PolicyError e = error(() -> BundleLoader.load(archive(gz)));
        assertThat(e.file()).isEqualTo("../../etc/cron.d/evil");
        assertThat(e.message()).isEqualTo("entry path contains a '..' segment, which would escape the bundle");
    }

    @Test
    void shouldRejectParentSegmentInTheMiddle() throws IOException {
        byte[] gz = new TestTar().file("a/../../evil", "x").end().gzipped();
        assertThat(error(() -> BundleLoader.load(archive(gz))).file()).isEqualTo("a/../../evil");
    }

    @Test
    void shouldRejectAbsolutePath() throws IOException {
        byte[] gz = new TestTar().file("/etc/passwd", "root:x:0:0").end().gzipped();
        PolicyError e = error(() -> BundleLoader.load(archive(gz)));
        assertThat(e.file()).isEqualTo("/etc/passwd");
        assertThat(e.message()).isEqualTo("entry has an absolute path; bundle entries must be relative");
    }

    @Test
    void shouldRejectTraversalHiddenInPaxPath() throws IOException {
        byte[] gz = new TestTar().paxPath("../escape.rego").file("innocent.rego", "x").end().gzipped();
        assertThat(error(() -> BundleLoader.load(archive(gz))).file()).isEqualTo("../escape.rego");
    }

    @Test
    void shouldRejectTraversalHiddenInGnuLongName() throws IOException {
        String name = "../" + "x".repeat(120);
        byte[] gz = new TestTar().gnuLongName(name).file("innocent.rego", "x").end().gzipped();
        assertThat(error(() -> BundleLoader.load(archive(gz))).file()).isEqualTo(name);
    }

    @Test
    void shouldRejectTraversalHiddenInUstarPrefix() throws IOException {
        byte[] gz = new TestTar().ustarSplit("..", "evil.rego", "x").end().gzipped();
        assertThat(error(() -> BundleLoader.load(archive(gz))).file()).isEqualTo("../evil.rego");
    }

    @Test
    void shouldRejectBackslashInName() throws IOException {
        byte[] gz = new TestTar().file("..\\evil.rego", "x").end().gzipped();
        assertThat(error(() -> BundleLoader.load(archive(gz))).message()).contains("backslash");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1:a hard link", "2:a symbolic link", "3:a character device", "4:a block device",
            "6:a FIFO", "S:a GNU sparse file", "Z:of unsupported type 'Z'"})
    void shouldRejectEntriesThatAreNotRegularFilesOrDirectories(String typeAndDescription) throws IOException {
        char type = typeAndDescription.charAt(0);
        String description = typeAndDescription.substring(2);
        byte[] gz = new TestTar().entry("link.rego", type, new byte[0], "/etc/shadow").end().gzipped();
        PolicyError e = error(() -> BundleLoader.load(archive(gz)));
        assertThat(e.file()).isEqualTo("link.rego");
        assertThat(e.message()).isEqualTo("tar entry is " + description
                + "; a bundle may hold only regular files and directories");
    }

    @Test
    void shouldRejectDuplicateEntries() throws IOException {
        byte[] gz = new TestTar().file("a.rego", "package a").file("./a.rego", "package evil").end().gzipped();
        PolicyError e = error(() -> BundleLoader.load(archive(gz)));
        assertThat(e.file()).isEqualTo("./a.rego");
        assertThat(e.message()).isEqualTo("duplicate entry: 'a.rego' appears more than once");
    }

    @Test
    void shouldRejectPathThatIsBothFileAndDirectory() throws IOException {
        byte[] fileThenChild = new TestTar().file("a", "x").file("a/b.rego", "y").end().gzipped();
        assertThat(error(() -> BundleLoader.load(archive(fileThenChild))).message())
                .isEqualTo("'a' is both a file and a directory");
        byte[] dirThenFile = new TestTar().dir("a/").file("a", "x").end().gzipped();
        assertThat(error(() -> BundleLoader.load(archive(dirThenFile))).message())
                .isEqualTo("'a' is both a file and a directory");
        byte[] fileThenDir = new TestTar().file("a", "x").dir("a/b/").end().gzipped();
        assertThat(error(() -> BundleLoader.load(archive(fileThenDir))).message())
                .isEqualTo("'a' is both a file and a directory");
    }

    @Test
    void shouldRejectMoreThanTenThousandFiles() throws IOException {
        TestTar tar = new TestTar();
        for (int i = 0; i <= 10_000; i++) {
            tar.file("f/" + i + ".rego", new byte[0]);
        }
        PolicyError e = error(() -> BundleLoader.load(archive(tar.end().gzipped())));
        assertThat(e.file()).isEqualTo("f/10000.rego");
        assertThat(e.message()).isEqualTo("the bundle holds more than 10000 files; split it or remove files it does"
                + " not need");
    }

    @Test
    void shouldRejectFileOverSixteenMebibytesFromItsHeaderAlone() throws IOException {
        byte[] gz = new TestTar().headerOnly("huge.json", '0', (16L << 20) + 1).gzipped();
        PolicyError e = error(() -> BundleLoader.load(archive(gz)));
        assertThat(e.file()).isEqualTo("huge.json");
        assertThat(e.message())
                .isEqualTo("file is 16777217 bytes; a single file may be at most 16 MiB (16777216 bytes)");
    }

    @Test
    void shouldAcceptFileAtExactlyTheLimit() throws IOException {
        BundleLimits limits = new BundleLimits(10, 1000, 5000);
        byte[] ok = new TestTar().file("a.bin", new byte[1000]).end().gzipped();
        assertThat(BundleLoader.load(archive(ok), limits).read("a.bin")).hasSize(1000);
        byte[] over = new TestTar().file("a.bin", new byte[1001]).end().gzipped();
        assertThat(error(() -> BundleLoader.load(archive(over), limits)).message()).startsWith("file is 1001 bytes");
    }

    @Test
    void shouldRejectBase256SizeThatIsTooLarge() throws IOException {
        byte[] header = TestTar.header("bomb.bin", '0', 0, "", "");
        Arrays.fill(header, 124, 136, (byte) 0);
        header[124] = (byte) 0x80;
        header[131] = 0x40; // 2^38 bytes = 256 GiB, GNU base-256 encoding
        TestTar.fixChecksum(header);
        PolicyError e = error(() -> BundleLoader.load(archive(TestTar.gzip(header))));
        assertThat(e.message()).startsWith("file is 274877906944 bytes");
    }

    @Test
    void shouldStopAtTheHeaderThatPassesTheTotalLimitWithoutReadingFurther() throws IOException {
        // Five 15 MiB files of zeros: the fifth passes 64 MiB. The fifth file's content is stored
        // uncompressed in its own gzip member, so reading it would consume 15 MiB of input.
        byte[] zeros = new byte[15 << 20];
        byte[] zerosMember = TestTar.gzip(zeros);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < 4; i++) {
            out.write(TestTar.gzip(TestTar.header("z" + i + ".bin", '0', zeros.length, "", "")));
            out.write(zerosMember);
        }
        out.write(TestTar.gzip(TestTar.header("z4.bin", '0', zeros.length, "", "")));
        int before = out.size();
        out.write(storedGzip(zeros));
        byte[] bomb = out.toByteArray();

        CountingInputStream counting = new CountingInputStream(new ByteArrayInputStream(bomb));
        EntryCollector collector = new EntryCollector("bomb", BundleLimits.DEFAULTS);
        PolicyError e = error(() -> BundleLoader.readGzip(counting, collector));
        assertThat(e.file()).isEqualTo("z4.bin");
        assertThat(e.message()).startsWith("the bundle's files add up to more than 64 MiB (67108864 bytes)"
                + " (decompressed)");
        assertThat(counting.count).as("compressed bytes consumed").isLessThan(before + (256 << 10));
        assertThat(bomb.length).isGreaterThan(before + (15 << 20));
    }

    @Test
    void shouldRejectDecompressionBombAfterTheEndMarker() throws IOException {
        BundleLimits limits = new BundleLimits(4, 1024, 4096);
        byte[] tar = concat(new TestTar().file("a.rego", "package a").end().bytes(), new byte[8 << 20]);
        PolicyError e = error(() -> BundleLoader.load(archive(TestTar.gzip(tar)), limits));
        assertThat(e.file()).isEqualTo("<bundle>");
        assertThat(e.message()).contains("decompresses to more than " + limits.maxStreamBytes() + " bytes;"
                + " rejected as a possible gzip bomb");
    }

    /** A few hundred bytes of gzip used to make the loader keep every prefix of the name: about 1 GB. */
    @Test
    void shouldRejectAPaxPathOfThirtyTwoThousandSegmentsBeforeBuildingAnythingFromIt() throws IOException {
        String name = "a/".repeat(32_000) + "f";
        byte[] gz = new TestTar().paxPath(name).file("ignored", "x").end().gzipped();
        assertThat(gz.length).isLessThan(1024);
        PolicyError e = error(() -> BundleLoader.load(archive(gz)));
        assertThat(e.file()).isEqualTo("a/".repeat(30) + "... (64001 bytes)");
        assertThat(e.message()).isEqualTo("entry path is 64001 bytes long; a bundle path may be at most 4096 bytes");
    }

    @Test
    void shouldRejectOversizedPaxHeader() throws IOException {
        byte[] records = TestTar.paxRecord("comment", "x".repeat(70_000));
        byte[] gz = new TestTar().paxRecords('g', records).end().gzipped();
        assertThat(error(() -> BundleLoader.load(archive(gz))).message())
                .startsWith("pax global header is " + records.length + " bytes; at most 65536 are accepted");
    }

    /**
     * Bytes after the end of the gzip stream are refused, saying how many and where they start:
     * zero bytes, which {@code gzip -t} ignores with a warning, as well as other bytes (a bundle is
     * signed content; what follows its stream is no part of it). A second gzip member is part of the
     * stream, as for gzip.
     */
    @Test
    void shouldRejectBytesAfterTheEndOfTheGzipStreamSayingHowManyAndWhere() throws IOException {
        byte[] gz = new TestTar().file("a.rego", "package a").end().gzipped();
        Path padded = archive(concat(gz, new byte[1024]));
        assertThat(error(() -> BundleLoader.load(padded)).message()).isEqualTo("bundle " + padded + ": 1024 zero "
                + "bytes after the end of the gzip stream (at byte offset " + gz.length + "): gzip ignores trailing "
                + "zeros, but the file must end where its gzip stream does: truncate it to " + gz.length + " bytes");
        Path garbage = archive(concat(gz, "garbage!".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        assertThat(error(() -> BundleLoader.load(garbage)).message()).isEqualTo("bundle " + garbage + ": trailing "
                + "garbage or a damaged gzip member at byte offset " + gz.length + ": found 67 61 where a gzip member "
                + "(1f 8b) or the end of the file must follow gzip member 1 (8 bytes after the end of the gzip "
                + "stream)");
        byte[] empty = TestTar.gzip(new byte[0]);
        assertThat(BundleLoader.load(archive(concat(gz, empty))).files()).contains("a.rego");
    }

    @Test
    void shouldRejectCorruptGzipTrailer() throws IOException {
        byte[] gz = new TestTar().file("a.rego", "package a").end().gzipped();
        gz[gz.length - 6] ^= 0x55; // inside the CRC-32
        assertThat(error(() -> BundleLoader.load(archive(gz))).message())
                .contains(": gzip member 1 (at byte offset 0): CRC-32 mismatch (its trailer at byte offset "
                        + (gz.length - 8) + " says ").endsWith("the data is damaged");
    }

    @Test
    void shouldRejectTruncatedGzip() throws IOException {
        byte[] gz = new TestTar().file("a.rego", "package a".repeat(500)).end().gzipped();
        byte[] cut = Arrays.copyOf(gz, gz.length / 2);
        assertThat(error(() -> BundleLoader.load(archive(cut))).message()).contains(": cut short: the file ends at "
                + "byte offset " + cut.length + " inside the compressed data of gzip member 1 (at byte offset 0)");
    }

    @Test
    void shouldRejectGzipWithBadHeader() throws IOException {
        byte[] gz = new TestTar().file("a.rego", "package a").end().gzipped();
        gz[2] = 7; // compression method other than deflate
        assertThat(error(() -> BundleLoader.load(archive(gz))).message()).endsWith(": gzip member 1 (at byte offset 0) "
                + "has compression method 7, not 8 (deflate): a damaged header");
    }

    @Test
    void shouldRejectTarHeaderWithBadChecksum() throws IOException {
        byte[] tar = new TestTar().file("a.rego", "package a").end().bytes();
        tar[0] = 'b';
        PolicyError e = error(() -> BundleLoader.load(archive(TestTar.gzip(tar))));
        assertThat(e.message()).contains("tar archive is corrupt: header checksum mismatch").contains("'b.rego'");
    }

    @Test
    void shouldRejectNonOctalSize() throws IOException {
        byte[] header = TestTar.header("a.rego", '0', 0, "", "");
        header[125] = '9';
        TestTar.fixChecksum(header);
        PolicyError e = error(() -> BundleLoader.load(archive(TestTar.gzip(concat(header, new byte[1024])))));
        assertThat(e.file()).isEqualTo("a.rego");
        assertThat(e.message()).isEqualTo("tar header field 'size' is not an octal number");
    }

    @Test
    void shouldRejectArchiveWithoutEndMarker() throws IOException {
        byte[] gz = new TestTar().file("a.rego", "package a").gzipped();
        assertThat(error(() -> BundleLoader.load(archive(gz))).message())
                .startsWith("tar archive is truncated: it ends without an end-of-archive marker");
    }

    @Test
    void shouldRejectArchiveTruncatedInsideAnEntry() throws IOException {
        byte[] tar = new TestTar().file("a.rego", new byte[2000]).bytes();
        byte[] gz = TestTar.gzip(Arrays.copyOf(tar, 512 + 1024));
        PolicyError e = error(() -> BundleLoader.load(archive(gz)));
        assertThat(e.file()).isEqualTo("a.rego");
        assertThat(e.message()).isEqualTo("tar archive is truncated inside this entry (1024 of 2000 bytes)");
    }

    @Test
    void shouldRejectPartialBlock() throws IOException {
        byte[] tar = concat(new TestTar().file("a.rego", "x").bytes(), new byte[100]);
        tar[tar.length - 1] = 1;
        assertThat(error(() -> BundleLoader.load(archive(TestTar.gzip(tar)))).message())
                .contains("its last block has 100 of 512 bytes");
    }

    /**
     * After the end-of-archive marker only zero padding may follow (tar fills its last record of
     * 10240 bytes with zeros, and that must still load); other data there, such as a second archive
     * appended to the first, is refused, saying where the archive ends and where the data starts.
     */
    @Test
    void shouldRejectDataAfterTheEndOfArchiveMarkerButLoadZeroPadding() throws IOException {
        byte[] tar = new TestTar().file("a.rego", "package a").end().bytes(); // 512 + 512 + 1024 bytes
        byte[] record = Arrays.copyOf(tar, 10240); // as tar writes it: padded to its record size
        assertThat(BundleLoader.load(archive(TestTar.gzip(record))).files()).contains("a.rego");
        assertThat(BundleLoader.load(archive(TestTar.gzip(concat(record, new byte[100_000])))).files())
                .contains("a.rego");

        Path appended = archive(TestTar.gzip(concat(tar, new TestTar().file("b.rego", "package b").end().bytes())));
        assertThat(error(() -> BundleLoader.load(appended)).message()).isEqualTo("bundle " + appended + ": data after "
                + "the tar archive's end-of-archive marker: the archive ends at byte offset 2048 of the decompressed "
                + "tar, but a non-zero byte follows at offset 2048 (2048 bytes after the marker; only zero padding may "
                + "follow it): a second archive appended to the first, or a damaged one; build the .tar.gz again from "
                + "the bundle's directory (tar -C bundle -czf bundle.tar.gz .)");
        byte[] stray = record.clone();
        stray[10239] = 1; // the last byte of the record
        Path late = archive(TestTar.gzip(stray));
        assertThat(error(() -> BundleLoader.load(late)).message()).contains("the archive ends at byte offset 2048 of "
                + "the decompressed tar, but a non-zero byte follows at offset 10239 (8192 bytes after the marker;");
    }

    @Test
    void shouldRejectEntriesAfterASingleZeroBlock() throws IOException {
        byte[] tar = concat(new byte[512], new TestTar().file("a.rego", "x").end().bytes());
        assertThat(error(() -> BundleLoader.load(archive(TestTar.gzip(tar)))).message())
                .contains("a zero block is followed by more entries");
    }

    @Test
    void shouldRejectDirectoryEntryWithContent() throws IOException {
        byte[] tar = new TestTar().entry("d/", '5', new byte[10], "").end().bytes();
        assertThat(error(() -> BundleLoader.load(archive(TestTar.gzip(tar)))).message())
                .contains("tar directory entry declares content (10 bytes)");
    }

    @Test
    void shouldRejectNameThatIsNotUtf8() throws IOException {
        byte[] header = TestTar.header("ab.rego", '0', 0, "", "");
        header[1] = (byte) 0xff;
        TestTar.fixChecksum(header);
        assertThat(error(() -> BundleLoader.load(archive(TestTar.gzip(concat(header, new byte[1024]))))).message())
                .contains("entry name is not valid UTF-8");
    }

    /**
     * A name refused before its control characters are checked (not UTF-8) still prints as one line:
     * the error's file escapes them, so no fake line ("signature: verified") reaches a log.
     */
    @Test
    void shouldEscapeControlCharactersOfANameThatIsNotUtf8() throws IOException {
        byte[] header = TestTar.header("x\nsignature: verified\n\u001b[1A\u00ff.txt", '0', 0, "", "");
        int ff = new String(header, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf('\u00c3');
        header[ff] = (byte) 0xff; // breaks the UTF-8 of the last character
        TestTar.fixChecksum(header);

        dev.veil.PolicyError e = error(() -> BundleLoader.load(archive(TestTar.gzip(concat(header, new byte[1024])))));

        assertThat(e.message()).contains("entry name is not valid UTF-8");
        assertThat(e.toString()).doesNotContain("\n").doesNotContain("\u001b")
                .startsWith("x\\u000asignature: verified\\u000a\\u001b[1A");
    }

    @Test
    void shouldRejectMalformedPaxRecord() throws IOException {
        byte[] gz = new TestTar().paxRecords('x', "99 path=x\n".getBytes(StandardCharsets.UTF_8))
                .file("a", "x").end().gzipped();
        assertThat(error(() -> BundleLoader.load(archive(gz))).message())
                .isEqualTo("pax extended header has a malformed record");
    }

    @Test
    void shouldCountHiddenFilesAgainstTheLimits() throws IOException {
        BundleLimits limits = new BundleLimits(2, 1024, 4096);
        byte[] gz = new TestTar().file(".git/a", "1").file(".git/b", "2").file("c.rego", "3").end().gzipped();
        assertThat(error(() -> BundleLoader.load(archive(gz), limits)).message()).contains("more than 2 files");
    }

    /**
     * The archive parser has exactly one way to fail: whatever bytes are changed in a valid
     * archive, loading it either succeeds or throws PolicyLoadException.
     */
    @Test
    void shouldEitherLoadOrRejectEveryCorruptedArchive() {
        byte[] tar = new TestTar()
                .paxPath("veil/" + "p".repeat(110) + ".rego").file("x", "package p")
                .gnuLongName("veil/" + "q".repeat(110) + "/data.json").file("y", "{\"a\": [1, 2]}")
                .file(".manifest", "{\"roots\": [\"veil\"]}")
                .ustarSplit("veil/keys", "data.yaml", "k: v\n")
                .end().bytes();
        byte[] gz = TestTar.gzip(tar);
        qt().withExamples(400).forAll(integers().between(0, tar.length - 1), integers().between(0, 255),
                        integers().between(0, gz.length - 1))
                .checkAssert((pos, value, gzPos) -> {
                    byte[] mutated = tar.clone();
                    mutated[pos] = (byte) (int) value;
                    assertLoadsOrRejects(TestTar.gzip(mutated));
                    byte[] mutatedGz = gz.clone();
                    mutatedGz[gzPos] = (byte) (int) value;
                    assertLoadsOrRejects(mutatedGz);
                });
    }

    private static void assertLoadsOrRejects(byte[] gz) {
        EntryCollector collector = new EntryCollector("mutated", new BundleLimits(100, 1 << 20, 4 << 20));
        try {
            BundleLoader.readGzip(new ByteArrayInputStream(gz), collector);
            BundleLoader.assemble("mutated", collector.files());
        } catch (PolicyLoadException expected) {
            assertThat(expected.errors()).isNotEmpty();
        }
    }

    private static byte[] storedGzip(byte[] data) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos) {
            {
                def.setLevel(Deflater.NO_COMPRESSION);
            }
        }) {
            gz.write(data);
        }
        return bos.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static final class CountingInputStream extends FilterInputStream {
        long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count += b >= 0 ? 1 : 0;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count += Math.max(n, 0);
            return n;
        }
    }

}
