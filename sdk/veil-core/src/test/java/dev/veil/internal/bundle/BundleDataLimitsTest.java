package dev.veil.internal.bundle;

import static dev.veil.internal.bundle.Fixtures.error;
import static dev.veil.internal.bundle.Fixtures.errors;
import static dev.veil.internal.bundle.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.PolicyError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bounds a small bundle cannot get past: values in the data, roots, and keys that look like paths. */
class BundleDataLimitsTest {
    @TempDir
    Path dir;

    /** {@code [{},{},...]} with n empty objects: n + 1 values in 3n + 1 bytes. */
    private static String emptyObjects(int n) {
        return "[" + String.join(",", java.util.Collections.nCopies(n, "{}")) + "]";
    }

    @Test
    void shouldRejectDataFileWithMoreValuesThanTheLimitNamingFileAndLimit() {
        write(dir, "monitoring/a/data.json", emptyObjects(1_000_000)); // 1,000,001 values in 3 MB
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("monitoring/a/data.json");
        assertThat(e.line()).isEqualTo(1);
        assertThat(e.message()).startsWith("the data files hold more than 1,000,000 values");
        assertThat(e.message()).contains("values so far, the largest first: monitoring/a/data.json: 1,000,001)")
                .doesNotContain("BundleLimits"); // not a setting a user of the SDK can reach
    }

    @Test
    void shouldRejectFileOfTheFullSizeMadeOfTinyValuesWithoutRunningOutOfMemory() {
        // 16 MiB (the per-file limit) of {}: 5.6 million values, which used to exhaust a 512 MiB heap
        int n = (int) ((BundleLimits.DEFAULTS.maxFileBytes() - 2) / 3);
        write(dir, "monitoring/a/data.json", emptyObjects(n));
        assertThat(error(() -> BundleLoader.load(dir)).message()).startsWith("the data files hold more than");
    }

    @Test
    void shouldCountValuesAcrossDataFilesOfBothFormats() {
        write(dir, "a/data.json", emptyObjects(600_000)); // 600,001 values
        write(dir, "b/data.yaml", "- {}\n".repeat(399_999)); // 400,000 values: 1,000,001 in all
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("b/data.yaml");
        assertThat(e.line()).isPositive();
        assertThat(e.message()).startsWith("the data files hold more than 1,000,000 values")
                .contains("the largest first: a/data.json: 600,001, b/data.yaml: 400,000)");
    }

    @Test
    void shouldLoadDataAtTheLimitAndApplyACustomLimit() {
        write(dir, "a/data.json", emptyObjects(499_999)); // 500,000
        write(dir, "b/data.json", emptyObjects(499_999)); // 1,000,000 in all: exactly the limit
        assertThat(BundleLoader.load(dir).data()).containsOnlyKeys("a", "b");

        write(dir, "c/data.json", "{\"x\": [1, 2, \"three\"]}"); // 5 values
        BundleLimits limits = new BundleLimits(10, 1 << 24, 1 << 26, 4);
        Path small = dir.resolve("c");
        PolicyError e = error(() -> BundleLoader.load(small, limits));
        assertThat(e.file()).isEqualTo("data.json");
        assertThat(e.message()).startsWith("the data files hold more than 4 values");
        assertThat(BundleLoader.load(small, new BundleLimits(10, 1 << 24, 1 << 26, 5)).data())
                .isEqualTo(Map.of("x", List.of(1L, 2L, "three")));
    }

    @Test
    void shouldKeepDataDeeplyUnmodifiable() {
        write(dir, "data.json", "{\"a\": {\"b\": [1, {\"c\": [2]}]}}");
        write(dir, "a/data.yaml", "d: [x]\n");
        LoadedBundle b = BundleLoader.load(dir);
        Map<String, Object> a = Fixtures.asMap(b.data().get("a"));
        List<?> list = (List<?>) a.get("b");
        Map<String, Object> inner = Fixtures.asMap(list.get(1));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.put("z", 1))
                .isInstanceOf(UnsupportedOperationException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> list.remove(0))
                .isInstanceOf(UnsupportedOperationException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ((List<?>) inner.get("c")).clear())
                .isInstanceOf(UnsupportedOperationException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ((List<?>) a.get("d")).clear())
                .isInstanceOf(UnsupportedOperationException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.entrySet().iterator().next().setValue(1))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void shouldRejectManifestWithMoreRootsThanTheLimit() {
        List<String> roots = new ArrayList<>();
        for (int i = 0; i <= 1000; i++) {
            roots.add("\"r" + i + "\"");
        }
        write(dir, ".manifest", "{\"roots\": " + roots + "}");
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo(".manifest");
        assertThat(e.message()).startsWith("'roots' has 1001 entries; a bundle may have at most 1000");
    }

    @Test
    void shouldCheckManyRootsAndDataUnderThemQuickly() {
        List<String> roots = new ArrayList<>();
        StringBuilder data = new StringBuilder("{\"a\": {");
        for (int i = 0; i < 1000; i++) {
            roots.add("\"a/r" + i + "\"");
            data.append(i == 0 ? "" : ",").append("\"r").append(i).append("\": {\"v\": ").append(i).append('}');
        }
        write(dir, ".manifest", "{\"roots\": " + roots + "}");
        write(dir, "data.json", data.append("}}").toString());
        LoadedBundle b = BundleLoader.load(dir);
        assertThat(b.data("a.r999.v")).isEqualTo(999L);
        write(dir, ".manifest", "{\"roots\": [\"a/r1\", \"b\", \"a/r10\", \"c/d\", \"a/r1/x\"]}");
        assertThat(error(() -> BundleLoader.load(dir)).message())
                .isEqualTo("'roots' overlap: 'a/r1' and 'a/r1/x'; each part of the data may belong to only one root");
        write(dir, ".manifest", "{\"roots\": [\"b\", \"a/r1/x\", \"a/r1\"]}");
        assertThat(error(() -> BundleLoader.load(dir)).message()).startsWith("'roots' overlap: 'a/r1' and 'a/r1/x'");
        write(dir, ".manifest", "{\"roots\": [\"b\", \"c\", \"/b/\"]}");
        assertThat(error(() -> BundleLoader.load(dir)).message()).startsWith("'roots' overlap: 'b' and 'b'");
        write(dir, ".manifest", "{\"roots\": [\"b\", \"\"]}");
        assertThat(error(() -> BundleLoader.load(dir)).message()).startsWith("'roots' overlap: '' and 'b'");
        // a step no file or data path has: the root would own nothing, without a word (an adversarial review)
        for (String bad : List.of("../x", "veil/./a", "veil//a", "a/..")) {
            write(dir, ".manifest", "{\"roots\": [\"b\", \"" + bad + "\"]}");
            assertThat(error(() -> BundleLoader.load(dir)).message()).as(bad).isEqualTo("root '" + bad + "' has an "
                    + "empty, '.' or '..' step; roots are bundle paths below the top, such as \"veil\" or "
                    + "\"veil/monitoring\"");
        }
    }

    @Test
    void shouldTreatKeysHoldingSlashOrEmptyAsOneSegmentOutsideTheRoots() {
        write(dir, ".manifest", "{\"roots\": [\"monitoring\", \"veil\"]}");
        write(dir, "data.json", "{\"monitoring/../secrets\": {\"a\": 1}, \"\": {\"veil\": {\"b\": 2}},"
                + " \"monitoring\": {\"ok\": 1}}");
        List<PolicyError> errors = errors(() -> BundleLoader.load(dir));
        assertThat(errors).extracting(PolicyError::file).containsOnly("data.json");
        assertThat(errors).extracting(PolicyError::message).containsExactly(
                "data[\"monitoring/../secrets\"] (path /monitoring/../secrets) is outside the manifest roots"
                        + " [\"monitoring\", \"veil\"]; move the file under a root or add a root to .manifest",
                "data[\"\"] (path /) is outside the manifest roots [\"monitoring\", \"veil\"]; move the file under a"
                        + " root or add a root to .manifest");
    }

    @Test
    void shouldMatchRootsSegmentBySegment() {
        write(dir, ".manifest", "{\"roots\": [\"veil/keys\"]}");
        write(dir, "data.json", "{\"veil/keys\": {\"a\": 1}}");
        assertThat(error(() -> BundleLoader.load(dir)).message()).startsWith("data[\"veil/keys\"] (path /veil/keys)"
                + " is outside");
        write(dir, "data.json", "{\"veil\": {\"keys\": {\"a/b\": 1, \"\": 2}}}");
        assertThat(BundleLoader.load(dir).data("veil.keys")).isEqualTo(Map.of("a/b", 1L, "", 2L));
    }

    @Test
    void shouldLetTheEmptyRootCoverEveryKey() {
        write(dir, ".manifest", "{\"roots\": [\"\"]}");
        write(dir, "data.json", "{\"a/../b\": 1, \"\": {\"c\": 2}}");
        assertThat(BundleLoader.load(dir).data()).containsOnlyKeys("a/../b", "");
    }
}
