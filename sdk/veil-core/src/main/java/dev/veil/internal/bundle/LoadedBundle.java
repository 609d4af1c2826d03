package dev.veil.internal.bundle;

import dev.veil.spi.Bundle;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * A bundle read completely into memory by {@link BundleLoader}: every file's bytes, the
 * {@link Manifest} and the merged data document.
 *
 * <p>Immutable and thread-safe: the file map, the data document (unmodifiable
 * views of {@link java.util.LinkedHashMap}s and {@link java.util.ArrayList}s all the way down) and the
 * manifest cannot change, and {@link #read} returns a fresh copy of a file's bytes.
 * {@link #files()} includes {@code .manifest} and {@code .signatures.json} when the bundle has
 * them; ignored hidden files are not included.
 */
public final class LoadedBundle implements Bundle {
    private final String source;
    private final Manifest manifest;
    private final Map<String, byte[]> files;
    private final Map<String, Object> data;

    /**
     * Wraps already validated parts; the file map is copied, the data document made unmodifiable
     * in place (see {@link Immutables#freeze}: the caller hands it over and must not keep it).
     *
     * @param source where the bundle came from, for messages
     * @param manifest the manifest ({@link Manifest#DEFAULT} when there was none)
     * @param files bundle-relative {@code /}-separated paths to bytes (the arrays are not copied)
     * @param data the merged data document
     */
    @SuppressWarnings("unchecked")
    LoadedBundle(String source, Manifest manifest, Map<String, byte[]> files, Map<String, Object> data) {
        this.source = Objects.requireNonNull(source, "source");
        this.manifest = Objects.requireNonNull(manifest, "manifest");
        this.files = Collections.unmodifiableMap(new TreeMap<>(files));
        this.data = (Map<String, Object>) Immutables.freeze(data);
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public String revision() {
        return manifest.revision();
    }

    @Override
    public List<String> roots() {
        return manifest.roots();
    }

    /** The whole manifest, including {@code metadata} and OPA's {@code rego_version}. */
    public Manifest manifest() {
        return manifest;
    }

    /** Every file's path, sorted. */
    @Override
    public Set<String> files() {
        return files.keySet();
    }

    /** A copy of the file's bytes; IllegalArgumentException for a path not in {@link #files()}. */
    @Override
    public byte[] read(String path) {
        byte[] bytes = files.get(path);
        if (bytes == null) {
            throw new IllegalArgumentException("path must name a file of bundle " + source + ", was '" + path + "'");
        }
        return bytes.clone();
    }

    @Override
    public Map<String, Object> data() {
        return data;
    }

    @Override
    public String toString() {
        return "LoadedBundle[source=" + source + ", revision=" + manifest.revision() + ", files=" + files.size() + "]";
    }
}
