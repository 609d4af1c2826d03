package dev.veil.internal.access;

import dev.veil.spi.Bundle;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A real, in-memory {@link Bundle} over a map of files and a data document. Immutable. */
final class MapBundle implements Bundle {
    private final Map<String, byte[]> files;
    private final Map<String, Object> data;

    private MapBundle(Map<String, byte[]> files, Map<String, Object> data) {
        this.files = Map.copyOf(files);
        this.data = Map.copyOf(data);
    }

    static Builder builder() {
        return new Builder();
    }

    @Override
    public String source() {
        return "memory:test";
    }

    @Override
    public String revision() {
        return "";
    }

    @Override
    public List<String> roots() {
        return List.of("");
    }

    @Override
    public Set<String> files() {
        return files.keySet();
    }

    @Override
    public byte[] read(String path) {
        byte[] b = files.get(path);
        if (b == null) {
            throw new IllegalArgumentException("no file '" + path + "' in bundle " + source());
        }
        return b.clone();
    }

    @Override
    public Map<String, Object> data() {
        return data;
    }

    static final class Builder {
        private final Map<String, byte[]> files = new LinkedHashMap<>();
        private final Map<String, Object> data = new LinkedHashMap<>();

        Builder file(String path, String content) {
            files.put(path, content.getBytes(StandardCharsets.UTF_8));
            return this;
        }

        Builder data(String key, Object value) {
            data.put(key, value);
            return this;
        }

        MapBundle build() {
            return new MapBundle(files, data);
        }
    }
}
