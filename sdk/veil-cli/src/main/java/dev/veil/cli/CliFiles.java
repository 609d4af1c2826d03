package dev.veil.cli;

import dev.veil.internal.bundle.BundleLimits;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
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
            long size = Files.size(path);
            if (size > MAX_READ_BYTES) {
                throw tooLarge(path, what, size + " bytes");
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(path)) {
                bytes = in.readNBytes((int) MAX_READ_BYTES + 1); // a file that grew since
            }
            if (bytes.length > MAX_READ_BYTES) {
                throw tooLarge(path, what, "more than " + MAX_READ_BYTES + " bytes");
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
     * over the target. An existing target keeps its POSIX permissions.
     */
    static void writeAtomically(Path target, byte[] content, String what) {
        requireWritableTarget(target, what);
        Path dir = directoryOf(target);
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            Files.write(tmp, content);
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            copyPermissions(target, tmp);
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new CliException(what + " " + target + ": cannot be written: " + describe(e), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the temporary file is hidden and named after the target
                }
            }
        }
    }

    private static void copyPermissions(Path from, Path to) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(to, PosixFileAttributeView.class);
        if (view == null) {
            return;
        }
        Set<PosixFilePermission> perms = Files.exists(from)
                ? Files.getPosixFilePermissions(from)
                : Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                        PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
        view.setPermissions(perms);
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
