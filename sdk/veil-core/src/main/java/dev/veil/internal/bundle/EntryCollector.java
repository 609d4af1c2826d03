package dev.veil.internal.bundle;


import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.internal.text.ControlChars;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Gathers the files of a bundle while it is read from a directory, a jar or an archive, and
 * enforces what every source must satisfy: safe relative paths, no duplicates, no path that is
 * both a file and a directory, paths of at most {@value #MAX_PATH_BYTES} bytes and
 * {@value #MAX_PATH_SEGMENTS} segments, and the {@link BundleLimits}. Hidden files are counted
 * against the limits but not kept.
 *
 * <p>Time and memory are linear in the length of the entry names (times a logarithm): each entry
 * is kept once, as its path, in an order in which everything below a path directly follows it, so
 * that a clash between a file and a directory is found by looking at the neighbours of the new
 * entry; parent directories are never stored one by one.
 *
 * <p>Not thread-safe: one collector per load.
 */
final class EntryCollector {
    static final String MANIFEST = ".manifest";
    static final String SIGNATURES = ".signatures.json";
    static final String WHOLE_BUNDLE = "<bundle>";
    /** The longest entry path accepted, in bytes of UTF-8, as spelled in the archive or directory. */
    static final int MAX_PATH_BYTES = 4096;
    /** The most segments (directories and the name) an entry path may have. */
    static final int MAX_PATH_SEGMENTS = 256;

    /**
     * Orders paths segment by segment ({@code '/'} below every other character), so that every
     * path under {@code p/} sorts directly after {@code p}, before any path that is not under it.
     */
    private static final Comparator<String> BY_SEGMENTS = (a, b) -> {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                return x == '/' ? -1 : y == '/' ? 1 : Character.compare(x, y);
            }
        }
        return Integer.compare(a.length(), b.length());
    };

    private final String source;
    private final BundleLimits limits;
    private final Map<String, byte[]> files = new TreeMap<>();
    /**
     * Every file (true) and directory entry (false) so far, by path in {@link #BY_SEGMENTS} order.
     * Invariant: no entry lies at or below a file, so a file above a new path is the entry right
     * before it, and an entry below a new path is the one right after it.
     */
    private final TreeMap<String, Boolean> entries = new TreeMap<>(BY_SEGMENTS);
    /**
     * The first segment of every entry that is not ignored, while they all share one; {@code ""}
     * once two differ or a file lies at the top; {@code null} before the first entry.
     */
    private String commonFolder;
    /** {@code .manifest} and {@code .signatures.json} files ignored one folder down, by folder. */
    private final Map<String, List<String>> nestedSpecialFiles = new TreeMap<>();
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
     *     another control character (see {@link #controlCharAt}), an empty name, a name longer than
     *     {@value #MAX_PATH_BYTES} bytes or a path of more than
     *     {@value #MAX_PATH_SEGMENTS} segments; the error names the entry (a long one shortened)
     */
    static String normalise(String raw) {
        if (raw.isEmpty()) {
            throw PolicyLoadException.of(WHOLE_BUNDLE, "an entry has an empty name");
        }
        if (raw.length() > MAX_PATH_BYTES / 3) { // below that, even 3 bytes per character fit
            int bytes = raw.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > MAX_PATH_BYTES) {
                throw PolicyLoadException.of(abbreviate(raw, bytes), "entry path is " + bytes
                        + " bytes long; a bundle path may be at most " + MAX_PATH_BYTES + " bytes");
            }
        }
        if (raw.indexOf('\0') >= 0) {
            throw PolicyLoadException.of(raw, "entry name contains a NUL character"); // PolicyError escapes it
        }
        int control = ControlChars.indexIn(raw);
        if (control >= 0) {
            throw PolicyLoadException.of(raw, "entry name contains the control character "
                    + ControlChars.codePoint(raw.charAt(control)) + " (at character " + (control + 1) + "); rename the file "
                    + "using printable characters only (control characters would print as line breaks or "
                    + "terminal commands in every message that names it)");
        }
        if (raw.indexOf('\\') >= 0) {
            throw PolicyLoadException.of(raw, "entry name contains a backslash; bundle paths use '/' as separator");
        }
        if (raw.startsWith("/") || (raw.length() >= 2 && raw.charAt(1) == ':' && Character.isLetter(raw.charAt(0)))) {
            throw PolicyLoadException.of(raw, "entry has an absolute path; bundle entries must be relative");
        }
        StringBuilder out = new StringBuilder(raw.length());
        int segments = 0;
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
            segments++;
        }
        if (segments > MAX_PATH_SEGMENTS) {
            throw PolicyLoadException.of(raw, "entry path has " + segments + " segments; a bundle path may have at"
                    + " most " + MAX_PATH_SEGMENTS + " (its directories and its name)");
        }
        return out.toString();
    }

    /** A name too long to quote whole: its start and its length. */
    private static String abbreviate(String raw, int bytes) {
        return raw.substring(0, 60) + "... (" + bytes + " bytes)";
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
        Boolean existing = entries.get(path);
        if (existing != null) {
            if (existing) {
                throw bothFileAndDirectory(path, entry);
            }
            return;
        }
        checkNoFileAbove(path, entry);
        entries.put(path, Boolean.FALSE);
        if (!isIgnored(path)) {
            int slash = path.indexOf('/');
            noteFolder(slash < 0 ? path : path.substring(0, slash));
        }
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
        Boolean existing = entries.get(path);
        if (existing != null) {
            if (existing) {
                throw PolicyLoadException.of(entry, "duplicate entry: '" + path + "' appears more than once");
            }
            throw bothFileAndDirectory(path, entry);
        }
        checkNoFileAbove(path, entry);
        String next = entries.higherKey(path);
        if (next != null && isBelow(next, path)) {
            throw bothFileAndDirectory(path, entry);
        }
        entries.put(path, Boolean.TRUE);
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
            int slash = path.indexOf('/');
            noteFolder(slash < 0 ? "" : path.substring(0, slash));
        } else {
            noteIgnored(path);
        }
    }

    /**
     * Records a hidden file that was not read (a directory source skips them): a {@code .manifest}
     * or {@code .signatures.json} one folder down is remembered for {@link #packedInFolder}.
     */
    void noteIgnored(String path) {
        int slash = path.indexOf('/');
        String name = path.substring(slash + 1);
        if (slash > 0 && (name.equals(MANIFEST) || name.equals(SIGNATURES))) {
            nestedSpecialFiles.computeIfAbsent(path.substring(0, slash), k -> new ArrayList<>()).add(name);
        }
    }

    private void noteFolder(String first) {
        commonFolder = commonFolder == null || commonFolder.equals(first) ? first : "";
    }

    /**
     * The folder every entry lies in when that folder holds a {@code .manifest} or
     * {@code .signatures.json} (ignored there: only those at the top count), with their names; that
     * is a bundle packed with its folder ({@code tar -czf b.tar.gz rb}) instead of its contents.
     * {@code null} otherwise.
     */
    Map.Entry<String, List<String>> packedInFolder() {
        List<String> special = commonFolder == null ? null : nestedSpecialFiles.get(commonFolder);
        return special == null ? null : Map.entry(commonFolder, special.stream().sorted().toList());
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

    /**
     * Throws if one of the parents of {@code path} (not in {@link #entries} itself) was added as a
     * file. By the invariant such a file would be the entry right before {@code path}.
     */
    private void checkNoFileAbove(String path, String entry) {
        Map.Entry<String, Boolean> before = entries.lowerEntry(path);
        if (before != null && before.getValue() && isBelow(path, before.getKey())) {
            throw bothFileAndDirectory(before.getKey(), entry);
        }
    }

    /** Whether {@code path} lies under the directory {@code dir}. */
    private static boolean isBelow(String path, String dir) {
        return path.length() > dir.length() && path.charAt(dir.length()) == '/' && path.startsWith(dir);
    }

    private static PolicyLoadException bothFileAndDirectory(String path, String entry) {
        return PolicyLoadException.of(entry, "'" + path + "' is both a file and a directory");
    }

    static String describe(long bytes) {
        if (bytes % (1L << 20) == 0) {
            return (bytes >> 20) + " MiB (" + bytes + " bytes)";
        }
        return bytes + " bytes";
    }

    static PolicyLoadException wholeBundle(String message) {
        return new PolicyLoadException(PolicyError.of(WHOLE_BUNDLE, message));
    }
}
