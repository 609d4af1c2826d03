package dev.veil.internal.bundle;

import dev.veil.internal.io.FileErrors;
import dev.veil.PolicyLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;
import java.util.Objects;

/**
 * Reads a bundle directory (on the default file system or inside a zip/jar file system) into an
 * {@link EntryCollector}.
 *
 * <p>Hidden directories ({@code .git} and any other name starting with {@code .}) are not entered
 * and hidden files other than {@code .manifest} and {@code .signatures.json} are not read.
 * Symbolic links are followed only when their target lies inside the bundle directory (so a
 * Kubernetes ConfigMap mount, whose files are links into a hidden {@code ..data} directory,
 * loads); a link that leaves the bundle, a broken link, a link loop and anything that is neither
 * a regular file nor a directory (device, FIFO, socket) is an error naming the path. In that
 * ConfigMap layout the version {@code ..data} points to is read whole ({@link #pinnedVersion}), so
 * an update during a load never mixes two versions.
 *
 * <p>A file is read from the real path that was checked, opened without following a link there,
 * and only when that path still names the same regular file after it is opened: a link swapped
 * during the load (to a file outside the bundle, or to a FIFO that would block the read) is never
 * followed a second time. This holds against links changed inside the bundle; a directory that
 * others can write to while it is loaded (replacing real files or directories) is not a safe
 * boundary, and no check here makes it one.
 *
 * <p>Stateless; safe to use from several threads.
 */
final class DirectoryReader {
    private DirectoryReader() {}

    static void read(Path dir, EntryCollector collector) {
        boolean defaultFs = dir.getFileSystem() == FileSystems.getDefault();
        Path root;
        try {
            root = defaultFs ? dir.toRealPath() : dir;
        } catch (IOException e) {
            throw EntryCollector.wholeBundle("cannot read bundle directory " + dir + ": " + describe(e));
        }
        try {
            Path walked = defaultFs ? pinnedVersion(root) : root;
            Files.walkFileTree(walked, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                    new Visitor(walked, root, defaultFs, collector));
        } catch (IOException e) {
            throw EntryCollector.wholeBundle("cannot read bundle directory " + dir + ": " + describe(e));
        }
    }

    /**
     * The directory to read. A Kubernetes ConfigMap or Secret volume updates atomically by writing a
     * new hidden version directory and swapping the link {@code ..data} to it; its visible entries
     * are links {@code X -> ..data/X}. Following each entry's link on its own, a load during a swap
     * could read the manifest of one version and a policy file of the next. When every visible
     * entry is such a link, the version {@code ..data} points to is resolved once and read whole;
     * otherwise the directory itself.
     */
    static Path pinnedVersion(Path root) throws IOException {
        Path data = root.resolve("..data");
        if (!Files.isSymbolicLink(data)) {
            return root;
        }
        boolean any = false;
        try (java.nio.file.DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path e : entries) {
                String name = e.getFileName().toString();
                if (name.startsWith("..")) {
                    continue; // ..data and the version directories
                }
                if (!Files.isSymbolicLink(e) || !Files.readSymbolicLink(e).toString().startsWith("..data/")) {
                    return root;
                }
                any = true;
            }
        }
        Path version = data.toRealPath();
        return any && Files.isDirectory(version) && version.startsWith(root) ? version : root;
    }

    private static String describe(IOException e) {
        return FileErrors.reason(e);
    }

    private static final class Visitor extends SimpleFileVisitor<Path> {
        /** The directory walked (paths in the bundle are relative to it). */
        private final Path root;
        /** The bundle directory, which no link may leave. */
        private final Path bundle;
        private final boolean defaultFs;
        private final EntryCollector collector;

        Visitor(Path root, Path bundle, boolean defaultFs, EntryCollector collector) {
            this.root = root;
            this.bundle = bundle;
            this.defaultFs = defaultFs;
            this.collector = collector;
        }

        private String relative(Path p) {
            Path rel = root.relativize(p);
            StringBuilder sb = new StringBuilder();
            for (Path part : rel) {
                String s = part.toString();
                if (s.endsWith("/")) {
                    s = s.substring(0, s.length() - 1); // zipfs directory names
                }
                if (s.isEmpty()) {
                    continue;
                }
                if (sb.length() > 0) {
                    sb.append('/');
                }
                sb.append(s);
            }
            return sb.toString();
        }

        /** The real path of {@code p}, checked to lie inside the bundle ({@code p} itself in a zip). */
        private Path checkInside(Path p, String rel) {
            if (!defaultFs) {
                return p; // zip file systems have no links
            }
            Path real;
            try {
                real = p.toRealPath();
            } catch (IOException e) {
                throw PolicyLoadException.of(rel, "cannot resolve path (broken symbolic link?): " + describe(e));
            }
            if (!real.startsWith(bundle)) {
                throw PolicyLoadException.of(rel, "symbolic link points outside the bundle directory (to " + real
                        + "); copy the file into the bundle instead");
            }
            return real;
        }

        /**
         * The attributes of the regular file at {@code real}, read without following a link; an
         * error when it is not one (it was replaced since the walk read it).
         */
        private BasicFileAttributes regularFile(Path real, String rel) throws IOException {
            BasicFileAttributes now = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!now.isRegularFile()) {
                throw PolicyLoadException.of(rel, "not a regular file (a link, device, FIFO or socket, or it was "
                        + "replaced while the bundle was read); a bundle may hold only regular files and directories");
            }
            return now;
        }

        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            String rel = relative(dir);
            if (rel.isEmpty()) {
                return FileVisitResult.CONTINUE;
            }
            if (EntryCollector.isIgnored(rel)) {
                return FileVisitResult.SKIP_SUBTREE;
            }
            String path = EntryCollector.normalise(rel);
            checkInside(dir, rel);
            collector.addDirectory(path, rel);
            return FileVisitResult.CONTINUE;
        }

        /**
         * Why the link {@code file} resolves to nothing: its links go round in a loop, there are more of
         * them than the system follows (40 on Linux), or the last one's target is missing.
         */
        private static String unresolved(Path file) {
            java.util.Set<Path> seen = new java.util.HashSet<>();
            Path p = file.toAbsolutePath().normalize();
            try {
                while (Files.isSymbolicLink(p)) {
                    if (!seen.add(p)) {
                        return "symbolic link loop: the links lead back to themselves and reach no file";
                    }
                    if (seen.size() > MAX_LINKS) {
                        return "too many levels of symbolic links (more than " + MAX_LINKS + " in a chain, the most "
                                + "the system follows): link the file directly";
                    }
                    Path parent = p.getParent();
                    Path target = Files.readSymbolicLink(p);
                    p = (parent == null ? target : parent.resolve(target)).toAbsolutePath().normalize();
                }
            } catch (IOException | UnsupportedOperationException e) {
                return "broken symbolic link";
            }
            return "broken symbolic link";
        }

        /** Links a path may go through before the system gives up (Linux's MAXSYMLINKS). */
        private static final int MAX_LINKS = 40;

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            String rel = relative(file);
            if (EntryCollector.isIgnored(rel)) {
                collector.noteIgnored(rel);
                return FileVisitResult.CONTINUE;
            }
            String path = EntryCollector.normalise(rel);
            if (attrs.isSymbolicLink()) {
                // FOLLOW_LINKS reports a link with its own attributes only when it cannot be resolved:
                // its target is missing, or links lead round in a loop (a -> b -> a)
                throw PolicyLoadException.of(rel, unresolved(file));
            }
            if (!attrs.isRegularFile()) {
                throw PolicyLoadException.of(rel, "not a regular file (device, FIFO or socket); a bundle may hold"
                        + " only regular files and directories");
            }
            Path real = checkInside(file, rel);
            long max = collector.limits().maxFileBytes();
            byte[] bytes;
            if (!defaultFs) {
                collector.beginFile(path, rel, attrs.size());
                try (InputStream in = Files.newInputStream(file)) {
                    bytes = in.readNBytes((int) (max + 1)); // one more than allowed, to notice a growing file
                } catch (IOException e) {
                    throw PolicyLoadException.of(rel, "cannot read: " + describe(e));
                }
                collector.addFile(path, rel, bytes);
                return FileVisitResult.CONTINUE;
            }
            // Read what was checked: the real path, not the link again (which may point elsewhere by
            // now), and only if it is still the regular file it was before it was opened (opening a
            // FIFO put there would block until something writes to it).
            try {
                BasicFileAttributes before = regularFile(real, rel);
                collector.beginFile(path, rel, before.size());
                try (InputStream in = Files.newInputStream(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                    BasicFileAttributes after = regularFile(real, rel);
                    if (before.fileKey() != null && !Objects.equals(before.fileKey(), after.fileKey())) {
                        throw PolicyLoadException.of(rel, "the file was replaced while the bundle was read; load "
                                + "it again when it no longer changes");
                    }
                    bytes = in.readNBytes((int) (max + 1)); // one more than allowed, to notice a growing file
                }
            } catch (IOException e) {
                throw PolicyLoadException.of(rel, "cannot read: " + describe(e));
            }
            collector.addFile(path, rel, bytes);
            return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException exc) {
            String rel = relative(file);
            if (EntryCollector.isIgnored(rel)) {
                return FileVisitResult.CONTINUE;
            }
            if (exc instanceof FileSystemLoopException) {
                throw PolicyLoadException.of(rel, "symbolic link loop: the link points to one of its own parents");
            }
            throw PolicyLoadException.of(rel, "cannot read: " + describe(exc));
        }
    }
}
