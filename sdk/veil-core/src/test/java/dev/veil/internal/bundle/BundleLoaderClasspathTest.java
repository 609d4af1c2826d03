package dev.veil.internal.bundle;

import static dev.veil.internal.bundle.Fixtures.error;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.PolicyError;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleLoaderClasspathTest {
    private static final String SAMPLE = "dev/veil/internal/bundle/sample-bundle";

    @TempDir
    Path tmp;

    private static void assertSample(LoadedBundle b) {
        assertThat(b.revision()).isEqualTo("sample-1");
        assertThat(b.roots()).containsExactly("veil");
        assertThat(b.manifest().metadata()).containsEntry("purpose", "test");
        assertThat(b.files()).containsExactly(".manifest", "data.json", "veil/data.yaml", "veil/policy.rego");
        assertThat(b.data("veil.rate")).isEqualTo(10L);
        assertThat(b.data("veil.keys.alice")).isEqualTo("reader");
        assertThat(new String(b.read("veil/policy.rego"), StandardCharsets.UTF_8)).startsWith("package veil");
    }

    @Test
    void shouldLoadBundleFromTestResourceDirectory() {
        LoadedBundle b = BundleLoader.loadClasspath(SAMPLE, getClass().getClassLoader());
        assertSample(b);
        assertThat(b.source()).isEqualTo("classpath:" + SAMPLE);
    }

    @Test
    void shouldIgnoreLeadingAndTrailingSlashes() {
        assertSample(BundleLoader.loadClasspath("/" + SAMPLE + "/", getClass().getClassLoader()));
    }

    @Test
    void shouldLoadBundleFromJarBuiltInTheTest() throws IOException {
        Path jar = jar(tmp.resolve("with space").resolve("policies.jar"), true);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            assertThat(loader.getResource("policies/default").getProtocol()).isEqualTo("jar");
            LoadedBundle b = BundleLoader.loadClasspath("policies/default", loader);
            assertSample(b);
            assertThat(b.source()).isEqualTo("classpath:policies/default");
        }
    }

    @Test
    void shouldLoadBundleFromJarWithoutDirectoryEntriesThroughItsManifest() throws IOException {
        Path jar = jar(tmp.resolve("flat.jar"), false);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            assertThat(loader.getResource("policies/default")).isNull();
            assertSample(BundleLoader.loadClasspath("policies/default", loader));
        }
    }

    /** A class path directory or in-memory files one folder down from their .manifest: refused, as a directory is. */
    @Test
    void shouldRefuseABundlePackedOneFolderDown() throws IOException {
        Path root = tmp.resolve("cp");
        Files.createDirectories(root.resolve("policies/outer/qs/veil"));
        Files.writeString(root.resolve("policies/outer/qs/.manifest"), "{\"revision\": \"quickstart-1\"}");
        Files.writeString(root.resolve("policies/outer/qs/veil/policy.rego"), "package veil\n");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {root.toUri().toURL()}, null)) {
            assertThat(error(() -> BundleLoader.loadClasspath("policies/outer", loader)).message()).isEqualTo("bundle"
                    + " classpath:policies/outer is packed one folder down: every entry is in the folder 'qs/', whose"
                    + " qs/.manifest is ignored (only the bundle's top holds them): that folder is the bundle; load"
                    + " classpath:policies/outer/qs instead");
            assertThat(BundleLoader.loadClasspath("policies/outer/qs", loader).revision()).isEqualTo("quickstart-1");
        }
        Map<String, byte[]> files = Map.of("qs/.manifest", "{}".getBytes(StandardCharsets.UTF_8),
                "qs/veil/policy.rego", "package veil\n".getBytes(StandardCharsets.UTF_8));
        assertThat(error(() -> BundleLoader.fromFiles("generated", files)).message()).isEqualTo("bundle generated is"
                + " packed one folder down: every entry is in the folder 'qs/', whose qs/.manifest is ignored (only the"
                + " bundle's top holds them): that folder is the bundle; give its files with paths below it");
    }

    @Test
    void shouldApplySafetyRulesInsideJars() throws IOException {
        Path jar = tmp.resolve("bad.jar");
        Map<String, String> files = new LinkedHashMap<>();
        files.put("policies/bad/", null);
        files.put("policies/bad/data.json", "{\"a\": }");
        writeJar(jar, files);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            PolicyError e = error(() -> BundleLoader.loadClasspath("policies/bad", loader));
            assertThat(e.file()).isEqualTo("data.json");
            assertThat(e.line()).isEqualTo(1);
            assertThat(e.column()).isEqualTo(7);
        }
    }

    @Test
    void shouldRejectMissingResourceDirectory() {
        PolicyError e = error(() -> BundleLoader.loadClasspath("no/such/bundle", getClass().getClassLoader()));
        assertThat(e.file()).isEqualTo("<bundle>");
        assertThat(e.message()).startsWith("bundle classpath:no/such/bundle not found");
    }

    @Test
    void shouldRejectResourceThatIsAFile() {
        PolicyError e = error(() -> BundleLoader.loadClasspath(SAMPLE + "/data.json", getClass().getClassLoader()));
        assertThat(e.message()).contains("which is not a directory");
    }

    @Test
    void shouldRejectEmptyOrEscapingResourceDirectory() {
        ClassLoader loader = getClass().getClassLoader();
        assertThatThrownBy(() -> BundleLoader.loadClasspath("/", loader)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("resourceDir must name a directory on the class path, was '/'");
        assertThatThrownBy(() -> BundleLoader.loadClasspath("a/../b", loader))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("without '.', '..' or empty segments, was 'a/../b'");
    }

    private Path jar(Path path, boolean directoryEntries) throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        if (directoryEntries) {
            files.put("policies/", null);
            files.put("policies/default/", null);
        }
        files.put("policies/default/.manifest",
                "{\"revision\": \"sample-1\", \"roots\": [\"veil\"], \"metadata\": {\"purpose\": \"test\"}}");
        files.put("policies/default/data.json", "{\"veil\": {\"rate\": 10}}");
        if (directoryEntries) {
            files.put("policies/default/veil/", null);
        }
        files.put("policies/default/veil/data.yaml", "keys:\n  alice: reader\n");
        files.put("policies/default/veil/policy.rego", "package veil\n");
        files.put("policies/default/veil/.notes", "ignored\n");
        files.put("policies/other/data.json", "{\"not\": \"part of the bundle\"}");
        Files.createDirectories(path.getParent());
        writeJar(path, files);
        return path;
    }

    private static void writeJar(Path path, Map<String, String> files) throws IOException {
        try (OutputStream out = Files.newOutputStream(path); JarOutputStream jar = new JarOutputStream(out)) {
            for (Map.Entry<String, String> e : files.entrySet()) {
                jar.putNextEntry(new JarEntry(e.getKey()));
                if (e.getValue() != null) {
                    jar.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                }
                jar.closeEntry();
            }
        }
    }
}
