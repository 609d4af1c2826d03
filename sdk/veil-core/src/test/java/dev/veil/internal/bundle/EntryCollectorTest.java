package dev.veil.internal.bundle;

import static dev.veil.internal.bundle.Fixtures.error;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EntryCollectorTest {
    @Test
    void shouldRejectAPathLongerThan4096BytesNamingTheEntryShortly() {
        String name = "a/".repeat(2048) + "f";
        PolicyError e = error(() -> EntryCollector.normalise(name));
        assertThat(e.file()).startsWith("a/a/a/").endsWith("... (4097 bytes)").hasSizeLessThan(120);
        assertThat(e.message()).isEqualTo("entry path is 4097 bytes long; a bundle path may be at most 4096 bytes");
        assertThat(EntryCollector.normalise("a/".repeat(255) + "x".repeat(4096 - 510))).hasSize(4096);
    }

    @Test
    void shouldRejectAPathOfMoreThan256Segments() {
        String name = "./a/".repeat(256) + "f";
        PolicyError e = error(() -> EntryCollector.normalise(name));
        assertThat(e.file()).isEqualTo(name);
        assertThat(e.message()).isEqualTo("entry path has 257 segments; a bundle path may have at most 256 (its"
                + " directories and its name)");
        assertThat(EntryCollector.normalise("./a/".repeat(255) + "f")).isEqualTo("a/".repeat(255) + "f");
    }

    /** 10,000 files 250 levels deep under their own top directories: one string per entry is kept. */
    @Test
    void shouldCheckDeepPathsInTimeAndMemoryLinearInTheirLength() {
        EntryCollector c = new EntryCollector("deep", BundleLimits.DEFAULTS);
        String deep = "dd/".repeat(250);
        long start = System.nanoTime();
        for (int i = 0; i < 10_000; i++) {
            String p = "t" + i + "/" + deep + "f";
            c.beginFile(p, p, 0);
            c.addFile(p, p, new byte[0]);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(c.files()).hasSize(10_000);
    }

    /**
     * Whatever the order of file and directory entries, the collector refuses exactly when a path is
     * both a file and a directory (a file at or above another entry) or a file appears twice, as a
     * check of every pair of entries says.
     */
    @Test
    void shouldRefuseExactlyThePathsThatAreBothFileAndDirectory() {
        List<String> segments = List.of("a", "b", "a-", "a.b", "ab");
        qt().withExamples(2000).forAll(longs().all()).checkAssert(seed -> {
            Random random = new Random(seed);
            EntryCollector c = new EntryCollector("pairs", BundleLimits.DEFAULTS);
            List<String> paths = new ArrayList<>();
            List<Boolean> isFile = new ArrayList<>();
            int n = 1 + random.nextInt(8);
            for (int i = 0; i < n; i++) {
                StringBuilder p = new StringBuilder();
                for (int d = random.nextInt(3); d >= 0; d--) {
                    p.append(p.length() == 0 ? "" : "/").append(segments.get(random.nextInt(segments.size())));
                }
                String path = p.toString();
                boolean file = random.nextBoolean();
                String expected = conflict(paths, isFile, path, file);
                String actual = null;
                try {
                    if (file) {
                        c.beginFile(path, path, 0);
                        c.addFile(path, path, new byte[0]);
                    } else {
                        c.addDirectory(path, path);
                    }
                } catch (PolicyLoadException e) {
                    actual = e.errors().get(0).message();
                }
                assertThat(actual).as("entries %s %s, then %s (%s)", paths, isFile, path, file ? "file" : "dir")
                        .isEqualTo(expected);
                if (actual != null) {
                    return;
                }
                paths.add(path);
                isFile.add(file);
            }
        });
    }

    private static String conflict(List<String> paths, List<Boolean> isFile, String path, boolean file) {
        for (int j = 0; j < paths.size(); j++) {
            if (file && isFile.get(j) && paths.get(j).equals(path)) {
                return "duplicate entry: '" + path + "' appears more than once";
            }
        }
        for (int j = 0; j < paths.size(); j++) {
            String q = paths.get(j);
            if (isFile.get(j) && (q.equals(path) || path.startsWith(q + "/"))) {
                return "'" + q + "' is both a file and a directory";
            }
            if (file && (q.equals(path) || q.startsWith(path + "/"))) {
                return "'" + path + "' is both a file and a directory";
            }
        }
        return null;
    }

    @Test
    void shouldRefuseControlCharactersInEntryNamesQuotingThemEscaped() {
        for (char c : new char[] {'\n', '\r', '\t', 0x1b, 0x7f, 0x85, 0x9f, '\u2028', '\u2029'}) {
            String name = "x" + c + "signature: verified/note.txt";
            PolicyError e = error(() -> EntryCollector.normalise(name));
            assertThat(e.file()).as("U+%04X", (int) c).doesNotContainPattern("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]")
                    .startsWith("x\\").endsWith("signature: verified/note.txt");
            assertThat(e.message()).startsWith(String.format("entry name contains the control character U+%04X (at "
                    + "character 2); rename the file", (int) c));
        }
        assertThat(EntryCollector.normalise("caf\u00e9 \u00a0x/y.json")).isEqualTo("caf\u00e9 \u00a0x/y.json");
    }
}
