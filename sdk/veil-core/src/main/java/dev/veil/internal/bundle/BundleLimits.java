package dev.veil.internal.bundle;

/**
 * Resource limits applied while a bundle is read, so that a hostile or broken bundle (a gzip bomb,
 * an archive with millions of entries) is rejected before it exhausts memory.
 *
 * <p>{@link #DEFAULTS} are 10,000 files, 16 MiB per file and 64 MiB for all files together. The
 * limits count every regular file that is read: in an archive that is every file entry, including
 * ignored hidden files (they must be decompressed to be skipped); in a directory it is every file
 * that is not inside an ignored hidden directory. For a {@code .tar.gz} the decompressed stream as
 * a whole (headers, padding and metadata records included) is capped at {@link #maxStreamBytes()}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param maxFiles the most regular files a bundle may hold
 * @param maxFileBytes the largest size of one file, in bytes
 * @param maxTotalBytes the largest size of all files together, in bytes
 */
public record BundleLimits(int maxFiles, long maxFileBytes, long maxTotalBytes) {
    /** 10,000 files, 16 MiB per file, 64 MiB in total. */
    public static final BundleLimits DEFAULTS = new BundleLimits(10_000, 16L << 20, 64L << 20);

    /** Upper bound on one pax extended header or GNU long-name record. */
    static final int MAX_META_ENTRY_BYTES = 64 * 1024;

    /** Checks the limits; throws IllegalArgumentException naming the bad one. */
    public BundleLimits {
        if (maxFiles < 1) {
            throw new IllegalArgumentException("maxFiles must be at least 1, was " + maxFiles);
        }
        if (maxFileBytes < 1) {
            throw new IllegalArgumentException("maxFileBytes must be at least 1, was " + maxFileBytes);
        }
        if (maxFileBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(
                    "maxFileBytes must be at most " + (Integer.MAX_VALUE - 8) + " (one Java array), was "
                            + maxFileBytes);
        }
        if (maxTotalBytes < maxFileBytes) {
            throw new IllegalArgumentException(
                    "maxTotalBytes must be at least maxFileBytes (" + maxFileBytes + "), was " + maxTotalBytes);
        }
    }

    /**
     * The cap on the decompressed tar stream: the file bytes plus room for a header, a pax record
     * and padding per file, plus 1 MiB.
     */
    public long maxStreamBytes() {
        return maxTotalBytes + 4096L * maxFiles + (1L << 20);
    }
}
