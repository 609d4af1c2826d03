package dev.veil.internal.bundle;

import static dev.veil.internal.bundle.Fixtures.error;
import static dev.veil.internal.bundle.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.PolicyError;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bounds a small bundle cannot get past: the number of values in the data. */
class BundleDataLimitsTest {
    @TempDir
    Path dir;

    /** {@code [{},{},...]} with n empty objects: n + 1 values in 3n + 1 bytes. */
    private static String emptyObjects(int n) {
        StringBuilder sb = new StringBuilder(3 * n + 2).append('[');
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "{}" : ",{}");
        }
        return sb.append(']').toString();
    }

    @Test
    void shouldRejectDataFileWithMoreValuesThanTheLimitNamingFileAndLimit() {
        write(dir, "monitoring/a/data.json", emptyObjects(1_000_000)); // 1,000,001 values in 3 MB
        PolicyError e = error(() -> BundleLoader.load(dir));
        assertThat(e.file()).isEqualTo("monitoring/a/data.json");
        assertThat(e.line()).isEqualTo(1);
        assertThat(e.message()).startsWith("the data files hold more than 1,000,000 values");
        assertThat(e.message()).contains("BundleLimits");
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
        assertThat(e.message()).startsWith("the data files hold more than 1,000,000 values");
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
}
