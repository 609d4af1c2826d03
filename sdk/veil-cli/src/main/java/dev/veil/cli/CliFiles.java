package dev.veil.cli;

import dev.veil.internal.bundle.BundleLimits;
import dev.veil.internal.bundle.CappedFiles;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/** File checks and writes shared by the commands; every failure is a {@link CliException}. */
final class CliFiles {
    private CliFiles() {}

    /**
     * Checks that {@code path} names an existing, readable regular file.
     *
     * @param what how the message names it, e.g. {@code "--input"} or {@code "audit log"}
     */
    static void requireReadableFile(Path path, String what) {
        if (!Files.exists(path)) {
            throw new CliException(what + " " + path + ": no such file");
        }
        if (Files.isDirectory(path)) {
            throw new CliException(what + " " + path + ": is a directory, expected a file");
        }
        if (!Files.isRegularFile(path)) {
            throw new CliException(what + " " + path + ": is not a regular file");
        }
        if (!Files.isReadable(path)) {
            throw new CliException(what + " " + path + ": is not readable (check its permissions)");
        }
    }

    /** Checks that {@code path} names an existing, readable file or directory. */
    static void requireReadable(Path path, String what) {
        if (!Files.exists(path)) {
            throw new CliException(what + " " + path + ": no such file or directory");
        }
        if (!Files.isReadable(path)) {
            throw new CliException(what + " " + path + ": is not readable (check its permissions)");
        }
    }

    /**
     * The largest file {@link #read} reads: the bundle loader's per-file limit, 16 MiB. An input
     * document, key store or key file is far smaller; a larger file is the wrong file, and reading
     * it whole would run out of memory.
     */
    static final long MAX_READ_BYTES = BundleLimits.DEFAULTS.maxFileBytes();

    /**
     * Reads a whole file after {@link #requireReadableFile}; a file larger than
     * {@link #MAX_READ_BYTES} is refused, naming its size.
     */
    static byte[] read(Path path, String what) {
        requireReadableFile(path, what);
        try {
            byte[] bytes = CappedFiles.read(path, MAX_READ_BYTES);
            if (bytes == null) {
                throw tooLarge(path, what, Files.size(path) + " bytes");
            }
            return bytes;
        } catch (IOException e) {
            throw new CliException(what + " " + path + ": cannot be read: " + describe(e), e);
        }
    }

    private static CliException tooLarge(Path path, String what, String size) {
        return new CliException(what + " " + path + ": is " + size + ", more than the " + (MAX_READ_BYTES >> 20)
                + " MiB (" + MAX_READ_BYTES + " bytes) a file read here may hold; is it the right file?");
    }

    /**
     * Checks that {@code path} can be the target of {@link #writeAtomically}: its directory exists
     * and it is not itself a directory.
     */
    static void requireWritableTarget(Path path, String what) {
        if (Files.isDirectory(path)) {
            throw new CliException(what + " " + path + ": is a directory, expected a file name");
        }
        Path dir = directoryOf(path);
        if (!Files.isDirectory(dir)) {
            throw new CliException(what + " " + path + ": directory " + dir + " does not exist; create it first");
        }
    }

    /**
     * Replaces {@code target} with {@code content} so that a reader sees either the old file or the
     * new one, never a part: writes a temporary file beside it, forces it to disk, then renames it
     * over the target. An existing target keeps its POSIX permissions, owner and group.
     */
    static void writeAtomically(Path target, byte[] content, String what) {
        stage(target, content, what).commit();
    }

    /**
     * The first half of {@link #writeAtomically}: the content written to a temporary file beside
     * {@code target}, forced to disk, with the target's permissions, owner and group, so that only
     * the rename is left ({@link Staged#commit}) or the file is dropped ({@link Staged#abandon}).
     * What can fail (a directory that cannot be written, an owner that cannot be kept) fails here,
     * before anything is shown or changed.
     */
    static Staged stage(Path target, byte[] content, String what) {
        requireWritableTarget(target, what);
        Path dir = directoryOf(target);
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            Files.write(tmp, content);
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            copyAttributes(target, tmp, what);
            Staged staged = new Staged(target, tmp, what);
            tmp = null;
            return staged;
        } catch (IOException e) {
            throw new CliException(what + " " + target + ": cannot be written: " + describe(e), e);
        } finally {
            delete(tmp);
        }
    }

    /** A file written beside its target, waiting to be renamed over it. */
    static final class Staged {
        private final Path target;
        private final Path tmp;
        private final String what;

        private Staged(Path target, Path tmp, String what) {
            this.target = target;
            this.tmp = tmp;
            this.what = what;
        }

        /** Renames the staged file over the target (atomically where the file system can). */
        void commit() {
            boolean moved = false;
            try {
                try {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
                moved = true;
            } catch (IOException e) {
                throw new CliException(what + " " + target + ": cannot be written: " + describe(e), e);
            } finally {
                if (!moved) {
                    delete(tmp);
                }
            }
        }

        /** Drops the staged file: the target stays as it was. */
        void abandon() {
            delete(tmp);
        }
    }

    private static void delete(Path tmp) {
        if (tmp != null) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort: the temporary file is hidden and named after the target
            }
        }
    }

    /**
     * Gives {@code to} the permissions, owner and group of {@code from} (a new file: owner read and
     * write, others read). A rename replaces the file with the one written, so without this a key
     * store written by root would leave the service that reads it unable to.
     */
    private static void copyAttributes(Path from, Path to, String what) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(to, PosixFileAttributeView.class);
        if (view == null) {
            return;
        }
        if (!Files.exists(from)) {
            view.setPermissions(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ));
            return;
        }
        PosixFileAttributes was = Files.readAttributes(from, PosixFileAttributes.class);
        PosixFileAttributes now = view.readAttributes();
        try {
            if (!now.owner().equals(was.owner())) {
                view.setOwner(was.owner());
            }
            if (!now.group().equals(was.group())) {
                view.setGroup(was.group());
            }
        } catch (IOException e) {
            throw new CliException(what + " " + from + ": belongs to " + was.owner().getName() + ":"
                    + was.group().getName() + ", which this user (" + now.owner().getName() + ") cannot give the "
                    + "file it writes; run the command as " + was.owner().getName() + " (or as root), so that "
                    + "whoever reads " + from.getFileName() + " still can; nothing was changed", e);
        }
        view.setPermissions(was.permissions());
    }

    private static Path directoryOf(Path path) {
        Path parent = path.toAbsolutePath().getParent();
        return parent != null ? parent : path.toAbsolutePath();
    }

    /** An I/O exception as a short phrase (Java's messages for these are often just the path). */
    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
