package dev.veil.internal.bundle;

/**
 * Resource limits applied while a bundle is read, so that a hostile or broken bundle (a gzip bomb,
 * an archive with millions of entries) is rejected before it exhausts memory.
 *
 * <p>{@link #DEFAULTS} are 10,000 files, 16 MiB per file, 64 MiB for all files together and
 * 1,000,000 values in the data files. The
 * limits count every regular file that is read: in an archive that is every file entry, including
 * ignored hidden files (they must be decompressed to be skipped); in a directory it is every file
 * that is not inside an ignored hidden directory. For a {@code .tar.gz} the decompressed stream as
 * a whole (headers, padding and metadata records included) is capped at {@link #maxStreamBytes()}.
 *
 * <p>Bytes alone do not bound memory: {@code [{},{},...]} is one value per 3 bytes, and each costs
 * a hundred bytes or more once parsed, so 16 MiB of it needs gigabytes. {@link #maxDataValues()}
 * counts every value (object, array, string, number, boolean, null) of all data files together
 * while they are parsed, and the load stops when there are more. The default, 1,000,000, is far
 * above realistic data (training statistics of 784 features with 100-bin histograms are about
 * 80,000 values; an API key entry is about 11, so a key file, counted on its own, holds up to about
 * 90,000 keys) and holds the parsed data to a few hundred
 * MiB at most. The files the policy engines parse themselves (the policy file, the key file, the
 * JWKS file) are held to {@link #DEFAULT_MAX_DATA_VALUES} values each, counted before they are
 * parsed ({@link dev.veil.internal.policy.ValueCount}).
 *
 * <p>Immutable and thread-safe.
 *
 * @param maxFiles the most regular files a bundle may hold
 * @param maxFileBytes the largest size of one file, in bytes
 * @param maxTotalBytes the largest size of all files together, in bytes
 * @param maxDataValues the most values all data files together may hold
 */
public record BundleLimits(int maxFiles, long maxFileBytes, long maxTotalBytes, int maxDataValues) {
    /** The default {@link #maxDataValues()}: 1,000,000. */
    public static final int DEFAULT_MAX_DATA_VALUES = 1_000_000;

    /** 10,000 files, 16 MiB per file, 64 MiB in total, 1,000,000 data values. */
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
        if (maxDataValues < 1) {
            throw new IllegalArgumentException("maxDataValues must be at least 1, was " + maxDataValues);
        }
    }

    /** The given byte and file limits with {@link #DEFAULT_MAX_DATA_VALUES}. */
    public BundleLimits(int maxFiles, long maxFileBytes, long maxTotalBytes) {
        this(maxFiles, maxFileBytes, maxTotalBytes, DEFAULT_MAX_DATA_VALUES);
    }

    /**
     * The cap on the decompressed tar stream: the file bytes plus room for a header, a pax record
     * and padding per file, plus 1 MiB.
     */
    public long maxStreamBytes() {
        return maxTotalBytes + 4096L * maxFiles + (1L << 20);
    }
}
