package dev.veil.internal.state;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.RandomAccess;

/**
 * The entries of a bounded list whose entries all have one length, as the in-memory store returns
 * them: one contiguous stretch of an array, oldest entry first, instead of one array per entry. It
 * is a {@code List<byte[]>} like any list result ({@link #get} copies an entry out); a detector that
 * reads many entries can read {@link #array()} directly from {@link #offset()} on, which touches a
 * few contiguous cache lines instead of one scattered array per entry. Immutable: the list as it was
 * at the time of the operation. The store hands out its own array, whose stretch of these entries
 * it never writes again (see {@code MemoryStateStore.BoundedList}), so a read copies nothing.
 */
public final class PackedEntries extends AbstractList<byte[]> implements RandomAccess {
    private final byte[] data;
    private final int offset;
    private final int stride;
    private final int size;

    PackedEntries(byte[] data, int offset, int stride, int size) {
        this.data = data;
        this.offset = offset;
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
        return new PackedEntries(data, 0, stride, n);
    }

    /**
     * The array that holds the entries, back to back: entry {@code i} is at
     * {@code [offset() + i * stride(), offset() + (i + 1) * stride())}. Other bytes of the array are
     * not part of this list. Do not modify.
     */
    public byte[] array() {
        return data;
    }

    /** Where entry 0 starts in {@link #array()}. */
    public int offset() {
        return offset;
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
        int from = offset + index * stride;
        return Arrays.copyOfRange(data, from, from + stride);
    }

    @Override
    public int size() {
        return size;
    }
}
