package dev.veil.internal.state;

import dev.veil.spi.StateOp;
import java.util.Arrays;

/**
 * One fingerprint index of the {@link MemoryStateStore} (one {@code StateOp.Fingerprint#index}),
 * in primitive arrays: no object per hash, no string key per hash, no boxing.
 *
 * <p><b>Layout.</b> A hash h is first mixed into g (SplitMix64's finaliser, a bijection). Every
 * remembered query (one {@link StateOp.Fingerprint} operation) takes a slot in a ring of queries
 * that holds its member string, the low 32 bits of g for each of its hashes, and the time its
 * entries expire. The index proper is an open-addressing table of {@code long}s (linear probing,
 * Robin Hood order, at most 87.5% full, growing by a quarter, 70% full after growing, or by two
 * quarters at once while small: {@link #grown}; backward-shift deletion), one per (query, hash)
 * entry: the high 32 bits of g (which also give the entry's home slot, so that the table is rebuilt
 * and shifted without reading any query) and a reference to the query's sequence number and the
 * hash's position. An entry matches h when both halves of g do: exact, as g determines h. The high
 * halves that live entries of two hashes share (about D^2 / 2^33 of D distinct hashes: hundreds
 * among the millions of a large index) are kept in a small set, pruned when the table is rebuilt;
 * for any other high half, a search reads the low half of its first live entry only, which then
 * decides for all of them (they are one hash's).
 *
 * <p><b>Same answers as one list per hash</b> (this store's layout before, and the Redis store's
 * until 2 December 2026; its packed index now answers the same within its bound):
 * for each hash of an operation, in order, the earlier entries of that hash are read oldest first,
 * the new entry is added, and the oldest are dropped beyond {@code maxMembersPerHash}; members are
 * counted by their string (equal strings are one member; the operation's own member is skipped),
 * and the first member to reach the highest count is the match. A hash's entries expire together,
 * {@code ttl} after the newest of them was written, exactly as a list whose time to live every
 * write refreshes.
 *
 * <p><b>Bounds.</b> A query whose entries were all dropped frees its member and array at once.
 * When the index holds more than {@code maxBytes} (or {@value #MAX_QUERIES} queries), its oldest
 * queries are forgotten first (ring-buffer eviction): their entries are dead from then on (a
 * reference outside the ring's live range) and are purged when the table is rebuilt or overwritten
 * by a new entry that meets one where it could go (until then a dead entry keeps its place in the
 * Robin Hood order). Entries of expired hashes are invisible at once; their memory is reclaimed when
 * they are dropped, evicted, or when the whole index expires (the store drops an index {@code ttl}
 * after its last write).
 *
 * <p><b>Cache misses.</b> Before an operation searches its hashes it loads, without using them,
 * each hash's home slot and then the data of every matching entry ({@code touch}), so that the
 * misses overlap instead of coming one after another. A matched query costs one line for its
 * metadata (deadline, member hash code and live count side by side), and a hash with matches one
 * low half (above). A new entry that pushes the oldest of its hash out takes that entry's slot
 * instead of shifting neighbours out and back in.
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
    static final int MIN_TABLE = 16;
    private static final int MIN_QUERIES = 4;
    /** This object (header and fields) and the cache's node for it, in bytes (the key is the store's to count). */
    static final int FIXED_BYTES = 120 + 104;

    private final long maxBytes;

    // the ring of queries: slot = sequence number & (capacity - 1); live ones are [head, next)
    /** Member of each query: its Latin-1 bytes (a byte[]) when every character is Latin-1, else the String. */
    private Object[] members = new Object[MIN_QUERIES];
    private int[][] lows = new int[MIN_QUERIES][];
    /**
     * What a search reads of a matched query, side by side so that it costs one cache line instead
     * of one per array: at {@code 2 slot} the time its entries expire, at {@code 2 slot + 1} its
     * member's hash code (high 32 bits) and its number of live entries in the table (low 32 bits).
     */
    private long[] meta = new long[2 * MIN_QUERIES];
    private long head;
    private long next;
    /** The head when the table last held no dead entry (sequence numbers must not wrap past it). */
    private long sweptHead;

    // the table: (high 32 bits of g) << 32 | (reference + 1); 0: empty
    private long[] table = new long[MIN_TABLE];
    private int size;
    private int dead;
    /**
     * The high halves whose live entries belong to more than one hash (null while there is none):
     * for any other high half, the live entries that have it all have one low half, so that a search
     * reads the low half of its first live entry only. See {@link #find}.
     */
    private HiSet mixed;

    private long queryBytes;
    private volatile long bytes;
    private long ttlNanos;

    // the slots found for the hash being added, and the scratch of the calling thread (during add)
    private int[] found;
    private Scratch scratch;

    /** Per-thread working arrays of {@link #add}, so that an index does not hold its own. */
    static final class Scratch {
        int[] found = new int[16];
        /** The high halves of the mixed hashes of the operation in progress. */
        int[] his = new int[64];
        /** Where {@link #touch} leaves its sum, so that the compiler keeps its loads. */
        long sink;
        /** The references {@link #touch} reads the queries of. */
        int[] refs = new int[256];
        /** The first of them for each hash (whose low half the search reads). */
        int[] firsts = new int[64];
        /**
         * Candidate members of the operation in progress: ring slot, string (read only when needed:
         * a best match, or another candidate with the same hash code), hash, count, next with the
         * same hash.
         */
        int[] candidateSlot = new int[64];
        Object[] candidates = new Object[64];
        int[] candidateHash = new int[64];
        int[] counts = new int[64];
        int[] sameHash = new int[64];
        /** Ring slots whose last entry went during the operation: freed at its end. */
        int[] pendingFree = new int[16];
        int pendingFrees;
        /** Sequence number + 1 of an earlier query -> its candidate, or {@link #SELF}. */
        final IntMap bySeq = new IntMap();
        /** Member string hash -> the first candidate with that hash. */
        final IntMap byHash = new IntMap();
        /** The hashes of the latest operation of the current batch and their low halves (shared by indexes). */
        long[] lastHashes;
        int[] lastLows;
    }

    /** Marks an earlier query whose member equals the operation's own (not counted). */
    private static final int SELF = -2;

    /** An open-addressing map from int to int (absent: -1), cleared in time proportional to its use. */
    static final class IntMap {
        private long[] keys = new long[256]; // key | 1 << 32, 0: empty
        private int[] values = new int[256];
        private int[] used = new int[256];
        private int size;

        /** The slot of {@code key} (>= 0) or, when absent, -1 - the slot where it would go. */
        int locate(int key) {
            long k = tag(key);
            int i = probe(keys, k);
            return keys[i] == k ? i : -1 - i;
        }

        int valueAt(int slot) {
            return values[slot];
        }

        /**
         * Sets the value of {@code key} at what {@link #locate} returned for it, with no change to the
         * map in between: one search instead of two.
         */
        void putAt(int located, int key, int value) {
            if (located >= 0) {
                values[located] = value;
            } else if (2 * (size + 1) > keys.length) {
                put(key, value);
            } else {
                int i = -1 - located;
                keys[i] = tag(key);
                if (size == used.length) {
                    used = Arrays.copyOf(used, 2 * size);
                }
                used[size++] = i;
                values[i] = value;
            }
        }

        void put(int key, int value) {
            if (2 * (size + 1) > keys.length) {
                grow();
            }
            long k = tag(key);
            int i = probe(keys, k);
            if (keys[i] == 0) {
                keys[i] = k;
                if (size == used.length) {
                    used = Arrays.copyOf(used, 2 * size);
                }
                used[size++] = i;
            }
            values[i] = value;
        }

        void clear() {
            for (int j = 0; j < size; j++) {
                keys[used[j]] = 0;
            }
            size = 0;
        }

        private void grow() {
            long[] oldKeys = keys;
            int[] oldValues = values;
            int[] oldUsed = used;
            int n = size;
            keys = new long[oldKeys.length * 2];
            values = new int[oldKeys.length * 2];
            used = new int[oldKeys.length];
            size = 0;
            for (int j = 0; j < n; j++) {
                int i = oldUsed[j];
                put((int) oldKeys[i], oldValues[i]);
            }
        }
    }

    /** An index that keeps at most about {@code maxBytes}. */
    FingerprintIndex(long maxBytes) {
        this.maxBytes = maxBytes;
        updateBytes();
    }

    /** Bytes held, as {@link #updateBytes} last counted them (object headers and array overheads included). */
    long bytes() {
        return bytes;
    }

    /** The sequence number of the oldest query not forgotten (the first operation is 0): for tests. */
    long oldest() {
        return head;
    }

    /**
     * Checks the table against what every search and insertion relies on, for tests: entries in the
     * order of their homes (no entry farther from its home than the one before it plus one, none
     * before its home), exactly {@code size} live and {@code dead} dead entries, and the queries'
     * counts of live entries and hash codes ({@link #checkQueries}).
     *
     * @throws IllegalStateException naming the first slot or query that breaks it
     */
    void checkTable() {
        long[] t = table;
        int live = 0;
        int deadFound = 0;
        for (int i = 0; i < t.length; i++) {
            if (t[i] == 0) {
                continue;
            }
            int d = distance(i, (int) (t[i] >>> 32));
            int before = i == 0 ? t.length - 1 : i - 1;
            if (d > 0 && (t[before] == 0 || distance(before, (int) (t[before] >>> 32)) < d - 1)) {
                throw new IllegalStateException("slot " + i + " of " + t.length + " is " + d
                        + " from its home, out of the order of homes");
            }
            if (isLive((int) t[i] - 1)) {
                live++;
            } else {
                deadFound++;
            }
        }
        if (live != size || deadFound != dead) {
            throw new IllegalStateException("table holds " + live + " live and " + deadFound + " dead entries, counted "
                    + size + " and " + dead);
        }
        checkQueries();
        checkMixed();
    }

    /** The invariant of {@link #mixed}: live entries of a high half not in it all have one low half. */
    private void checkMixed() {
        java.util.Map<Integer, Integer> lowOf = new java.util.HashMap<>();
        for (long v : table) {
            int r = (int) v - 1;
            if (v != 0 && isLive(r)) {
                int hi = (int) (v >>> 32);
                int lo = lows[slotOf(r)][r & OFFSET_MASK];
                Integer other = lowOf.putIfAbsent(hi, lo);
                if (other != null && other != lo && (mixed == null || !mixed.contains(hi))) {
                    throw new IllegalStateException("high half " + Integer.toHexString(hi) + " has live entries of low"
                            + " halves " + Integer.toHexString(other) + " and " + Integer.toHexString(lo)
                            + " but is not marked mixed");
                }
            }
        }
    }

    /** High halves marked as shared by live entries of more than one hash, for tests. */
    int mixedCount() {
        return mixed == null ? 0 : mixed.toArray().length;
    }

    /**
     * The ring's side of {@link #checkTable}: every remembered query's count of live entries is the
     * number of live table entries that refer to it, its hash code is its member's, and a query
     * with a member has its array of low halves, one for each entry's position.
     */
    private void checkQueries() {
        int[] counted = new int[members.length];
        for (long v : table) {
            int r = (int) v - 1;
            if (v != 0 && isLive(r)) {
                int slot = slotOf(r);
                if (members[slot] == null || lows[slot] == null || (r & OFFSET_MASK) >= lows[slot].length) {
                    throw new IllegalStateException("a live entry refers to position " + (r & OFFSET_MASK)
                            + " of the freed or shorter query in ring slot " + slot);
                }
                counted[slot]++;
            }
        }
        for (long s = head; s < next; s++) {
            int slot = (int) s & (members.length - 1);
            if (live(slot) != counted[slot]) {
                throw new IllegalStateException("query " + s + " has " + counted[slot] + " live entries, counted "
                        + live(slot));
            }
            if (members[slot] != null && memberHash(slot) != string(members[slot]).hashCode()) {
                throw new IllegalStateException("query " + s + " keeps hash code " + memberHash(slot)
                        + " for a member whose hash code is " + string(members[slot]).hashCode());
            }
            if ((members[slot] == null) != (lows[slot] == null)) {
                throw new IllegalStateException("query " + s + " has its member or its low halves but not both");
            }
        }
    }

    /** Slots in the table, for tests. */
    int tableLength() {
        return table.length;
    }

    /** The time to live the latest operation asked for, in nanoseconds. */
    @Override
    public long ttlNanos() {
        return ttlNanos;
    }

    /**
     * Adds a query's fingerprint and finds the earlier member that shares the most hashes with it.
     *
     * @param nowNanos the time ({@link System#nanoTime()} scale) for expiry
     */
    StateOp.FingerprintMatch add(long[] hashes, String member, int maxMembersPerHash, long ttlNanos, long nowNanos,
            Scratch scratch) {
        this.ttlNanos = ttlNanos;
        int hashCount = hashes.length;
        if (hashCount == 0) {
            return StateOp.FingerprintMatch.NONE;
        }
        int[] lo;
        if (scratch.lastHashes == hashes) {
            lo = scratch.lastLows;
        } else {
            lo = new int[hashCount];
            for (int k = 0; k < hashCount; k++) {
                lo[k] = (int) mix(hashes[k]);
            }
            scratch.lastHashes = hashes;
            scratch.lastLows = lo;
        }
        if (next - sweptHead >= SEQ_MASK) {
            rehash(table.length); // purges dead entries before sequence numbers could wrap onto them
        }
        long seq = newSlot();
        int slot = (int) seq & (members.length - 1);
        this.members[slot] = stored(member);
        int memberHash = member.hashCode();
        this.lows[slot] = lo;
        this.meta[2 * slot] = nowNanos + ttlNanos;
        this.meta[2 * slot + 1] = (long) memberHash << 32; // no live entry yet
        queryBytes += queryBytes(members[slot], hashCount);
        this.found = scratch.found;
        this.scratch = scratch;
        IntMap bySeq = scratch.bySeq;
        IntMap byHash = scratch.byHash;
        int candidateCount = 0;
        int best = -1;
        int bestCount = 0;
        int ref0 = ((int) seq & SEQ_MASK) << OFFSET_BITS;
        int[] his = scratch.his.length >= hashCount ? scratch.his : (scratch.his = new int[hashCount]);
        for (int off = 0; off < hashCount; off++) {
            his[off] = (int) (mix(hashes[off]) >>> 32);
        }
        touch(his, hashCount);
        for (int off = 0; off < hashCount; off++) {
            int hi = his[off];
            int n = find(hi, lo[off]);
            if (n > 0 && this.meta[2 * slotOf(refAt(found[n - 1]))] - nowNanos <= 0) {
                removeOldest(n, n, hi); // the newest entry of this hash has expired: so have all of them
                n = 0;
            }
            for (int k = 0; k < n; k++) { // oldest first
                int ref = refAt(found[k]);
                int key = (ref >>> OFFSET_BITS) + 1;
                int at = bySeq.locate(key);
                int c;
                if (at >= 0) {
                    c = bySeq.valueAt(at);
                } else { // the first entry of this query: which member is it?
                    c = candidateOf(slotOf(ref), member, memberHash, scratch, candidateCount);
                    if (c == candidateCount) {
                        candidateCount++;
                    }
                    bySeq.putAt(at, key, c);
                }
                if (c == SELF) {
                    continue;
                }
                int count = ++scratch.counts[c];
                if (count > bestCount) {
                    bestCount = count;
                    best = c;
                }
            }
            // drop the oldest beyond the bound (the new entry counts), then add the new one
            int drop = n + 1 - maxMembersPerHash;
            if (drop == 1) {
                // the new entry takes the oldest one's slot: the same hash, so the same home, and the
                // Robin Hood order holds without shifting anything out and back in
                int i = found[0];
                int dropped = refAt(i);
                table[i] = ((long) hi << 32) | ((ref0 | off) + 1L);
                dropLive(slotOf(dropped));
            } else {
                if (drop > 0) {
                    removeOldest(n, drop, hi);
                }
                insert(ref0 | off, hi);
            }
            this.meta[2 * slot + 1]++; // one more live entry (at most MAX_HASHES: the hash code is untouched)
        }
        StateOp.FingerprintMatch match = bestCount == 0 ? StateOp.FingerprintMatch.NONE
                : new StateOp.FingerprintMatch(string(candidate(scratch, best)), bestCount);
        Arrays.fill(scratch.candidates, 0, candidateCount, null);
        bySeq.clear();
        byHash.clear();
        for (int k = 0; k < scratch.pendingFrees; k++) { // queries freed now that no candidate needs them
            int f = scratch.pendingFree[k];
            if (live(f) == 0 && members[f] != null) {
                free(f);
            }
        }
        scratch.pendingFrees = 0;
        this.scratch = null;
        scratch.found = found;
        this.found = null;
        while (queryBytes + fixedBytes() > maxBytes && next - head > 1) {
            evictOldest();
        }
        updateBytes();
        return match;
    }

    /**
     * Reads, without using them, what the operation will read for each of its hashes: the table slot
     * of its home, then (once those are in the cache) each matching entry's query data (deadline,
     * member hash and live count: one line) and the low half of the first matching entry of each
     * hash (all that {@link #find} reads of the low halves unless the high half is mixed). The loads
     * of one pass do not depend on each other, so the processor overlaps their cache misses (tens at
     * a time) instead of waiting for each in turn, as the search, which decides on each value it
     * reads, has to. Changes nothing; the sum only keeps the loads alive.
     */
    private void touch(int[] his, int hashCount) {
        long[] t = table;
        long sum = 0;
        for (int off = 0; off < hashCount; off++) {
            sum += t[home(his[off])];
        }
        // the references of the matching entries first (the table is in the cache now), then their
        // queries' data in a loop without branches, whose loads the processor can all start at once
        int[] refs = scratch.refs;
        int[] firsts = scratch.firsts.length >= hashCount ? scratch.firsts : (scratch.firsts = new int[hashCount]);
        int m = 0;
        int f = 0;
        for (int off = 0; off < hashCount; off++) {
            int hi = his[off];
            int m0 = m;
            for (int i = home(hi), p = 0; t[i] != 0; i = next(i), p++) {
                long v = t[i];
                int d = distance(i, (int) (v >>> 32));
                if (d < p) {
                    break;
                }
                if (d == p && (int) (v >>> 32) == hi && isLive((int) v - 1)) {
                    if (m == refs.length) {
                        refs = scratch.refs = Arrays.copyOf(refs, 2 * m);
                    }
                    refs[m++] = (int) v - 1;
                }
            }
            if (m > m0) {
                firsts[f++] = refs[m0];
            }
        }
        long[] mt = meta;
        for (int k = 0; k < m; k++) {
            int slot = slotOf(refs[k]);
            sum += mt[2 * slot] + mt[2 * slot + 1];
        }
        int[][] lw = lows;
        for (int k = 0; k < f; k++) {
            int r = firsts[k];
            sum += lw[slotOf(r)][r & OFFSET_MASK];
        }
        scratch.sink = sum;
    }

    /** The member string of candidate {@code c} (its query is not freed before the operation ends). */
    private Object candidate(Scratch s, int c) {
        Object m = s.candidates[c];
        if (m == null) {
            m = members[s.candidateSlot[c]];
            s.candidates[c] = m;
        }
        return m;
    }

    /**
     * The candidate (index into the scratch arrays) of the query in ring slot {@code slot}: an
     * existing one with an equal member string, {@link #SELF} when its member equals the
     * operation's own, or a new one at {@code count}. Strings are compared only when their hashes
     * are equal.
     */
    private int candidateOf(int slot, String member, int memberHash, Scratch s, int count) {
        int h = memberHash(slot);
        if (h == memberHash && same(members[slot], member)) {
            return SELF;
        }
        int at = s.byHash.locate(h);
        int first = at >= 0 ? s.byHash.valueAt(at) : -1;
        Object m = null;
        if (first >= 0) { // another candidate has this hash code: compare the strings
            m = members[slot];
            for (int c = first; c >= 0; c = s.sameHash[c]) {
                if (same(candidate(s, c), m)) {
                    return c;
                }
            }
        }
        if (count == s.candidates.length) {
            s.candidateSlot = Arrays.copyOf(s.candidateSlot, 2 * count);
            s.candidates = Arrays.copyOf(s.candidates, 2 * count);
            s.candidateHash = Arrays.copyOf(s.candidateHash, 2 * count);
            s.counts = Arrays.copyOf(s.counts, 2 * count);
            s.sameHash = Arrays.copyOf(s.sameHash, 2 * count);
        }
        s.candidateSlot[count] = slot;
        s.candidates[count] = m;
        s.candidateHash[count] = h;
        s.counts[count] = 0;
        s.sameHash[count] = first;
        s.byHash.putAt(at, h, count);
        return count;
    }

    /** The table slots holding live entries of the hash (hi, lo) into {@link #found}, oldest first; their number. */
    private int find(int hi, int lo) {
        long[] t = table;
        int n = 0;
        int h = home(hi);
        // 0: no live entry of hi seen yet; 1: the first one matched, and so do all (one hash has hi);
        // 2: hi is mixed, each entry's low half decides
        int state = 0;
        // Robin Hood order: the entries with home h follow those with earlier homes; stop after them
        for (int i = h, p = 0; t[i] != 0; i = next(i), p++) {
            long v = t[i];
            int d = distance(i, (int) (v >>> 32));
            if (d < p) {
                break;
            }
            if (d == p && (int) (v >>> 32) == hi) {
                int r = (int) v - 1;
                if (!isLive(r)) {
                    continue;
                }
                if (state == 0) {
                    if (mixed != null && mixed.contains(hi)) {
                        state = 2;
                    } else if (lows[slotOf(r)][r & OFFSET_MASK] == lo) {
                        state = 1;
                    } else {
                        // the live entries of hi are all another hash's: none matches, and the new
                        // entry (which the caller always inserts) makes hi mixed
                        markMixed(hi);
                        return 0;
                    }
                }
                if (state == 1 || lows[slotOf(r)][r & OFFSET_MASK] == lo) {
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
            long kx = order(refAt(x));
            int b = a - 1;
            while (b >= 0 && order(refAt(found[b])) > kx) {
                found[b + 1] = found[b];
                b--;
            }
            found[b + 1] = x;
        }
        return n;
    }

    private void markMixed(int hi) {
        if (mixed == null) {
            mixed = new HiSet();
        }
        mixed.add(hi);
    }

    /**
     * Keeps in {@link #mixed} only the high halves whose live entries still belong to more than one
     * hash (the others' entries were dropped or forgotten since), so that the set does not grow with
     * the index's history. Called when the table is rebuilt, which happens at least once every
     * {@code SEQ_MASK} queries.
     */
    private void pruneMixed() {
        HiSet kept = null;
        for (int hi : mixed.toArray()) {
            if (lowHalves(hi) > 1) {
                if (kept == null) {
                    kept = new HiSet();
                }
                kept.add(hi);
            }
        }
        mixed = kept;
    }

    /** How many distinct low halves the live entries with high half {@code hi} have: 0, 1, or 2 for more. */
    private int lowHalves(int hi) {
        long[] t = table;
        int count = 0;
        int first = 0;
        for (int i = home(hi), p = 0; t[i] != 0; i = next(i), p++) {
            long v = t[i];
            int d = distance(i, (int) (v >>> 32));
            if (d < p) {
                break;
            }
            int r = (int) v - 1;
            if (d == p && (int) (v >>> 32) == hi && isLive(r)) {
                int lo = lows[slotOf(r)][r & OFFSET_MASK];
                if (count == 0) {
                    first = lo;
                    count = 1;
                } else if (lo != first) {
                    return 2;
                }
            }
        }
        return count;
    }

    /** An int key as kept in {@link IntMap} and {@link HiSet}: tagged so that 0 marks an empty slot. */
    static long tag(int key) {
        return key & 0xFFFFFFFFL | 1L << 32;
    }

    /**
     * Linear probing in a power-of-two array of tagged keys: the slot holding {@code k}, or the empty
     * slot where it would go.
     */
    static int probe(long[] keys, long k) {
        int mask = keys.length - 1;
        int i = (int) mix(k) & mask;
        while (keys[i] != 0 && keys[i] != k) {
            i = (i + 1) & mask;
        }
        return i;
    }

    /** A set of ints (open addressing, linear probing), small: the high halves of {@link #mixed}. */
    static final class HiSet {
        private long[] keys = new long[8]; // key | 1 << 32, 0: empty
        private int size;

        boolean contains(int key) {
            return keys[probe(keys, tag(key))] != 0;
        }

        void add(int key) {
            if (2 * (size + 1) > keys.length) {
                long[] old = keys;
                keys = new long[2 * old.length];
                size = 0;
                for (long k : old) {
                    if (k != 0) {
                        add((int) k);
                    }
                }
            }
            long k = tag(key);
            int i = probe(keys, k);
            if (keys[i] == 0) {
                keys[i] = k;
                size++;
            }
        }

        int[] toArray() {
            int[] out = new int[size];
            int n = 0;
            for (long k : keys) {
                if (k != 0) {
                    out[n++] = (int) k;
                }
            }
            return out;
        }

        /** Heap bytes: this object and its array, with their headers. */
        long bytes() {
            return 24 + 16 + 8L * keys.length;
        }
    }

    private int refAt(int i) {
        return (int) table[i] - 1;
    }

    /** Whether a reference names a query still in the ring (not evicted). */
    private boolean isLive(int ref) {
        long rel = ((ref >>> OFFSET_BITS) - head) & SEQ_MASK;
        return rel < next - head;
    }

    /** A sortable key of a reference: its age in the ring, then its position in its query's array. */
    private long order(int ref) {
        long rel = ((ref >>> OFFSET_BITS) - head) & SEQ_MASK;
        return (rel << OFFSET_BITS) | (ref & OFFSET_MASK);
    }

    private int slotOf(int ref) {
        return (ref >>> OFFSET_BITS) & (members.length - 1);
    }

    /** Removes the {@code drop} oldest of the {@code n} entries in {@link #found} (all of hash {@code hi}). */
    private void removeOldest(int n, int drop, int hi) {
        // removing one slot can move others of the same hash: remove by reference, re-finding each
        for (int k = 0; k < drop; k++) {
            found[k] = refAt(found[k]);
        }
        for (int k = 0; k < drop; k++) {
            int ref = found[k];
            for (int i = home(hi); table[i] != 0; i = next(i)) {
                if ((int) table[i] == ref + 1) {
                    deleteAt(i);
                    dropLive(slotOf(ref));
                    break;
                }
            }
        }
    }

    private void dropLive(int slot) {
        if ((int) --meta[2 * slot + 1] == 0 && slot != ((int) (next - 1) & (members.length - 1))) {
            Scratch s = scratch;
            if (s.pendingFrees == s.pendingFree.length) {
                s.pendingFree = Arrays.copyOf(s.pendingFree, 2 * s.pendingFrees);
            }
            s.pendingFree[s.pendingFrees++] = slot;
        }
    }

    /** Live entries in the table of the query in ring slot {@code slot}. */
    private int live(int slot) {
        return (int) meta[2 * slot + 1];
    }

    /** The hash code of the member of the query in ring slot {@code slot}. */
    private int memberHash(int slot) {
        return (int) (meta[2 * slot + 1] >>> 32);
    }

    private void free(int slot) {
        queryBytes -= queryBytes(members[slot], lows[slot].length);
        members[slot] = null;
        lows[slot] = null;
    }

    /** Backward-shift deletion of the live entry at table slot {@code i} (keeps the Robin Hood order). */
    private void deleteAt(int i) {
        long[] t = table;
        int j = next(i);
        while (t[j] != 0 && distance(j, (int) (t[j] >>> 32)) > 0) {
            t[i] = t[j];
            i = j;
            j = next(j);
        }
        t[i] = 0;
        size--;
    }

    private void insert(int ref, int hi) {
        if (size + dead + 1 > table.length - (table.length >> 3)) { // at most 87.5% full, dead entries included
            int live = size + 1;
            // the rebuild keeps the high halves its live entries share; the new entry's may be one
            // only with the new entry, which is not in the table yet
            boolean wasMixed = mixed != null && mixed.contains(hi);
            rehash(live > table.length * 0.6 ? grown(table.length) : table.length);
            if (wasMixed) {
                markMixed(hi);
            }
        }
        if (place(table, ((long) hi << 32) | (ref + 1L), dead > 0)) {
            dead--;
        }
        size++;
    }

    /**
     * Robin Hood insertion: entries lie in the order of their homes, so that a search can stop early.
     * The new entry goes before the first entry whose home is not earlier than its own, and the
     * entries from there to the next empty slot move one slot on (one {@code System.arraycopy}
     * instead of carrying each displaced entry on in turn; entries of one home may end up in another
     * order than the carrying gives, which nothing reads: {@link #find} orders what it finds).
     *
     * <p>With {@code reuseDead}, the shift ends instead at the first dead entry (of a forgotten
     * query) on the way, which it overwrites: the entries before it have homes no later than the
     * one after them, so the order holds, and fewer entries move. This is the slot the carrying
     * insertion would take too (the first dead entry from where the new entry goes), so the table
     * holds as many dead entries either way. A busy index at its cap forgets a query for each one it
     * adds, so without this its dead entries pile up until the table is rebuilt.
     *
     * @return whether a dead entry was overwritten
     */
    private boolean place(long[] t, long v, boolean reuseDead) {
        int i = home((int) (v >>> 32));
        // past the entries of earlier homes
        for (int p = 0; t[i] != 0 && distance(i, (int) (t[i] >>> 32)) > p; p++) {
            i = next(i);
        }
        int j = i;
        if (reuseDead) {
            while (t[j] != 0 && isLive((int) t[j] - 1)) {
                j = next(j);
            }
        } else {
            while (t[j] != 0) {
                j = next(j);
            }
        }
        boolean reused = t[j] != 0;
        if (j >= i) {
            System.arraycopy(t, i, t, i + 1, j - i);
        } else { // the run wraps around the end of the table
            System.arraycopy(t, 0, t, 1, j);
            t[0] = t[t.length - 1];
            System.arraycopy(t, i, t, i + 1, t.length - 1 - i);
        }
        t[i] = v;
        return reused;
    }

    /**
     * The next table size: a quarter larger, or, below {@value #SMALL_TABLE} slots, two such steps at
     * once (56% larger). A caller's index is small, cold in the cache and (when the store evicts it)
     * rebuilt from the smallest table: taking two steps at once rebuilds it half as often (its
     * entries are placed about twice over the table's life instead of four times), for a table at
     * least 56% full after growing instead of 70%. Every size stays one of the sequence the quarter
     * steps give from {@value #MIN_TABLE}, so a big index (the global one) has exactly the sizes it
     * would have had growing by a quarter throughout.
     */
    static int grown(int capacity) {
        int next = capacity + (capacity >> 2);
        return capacity < SMALL_TABLE ? next + (next >> 2) : next;
    }

    /** See {@link #grown}. */
    static final int SMALL_TABLE = 1 << 16;

    /** How far slot {@code i} is from the home of an entry with high half {@code hi}. */
    private int distance(int i, int hi) {
        int d = i - home(hi);
        return d < 0 ? d + table.length : d;
    }

    /**
     * Rebuilds the table at {@code capacity} without its dead entries. The old table is read from
     * just after an empty slot on, so in the order of the entries' homes, which is their order in
     * the new table too (but for entries of one old home, which a larger table may tell apart): each
     * entry lands at the end of the run built so far, a slot or two from its home, and the new table
     * is written about front to back instead of at random.
     */
    private void rehash(int capacity) {
        long[] old = table;
        table = new long[capacity];
        int n = old.length;
        int empty = 0;
        while (empty < n && old[empty] != 0) {
            empty++;
        }
        for (int k = 1; k <= n; k++) {
            int i = empty + k < n ? empty + k : empty + k - n;
            long v = old[i];
            if (v != 0 && isLive((int) v - 1)) {
                place(table, v, false);
            }
        }
        dead = 0;
        sweptHead = head;
        if (mixed != null) {
            pruneMixed();
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
        Object[] m = new Object[cap];
        int[][] h = new int[cap][];
        long[] mt = new long[2 * cap];
        for (long s = head; s < next; s++) {
            int from = (int) s & (members.length - 1);
            int to = (int) s & (cap - 1);
            m[to] = members[from];
            h[to] = lows[from];
            mt[2 * to] = meta[2 * from];
            mt[2 * to + 1] = meta[2 * from + 1];
        }
        members = m;
        lows = h;
        meta = mt;
    }

    /** Forgets the oldest query: its entries become dead (outside the ring's live range). */
    private void evictOldest() {
        int slot = (int) head & (members.length - 1);
        if (members[slot] != null) {
            int n = live(slot);
            dead += n;
            size -= n;
            meta[2 * slot + 1] -= n;
            free(slot);
        }
        head++;
    }

    /** The home slot of a hash: the high 32 bits of g scaled to the table (any table size). */
    private int home(int hi) {
        return (int) (((hi & 0xFFFFFFFFL) * table.length) >>> 32);
    }

    private int next(int i) {
        return i + 1 == table.length ? 0 : i + 1;
    }

    private long fixedBytes() {
        // table and ring (three arrays: members, lows, meta), with their array headers
        return FIXED_BYTES + 8L * table.length + 16 + (4 + 4 + 16) * (long) members.length + 48
                + (mixed == null ? 0 : mixed.bytes());
    }

    private void updateBytes() {
        bytes = queryBytes + fixedBytes();
    }

    /**
     * Heap bytes of a query's own objects: its array of low halves (counted in every index that
     * holds it, although the store shares one array between the indexes of one batch) and its
     * member (Latin-1 bytes in one array, else a string of two bytes a character), each with its
     * header, aligned to 8.
     */
    static long queryBytes(Object stored, int hashCount) {
        long member = stored instanceof byte[] b ? align(16 + b.length)
                : 24 + align(16 + 2L * ((String) stored).length());
        return align(16 + 4L * hashCount) + member;
    }

    /** How a member is kept: its Latin-1 bytes when every character is Latin-1 (one object, no String), else itself. */
    static Object stored(String member) {
        int n = member.length();
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            char c = member.charAt(i);
            if (c > 0xFF) {
                return member;
            }
            b[i] = (byte) c;
        }
        return b;
    }

    /** The member string of a kept member. */
    static String string(Object stored) {
        return stored instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.ISO_8859_1)
                : (String) stored;
    }

    /** Whether two kept members are the same string (a string is always kept in the same form). */
    static boolean same(Object a, Object b) {
        if (a instanceof byte[] x) {
            return b instanceof byte[] y && Arrays.equals(x, y);
        }
        return a.equals(b);
    }

    /** Whether a kept member is the string {@code member}. */
    private static boolean same(Object stored, String member) {
        if (stored instanceof byte[] b) {
            int n = b.length;
            if (n != member.length()) {
                return false;
            }
            for (int i = 0; i < n; i++) {
                if ((b[i] & 0xFF) != member.charAt(i)) {
                    return false;
                }
            }
            return true;
        }
        return stored.equals(member);
    }

    private static long align(long n) {
        return (n + 7) & ~7L;
    }

    /** SplitMix64's finaliser: spreads any hash values (small ones too) over the table. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
