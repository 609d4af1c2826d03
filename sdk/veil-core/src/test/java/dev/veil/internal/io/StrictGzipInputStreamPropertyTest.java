package dev.veil.internal.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * {@link StrictGzipInputStream} gives back exactly what was compressed, in one member or several,
 * whatever the sizes of the reads on either side; and a file cut short anywhere but between two
 * members (which leaves a valid, shorter gzip file) is an error, never a shorter content.
 */
class StrictGzipInputStreamPropertyTest {

    /** {@code size} bytes from {@code seed}: runs of repeated text and random bytes, so some compress. */
    private static byte[] content(int size, long seed) {
        Random r = new Random(seed);
        byte[] b = new byte[size];
        for (int i = 0; i < size; ) {
            int run = Math.min(size - i, 1 + r.nextInt(2000));
            if (r.nextBoolean()) {
                for (int j = 0; j < run; j++) {
                    b[i + j] = (byte) r.nextInt(256);
                }
            } else {
                for (int j = 0; j < run; j++) {
                    b[i + j] = (byte) "{\"decision\":\"allow\"}\n".charAt(j % 21);
                }
            }
            i += run;
        }
        return b;
    }

    /**
     * {@code content} compressed as members split at {@code cuts} (positions in per mille), each at a
     * level 0 to 9 picked by {@code seed}; the offsets where members end are added to {@code ends}.
     */
    private static byte[] members(byte[] content, List<Integer> cuts, long seed, List<Integer> ends)
            throws IOException {
        Random r = new Random(seed);
        int[] at = cuts.stream().mapToInt(c -> (int) ((long) c * content.length / 1000)).sorted().toArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int from = 0;
        for (int i = 0; i <= at.length; i++) {
            int to = i < at.length ? at[i] : content.length;
            int level = r.nextInt(10);
            try (GZIPOutputStream g = new GZIPOutputStream(out) {
                {
                    def.setLevel(level);
                }

                @Override
                public void close() throws IOException {
                    finish(); // leave out open: the next member follows
                }
            }) {
                g.write(content, from, to - from);
            }
            ends.add(out.size());
            from = to;
        }
        return out.toByteArray();
    }

    /** Hands out at most {@code chunk} bytes per read, as a pipe or a slow disk may. */
    private static InputStream chunked(byte[] bytes, int chunk) {
        return new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, chunk));
            }
        };
    }

    private static byte[] readAll(InputStream in, int readSize) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = new byte[readSize];
        for (int n; (n = in.read(b, 0, readSize)) != -1; ) {
            out.write(b, 0, n);
        }
        return out.toByteArray();
    }

    @Test
    void decompressesEveryMemberAndRefusesEveryCut() {
        qt().withExamples(60).forAll(integers().between(0, 200_000), lists().of(integers().between(0, 1000))
                .ofSizeBetween(0, 3), integers().between(1, 70_000), integers().all()).checkAssert(
                        (size, cuts, chunk, seed) -> {
                            try {
                                byte[] content = content(size, seed);
                                List<Integer> ends = new java.util.ArrayList<>();
                                byte[] gz = members(content, cuts, seed, ends);
                                int readSize = 1 + Math.floorMod(seed, 9000);
                                try (InputStream in = new StrictGzipInputStream(chunked(gz, chunk))) {
                                    assertThat(readAll(in, readSize)).isEqualTo(content);
                                }
                                int cut = Math.floorMod(seed * 31L + size, gz.length);
                                if (ends.contains(cut)) {
                                    return; // cut between members: a shorter gzip file, as valid as any
                                }
                                // a cut just after a member's first byte (1f) leaves what could as well be one
                                // byte of garbage: the file's first byte, or one after a complete member
                                String expected = cut <= 1 ? "not gzip data"
                                        : ends.contains(cut - 1) ? "trailing garbage or a damaged gzip member"
                                        : "cut short";
                                assertThatThrownBy(() -> readAll(new StrictGzipInputStream(chunked(
                                        java.util.Arrays.copyOf(gz, cut), chunk)), readSize))
                                        .isInstanceOf(IOException.class)
                                        .hasMessageContaining(expected);
                            } catch (IOException e) {
                                throw new AssertionError(e);
                            }
                        });
    }

    @Test
    void aFileOfTheMagicNumbersFirstByteAloneIsNotGzipData() {
        // the property above meets this cut only for some seeds (it once failed expecting "cut short")
        assertThatThrownBy(() -> readAll(new StrictGzipInputStream(new ByteArrayInputStream(new byte[] {0x1f})), 16))
                .isInstanceOf(IOException.class)
                .hasMessage("not gzip data at byte offset 0: found 1f and then the end of the file where a gzip member"
                        + " (1f 8b) must start");
    }

    @Test
    void singleByteReadsGiveTheSameContent() throws IOException {
        byte[] content = content(50_000, 7);
        byte[] gz = members(content, List.of(100, 500, 501), 7, new java.util.ArrayList<>());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = new StrictGzipInputStream(chunked(gz, 3))) {
            for (int b; (b = in.read()) != -1; ) {
                out.write(b);
            }
        }
        assertThat(out.toByteArray()).isEqualTo(content);
    }

    /** What follows the last member, read in chunks of {@code chunk} bytes: the error's message. */
    private static String after(byte[] gz, byte[] tail, int chunk) {
        byte[] all = java.util.Arrays.copyOf(gz, gz.length + tail.length);
        System.arraycopy(tail, 0, all, gz.length, tail.length);
        try {
            readAll(new StrictGzipInputStream(chunked(all, chunk)), 4096);
        } catch (IOException e) {
            return e.getMessage();
        }
        throw new AssertionError("no error for " + tail.length + " bytes after the stream");
    }

    @Test
    void bytesAfterTheStreamAreCountedAndZerosSaidToBePadding() throws IOException {
        byte[] gz = members(content(10_000, 3), List.of(500), 3, new java.util.ArrayList<>());
        int n = gz.length;
        String fix = "): gzip ignores trailing zeros, but the file must end where its gzip stream does: truncate it to "
                + n + " bytes";
        for (int chunk : List.of(1, 7, 70_000)) {
            assertThat(after(gz, new byte[1], chunk)).isEqualTo("1 zero byte after the end of the gzip stream (at "
                    + "byte offset " + n + fix);
            assertThat(after(gz, new byte[512], chunk)).isEqualTo("512 zero bytes after the end of the gzip stream "
                    + "(at byte offset " + n + fix);
            byte[] many = new byte[StrictGzipInputStream.COUNTED_AFTER + 10];
            assertThat(after(gz, many, chunk)).isEqualTo("at least " + StrictGzipInputStream.COUNTED_AFTER + " zero "
                    + "bytes, and more bytes after them, after the end of the gzip stream (at byte offset " + n + fix);
            byte[] late = new byte[600];
            late[599] = 'x';
            assertThat(after(gz, late, chunk)).isEqualTo("trailing garbage or a damaged gzip member at byte offset "
                    + n + ": found 00 00 where a gzip member (1f 8b) or the end of the file must follow gzip member 2 "
                    + "(600 bytes after the end of the gzip stream)");
            assertThat(after(gz, new byte[] {0x1f}, chunk)).isEqualTo("trailing garbage or a damaged gzip member at "
                    + "byte offset " + n + ": found 1f and then the end of the file where a gzip member (1f 8b) or the "
                    + "end of the file must follow gzip member 2 (1 byte after the end of the gzip stream)");
        }
    }
}
