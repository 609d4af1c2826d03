package dev.veil.internal.bundle;

import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Gathers the files of a bundle while it is read from a directory, a jar or an archive, and
 * enforces what every source must satisfy: safe relative paths, no duplicates, no path that is
 * both a file and a directory, and the {@link BundleLimits}. Hidden files are counted against the
 * limits but not kept.
 *
 * <p>Not thread-safe: one collector per load.
 */
final class EntryCollector {
    static final String MANIFEST = ".manifest";
    static final String SIGNATURES = ".signatures.json";
    static final String WHOLE_BUNDLE = "<bundle>";

    private final String source;
    private final BundleLimits limits;
    private final Map<String, byte[]> files = new TreeMap<>();
    private final Set<String> seenFiles = new HashSet<>();
    private final Set<String> directories = new HashSet<>();
    private int fileCount;
    private long totalBytes;

    EntryCollector(String source, BundleLimits limits) {
        this.source = source;
        this.limits = limits;
    }

    String source() {
        return source;
    }

    BundleLimits limits() {
        return limits;
    }

    /**
     * Turns an entry name into a bundle-relative path: {@code ./} and empty segments are dropped,
     * a trailing {@code /} is removed. Returns {@code ""} for the bundle root.
     *
     * @throws PolicyLoadException for an absolute path, a {@code ..} segment, a backslash, a NUL or
     *     an empty name; the error names the entry
     */
    static String normalise(String raw) {
        if (raw.isEmpty()) {
            throw PolicyLoadException.of(WHOLE_BUNDLE, "an entry has an empty name");
        }
        if (raw.indexOf('\0') >= 0) {
            throw PolicyLoadException.of(printable(raw), "entry name contains a NUL character");
        }
        if (raw.indexOf('\\') >= 0) {
            throw PolicyLoadException.of(raw, "entry name contains a backslash; bundle paths use '/' as separator");
        }
        if (raw.startsWith("/") || (raw.length() >= 2 && raw.charAt(1) == ':' && Character.isLetter(raw.charAt(0)))) {
            throw PolicyLoadException.of(raw, "entry has an absolute path; bundle entries must be relative");
        }
        StringBuilder out = new StringBuilder(raw.length());
        for (String segment : raw.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                throw PolicyLoadException.of(raw, "entry path contains a '..' segment, which would escape the bundle");
            }
            if (out.length() > 0) {
                out.append('/');
            }
            out.append(segment);
        }
        return out.toString();
    }

    /**
     * Whether a normalised path is ignored: any segment starting with {@code .} makes it hidden
     * (this covers {@code .git}), except {@code .manifest} and {@code .signatures.json} at the root.
     */
    static boolean isIgnored(String path) {
        if (path.equals(MANIFEST) || path.equals(SIGNATURES)) {
            return false;
        }
        for (String segment : path.split("/", -1)) {
            if (segment.startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /** Records a directory entry (normalised path; {@code ""} is the root and is ignored). */
    void addDirectory(String path, String entry) {
        if (path.isEmpty()) {
            return;
        }
        checkNoFileAt(path, entry);
        addDirectoryAndParents(path);
    }

    /**
     * Checks, before its bytes are read, that a file may be added: not a duplicate, not clashing
     * with a directory, within the file-count, per-file and total limits.
     *
     * @param path the normalised path
     * @param entry the entry name as the source spells it, for messages
     * @param declaredSize the size the source announces
     */
    void beginFile(String path, String entry, long declaredSize) {
        if (path.isEmpty()) {
            throw PolicyLoadException.of(entry, "a file entry names the bundle root");
        }
        if (!seenFiles.add(path)) {
            throw PolicyLoadException.of(entry, "duplicate entry: '" + path + "' appears more than once");
        }
        if (directories.contains(path)) {
            throw PolicyLoadException.of(entry, "'" + path + "' is both a file and a directory");
        }
        int slash = path.lastIndexOf('/');
        if (slash > 0) {
            String parent = path.substring(0, slash);
            checkNoFileAt(parent, entry);
            addDirectoryAndParents(parent);
        }
        if (++fileCount > limits.maxFiles()) {
            throw PolicyLoadException.of(entry, "the bundle holds more than " + limits.maxFiles()
                    + " files; split it or remove files it does not need");
        }
        checkSize(entry, declaredSize);
    }

    /**
     * Adds the bytes of a file announced with {@link #beginFile}. The per-file and total limits are
     * checked again against the real length; the running total then includes the file. Hidden
     * files are counted but not kept.
     */
    void addFile(String path, String entry, byte[] bytes) {
        checkSize(entry, bytes.length);
        totalBytes += bytes.length;
        if (!isIgnored(path)) {
            files.put(path, bytes);
        }
    }

    /** The files kept so far, sorted by path. */
    Map<String, byte[]> files() {
        return files;
    }

    private void checkSize(String entry, long size) {
        if (size < 0) {
            throw PolicyLoadException.of(entry, "entry has a negative size (" + size + ")");
        }
        if (size > limits.maxFileBytes()) {
            throw PolicyLoadException.of(entry, "file is " + size + " bytes; a single file may be at most "
                    + describe(limits.maxFileBytes()));
        }
        if (totalBytes + size > limits.maxTotalBytes()) {
            throw PolicyLoadException.of(entry, "the bundle's files add up to more than "
                    + describe(limits.maxTotalBytes()) + " (decompressed); this file would bring the total to "
                    + (totalBytes + size) + " bytes");
        }
    }

    /** Throws if {@code path} or one of its parents was added as a file. */
    private void checkNoFileAt(String path, String entry) {
        for (String p = path; ; ) {
            if (seenFiles.contains(p)) {
                throw PolicyLoadException.of(entry, "'" + p + "' is both a file and a directory");
            }
            int s = p.lastIndexOf('/');
            if (s < 0) {
                return;
            }
            p = p.substring(0, s);
        }
    }

    private void addDirectoryAndParents(String path) {
        for (String p = path; directories.add(p); ) {
            int s = p.lastIndexOf('/');
            if (s < 0) {
                break;
            }
            p = p.substring(0, s);
        }
    }

    static String describe(long bytes) {
        if (bytes % (1L << 20) == 0) {
            return (bytes >> 20) + " MiB (" + bytes + " bytes)";
        }
        return bytes + " bytes";
    }

    static String printable(String raw) {
        return raw.replace("\0", "\\0");
    }

    static PolicyLoadException wholeBundle(String message) {
        return new PolicyLoadException(PolicyError.of(WHOLE_BUNDLE, message));
    }
}
