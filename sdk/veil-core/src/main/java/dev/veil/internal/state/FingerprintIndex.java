package dev.veil.internal.state;

import dev.veil.spi.StateOp;
import java.util.Arrays;

/**
 * One fingerprint index of the {@link MemoryStateStore} (one {@code StateOp.Fingerprint#index}),
 * in primitive arrays: no object per hash, no string key per hash, no boxing.
 *
 * <p><b>Layout.</b> Every remembered query (one {@link StateOp.Fingerprint} operation) takes a slot
 * in a ring of queries that holds its member string, its hash array (the operation's own array,
 * kept without a copy) and the time its entries expire. The index proper is an open-addressing
 * table (linear probing, 58% to 87.5% full, growing by half, backward-shift deletion) of {@code int} references,
 * one per (query, hash) entry: the query's sequence number and the hash's position in its array,
 * with a parallel byte of the hash's mixed bits that rules out almost every non-matching slot
 * without reading the query's array. A hash's "ring" in the SPI's terms is the set of entries in
 * the table with that hash, oldest first by sequence number.
 *
 * <p><b>Same answers as one list per hash</b> (the Redis store's layout, and this store's before):
 * for each hash of an operation, in order, the earlier entries of that hash are read oldest first,
 * the new entry is added, and the oldest are dropped beyond {@code maxMembersPerHash}; members are
 * counted by their string (equal strings are one member; the operation's own member is skipped),
 * and the first member to reach the highest count is the match. A hash's entries expire together,
 * {@code ttl} after the newest of them was written, exactly as a list whose time to live every
 * write refreshes.
 *
 * <p><b>Bounds.</b> A query whose entries were all dropped frees its member and hash array at once.
 * When the index holds more than {@code maxBytes} (or {@value #MAX_QUERIES} queries), its oldest
 * queries are forgotten first (ring-buffer eviction). Entries of expired hashes are invisible at
 * once; their memory is reclaimed when they are dropped, evicted, or when the whole index expires
 * (the store drops an index {@code ttl} after its last write).
 *
 * <p>Not thread-safe on its own: the store calls it under the lock of its cache entry; {@link #bytes}
 * may be read from any thread.
 */
final class FingerprintIndex implements MemoryStateStore.Expiring {
    /** Bits of a reference that give the hash's position in its query's array ({@link StateOp.Fingerprint#MAX_HASHES}). */
    static final int OFFSET_BITS = 10;
    /** Queries one index remembers at most (their sequence numbers must fit a reference). */
    static final int MAX_QUERIES = 1 << 20;
    private static final int SEQ_BITS = 31 - OFFSET_BITS;
    private static final int SEQ_MASK = (1 << SEQ_BITS) - 1;
    private static final int OFFSET_MASK = (1 << OFFSET_BITS) - 1;
    private static final int MIN_TABLE = 16;
    private static final int MIN_QUERIES = 4;
    /** This object (header and fields) and the cache's node for it, in bytes (the key is the store's to count). */
    static final int FIXED_BYTES = 112 + 96;

    private final long maxBytes;

    // the ring of queries: slot = sequence number & (capacity - 1); live ones are [head, next)
    private String[] members = new String[MIN_QUERIES];
    private long[][] hashes = new long[MIN_QUERIES][];
    private long[] deadlines = new long[MIN_QUERIES];
    private int[] live = new int[MIN_QUERIES];
    private long head;
    private long next;

    // the table: refs[i] = reference + 1 (0: empty), tags[i] = low byte of the mixed hash
    private int[] refs = new int[MIN_TABLE];
    private byte[] tags = new byte[MIN_TABLE];
    private int size;

    private long queryBytes;
    private volatile long bytes;
    private long ttlNanos;

    // scratch of the operation in progress (one per thread, from the store)
    private int[] found;

    /** Per-thread working arrays of {@link #add}, so that an index does not hold its own. */
    static final class Scratch {
        int[] found = new int[16];
        String[] candidates = new String[16];
        int[] counts = new int[16];
        java.util.HashMap<String, Integer> many = new java.util.HashMap<>();
    }

    /** Candidates beyond which members are looked up in a hash map rather than one by one. */
    private static final int LINEAR_CANDIDATES = 32;

    /** An index that keeps at most about {@code maxBytes}. */
    FingerprintIndex(long maxBytes) {
        this.maxBytes = maxBytes;
        updateBytes();
    }

    /** Bytes held, as {@link #updateBytes} last counted them (object headers and array overheads included). */
    long bytes() {
        return bytes;
    }

    /** The time to live the latest operation asked for, in nanoseconds. */
    @Override
    public long ttlNanos() {
        return ttlNanos;
    }

    /**
     * Adds a query's fingerprint and finds the earlier member that shares the most hashes with it.
     * The index keeps {@code hashes} (the caller must not change it afterwards).
     *
     * @param nowNanos the time ({@link System#nanoTime()} scale) for expiry
     */
    StateOp.FingerprintMatch add(long[] hashes, String member, int maxMembersPerHash, long ttlNanos, long nowNanos,
            Scratch scratch) {
        this.ttlNanos = ttlNanos;
        if (hashes.length == 0) {
            return StateOp.FingerprintMatch.NONE;
        }
        long seq = newSlot();
        int slot = (int) seq & (members.length - 1);
        this.members[slot] = member;
        this.hashes[slot] = hashes;
        this.deadlines[slot] = nowNanos + ttlNanos;
        this.live[slot] = 0;
        queryBytes += queryBytes(member, hashes.length);
        this.found = scratch.found;
        String[] candidates = scratch.candidates;
        int[] counts = scratch.counts;
        java.util.HashMap<String, Integer> many = scratch.many;
        int candidateCount = 0;
        String best = "";
        int bestCount = 0;
        int ref0 = ((int) seq & SEQ_MASK) << OFFSET_BITS;
        for (int off = 0; off < hashes.length; off++) {
            long h = hashes[off];
            long g = mix(h);
            byte tag = (byte) g;
            int n = find(h, g, tag);
            if (n > 0 && this.deadlines[slotOf(refs[found[n - 1]] - 1)] - nowNanos <= 0) {
                removeAll(n); // the newest entry of this hash has expired: so have all of them
                n = 0;
            }
            for (int k = 0; k < n; k++) { // oldest first
                String m = this.members[slotOf(refs[found[k]] - 1)];
                if (m.equals(member)) {
                    continue;
                }
                int j = 0;
                if (candidateCount <= LINEAR_CANDIDATES) {
                    while (j < candidateCount && !candidates[j].equals(m)) {
                        j++;
                    }
                } else {
                    j = many.getOrDefault(m, candidateCount);
                }
                if (j == candidateCount) {
                    if (j == candidates.length) {
                        candidates = Arrays.copyOf(candidates, 2 * j);
                        counts = Arrays.copyOf(counts, 2 * j);
                        scratch.candidates = candidates;
                        scratch.counts = counts;
                    }
                    candidates[j] = m;
                    counts[j] = 0;
                    candidateCount++;
                    if (candidateCount == LINEAR_CANDIDATES + 1) {
                        for (int q = 0; q < candidateCount; q++) {
                            many.put(candidates[q], q);
                        }
                    } else if (candidateCount > LINEAR_CANDIDATES + 1) {
                        many.put(m, j);
                    }
                }
                int c = ++counts[j];
                if (c > bestCount) {
                    bestCount = c;
                    best = m;
                }
            }
            // drop the oldest beyond the bound (the new entry counts), then add the new one
            int drop = n + 1 - maxMembersPerHash;
            if (drop > 0) {
                removeOldest(n, drop);
            }
            insert(ref0 | off, g, tag);
            this.live[slot]++;
        }
        Arrays.fill(candidates, 0, candidateCount, null);
        many.clear();
        scratch.found = found;
        scratch.candidates = candidates;
        scratch.counts = counts;
        this.found = null;
        while (queryBytes + fixedBytes() > maxBytes && next - head > 1) {
            evictOldest();
        }
        updateBytes();
        return bestCount == 0 ? StateOp.FingerprintMatch.NONE : new StateOp.FingerprintMatch(best, bestCount);
    }

    /** The slots holding entries of hash {@code h} into {@link #found}, oldest first; their number. */
    private int find(long h, long g, byte tag) {
        int n = 0;
        for (int i = home(g); refs[i] != 0; i = next(i)) {
            if (tags[i] == tag) {
                int r = refs[i] - 1;
                if (hashOf(r) == h) {
                    if (n == found.length) {
                        found = Arrays.copyOf(found, 2 * n);
                    }
                    found[n++] = i;
                }
            }
        }
        // oldest first: by sequence number (relative to the head), then position in the array
        for (int a = 1; a < n; a++) {
            int x = found[a];
            long kx = order(refs[x] - 1);
            int b = a - 1;
            while (b >= 0 && order(refs[found[b]] - 1) > kx) {
                found[b + 1] = found[b];
                b--;
            }
            found[b + 1] = x;
        }
        return n;
    }

    /** A sortable key of a reference: its age in the ring, then its position in its query's array. */
    private long order(int ref) {
        long rel = ((ref >>> OFFSET_BITS) - head) & SEQ_MASK;
        return (rel << OFFSET_BITS) | (ref & OFFSET_MASK);
    }

    private long hashOf(int ref) {
        return hashes[slotOf(ref)][ref & OFFSET_MASK];
    }

    private int slotOf(int ref) {
        return (ref >>> OFFSET_BITS) & (members.length - 1);
    }

    /** Removes the {@code n} entries in {@link #found}. */
    private void removeAll(int n) {
        removeOldest(n, n);
    }

    /** Removes the {@code drop} oldest of the {@code n} entries in {@link #found}. */
    private void removeOldest(int n, int drop) {
        // removing one slot can move others of the same hash: remove by reference, re-finding each
        for (int k = 0; k < drop; k++) {
            int ref = refs[found[k]] - 1;
            found[k] = -1 - ref;
        }
        for (int k = 0; k < drop; k++) {
            removeRef(-1 - found[k]);
        }
    }

    /** Removes the entry with reference {@code ref} if the table holds it. */
    private void removeRef(int ref) {
        long h = hashOf(ref);
        for (int i = home(mix(h)); refs[i] != 0; i = next(i)) {
            if (refs[i] == ref + 1) {
                deleteAt(i);
                dropLive(slotOf(ref));
                return;
            }
        }
    }

    private void dropLive(int slot) {
        if (--live[slot] == 0 && slot != ((int) (next - 1) & (members.length - 1))) {
            free(slot);
        }
    }

    private void free(int slot) {
        queryBytes -= queryBytes(members[slot], hashes[slot].length);
        members[slot] = null;
        hashes[slot] = null;
    }

    /** Backward-shift deletion at table slot {@code i}. */
    private void deleteAt(int i) {
        int j = i;
        while (true) {
            j = next(j);
            if (refs[j] == 0) {
                break;
            }
            int home = home(mix(hashOf(refs[j] - 1)));
            // the entry at j may move to i unless its home lies cyclically in (i, j]
            boolean stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
            if (!stays) {
                refs[i] = refs[j];
                tags[i] = tags[j];
                i = j;
            }
        }
        refs[i] = 0;
        tags[i] = 0;
        size--;
    }

    private void insert(int ref, long g, byte tag) {
        if (size + 1 > refs.length - (refs.length >> 3)) { // at most 87.5% full, at least 58% after growing
            rehash(refs.length + (refs.length >> 1));
        }
        int i = home(g);
        while (refs[i] != 0) {
            i = next(i);
        }
        refs[i] = ref + 1;
        tags[i] = tag;
        size++;
    }

    private void rehash(int capacity) {
        int[] oldRefs = refs;
        byte[] oldTags = tags;
        refs = new int[capacity];
        tags = new byte[capacity];
        for (int k = 0; k < oldRefs.length; k++) {
            if (oldRefs[k] != 0) {
                int i = home(mix(hashOf(oldRefs[k] - 1)));
                while (refs[i] != 0) {
                    i = next(i);
                }
                refs[i] = oldRefs[k];
                tags[i] = oldTags[k];
            }
        }
    }

    /** A free slot in the ring for the next query: forgets freed and, when full, the oldest queries. */
    private long newSlot() {
        while (head < next && members[(int) head & (members.length - 1)] == null) {
            head++;
        }
        if (next - head == members.length) {
            if (members.length < MAX_QUERIES) {
                growRing();
            } else {
                evictOldest();
            }
        }
        return next++;
    }

    private void growRing() {
        int cap = members.length * 2;
        String[] m = new String[cap];
        long[][] h = new long[cap][];
        long[] d = new long[cap];
        int[] l = new int[cap];
        for (long s = head; s < next; s++) {
            int from = (int) s & (members.length - 1);
            int to = (int) s & (cap - 1);
            m[to] = members[from];
            h[to] = hashes[from];
            d[to] = deadlines[from];
            l[to] = live[from];
        }
        members = m;
        hashes = h;
        deadlines = d;
        live = l;
    }

    /** Forgets the oldest query: removes its entries from the table. */
    private void evictOldest() {
        int slot = (int) head & (members.length - 1);
        long[] hs = hashes[slot];
        if (hs != null) {
            int ref0 = ((int) head & SEQ_MASK) << OFFSET_BITS;
            for (int off = 0; off < hs.length && live[slot] > 0; off++) {
                int ref = ref0 | off;
                for (int i = home(mix(hs[off])); refs[i] != 0; i = next(i)) {
                    if (refs[i] == ref + 1) {
                        deleteAt(i);
                        live[slot]--;
                        break;
                    }
                }
            }
            free(slot);
        }
        head++;
    }

    /** The home slot of a mixed hash: its high 32 bits scaled to the table (any table size). */
    private int home(long g) {
        return (int) (((g >>> 32) * refs.length) >>> 32);
    }

    private int next(int i) {
        return i + 1 == refs.length ? 0 : i + 1;
    }

    private long fixedBytes() {
        // table (refs and tags) and ring (four arrays), with their array headers
        return FIXED_BYTES + 5L * refs.length + 32 + (4 + 8 + 8 + 4) * (long) members.length + 64;
    }

    private void updateBytes() {
        bytes = queryBytes + fixedBytes();
    }

    /**
     * Heap bytes of a query's own objects: its hash array and its member string (compact strings:
     * one byte a character when all are Latin-1, else two), each with its header, aligned to 8.
     */
    static long queryBytes(String member, int hashCount) {
        int chars = member.length();
        boolean latin1 = true;
        for (int i = 0; i < chars && latin1; i++) {
            latin1 = member.charAt(i) <= 0xFF;
        }
        long string = 24 + align(16 + (latin1 ? chars : 2L * chars));
        return align(16 + 8L * hashCount) + string;
    }

    private static long align(long n) {
        return (n + 7) & ~7L;
    }

    /** SplitMix64's finaliser: spreads any hash values (small ones too) over the table. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
