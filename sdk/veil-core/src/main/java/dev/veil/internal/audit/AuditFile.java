package dev.veil.internal.audit;

import dev.veil.internal.text.ControlChars;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

/**
 * An audit log file opened for appending: locked against a second writer, checked at its end, and
 * positioned after its last record.
 *
 * <p>The log must be a regular file (a symbolic link is followed: a link to a regular file is
 * fine, one to {@code /dev/null} is refused like {@code /dev/null} itself). The lock against a
 * second writer, in this process or another, is an exclusive lock on the lock file {@code
 * <file>.lock} beside the (real) file, which nothing else opens: a lock on the log itself would be
 * dropped (on Linux) as soon as anything in this process closed another descriptor of the log, e.g.
 * {@code AuditLog.verify}. The lock file is created readable and writable by its owner only, holds
 * nothing, and stays after close; one left by a crashed writer blocks nobody, since the operating
 * system drops the lock with the process. Two names of one file by hard link get two lock files:
 * they are not told apart.
 *
 * <p>Opening continues the chain from the last line, which must end with a newline and whose hash
 * must match its content; otherwise the file is refused (a truncated or edited last record means
 * the log is broken, and appending would bury the break). Only the last record is checked here;
 * {@link AuditVerifier} checks the whole chain.
 *
 * <p>Before each batch the file must not be shorter than what this writer wrote: a file truncated
 * by another process (logrotate's {@code copytruncate}) is a write failure for good, like a deleted
 * one, rather than records written after a hole of zero bytes.
 *
 * <p>After each batch ({@link #flush} and {@link #force}) the open file is checked: a file deleted
 * while open would take every later record with it, unseen, so a deleted file (no name left) is a
 * write failure for good ({@link Sink.Unrecoverable}: the batch is refused or counted lost, and the
 * log takes no more records; a full disk, by contrast, may pass). Its link count is read
 * through this process's descriptor of it ({@code /proc/self/fd} or {@code /dev/fd}), which sees
 * the file whatever its names: a rename (and a hard link kept while the old name is removed)
 * leaves it linked, and the Guard goes on writing there, with a warning naming the new name. Where
 * no descriptor view exists, a name that no longer leads to the open file counts as deleted (fail
 * closed: a rename cannot be told from a deletion there); where files have no identity at all
 * ({@code fileKey()} null, e.g. on Windows), neither is noticed.
 *
 * <p>Used by one writer thread at a time.
 */
final class AuditFile implements Sink {
    /**
     * The mode of a log this class creates (the process's umask may take more away): an existing
     * log keeps its own.
     */
    static final Set<PosixFilePermission> NEW_LOG_PERMISSIONS = PosixFilePermissions.fromString("rw-r-----");

    private static final int BLOCK = 1 << 16;
    /** Where this process's descriptors can be looked at as paths: Linux, then the BSDs and macOS. */
    private static final List<Path> DESCRIPTOR_VIEWS = List.of(Path.of("/proc/self/fd"), Path.of("/dev/fd"));

    private final Path file;
    private final FileChannel channel;
    /** The lock file's channel ({@link #lockFileOf}), which holds {@link #lock}: nothing else opens it. */
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final String lastHash;
    /** The open file's identity (device and inode), or null where the platform has none. */
    private final Object fileKey;
    /** A descriptor of the open file seen as a path ({@code /proc/self/fd/N}), or null where there is no such view. */
    private Path descriptor;
    /** The name under which the open file was last seen: {@link #file}, or where it was renamed to. */
    private Path seenAs;

    private AuditFile(Path file, FileChannel channel, FileChannel lockChannel, FileLock lock, String lastHash,
            Object fileKey, Path descriptor) {
        this.file = file;
        this.channel = channel;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.lastHash = lastHash;
        this.fileKey = fileKey;
        this.seenAs = file;
        this.descriptor = descriptor;
    }

    /**
     * Opens (creating when missing) {@code file} for appending.
     *
     * @param file the log file; its directory must exist (the entry of a new file is forced to the
     *     device, so that the records forced later are not lost with it)
     * @return the open file
     * @throws AuditUnavailableException when the file cannot be opened, is not a regular file, is
     *     locked by another writer (or its lock file cannot be used), or its last record is truncated
     *     or altered
     */
    static AuditFile open(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new AuditUnavailableException("audit log " + file + ": directory " + parent
                    + " does not exist; create it first");
        }
        if (Files.isDirectory(file)) {
            throw new AuditUnavailableException("audit log " + file + " is a directory; name a file");
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw notARegularFile(file);
        }
        boolean existed = Files.exists(file);
        FileChannel ch;
        try {
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                // a new log: its owner writes it, its group (operators, auditors, a log shipper) reads
                // it, others nothing (it holds caller ids, tenants, released answers, rules)
                ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(NEW_LOG_PERMISSIONS));
            } else {
                ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            }
        } catch (IOException e) {
            throw new AuditUnavailableException("audit log " + file + " cannot be opened for appending: " + e, e);
        }
        FileChannel lockChannel = null;
        try {
            // The lock is held on a file of its own, which nothing else opens: on Linux, closing any
            // descriptor of a file drops every lock the process holds on it, so a lock on the log
            // itself would vanish as soon as anything in this process (AuditLog.verify, a second
            // Guard trying its luck) opened and closed the log.
            Path lockFile = lockFileOf(file);
            lockChannel = openLockFile(file, lockFile);
            FileLock lock;
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                throw new AuditUnavailableException("audit log " + file
                        + " is already open for writing in this process; close the other Guard or use another file");
            }
            if (lock == null) {
                throw new AuditUnavailableException("audit log " + file + " is locked by another process (its lock file "
                        + lockFile + "); each writer needs its own file");
            }
            // Read by name, after the open: the name must still lead to a regular file, and to the one
            // this channel has open (a descriptor of this process shows it; the log itself is not
            // opened again). A name replaced during the open would otherwise give the new file's
            // identity, and every later check would look at the wrong file while records went to the
            // unlinked one.
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            if (!attrs.isRegularFile()) {
                throw notARegularFile(file);
            }
            Object key = attrs.fileKey();
            Path descriptor = key == null ? null : findDescriptor(key);
            if (key != null && descriptor == null && hasDescriptorView()) {
                throw new AuditUnavailableException("audit log " + file + ": the name was replaced while the file was "
                        + "being opened; open it again");
            }
            String last = lastHash(ch, file);
            ch.position(ch.size());
            if (!existed && parent != null) {
                forceDirectory(parent);
            }
            return new AuditFile(file, ch, lockChannel, lock, last, key, descriptor);
        } catch (IOException e) {
            closeQuietly(ch);
            closeQuietly(lockChannel);
            throw new AuditUnavailableException("audit log " + file + " cannot be read: " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            closeQuietly(lockChannel);
            throw e;
        }
    }

    private static AuditUnavailableException notARegularFile(Path file) {
        return new AuditUnavailableException("audit log " + file + " is not a regular file (a device such as "
                + "/dev/null, a pipe or a socket, or a symbolic link to one): records written there would not be kept; "
                + "name a regular file, or a path where one can be created");
    }

    /**
     * The lock file of {@code file}: beside the file a symbolic link leads to, named after it with
     * {@code .lock} appended, so that two names of one file (a link and its target, a relative and an
     * absolute path) share one lock. {@code file} exists (it was just opened).
     */
    static Path lockFileOf(Path file) throws IOException {
        Path real = file.toRealPath();
        return real.resolveSibling(real.getFileName() + ".lock");
    }

    /**
     * Opens (creating when missing, readable and writable by its owner only) the lock file. A lock
     * file left behind by a writer that crashed is used again: only the lock on it matters, and the
     * operating system drops that with the process. It is never deleted: a writer that deleted it
     * on close could leave another waiting on the deleted one while a third locks a new one.
     */
    private static FileChannel openLockFile(Path file, Path lockFile) {
        if (Files.exists(lockFile, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(lockFile, LinkOption.NOFOLLOW_LINKS)) {
            throw new AuditUnavailableException("audit log " + file + ": its lock file " + lockFile + " is not a "
                    + "regular file (a directory, a symbolic link or a device); remove it, and a Guard creates it again");
        }
        Set<OpenOption> options = Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
        try {
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                // nobody else may hold it (a shared lock needs only read access) and keep the Guard from starting
                return FileChannel.open(lockFile, options,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            return FileChannel.open(lockFile, options);
        } catch (IOException e) {
            throw new AuditUnavailableException("audit log " + file + ": its lock file " + lockFile + " cannot be opened ("
                    + e + "); it must be a regular file this user can read and write, or absent where this user can "
                    + "create it", e);
        }
    }

    /** @return the hash of the file's last record, 64 zeros when the file is empty */
    String lastHash() {
        return lastHash;
    }

    /** Where the last write began (for {@link #abandonLastWrite}); -1 before the first. */
    private long lastWriteStart = -1;

    /**
     * Writes a batch of whole records; {@link #abandonLastWrite} takes it back. Fails for good, and
     * writes nothing, when the file has become shorter than where this writer is: another process
     * truncated it (logrotate's {@code copytruncate}), and writing on would leave a hole of zero
     * bytes where the records were, before a record whose chain no longer leads anywhere.
     */
    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        lastWriteStart = -1;
        long at = channel.position();
        long size = channel.size();
        if (size < at) { // not cut back by abandonLastWrite: the file is not this writer's to change any more
            throw new Sink.Unrecoverable("the file was truncated by another process while open (" + size
                    + " bytes left of the " + at + " written; logrotate's copytruncate does this): the records cut "
                    + "off are gone from it, and writing on would leave a hole of zero bytes. Rotate an audit log by "
                    + "closing the Guard, moving the file away and building a new Guard, not with copytruncate");
        }
        lastWriteStart = at;
        ByteBuffer bb = ByteBuffer.wrap(b, off, len);
        while (bb.hasRemaining()) {
            channel.write(bb);
        }
        // Truncated between the check above and the write: the write then made a hole of zero bytes
        // before the batch, and the size is what it should be. The byte before the batch tells (it is
        // the line feed that ends the previous record). The hole and the batch go, the log stops.
        if (at > 0 && byteAt(at - 1) != '\n') {
            long start = at;
            while (start > 0 && byteAt(start - 1) == 0) {
                start--;
            }
            lastWriteStart = -1;
            channel.truncate(start);
            channel.position(start);
            throw new Sink.Unrecoverable("the file was truncated by another process during a write (logrotate's "
                    + "copytruncate does this): the records cut off are gone from it, and the write left a hole of zero "
                    + "bytes, now removed with it. Rotate an audit log by closing the Guard, moving the file away and "
                    + "building a new Guard, not with copytruncate");
        }
    }

    /** The byte at {@code position} of the file, or -1 beyond its end. */
    private int byteAt(long position) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        return channel.read(one, position) == 1 ? one.get(0) & 0xff : -1;
    }

    /**
     * Cuts the file back to where the last write began, so that it still ends with a whole record
     * after a write or a force that failed part-way (a full disk): the log stays verifiable, and a
     * Guard can reopen it once there is room again.
     */
    @Override
    public boolean abandonLastWrite() {
        if (lastWriteStart < 0) {
            return false; // where it began is not known
        }
        try {
            channel.truncate(lastWriteStart);
            channel.position(lastWriteStart);
            return channel.size() == lastWriteStart;
        } catch (IOException e) {
            return false; // the writer stops for good and says so; verify will name what is left
        }
    }

    @Override
    public void flush() throws IOException {
        // FileChannel writes go straight to the operating system
        checkStillNamed();
    }

    @Override
    public void force() throws IOException {
        channel.force(false);
        checkStillNamed();
    }

    /**
     * Fails when the open file has been deleted: what was written since then is gone. Follows a
     * rename. One {@code stat} of the descriptor and one of the name per batch; a search of the
     * descriptors only when the name no longer leads to the open file.
     */
    private void checkStillNamed() throws IOException {
        if (fileKey == null) {
            return;
        }
        boolean named = fileKey.equals(keyOf(seenAs));
        if (descriptor == null) {
            if (!named) {
                throw new Sink.Unrecoverable(seenAs + " no longer names the open file, which was renamed or deleted (this "
                        + "system has no /proc/self/fd or /dev/fd to tell which), so the records written since may be "
                        + "gone. Rotate an audit log by closing the Guard and building a new one");
            }
            return;
        }
        long links = links(descriptor);
        if (links < 0) { // the descriptor seen was not this channel's and was closed: look again
            descriptor = findDescriptor(fileKey);
            links = descriptor == null ? 0 : links(descriptor);
        }
        if (links == 0) {
            throw new Sink.Unrecoverable("the file was deleted while open (" + seenAs + " no longer names it"
                    + (seenAs.equals(file) ? "" : "; it had been renamed from " + file) + "): the records written"
                    + " since are gone. Rotate an audit log by closing the Guard and building a new one");
        }
        if (!named) {
            Path now = currentName();
            if (now != null || !nameLost) { // a name that cannot be read is reported once, not every batch
                WriterThread.LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("audit log " + file + " was renamed"
                        + (now == null ? " (its new name could not be read)" : " to " + now) + " while open; the "
                        + "Guard goes on writing there. A Guard writes to one file for its whole life: rotate by "
                        + "closing the Guard and building a new one"));
            }
            nameLost = now == null;
            seenAs = now == null ? seenAs : now;
        }
    }

    /** Whether the open file's current name could not be read (already reported). */
    private boolean nameLost;

    /** The open file's link count through a descriptor; -1 when the descriptor no longer shows this file. */
    private long links(Path fd) {
        try {
            java.util.Map<String, Object> a = Files.readAttributes(fd, "unix:nlink,fileKey");
            return fileKey.equals(a.get("fileKey")) ? ((Number) a.get("nlink")).longValue() : -1;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return -1;
        }
    }

    private static Object keyOf(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Whether this process's descriptors can be looked at as paths here. */
    private static boolean hasDescriptorView() {
        for (Path view : DESCRIPTOR_VIEWS) {
            if (Files.isDirectory(view)) {
                return true;
            }
        }
        return false;
    }

    /** A descriptor of this process that shows the file with this identity, or null. */
    private static Path findDescriptor(Object key) {
        for (Path view : DESCRIPTOR_VIEWS) {
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(view)) {
                for (Path fd : fds) {
                    try {
                        if (key.equals(Files.readAttributes(fd, BasicFileAttributes.class).fileKey())) {
                            return fd;
                        }
                    } catch (IOException | UnsupportedOperationException e) {
                        // a descriptor closed meanwhile, or not a file: look at the next one
                    }
                }
            } catch (IOException | UnsupportedOperationException e) {
                // no such view here: try the next
            }
        }
        return null;
    }

    /** The name the open file has now, read from its descriptor; null when it has none or it cannot be read. */
    private Path currentName() {
        try {
            Path target = Files.readSymbolicLink(descriptor);
            return fileKey.equals(keyOf(target)) ? target : null;
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    @Override
    public String name() {
        return file.toString();
    }

    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            try {
                if (lock.isValid()) {
                    lock.release();
                }
            } finally {
                lockChannel.close(); // the lock file stays: see openLockFile
            }
        }
    }

    private static String lastHash(FileChannel ch, Path file) throws IOException {
        long size = ch.size();
        if (size == 0) {
            return AuditSerializer.ZERO_HASH;
        }
        if (size >= 2 && byteAt(ch, 0) == 0x1f && byteAt(ch, 1) == (byte) 0x8b) {
            throw new AuditUnavailableException("audit log " + file + " is gzip-compressed, not a JSON-lines log a"
                    + " Guard can append to: give the Guard a new file ('veil audit verify' checks a rotated,"
                    + " compressed log as it is)");
        }
        if (byteAt(ch, size - 1) != '\n') {
            long line = countNewlines(ch, size) + 1;
            throw refused(file, line, "", "is truncated: the file does not end with a newline"
                    + " (a write was interrupted or the file was cut)");
        }
        long end = size - 1;
        long start = lineStart(ch, end);
        long len = end - start;
        // The line's number is counted only for the message of a broken log: counting reads the
        // whole file, which opening a sound log of gigabytes must not.
        if (len > AuditVerifier.MAX_LINE_BYTES) {
            throw refused(file, countNewlines(ch, start) + 1, "", "is longer than " + AuditVerifier.MAX_LINE_BYTES
                    + " bytes: not an audit record");
        }
        byte[] bytes = new byte[(int) len];
        readFully(ch, ByteBuffer.wrap(bytes), start);
        AuditVerifier.Checked c = new AuditVerifier.Checker().check(bytes, bytes.length, null);
        if (c.problem != null) {
            throw refused(file, countNewlines(ch, start) + 1, c.decisionId, c.problem);
        }
        return c.hash;
    }

    private static AuditUnavailableException refused(Path file, long line, String decisionId, String why) {
        return new AuditUnavailableException("audit log " + file + " is broken: line " + line
                + (decisionId.isEmpty() ? "" : " (decision " + decisionId + ")") + " " + why
                + ". Refusing to append to a broken log: run 'veil audit verify " + file
                + "', keep the file as evidence, and start a new one");
    }

    /** Start offset of the line that ends at {@code end} (the offset of its newline). */
    private static long lineStart(FileChannel ch, long end) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(BLOCK);
        long hi = end;
        while (hi > 0) {
            long lo = Math.max(0, hi - BLOCK);
            buf.clear().limit((int) (hi - lo));
            readFully(ch, buf, lo);
            for (int i = (int) (hi - lo) - 1; i >= 0; i--) {
                if (buf.get(i) == '\n') {
                    return lo + i + 1;
                }
            }
            if (end - lo > AuditVerifier.MAX_LINE_BYTES) {
                return lo;
            }
            hi = lo;
        }
        return 0;
    }

    private static long countNewlines(FileChannel ch, long upTo) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(BLOCK);
        long n = 0;
        for (long pos = 0; pos < upTo; ) {
            buf.clear().limit((int) Math.min(BLOCK, upTo - pos));
            readFully(ch, buf, pos);
            for (int i = 0; i < buf.limit(); i++) {
                if (buf.get(i) == '\n') {
                    n++;
                }
            }
            pos += buf.limit();
        }
        return n;
    }

    private static byte byteAt(FileChannel ch, long pos) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        readFully(ch, one, pos);
        return one.get(0);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        long p = pos;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, p);
            if (n < 0) {
                throw new IOException("unexpected end of file at offset " + p);
            }
            p += n;
        }
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Some platforms cannot open or sync a directory; the file's own force still holds.
            System.getLogger(AuditFile.class.getName()).log(System.Logger.Level.DEBUG,
                    "cannot force directory " + dir + ": " + e);
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch == null) {
            return;
        }
        try {
            ch.close();
        } catch (IOException ignored) {
            // already failing
        }
    }
}
