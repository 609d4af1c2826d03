package dev.veil.internal.monitor.replay;

import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.spi.Bundle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A bundle as {@code veil calibrate} reads it: the same contents, except that a detector's
 * {@code thresholds} data path with nothing there (yet) gets placeholder thresholds instead of
 * failing to load. Calibration replaces every detector's thresholds by its own, so the placeholder
 * is never used to decide anything.
 */
public final class PendingThresholdsBundle implements Bundle, BuiltinDetectors.PendingThresholds {
    private final Bundle delegate;
    private final List<String> missing = new ArrayList<>();

    public PendingThresholdsBundle(Bundle delegate) {
        this.delegate = delegate;
    }

    @Override
    public synchronized Map<String, Object> placeholder(String path) {
        if (!missing.contains(path)) {
            missing.add(path);
        }
        return Map.of("low", 0L, "medium", 0L, "high", 1L);
    }

    /** The threshold data paths that had nothing yet, in the order they were asked for. */
    public synchronized List<String> missing() {
        return List.copyOf(missing);
    }

    @Override
    public String source() {
        return delegate.source();
    }

    @Override
    public String revision() {
        return delegate.revision();
    }

    @Override
    public List<String> roots() {
        return delegate.roots();
    }

    @Override
    public Set<String> files() {
        return delegate.files();
    }

    @Override
    public byte[] read(String path) {
        return delegate.read(path);
    }

    @Override
    public Map<String, Object> data() {
        return delegate.data();
    }

    @Override
    public Object data(String dottedPath) {
        return delegate.data(dottedPath);
    }
}
