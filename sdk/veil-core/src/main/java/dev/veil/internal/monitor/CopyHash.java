package dev.veil.internal.monitor;

import java.util.Arrays;

/**
 * A keyed 64-bit hash of an exact input vector, by which {@code near_duplicate}, {@code knn} and
 * {@code knn_global} recognise exact copies of an earlier query (a client's retry), which they do
 * not count against it.
 *
 * <p>A copy is let off, so this hash must not collide on inputs an attacker chooses: otherwise
 * probes made to collide with one input pass as its copies. The polynomial hash it replaces
 * (Horner's rule over the values' bits with fixed odd multipliers) collided for every seed: the
 * seed only started the chain, so adding a short vector of the lattice {@code {d : d0 m^2 + d1 m +
 * d2 = 0 (mod 2^64)}} (entries of about 2^21, invisible in a value's last mantissa bits) to three
 * values of an NES probe made it hash as the point it probed. This hash is NH (Black, Halevi,
 * Krawczyk, Krovetz and Rogaway, "UMAC: fast and secure message authentication", CRYPTO 1999) over
 * the 32-bit halves of each value's bits, as in UMAC-32, finished with {@link QueryHashing#mix}: for
 * two distinct vectors of the same length, fixed before the key is drawn, the sums agree with
 * probability at most 2^-32 over the key. The key words come from the detector's {@code seed}: with
 * a seed the attacker does not know (see "Seeds are keys" in docs/policy-reference.md), each probe
 * made to pass as a copy passes with that chance, and the attacker learns nothing from a miss but
 * that it missed. With the published default seed it does not hold: an attacker who knows the key
 * solves for a collision. The length enters through a keyed term of its own. (Two passes with
 * shifted keys, the Toeplitz construction, would give 2^-64 at twice the cost; one pass costs
 * about 1.7 times the polynomial hash, {@code CopyHashBenchmark} in benchmarks/, and three
 * detectors hash every query.)
 *
 * <p>Cost: one 32 x 32-bit multiplication per value. The key words are drawn once and kept (8
 * bytes per feature) for the first {@value #MAX_CACHED_WORDS} words (131,072 features, 1 MiB), and
 * drawn afresh for each value beyond them, so that one huge input cannot make every detector keep
 * a key as large as it; instances are thread-safe.
 */
final class CopyHash {
    private static final long LOW = 0xFFFF_FFFFL;
    /** Key words kept: for the first 131,072 features. */
    static final int MAX_CACHED_WORDS = 1 << 18;
    /** Separates the key stream from the other uses of a detector's seed. */
    private static final long DOMAIN = 0x5EED_C0B1_E5L;

    private final long base;
    /** Key words: word i is {@link #word}(i); grown (never changed) under the lock. */
    private volatile int[] keys = new int[0];

    CopyHash(long seed) {
        this.base = QueryHashing.mix(seed ^ DOMAIN);
    }

    /** How many key words are kept now (for tests of the bound). */
    int cachedWords() {
        return keys.length;
    }

    /** Key word {@code i}: the same whichever lengths were hashed before. */
    private int word(long i) {
        return (int) (QueryHashing.mix(base + i * QueryHashing.GOLDEN) >>> 32);
    }

    private synchronized int[] keys(int length) {
        int[] k = keys;
        if (k.length >= length) {
            return k;
        }
        int[] grown = Arrays.copyOf(k, length);
        for (int i = k.length; i < length; i++) {
            grown[i] = word(i);
        }
        keys = grown;
        return grown;
    }

    /**
     * The hash of {@code x}: equal for equal vectors ({@code -0.0} counts as {@code 0.0}, the same
     * input to a model); for distinct ones, equal only by a chance of at most about 2^-32 unless the
     * key (the seed) is known.
     */
    long of(double[] x) {
        int n = x.length;
        int kept = (int) Math.min(2L * n, MAX_CACHED_WORDS);
        int[] k = keys;
        if (k.length < kept) {
            k = keys(kept);
        }
        long s = 0;
        int m = kept / 2;
        for (int i = 0, j = 0; i < m; i++, j += 2) {
            // + 0.0 turns -0.0 into 0.0
            long b = Double.doubleToRawLongBits(x[i] + 0.0);
            // int additions wrap modulo 2^32 as NH's do; the product of two 32-bit values fits in 64 bits
            s += (((int) b + k[j]) & LOW) * (((int) (b >>> 32) + k[j + 1]) & LOW);
        }
        for (int i = m; i < n; i++) { // beyond the kept words: the same words, drawn afresh
            long b = Double.doubleToRawLongBits(x[i] + 0.0);
            long j = 2L * i;
            s += (((int) b + word(j)) & LOW) * (((int) (b >>> 32) + word(j + 1)) & LOW);
        }
        return QueryHashing.mix(s + QueryHashing.mix(base ^ n));
    }
}
