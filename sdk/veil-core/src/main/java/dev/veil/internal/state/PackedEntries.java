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
