package dev.veil.internal.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.PolicyLoadException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

class BundlePropertiesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SEGMENTS = List.of("a", "b", "..", ".", "", "...", ".x", "c.d", " ", "%2e%2e");

    /**
     * Whatever an archive entry is called, the name is either rejected or turned into a path
     * that, resolved against the extraction root, stays inside it and has no empty, "." or ".."
     * segment.
     */
    @Test
    void shouldNeverNormaliseANameToAPathOutsideTheBundle() {
        Gen<String> names = lists().of(Generate.pick(SEGMENTS)).ofSizeBetween(1, 6)
                .zip(Generate.booleans(), (segments, leadingSlash) -> (leadingSlash ? "/" : "")
                        + String.join("/", segments));
        Path root = Path.of("/bundle-root");
        qt().withExamples(500).forAll(names).checkAssert(name -> {
            String path;
            try {
                path = EntryCollector.normalise(name);
            } catch (PolicyLoadException e) {
                assertThat(e.errors()).isNotEmpty();
                assertThat(name).satisfiesAnyOf(n -> assertThat(n).startsWith("/"),
                        n -> assertThat(List.of(n.split("/"))).contains(".."),
                        n -> assertThat(n).isEmpty());
                return;
            }
            assertThat(path).doesNotStartWith("/");
            if (!path.isEmpty()) {
                assertThat(List.of(path.split("/", -1))).doesNotContain("", ".", "..");
            }
            assertThat(root.resolve(path).normalize().startsWith(root)).isTrue();
        });
    }

    /**
     * Splitting a data document into data files at any of its object-valued paths and loading
     * them gives back the same document.
     */
    @Test
    void shouldRebuildTheSameDocumentWhereverItIsSplitIntoFiles() {
        qt().withExamples(200).forAll(longs().all(), integers().between(0, 100)).checkAssert((seed, splitPercent) -> {
            Random random = new Random(seed);
            Map<String, Object> document = randomObject(random, 0);
            Map<String, byte[]> files = new LinkedHashMap<>();
            split(document, "", random, splitPercent, files);
            LoadedBundle b = BundleLoader.fromFiles("split", files);
            assertThat(b.data()).isEqualTo(document);
        });
    }

    /** Defining one non-object key in two files is always an error that names both files. */
    @Test
    void shouldNameBothFilesForEveryConflict() {
        qt().withExamples(100).forAll(integers().between(0, 3), integers().between(0, 3)).checkAssert((d1, d2) -> {
            String dir1 = "x/".repeat(d1);
            String dir2 = "x/".repeat(d2);
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put(dir1 + "data.json", json(nest("x", 3 - d1, 1L)));
            files.put(dir2 + (d1 == d2 ? "data.yaml" : "data.json"), json(nest("x", 3 - d2, 2L)));
            PolicyLoadException e = org.assertj.core.api.Assertions.catchThrowableOfType(PolicyLoadException.class,
                    () -> BundleLoader.fromFiles("conflict", files));
            assertThat(e).isNotNull();
            assertThat(e.errors()).hasSize(1);
            assertThat(e.errors().get(0).message()).contains("data.x.x.x").contains(dir1 + "data.json")
                    .contains(dir2 + (d1 == d2 ? "data.yaml" : "data.json"));
        });
    }

    private static Object nest(String key, int depth, Object leaf) {
        Object v = Map.of(key, leaf);
        for (int i = 1; i < depth; i++) {
            v = Map.of(key, v);
        }
        return depth == 0 ? leaf : v;
    }

    private static Map<String, Object> randomObject(Random random, int depth) {
        Map<String, Object> map = new LinkedHashMap<>();
        int n = random.nextInt(depth == 0 ? 5 : 4);
        for (int i = 0; i < n; i++) {
            String key = "k" + random.nextInt(6);
            map.put(key, randomValue(random, depth + 1));
        }
        return map;
    }

    private static Object randomValue(Random random, int depth) {
        int kind = random.nextInt(depth > 3 ? 5 : 7);
        switch (kind) {
            case 0: return random.nextLong();
            case 1: return random.nextInt(4) / 4.0 + 0.125;
            case 2: return "s" + random.nextInt(100);
            case 3: return random.nextBoolean();
            case 4: return null;
            case 5: return List.of(random.nextInt(10) * 1L, "x");
            default: return randomObject(random, depth);
        }
    }

    /** Moves object-valued keys into their own data file at their directory with the given chance. */
    @SuppressWarnings("unchecked")
    private static void split(Map<String, Object> doc, String dir, Random random, int percent,
            Map<String, byte[]> files) {
        Map<String, Object> remaining = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : doc.entrySet()) {
            if (e.getValue() instanceof Map && random.nextInt(100) < percent) {
                split((Map<String, Object>) e.getValue(), dir + e.getKey() + "/", random, percent, files);
            } else {
                remaining.put(e.getKey(), e.getValue());
            }
        }
        if (!remaining.isEmpty() || dir.isEmpty()) {
            boolean yaml = random.nextBoolean();
            files.put(dir + (yaml ? "data.yaml" : "data.json"), json(remaining));
        } else {
            // An empty object must still exist at this path: an empty data file creates it.
            files.put(dir + "data.json", "{}".getBytes(StandardCharsets.UTF_8));
        }
    }

    private static byte[] json(Object value) {
        try {
            return JSON.writeValueAsString(value).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
