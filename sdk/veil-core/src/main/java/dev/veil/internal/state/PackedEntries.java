package dev.veil.internal.state;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.RandomAccess;

/**
 * The entries of a bounded list whose entries all have one length, as the in-memory store returns
 * them: one contiguous array, oldest entry first, instead of one array per entry. It is a
 * {@code List<byte[]>} like any list result ({@link #get} copies an entry out); a detector that
 * reads many entries can read {@link #data()} directly, which touches a few contiguous cache lines
 * instead of one scattered array per entry. Immutable (a copy of the list at the time of the
 * operation).
 */
public final class PackedEntries extends AbstractList<byte[]> implements RandomAccess {
    private final byte[] data;
    private final int stride;
    private final int size;

    PackedEntries(byte[] data, int stride, int size) {
        this.data = data;
        this.stride = stride;
        this.size = size;
    }

    /**
     * The entries of {@code entries} that are {@code stride} bytes long, in order, packed: the list
     * itself when it is already packed with that stride (no copy), else a packed copy that leaves
     * out the entries of other lengths (which a reader of fixed-size entries skips anyway).
     */
    public static PackedEntries of(java.util.List<byte[]> entries, int stride) {
        if (entries instanceof PackedEntries p && p.stride == stride) {
            return p;
        }
        int n = 0;
        for (byte[] e : entries) {
            n += e.length == stride ? 1 : 0;
        }
        byte[] data = new byte[n * stride];
        int k = 0;
        for (byte[] e : entries) {
            if (e.length == stride) {
                System.arraycopy(e, 0, data, k++ * stride, stride);
            }
        }
        return new PackedEntries(data, stride, n);
    }

    /** The entries, back to back: entry {@code i} is at {@code [i * stride(), (i + 1) * stride())}. Do not modify. */
    public byte[] data() {
        return data;
    }

    /** The length of every entry. */
    public int stride() {
        return stride;
    }

    @Override
    public byte[] get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + " out of [0, " + size + ")");
        }
        return Arrays.copyOfRange(data, index * stride, (index + 1) * stride);
    }

    @Override
    public int size() {
        return size;
    }
}
