package dev.veil.internal.bundle;

import dev.veil.internal.io.FileErrors;
import dev.veil.PolicyError;
import dev.veil.PolicyLoadException;
import dev.veil.spi.Bundle;
import dev.veil.internal.io.StrictGzipInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Loads policy bundles in OPA's bundle layout from a directory, a {@code .tar.gz} file or a
 * class path directory (a plain directory or one inside a jar), entirely into memory.
 *
 * <h2>Layout</h2>
 * <ul>
 *   <li>{@code .manifest} (optional, JSON): see {@link Manifest}. Without it the revision is
 *       {@code ""} and the roots are {@code [""]}.
 *   <li>{@code data.json}, {@code data.yaml} and {@code data.yml} anywhere: placed at the path of
 *       their directory ({@code a/b/data.json} is {@code data.a.b}) and merged into one document;
 *       objects merge recursively, any other key defined twice is an error naming both files. A
 *       data file at the top must hold an object. Every part of the data must lie inside one of
 *       the manifest's roots (OPA's rule).
 *   <li>Any other file ({@code *.rego}, {@code *.veil.yaml}, ...) is kept as bytes for the policy
 *       engines.
 *   <li>Hidden files and directories (a name starting with {@code .}, which includes {@code .git})
 *       are ignored, except {@code .manifest} and {@code .signatures.json} at the top.
 * </ul>
 *
 * <h2>Values</h2>
 * Data documents become {@link java.util.LinkedHashMap}, {@link java.util.ArrayList},
 * {@link String}, {@link Boolean}, {@link Long} (integers that fit), {@link java.math.BigInteger}
 * (larger integers), {@link Double} (every other number: decimals are rounded to the nearest
 * binary64 value) and {@code null}, all unmodifiable. YAML is parsed as YAML 1.1 by
 * jackson-dataformat-yaml: unquoted {@code yes}, {@code no}, {@code on}, {@code off} are booleans,
 * so quote such strings. Duplicate keys, YAML aliases, numbers beyond the double range and strings
 * holding an unpaired UTF-16 surrogate (an escape such as U+D800 alone, which OPA's signature hash
 * reads as U+FFFD) are errors.
 *
 * <h2>Safety</h2>
 * A bundle is untrusted input. Every entry path must be relative with no {@code ..} segment, at
 * most 4,096 bytes long and at most 256 segments deep; an
 * archive may hold only regular files and directories (no links or devices) and no duplicate
 * entries; a directory's symbolic links must stay inside it; and the {@link BundleLimits} apply
 * (10,000 files, 16 MiB per file, 64 MiB in total, 1,000,000 values in the data files by default:
 * bytes alone do not bound the memory of many tiny values). A {@code .tar.gz} is read as a
 * stream and abandoned as soon as a limit is passed, so a gzip bomb costs at most
 * {@link BundleLimits#maxStreamBytes()} bytes of decompression. Corrupt gzip data, a bad tar
 * header checksum and a truncated archive are errors.
 *
 * <h2>Errors</h2>
 * Every problem is a {@link PolicyLoadException}. Problems with the archive as a whole stop the
 * load at once; problems in the documents (syntax errors with line and column, conflicts, unknown
 * manifest keys, data outside the roots) are all collected and reported together.
 *
 * <p>Stateless and thread-safe.
 */
public final class BundleLoader {
    private static final String DATA_JSON = "data.json";
    private static final String DATA_YAML = "data.yaml";
    private static final String DATA_YML = "data.yml";

    private BundleLoader() {}

    /** {@link #load(Path, BundleLimits)} with {@link BundleLimits#DEFAULTS}. */
    public static LoadedBundle load(Path path) {
        return load(path, BundleLimits.DEFAULTS);
    }

    /**
     * Loads a bundle directory or a gzip-compressed tar archive (recognised by its content: the
     * gzip magic bytes; the {@code .tar.gz}/{@code .tgz} name is not required).
     *
     * @throws PolicyLoadException when the path does not exist, is something else, or the bundle is
     *     invalid
     */
    public static LoadedBundle load(Path path, BundleLimits limits) {
        return load(path, limits, null);
    }

    /**
     * As {@link #load(Path, BundleLimits)}, with {@code verifyFirst} (a signature check) given the
     * bundle's files as read, before any of them (the manifest, data files) is parsed: a file changed
     * or added since signing is then reported as the signature's failure, not as whatever its parse
     * finds, and an unsigned file is never parsed. The bundle it sees has only its files (no manifest,
     * no data).
     */
    public static LoadedBundle load(Path path, BundleLimits limits, java.util.function.Consumer<Bundle> verifyFirst) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(limits, "limits");
        String source = path.toString();
        EntryCollector collector = new EntryCollector(source, limits);
        boolean archive = false;
        if (Files.isDirectory(path)) {
            DirectoryReader.read(path, collector);
        } else if (Files.isRegularFile(path)) {
            readArchive(path, collector);
            archive = true;
        } else if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            // a relative path is most often wrong for the working directory: say which one was searched
            throw EntryCollector.wholeBundle("bundle " + source + " does not exist"
                    + (path.isAbsolute() ? "" : " (looked for " + path.toAbsolutePath() + ")")
                    + "; expected a directory or a .tar.gz file");
        } else {
            throw EntryCollector.wholeBundle("bundle " + source + " is neither a directory nor a regular file;"
                    + " expected a directory or a .tar.gz file");
        }
        refuseIfPacked(source, packingHint(path, archive, collector));
        if (verifyFirst != null) {
            verifyFirst.accept(new LoadedBundle(source, Manifest.DEFAULT, collector.files(),
                    new java.util.HashMap<>()));
        }
        return assemble(source, collector.files(), limits);
    }

    /** Refuses a bundle packed one folder down: its .manifest (roots, revision) or signature would be ignored. */
    private static void refuseIfPacked(String source, String hint) {
        if (hint != null) {
            throw EntryCollector.wholeBundle("bundle " + source + " is packed one folder down: " + hint);
        }
    }

    /**
     * {@link #packingHint(Path, boolean, EntryCollector)} for a bundle that is not a file: the fix is
     * {@code instead} with the folder's name put in.
     */
    private static String packingHint(EntryCollector collector, java.util.function.UnaryOperator<String> instead) {
        Map.Entry<String, List<String>> packed = collector.packedInFolder();
        return packed == null ? null : ignoredIn(packed) + instead.apply(packed.getKey());
    }

    /** What a bundle packed one folder down lost ("every entry is in the folder 'rb/', whose rb/.manifest is ..."). */
    private static String ignoredIn(Map.Entry<String, List<String>> packed) {
        String folder = packed.getKey();
        String found = String.join(" and ", packed.getValue().stream().map(n -> folder + "/" + n).toList());
        return "every entry is in the folder '" + folder + "/', whose " + found
                + (packed.getValue().size() > 1 ? " are" : " is") + " ignored (only the bundle's top holds them): ";
    }

    /**
     * For a bundle whose entries all lie in one folder holding a {@code .manifest} or
     * {@code .signatures.json} (ignored below the top), the usual cause and its fix: an archive made
     * with {@code tar -czf b.tar.gz rb}, or the folder above the bundle given.
     */
    private static String packingHint(Path path, boolean archive, EntryCollector collector) {
        Map.Entry<String, List<String>> packed = collector.packedInFolder();
        if (packed == null) {
            return null;
        }
        String folder = packed.getKey();
        String what = ignoredIn(packed);
        if (archive) {
            String name = path.getFileName() == null ? "bundle.tar.gz" : path.getFileName().toString();
            return what + "the archive was packed with its folder; pack the contents: tar -C " + folder + " -czf "
                    + name + " .";
        }
        return what + "that folder is the bundle; load " + path.resolve(folder) + " instead";
    }

    /** {@link #loadClasspath(String, ClassLoader, BundleLimits)} with {@link BundleLimits#DEFAULTS}. */
    public static LoadedBundle loadClasspath(String resourceDir, ClassLoader loader) {
        return loadClasspath(resourceDir, loader, BundleLimits.DEFAULTS);
    }

    /**
     * Loads a bundle from a directory on the class path, for bundles shipped inside an
     * application. A {@code file:} resource is read as a directory; a {@code jar:} resource by
     * opening the jar as a zip file system and walking the directory inside it. The jar must hold
     * an entry for the directory itself (as {@code jar} and Maven write) or a {@code .manifest} in
     * it. Nested jars (a jar inside a jar) are not supported. The source is
     * {@code classpath:<resourceDir>}.
     *
     * @param resourceDir a resource path such as {@code policies/default} (leading and trailing
     *     {@code /} ignored)
     * @throws IllegalArgumentException when resourceDir is empty or contains {@code ..}
     * @throws PolicyLoadException when the directory is not found or the bundle is invalid
     */
    public static LoadedBundle loadClasspath(String resourceDir, ClassLoader loader, BundleLimits limits) {
        Objects.requireNonNull(resourceDir, "resourceDir");
        Objects.requireNonNull(loader, "loader");
        Objects.requireNonNull(limits, "limits");
        String dir = Roots.normalise(resourceDir);
        if (dir.isEmpty()) {
            throw new IllegalArgumentException("resourceDir must name a directory on the class path, was '"
                    + resourceDir + "'");
        }
        for (String segment : dir.split("/")) {
            if (segment.equals("..") || segment.equals(".") || segment.isEmpty()) {
                throw new IllegalArgumentException("resourceDir must be a plain resource path without '.', '..'"
                        + " or empty segments, was '" + resourceDir + "'");
            }
        }
        String source = "classpath:" + dir;
        URL url = loader.getResource(dir);
        if (url == null) {
            URL manifest = loader.getResource(dir + "/" + EntryCollector.MANIFEST);
            if (manifest != null) {
                String s = manifest.toString();
                try {
                    url = new java.net.URI(s.substring(0, s.length() - EntryCollector.MANIFEST.length() - 1)).toURL();
                } catch (URISyntaxException | IOException | IllegalArgumentException e) {
                    url = null;
                }
            }
        }
        if (url == null) {
            throw EntryCollector.wholeBundle("bundle " + source + " not found: the class loader has no resource"
                    + " directory '" + dir + "' (check the name; a jar needs a directory entry for it)");
        }
        EntryCollector collector = new EntryCollector(source, limits);
        switch (url.getProtocol()) {
            case "file":
                readFileUrl(url, source, collector);
                break;
            case "jar":
                readJarUrl(url, source, collector);
                break;
            default:
                throw EntryCollector.wholeBundle("bundle " + source + " resolves to " + url + "; only file: and"
                        + " jar: class path resources can be loaded (copy the bundle to a directory instead)");
        }
        refuseIfPacked(source, packingHint(collector, folder -> "that folder is the bundle; load classpath:" + dir
                + "/" + folder + " instead"));
        return assemble(source, collector.files(), collector.limits());
    }

    /**
     * Builds a bundle from files already in memory (generated bundles, tests). The names are
     * checked as for an archive and the limits apply.
     *
     * @param files bundle-relative {@code /}-separated paths to contents (the arrays are copied)
     */
    public static LoadedBundle fromFiles(String source, Map<String, byte[]> files) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(files, "files");
        EntryCollector collector = new EntryCollector(source, BundleLimits.DEFAULTS);
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            String path = EntryCollector.normalise(e.getKey());
            collector.beginFile(path, e.getKey(), e.getValue().length);
            collector.addFile(path, e.getKey(), e.getValue().clone());
        }
        refuseIfPacked(source, packingHint(collector, folder -> "that folder is the bundle; give its files with "
                + "paths below it"));
        return assemble(source, collector.files(), collector.limits());
    }

    private static void readFileUrl(URL url, String source, EntryCollector collector) {
        Path path;
        try {
            path = Path.of(url.toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw EntryCollector.wholeBundle("bundle " + source + ": cannot turn " + url + " into a path: "
                    + e.getMessage());
        }
        if (!Files.isDirectory(path)) {
            throw EntryCollector.wholeBundle("bundle " + source + " resolves to " + path + ", which is not a"
                    + " directory");
        }
        DirectoryReader.read(path, collector);
    }

    private static void readJarUrl(URL url, String source, EntryCollector collector) {
        URL jarUrl;
        String entry;
        try {
            URLConnection connection = url.openConnection();
            if (!(connection instanceof JarURLConnection jar)) {
                throw EntryCollector.wholeBundle("bundle " + source + ": " + url + " is not a jar resource");
            }
            jarUrl = jar.getJarFileURL();
            entry = jar.getEntryName();
        } catch (IOException e) {
            throw EntryCollector.wholeBundle("bundle " + source + ": cannot open " + url + ": " + FileErrors.reason(e));
        }
        if (!"file".equals(jarUrl.getProtocol()) || entry == null) {
            throw EntryCollector.wholeBundle("bundle " + source + " is inside a nested jar (" + url + "), which is"
                    + " not supported; unpack the bundle or ship it as a file");
        }
        Path jarPath;
        try {
            jarPath = Path.of(jarUrl.toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw EntryCollector.wholeBundle("bundle " + source + ": cannot turn " + jarUrl + " into a path: "
                    + e.getMessage());
        }
        try (FileSystem zip = FileSystems.newFileSystem(jarPath)) {
            Path dir = zip.getPath("/" + entry);
            if (!Files.isDirectory(dir)) {
                throw EntryCollector.wholeBundle("bundle " + source + ": " + entry + " in " + jarPath
                        + " is not a directory");
            }
            DirectoryReader.read(dir, collector);
        } catch (IOException e) {
            throw EntryCollector.wholeBundle("bundle " + source + ": cannot open jar " + jarPath + ": "
                    + FileErrors.reason(e));
        }
    }

    private static void readArchive(Path path, EntryCollector collector) {
        String source = collector.source();
        try (InputStream file = Files.newInputStream(path);
                BufferedInputStream in = new BufferedInputStream(file, 1 << 16)) {
            in.mark(2);
            int b0 = in.read();
            int b1 = in.read();
            in.reset();
            if (b0 != 0x1f || b1 != 0x8b) {
                String name = path.getFileName() == null ? "" : path.getFileName().toString();
                boolean gzName = name.endsWith(".tar.gz") || name.endsWith(".tgz");
                throw EntryCollector.wholeBundle("bundle " + source + (gzName
                        ? " has a .tar.gz name but is not gzip-compressed"
                        : " is not a gzip-compressed file") + "; a bundle must be a directory or a .tar.gz"
                        + " (gzip-compressed tar) file");
            }
            readGzip(in, collector);
        } catch (IOException e) {
            throw EntryCollector.wholeBundle("cannot read bundle " + source + ": " + FileErrors.reason(e));
        }
    }

    /** Reads a gzip-compressed tar stream; the stream is left open. Package-private for tests. */
    static void readGzip(InputStream compressed, EntryCollector collector) {
        String source = collector.source();
        long cap = collector.limits().maxStreamBytes();
        try {
            // strict: bytes after the gzip stream are an error, not ignored (GZIPInputStream ignores them)
            StrictGzipInputStream gz = new StrictGzipInputStream(compressed);
            CappedInputStream in = new CappedInputStream(gz, cap);
            TarReader.read(in, collector);
            long end = in.count();
            // Read to the end so that the gzip trailer (CRC-32 and length) is verified. Zero padding
            // after the end-of-archive marker is normal (tar fills its last record, 10240 bytes by
            // default); anything else is no part of the archive, and a bundle is signed content.
            byte[] sink = new byte[8192];
            long firstData = -1;
            int n;
            while ((n = in.read(sink)) >= 0) {
                for (int i = 0; i < n && firstData < 0; i++) {
                    if (sink[i] != 0) {
                        firstData = in.count() - n + i;
                    }
                }
            }
            if (firstData >= 0) {
                throw EntryCollector.wholeBundle("bundle " + source + ": data after the tar archive's end-of-archive "
                        + "marker: the archive ends at byte offset " + end + " of the decompressed tar, but a non-zero "
                        + "byte follows at offset " + firstData + " (" + (in.count() - end) + " bytes after the marker; "
                        + "only zero padding may follow it): a second archive appended to the first, or a damaged "
                        + "one; build the .tar.gz again from the bundle's directory (tar -C bundle -czf bundle.tar.gz .)");
            }
        } catch (CappedInputStream.CapExceededException e) {
            throw EntryCollector.wholeBundle("bundle " + source + " decompresses to more than "
                    + EntryCollector.describe(cap) + "; rejected as a possible gzip bomb");
        } catch (IOException e) {
            // StrictGzipInputStream's messages say what is wrong and where; the tar reader's say so too
            throw EntryCollector.wholeBundle("bundle " + source + ": " + e.getMessage());
        }
    }

    /** Parses the manifest and the data files and builds the bundle; collects document errors. */
    static LoadedBundle assemble(String source, Map<String, byte[]> files) {
        return assemble(source, files, BundleLimits.DEFAULTS);
    }

    /**
     * As {@link #assemble(String, Map)}, counting the data values against
     * {@link BundleLimits#maxDataValues()}.
     */
    static LoadedBundle assemble(String source, Map<String, byte[]> files, BundleLimits limits) {
        List<PolicyError> errors = new ArrayList<>();
        Manifest manifest = Manifest.DEFAULT;
        boolean manifestOk = true;
        byte[] manifestBytes = files.get(EntryCollector.MANIFEST);
        if (manifestBytes != null) {
            try {
                manifest = Manifest.parse(manifestBytes);
            } catch (PolicyLoadException e) {
                errors.addAll(e.errors());
                manifestOk = false;
            }
        }
        List<String> dataFiles = new ArrayList<>();
        for (String path : files.keySet()) {
            if (isDataFile(path)) {
                dataFiles.add(path);
            }
        }
        // Shallow files first, so that a conflict names the enclosing file first.
        dataFiles.sort(Comparator.<String>comparingLong(p -> p.chars().filter(c -> c == '/').count())
                .thenComparing(Comparator.naturalOrder()));
        DataMerger merger = new DataMerger();
        DocumentParser.ValueBudget budget = new DocumentParser.ValueBudget(limits.maxDataValues(), "the data files hold");
        boolean dataOk = true;
        for (String path : dataFiles) {
            try {
                Object value = DocumentParser.parse(files.get(path), DocumentParser.Format.of(path), path, false,
                        budget).value();
                merger.add(path, value);
            } catch (PolicyLoadException e) {
                errors.addAll(e.errors());
                dataOk = false;
                if (budget.exceeded()) {
                    break; // every later file would fail the same way
                }
            }
        }
        if (dataOk && merger.errors().isEmpty() && manifestOk) {
            merger.checkRoots(manifest.roots());
        }
        errors.addAll(merger.errors());
        if (!errors.isEmpty()) {
            throw new PolicyLoadException(errors);
        }
        return new LoadedBundle(source, manifest, files, merger.data());
    }

    /** Whether a bundle path is a data document ({@code data.json}, {@code data.yaml}, {@code data.yml}). */
    static boolean isDataFile(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        return name.equals(DATA_JSON) || name.equals(DATA_YAML) || name.equals(DATA_YML);
    }
}
