package dev.veil.internal.guard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.PolicyLoadException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rollback marks of signed bundles kept in a file across restarts
 * ({@code Guard.Builder.revisionFile}): for each bundle name, the newest ordered revision any Guard
 * using the file has had in force. The file is JSON, {@code {"signed_revisions": {"<name>":
 * "<revision>"}}}, rewritten whole: a temporary file beside it, forced, renamed over it, the
 * directory forced. Writes take an exclusive lock on {@code <file>.lock} (created beside it and
 * left there) and merge with what the file holds, the newer ordered revision winning, so Guards of
 * several processes can share one file and never lower each other's marks.
 *
 * <p>Thread-safe; the JVM-wide lock keeps two Guards of one process from asking the operating
 * system for the same file lock at once (which it refuses within one process).
 */
final class RevisionMarks {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FIELD = "signed_revisions";
    private static final Object JVM_LOCK = new Object();

    private final Path file;
    private final Path lockFile;

    private RevisionMarks(Path file) {
        this.file = file;
        this.lockFile = file.resolveSibling(file.getFileName() + ".lock");
    }

    /**
     * The marks kept in {@code file}, read once here so that a file that cannot be used fails the
     * build rather than a later reload.
     *
     * @throws PolicyLoadException when the directory is missing, or the file cannot be read or is not
     *     a revision file
     */
    static RevisionMarks open(Path file) {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw PolicyLoadException.of(file.toString(), "the directory of the revision file does not exist; create it "
                    + "first");
        }
        RevisionMarks m = new RevisionMarks(abs);
        m.read();
        return m;
    }

    /** The file. */
    Path file() {
        return file;
    }

    /** The mark of bundle {@code name} in the file now, or null. */
    String mark(String name) {
        return read().get(name);
    }

    /** Every mark in the file now. */
    Map<String, String> marks() {
        return read();
    }

    /**
     * Raises the mark of {@code name} to {@code revision} (an ordered revision) unless the file holds
     * one that is not older; waits for other writers. Called just before the bundle takes effect,
     * after the Guard compared it with the mark it had read: another Guard may have raised the mark
     * since, so a mark found newer here refuses the bundle too.
     *
     * @throws PolicyLoadException when the file holds a newer mark, or cannot be written: the bundle
     *     must then not take effect, or a restart could accept a release older than it
     */
    void raise(String name, String revision) {
        if (!raises(read(), name, revision)) {
            return; // nothing to write: no lock either (the file may be read-only for this process)
        }
        synchronized (JVM_LOCK) {
            try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock ignored = lock(lockChannel)) {
                Map<String, String> marks = read();
                if (!raises(marks, name, revision)) {
                    return;
                }
                marks.put(name, revision);
                write(marks);
            } catch (IOException e) {
                throw PolicyLoadException.of(file.toString(), "the revision file could not be written (" + e
                        + "), so revision '" + revision + "' of signed bundle '" + name + "' was not put in force: "
                        + "otherwise a restart could accept an older signed release. Fix the file's directory (space, "
                        + "permissions) and load the bundle again");
            }
        }
    }

    /**
     * Whether {@code revision} is newer than the mark of {@code name} in {@code marks} (or there is
     * none); false when they are equal or have no order.
     *
     * @throws PolicyLoadException when the mark is newer (another Guard raised it after this one read
     *     it)
     */
    private boolean raises(Map<String, String> marks, String name, String revision) {
        String old = marks.get(name);
        Integer order = old == null ? Integer.valueOf(1) : Revisions.compare(revision, old);
        if (order != null && order < 0) {
            throw PolicyLoadException.of(".manifest", "revision '" + revision + "' of signed bundle '" + name
                    + "' is older than the signed revision '" + old + "' another Guard using " + file + " has put in "
                    + "force meanwhile: a rollback to an older signed release is refused (it may restore a revoked "
                    + "key or a weaker rule); to roll back on purpose, sign the old content again with a newer "
                    + "revision");
        }
        return order != null && order > 0;
    }

    /**
     * The exclusive lock on the lock file. Another copy of Veil in this process (another class
     * loader, whose JVM-wide lock is its own) may hold it: the operating system does not make a
     * process wait for its own lock, so this waits for it here, at most 10 seconds.
     */
    private FileLock lock(FileChannel channel) throws IOException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                return channel.lock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException("another copy of Veil in this process (another class loader) has held "
                            + lockFile + " for 10 seconds");
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for " + lockFile, interrupted);
                }
            }
        }
    }

    private Map<String, String> read() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new TreeMap<>();
        } catch (IOException e) {
            throw PolicyLoadException.of(file.toString(), "the revision file cannot be read: " + e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            throw notARevisionFile("it is not JSON (" + e.getMessage() + ")");
        }
        JsonNode marks = root == null ? null : root.get(FIELD);
        if (root == null || !root.isObject() || root.size() != 1 || marks == null || !marks.isObject()) {
            throw notARevisionFile("it must be an object with the one key \"" + FIELD + "\", an object of bundle "
                    + "names to revisions");
        }
        Map<String, String> out = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = marks.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual() || !Revisions.ordered(e.getValue().asText())) {
                throw notARevisionFile("the mark of bundle '" + e.getKey() + "' must be a revision with an order "
                        + "(a date or a version), was " + e.getValue());
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private PolicyLoadException notARevisionFile(String why) {
        return PolicyLoadException.of(file.toString(), "not a revision file: " + why + ". Restore it, or delete it to "
                + "forget every mark (a restart then accepts any signed release again)");
    }

    private void write(Map<String, String> marks) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode m = root.putObject(FIELD);
        marks.forEach(m::put);
        byte[] bytes = (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(tmp);
            throw new IOException("the file system cannot rename atomically: " + e.getMessage(), e);
        }
        try (FileChannel d = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // some platforms cannot open or sync a directory; the file itself was forced
        }
    }

    @Override
    public String toString() {
        return "RevisionMarks[" + file + "]";
    }
}
