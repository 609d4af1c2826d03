package dev.veil.internal.bundle;

import dev.veil.PolicyLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;

/**
 * Reads a bundle directory (on the default file system or inside a zip/jar file system) into an
 * {@link EntryCollector}.
 *
 * <p>Hidden directories ({@code .git} and any other name starting with {@code .}) are not entered
 * and hidden files other than {@code .manifest} and {@code .signatures.json} are not read.
 * Symbolic links are followed only when their target lies inside the bundle directory (so a
 * Kubernetes ConfigMap mount, whose files are links into a hidden {@code ..data} directory,
 * loads); a link that leaves the bundle, a broken link, a link loop and anything that is neither
 * a regular file nor a directory (device, FIFO, socket) is an error naming the path.
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
            Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                    new Visitor(root, defaultFs, collector));
        } catch (IOException e) {
            throw EntryCollector.wholeBundle("cannot read bundle directory " + dir + ": " + describe(e));
        }
    }

    private static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory: " + e.getMessage();
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private static final class Visitor extends SimpleFileVisitor<Path> {
        private final Path root;
        private final boolean defaultFs;
        private final EntryCollector collector;

        Visitor(Path root, boolean defaultFs, EntryCollector collector) {
            this.root = root;
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

        private void checkInside(Path p, String rel) {
            if (!defaultFs) {
                return; // zip file systems have no links
            }
            Path real;
            try {
                real = p.toRealPath();
            } catch (IOException e) {
                throw PolicyLoadException.of(rel, "cannot resolve path (broken symbolic link?): " + describe(e));
            }
            if (!real.startsWith(root)) {
                throw PolicyLoadException.of(rel, "symbolic link points outside the bundle directory (to " + real
                        + "); copy the file into the bundle instead");
            }
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

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            String rel = relative(file);
            if (EntryCollector.isIgnored(rel)) {
                return FileVisitResult.CONTINUE;
            }
            String path = EntryCollector.normalise(rel);
            if (attrs.isSymbolicLink()) {
                // FOLLOW_LINKS reports a link with its own attributes only when the target is missing.
                throw PolicyLoadException.of(rel, "broken symbolic link");
            }
            if (!attrs.isRegularFile()) {
                throw PolicyLoadException.of(rel, "not a regular file (device, FIFO or socket); a bundle may hold"
                        + " only regular files and directories");
            }
            checkInside(file, rel);
            collector.beginFile(path, rel, attrs.size());
            long max = collector.limits().maxFileBytes();
            byte[] bytes;
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes((int) (max + 1)); // one more than allowed, to notice a growing file
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
