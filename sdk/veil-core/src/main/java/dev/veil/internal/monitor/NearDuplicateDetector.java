package dev.veil.internal.monitor;

import dev.veil.Signal;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Near-duplicate queries in the manner of Blacklight (Li et al., USENIX Security 2022): a query's
 * fingerprint is a set of hashes of short windows of its quantised features; a query that shares
 * many of them with an earlier query is a small perturbation of it, the signature of gradient
 * estimation, hill climbing and boundary search. Score: the number of fingerprint hashes the best
 * earlier match shares with this query (0 to {@code keep}).
 *
 * <p><b>Fingerprint.</b> Each feature x_i becomes a = (255 x_i + salt_i) mod 255, with salt_i
 * uniform in [0, 255) from a generator seeded with {@code seed} (the salt is what makes small
 * changes cross a bucket boundary at random places), rounded to a bucket a / quantum (so the
 * bucket repeats with period 1 in x_i: the detector is made for values in [0, 1], such as pixels;
 * every whole number falls in one bucket). Windows of
 * {@code window} consecutive buckets, every {@code step} features, are hashed, and the {@code keep}
 * largest hash values form the fingerprint (a bottom-k min-hash: two queries that share a share s of
 * their windows share about s of their kept hashes). Departures from Blacklight, each for a reason:
 *
 * <ul>
 *   <li>The window hash is a seeded 64-bit polynomial rolling hash over the window's buckets, mixed
 *       with the window's position and finished with the SplitMix64 mixer, instead of SHA-256:
 *       765 SHA-256 digests for one 784-feature query take longer than the whole per-query budget
 *       (20 us for all detectors); the rolling hash costs a few nanoseconds per window. It is not
 *       collision resistant against an attacker who knows the seed, which does not matter here: a
 *       collision can only add a match, never hide one.
 *   <li>Windows whose buckets are all those of a zero (or one) feature value are left out. With a
 *       black background, as in MNIST, hundreds of windows of every image are blank and hash the
 *       same in every image, so unrelated images would share most of their kept hashes. A query
 *       that is blank nearly everywhere therefore has few hashes and cannot reach the thresholds;
 *       the {@code knn} detector sees such probes.
 * </ul>
 *
 * <p><b>Index.</b> The fingerprint is added to the caller's index and to one global index, and
 * each {@link StateOp.Fingerprint} returns the earlier member that shares most hashes. A member
 * names one query: {@code <vector><time>} in the caller's index and
 * {@code <caller><vector><time>} in the global one, fixed-width fields of URL-safe base64, where
 * {@code <vector>} (8 characters) is 48 bits of a keyed hash of the exact feature vector,
 * {@code <caller>} (16) the first 96 bits of the SHA-256 of the caller's state key and
 * {@code <time>} (7) the query's time in milliseconds, modulo 2^42 (139 years; members need to
 * differ only within the time to live). A global match counts only when that member is another
 * caller's query: one attack spread over many accounts is seen through the global index, the
 * caller's own history through its own.
 *
 * <p><b>Retries.</b> An exact repeat of a query (a client's retry) must not look like an attack:
 * when the best earlier match is the same vector (by its {@link CopyHash}, keyed by the seed: with a
 * seed the attacker does not know, probes cannot be made to pass as copies), the match does not
 * count.
 * Every query is its own member (the time in the name keeps a retry from becoming a second copy of
 * the same member, which the store would count twice for any later query near it), so a retry
 * does not inflate later matches either. A retry's own signal is then usually 0 (its best match is
 * its first attempt); the store returns only the best match, so a weaker match with a third query
 * is not seen for the retry, but it was seen for the first attempt. The same holds in the global
 * index for the same vector sent by several callers (a popular input).
 *
 * <p><b>Configuration</b> ({@code monitoring.detectors.<name>}, where the name is
 * {@code near_duplicate} or any name with {@code type: near_duplicate}):
 *
 * <table>
 *   <caption>near_duplicate keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code index}</td><td>{@code both}</td><td>{@code caller}, {@code global} (other callers'
 *       queries only) or {@code both}</td></tr>
 *   <tr><td>{@code window}</td><td>20</td><td>features per hashed window, 1..4096</td></tr>
 *   <tr><td>{@code step}</td><td>1</td><td>features between window starts, 1..4096</td></tr>
 *   <tr><td>{@code quantum}</td><td>50</td><td>bucket width on the 0..255 scale, 1..255</td></tr>
 *   <tr><td>{@code keep}</td><td>50</td><td>hashes per fingerprint, 1..256</td></tr>
 *   <tr><td>{@code seed}</td><td>666</td><td>salt and hash seed (integer)</td></tr>
 *   <tr><td>{@code max_members_per_hash}</td><td>8</td><td>recent queries remembered per hash,
 *       1..1000</td></tr>
 *   <tr><td>{@code ttl_seconds}</td><td>3600</td><td>how long an index entry is kept after its last
 *       use, 1..604800</td></tr>
 *   <tr><td>{@code low}, {@code medium}, {@code high}</td><td>20, 26, 30</td><td>shared hashes at
 *       which the level is reached; 0..keep, 0 = level not used, non-decreasing</td></tr>
 * </table>
 *
 * <p><b>Calibration</b> of the defaults on 784-feature synthetic digit images (DetectorEfficacyTest:
 * 2,000 benign callers x 50 queries with retries and 5 batch jobs of 500, about 107,000 queries in
 * the global index): the best match of any benign query shared at most 24 hashes (thin strokes of
 * the same class sometimes nearly coincide), so Blacklight's alarm at more than 25 is
 * {@code medium} here and {@code high} is 30, a margin of 6. Attacks whose probes change a pixel by
 * well under a bucket (NES with sigma 0.001, hill climbing on small patches, the late steps of a
 * bisection) share 40 to 50 hashes with an earlier probe from their second or third query on,
 * across accounts too. Probes of sigma 0.02 or more per pixel change too many windows (10 to 17
 * shared) and are left to {@code knn} and {@code knn_global}.
 *
 * <p><b>State:</b> per remembered query, {@code keep} index entries in each index used (see
 * {@link #bytesPerQuery}); bounded per hash by {@code max_members_per_hash} and in time by
 * {@code ttl_seconds}, and in total by the state store's memory cap, of which the in-memory store
 * gives one caller's index a small share ({@link StateOp.Fingerprint#perCaller}).
 *
 * <p><b>Cost</b> at 784 features: one pass to quantise, interleaved rolling passes over the windows,
 * one to mix them and a sort of about keep + 4 sqrt(keep) + 8 candidate hashes, a few microseconds
 * (DetectorCostProbe), plus the store's work on keep hashes per index.
 */
public final class NearDuplicateDetector implements StatefulDetector {
    /** Which indexes a query is matched against. */
    public enum Index {
        CALLER,
        GLOBAL,
        BOTH
    }

    /**
     * Parsed configuration; see the class Javadoc for the meaning and bounds of each value.
     *
     * @param index which indexes are used
     * @param window features per window
     * @param step features between window starts
     * @param quantum bucket width on the 0..255 scale
     * @param keep hashes per fingerprint
     * @param seed salt and hash seed
     * @param maxMembersPerHash recent queries remembered per hash
     * @param ttlSeconds how long index entries live
     * @param low shared hashes for level low (0: not used)
     * @param medium shared hashes for level medium (0: not used)
     * @param high shared hashes for level high (0: not used)
     */
    public record Config(Index index, int window, int step, int quantum, int keep, long seed, int maxMembersPerHash,
            long ttlSeconds, int low, int medium, int high) {
        /**
         * Defaults: Blacklight's fingerprint (window 20, step 1, quantum 50, 50 hashes); its alarm
         * (more than 25 shared) is {@code medium} here, {@code high} is 30 (see the class Javadoc).
         */
        public static final Config DEFAULT = new Config(Index.BOTH, 20, 1, 50, 50, 666, 8, 3600, 20, 26, 30);

        public Config {
            if (index == null) {
                throw new IllegalArgumentException("index must be caller, global or both");
            }
            check("window", window, 1, 4096);
            check("step", step, 1, 4096);
            check("quantum", quantum, 1, 255);
            check("keep", keep, 1, 256);
            check("max_members_per_hash", maxMembersPerHash, 1, 1000);
            check("ttl_seconds", ttlSeconds, 1, 604_800);
            Thresholds.checkRising(low, medium, high, 1, keep, "shared hashes", "keep (" + keep + ")");
        }

        /** Every configuration key, checked before any value is read. */
        static final Set<String> KEYS = Set.of("type", "index", "window", "step", "quantum", "keep", "seed",
                "max_members_per_hash", "ttl_seconds", "low", "medium", "high");

        /** Reads the configuration map; unknown keys (first) and wrong types are errors. */
        public static Config from(Map<String, Object> m) {
            DetectorConfig c = new DetectorConfig("near_duplicate", m, KEYS);
            c.string("type", "near_duplicate");
            String idx = c.string("index", "both");
            Index index;
            try {
                index = Index.valueOf(idx.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("index must be caller, global or both, was '" + idx + "'");
            }
            Config d = DEFAULT;
            Config cfg = new Config(index, c.intValue("window", d.window()), c.intValue("step", d.step()),
                    c.intValue("quantum", d.quantum()), c.intValue("keep", d.keep()), c.longValue("seed", d.seed()),
                    c.intValue("max_members_per_hash", d.maxMembersPerHash()),
                    c.longValue("ttl_seconds", d.ttlSeconds()), c.intValue("low", d.low()),
                    c.intValue("medium", d.medium()), c.intValue("high", d.high()));
            return cfg;
        }

        private static void check(String key, long v, long min, long max) {
            if (v < min || v > max) {
                throw new IllegalArgumentException(key + " must be in [" + min + ", " + max + "], was " + v);
            }
        }
    }

    /** Per-query context handed from plan to evaluate. */
    private record Context(int ops, String vectorTag, String callerTag) {}

    private static final Context NO_OPS = new Context(0, "", "");

    private final String name;
    private final Config config;
    private final String callerPrefix;
    private final String globalKey;
    private final long ttlMillis;
    private final double inverseQuantum;
    private final CopyHash copyHash;
    private volatile Salt salt;

    /**
     * Per-feature-count tables: the salt of each feature, the bucket of a blank (0) feature, and the
     * seeded key mixed into the hash of the window that starts at each feature.
     */
    private record Salt(int features, double[] salt, int[] blank, long[] windowKey) {}

    public NearDuplicateDetector(String name, Config config) {
        this.name = name;
        this.config = config;
        // "nd2": the members' format of 2026-12 (fixed-width fields). Indexes written in the earlier
        // format ("nd:") are never read: their members would not parse, and an exact retry would match
        // its own earlier entry as a near copy. They expire after ttl_seconds.
        this.callerPrefix = "nd2:" + name + ":c:";
        this.globalKey = "nd2:" + name + ":g";
        this.ttlMillis = config.ttlSeconds() * 1000;
        this.inverseQuantum = 1.0 / config.quantum();
        this.copyHash = new CopyHash(config.seed());
    }

    public Config config() {
        return config;
    }

    @Override
    public boolean onPublishedSeed() {
        return config.seed() == Config.DEFAULT.seed();
    }

    @Override
    public String name() {
        return name;
    }

    private Salt salt(int d) {
        Salt s = salt;
        if (s != null && s.features() == d) {
            return s;
        }
        double[] values = new double[d];
        int[] blank = new int[d];
        long[] windowKey = new long[d];
        long state = config.seed();
        long seed = QueryHashing.mix(config.seed() ^ 0x2545F4914F6CDD1DL);
        for (int i = 0; i < d; i++) {
            state += QueryHashing.GOLDEN;
            values[i] = (QueryHashing.mix(state) >>> 11) * 0x1.0p-53 * 255;
            blank[i] = bucket(0, values[i]);
            windowKey[i] = seed ^ QueryHashing.mix(i + 1L);
        }
        s = new Salt(d, values, blank, windowKey);
        salt = s; // a race only recomputes the same values
        return s;
    }

    /**
     * Blacklight's bucket of a feature: round(((255 x + salt) mod 255) / quantum), without a
     * division or a branch (the modulo multiplies by 1/255 and floors; a value within an ulp of a
     * bucket edge may fall on either side, the same side every time, which is all a fingerprint
     * needs). A non-finite value (never passed by validation) lands in some bucket; nothing throws.
     */
    private int bucket(double x, double salt) {
        double a = x * 255 + salt;
        a -= 255 * Math.floor(a * INV_255);
        return (int) (a * inverseQuantum + 0.5);
    }

    private static final double INV_255 = 1.0 / 255;

    /**
     * The fingerprint of a feature vector: the {@code keep} largest hashes of its non-blank windows,
     * in ascending order (fewer when it has fewer non-blank windows).
     *
     * <p>The same values as hashing each window on its own (NearDuplicateFingerprintTest), computed
     * in passes whose iterations do not wait for each other: the buckets; the window hashes by
     * {@value #CHAINS} rolling hashes over consecutive stretches of the vector, interleaved (one
     * rolling hash is a chain of multiplications, each waiting for the one before; window hashes
     * depend only on the window, so a stretch's hash can start anywhere); then the mixed hashes of
     * the non-blank windows, with those above a cut that about keep + 4 sqrt(keep) + 8 of them pass
     * set aside, so that only those are sorted.
     */
    long[] fingerprint(double[] x) {
        int d = x.length;
        if (d == 0) {
            return new long[0];
        }
        Salt s = salt(d);
        double[] salts = s.salt();
        int[] blank = s.blank();
        long[] windowKey = s.windowKey();
        int w = Math.min(config.window(), d);
        int step = config.step();
        int starts = d - w + 1; // windows at every start; those at multiples of step are used
        Work work = Work.of(d);
        double[] q = work.q;
        long[] c = work.c;
        int[] inked = work.inked;
        double inverse = inverseQuantum;
        // the bucket of each feature (two loops: the first has no conversion to int, so it can run on vectors)
        for (int i = 0; i < d; i++) {
            double a = x[i] * 255 + salts[i];
            q[i] = a - 255 * Math.floor(a * INV_255);
        }
        // the value hashed: (bucket << 1 | 1 where it is not a blank feature's bucket) + 2; and how
        // many of the features before each are not blank
        int ink = 0;
        for (int i = 0; i < d; i++) {
            int v = (int) (q[i] * inverse + 0.5);
            int notBlank = v != blank[i] ? 1 : 0;
            c[i] = ((v << 1) | notBlank) + 2L;
            inked[i] = ink;
            ink += notBlank;
        }
        inked[d] = ink;
        long[] windows = work.windows;
        rollingHashes(c, d, w, starts, windows);
        // the used windows (every step-th start), their mixed hashes and whether each is not blank
        int count = (starts - 1) / step + 1;
        long[] mixed = work.mixed;
        int[] used = work.used;
        if (step == 1) { // loops of unit stride: the compiler drops their bounds checks and vectorises them
            for (int k = 0; k < count; k++) {
                mixed[k] = QueryHashing.mix(windows[k] ^ windowKey[k]);
            }
            for (int k = 0; k < count; k++) {
                used[k] = (inked[k] - inked[k + w]) >>> 31; // 1 when the window has a non-blank feature
            }
        } else {
            for (int k = 0; k < count; k++) {
                int start = k * step;
                mixed[k] = QueryHashing.mix(windows[start] ^ windowKey[start]);
                used[k] = (inked[start] - inked[start + w]) >>> 31;
            }
        }
        return largest(mixed, used, count, config.keep(), work.above);
    }

    /** Rolling hashes interleaved in {@link #fingerprint}. */
    static final int CHAINS = 4;

    /**
     * The polynomial hash of the window at every start, sum over j of c[start + j] p^(w - 1 - j)
     * (mod 2^64), into {@code out[0..starts)}: {@value #CHAINS} rolling hashes over consecutive
     * stretches of starts, advanced together, then the rest by the last of them.
     */
    private static void rollingHashes(long[] c, int d, int w, int starts, long[] out) {
        long p = QueryHashing.GOLDEN | 1;
        long pw = 1; // p^(w-1)
        for (int j = 1; j < w; j++) {
            pw *= p;
        }
        int len = starts / CHAINS; // starts per stretch; the last one also takes the rest
        int s0 = 0;
        int s1 = len;
        int s2 = 2 * len;
        int s3 = 3 * len;
        long h0 = 0;
        long h1 = 0;
        long h2 = 0;
        long h3 = 0;
        if (len > 0) {
            for (int j = 0; j < w; j++) {
                h0 = h0 * p + c[s0 + j];
                h1 = h1 * p + c[s1 + j];
                h2 = h2 * p + c[s2 + j];
                h3 = h3 * p + c[s3 + j];
            }
            out[s0] = h0;
            out[s1] = h1;
            out[s2] = h2;
            out[s3] = h3;
            for (int j = 1; j < len; j++) {
                h0 = (h0 - c[s0 + j - 1] * pw) * p + c[s0 + j - 1 + w];
                h1 = (h1 - c[s1 + j - 1] * pw) * p + c[s1 + j - 1 + w];
                h2 = (h2 - c[s2 + j - 1] * pw) * p + c[s2 + j - 1 + w];
                h3 = (h3 - c[s3 + j - 1] * pw) * p + c[s3 + j - 1 + w];
                out[s0 + j] = h0;
                out[s1 + j] = h1;
                out[s2 + j] = h2;
                out[s3 + j] = h3;
            }
        } else {
            for (int j = 0; j < w; j++) {
                h3 = h3 * p + c[j];
            }
            out[0] = h3;
            s3 = 0;
            len = 1;
        }
        for (int start = s3 + len; start < starts; start++) {
            h3 = (h3 - c[start - 1] * pw) * p + c[start - 1 + w];
            out[start] = h3;
        }
    }

    /** Per-thread working arrays of {@link #fingerprint} (one detector serves every thread). */
    private static final class Work {
        /** Vectors up to this many features reuse the arrays; longer ones get their own. */
        private static final int REUSED = 1 << 14;
        private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(() -> new Work(0));

        final double[] q;
        final long[] c;
        final int[] inked;
        final long[] windows;
        final long[] mixed;
        final int[] used;
        final long[] above;

        private Work(int d) {
            q = new double[d];
            c = new long[d];
            inked = new int[d + 1];
            windows = new long[d];
            mixed = new long[d];
            used = new int[d];
            above = new long[d];
        }

        static Work of(int d) {
            if (d > REUSED) {
                return new Work(d);
            }
            Work w = WORK.get();
            if (w.q.length < d) {
                w = new Work(Math.max(d, Math.min(REUSED, 2 * w.q.length)));
                WORK.set(w);
            }
            return w;
        }
    }

    /**
     * A cut that about keep + 4 sqrt(keep) + 8 of {@code n} uniform 64-bit hashes pass (all when
     * that is n or more): fewer than keep pass with a chance of about 1e-4, and then all are sorted.
     */
    static long cut(int n, int keep) {
        double share = (keep + 4 * Math.sqrt(keep) + 8) / n;
        return share >= 1 ? Long.MIN_VALUE : Long.MAX_VALUE - (long) (share * 0x1.0p64);
    }

    /**
     * 1 when {@code v >= cut} (signed), else 0, without a branch: about one hash in nine passes, at
     * random, which a branch would mispredict about as often.
     */
    static int atLeast(long v, long cut) {
        long diff = v - cut; // v < cut: the sign of the difference, corrected where it overflowed
        long below = diff ^ ((v ^ cut) & (diff ^ v));
        return (int) (~below >>> 63);
    }

    /**
     * The {@code keep} largest of the {@code v[k]} with {@code used[k] == 1} ({@code k < count}),
     * ascending (fewer when fewer are used). The hashes are uniform 64-bit values, so only those that
     * pass a {@link #cut} are sorted, set aside in one pass without a branch; when fewer than keep
     * pass, all used ones are sorted.
     *
     * @param above working space of at least {@code count} values
     */
    static long[] largest(long[] v, int[] used, int count, int keep, long[] above) {
        int n = 0;
        for (int k = 0; k < count; k++) {
            n += used[k];
        }
        long cut = cut(n, keep);
        int m = 0;
        for (int k = 0; k < count; k++) {
            long x = v[k];
            above[m] = x;
            m += used[k] & atLeast(x, cut);
        }
        if (m < keep) { // all of them (fewer than keep, or too few above the cut)
            m = 0;
            for (int k = 0; k < count; k++) {
                above[m] = v[k];
                m += used[k];
            }
        }
        Arrays.sort(above, 0, m);
        return Arrays.copyOfRange(above, Math.max(0, m - keep), m);
    }

    @Override
    public Object plan(Query q, List<StateOp> ops) {
        double[] x = q.features().vector();
        long[] hashes = fingerprint(x);
        if (hashes.length == 0) {
            return NO_OPS;
        }
        String vectorTag = base64(copyHash.of(x) >>> 16, VECTOR_CHARS);
        String member = vectorTag + base64(q.timeMillis(), TIME_CHARS);
        String callerId = dev.veil.internal.state.StateKeys.of(q.caller());
        int n = 0;
        if (config.index() != Index.GLOBAL) {
            ops.add(new StateOp.Fingerprint(callerPrefix + callerId, hashes, member, config.maxMembersPerHash(),
                    ttlMillis, true));
            n++;
        }
        String callerTag = "";
        if (config.index() != Index.CALLER) {
            callerTag = callerTag(callerId);
            ops.add(new StateOp.Fingerprint(globalKey, hashes, callerTag + member, config.maxMembersPerHash(),
                    ttlMillis));
            n++;
        }
        return new Context(n, vectorTag, callerTag);
    }

    /**
     * The tag by which the global index recognises a caller's own queries, which it does not count
     * (the caller's index does): the first 96 bits of the SHA-256 of the caller's state key, 16
     * URL-safe base64 characters. A 40-bit seeded hash served before: with the seed known, a
     * birthday search found two account names of one tag in seconds, and each account's queries
     * then went unseen by the other's. Finding two caller keys of one 96-bit tag takes about 2^48
     * SHA-256 evaluations, whatever the seed.
     */
    static String callerTag(String callerStateKey) {
        byte[] d = QueryHashing.sha256().digest(callerStateKey.getBytes(StandardCharsets.UTF_8));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(d, CALLER_CHARS * 6 / 8));
    }

    /** Characters of a member's fields: caller tag (96 bits), vector tag (48 bits), time (42 bits). */
    static final int CALLER_CHARS = 16;
    static final int VECTOR_CHARS = 8;
    static final int TIME_CHARS = 7;
    /** A member of a caller's index: vector tag and time (the global index's adds the caller tag first). */
    static final int CALLER_MEMBER_CHARS = VECTOR_CHARS + TIME_CHARS;
    private static final char[] BASE64 =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".toCharArray();

    /** The low {@code 6 chars} bits of {@code v} in URL-safe base64, most significant first. */
    static String base64(long v, int chars) {
        char[] c = new char[chars];
        for (int i = chars - 1; i >= 0; i--) {
            c[i] = BASE64[(int) v & 63];
            v >>>= 6;
        }
        return new String(c);
    }

    @Override
    public Signal evaluate(Query q, Object context, Object[] results, int from) {
        Context c = (Context) context;
        int shared = 0;
        int i = from;
        if (c.ops() > 0 && config.index() != Index.GLOBAL) {
            StateOp.FingerprintMatch m = (StateOp.FingerprintMatch) results[i++];
            if (m.member().length() == CALLER_MEMBER_CHARS && !m.member().startsWith(c.vectorTag())) {
                // not a copy of this vector (a retry), nor an entry of another format
                shared = m.shared();
            }
        }
        if (c.ops() > 0 && config.index() != Index.CALLER) {
            StateOp.FingerprintMatch m = (StateOp.FingerprintMatch) results[i];
            String member = m.member();
            boolean ownQuery = member.startsWith(c.callerTag());
            boolean sameVector = member.startsWith(c.vectorTag(), CALLER_CHARS);
            if (member.length() == CALLER_CHARS + CALLER_MEMBER_CHARS && !ownQuery && !sameVector) {
                shared = Math.max(shared, m.shared());
            }
        }
        return new Signal(name, Thresholds.levelAtLeast(shared, config.low(), config.medium(), config.high()), shared);
    }

    @Override
    public boolean readsFeaturesInRecord() {
        return false;
    }

    /**
     * An upper bound of the bytes per remembered query as the in-memory store counts them, per
     * index used: the query's array of 32-bit hash halves ({@code 16 + 4 keep}) and member string
     * (31 characters in the global index, 72 bytes: a caller tag of 16, a vector tag of 8 and a time of
     * 7; 15 characters, 56 bytes, in the caller's), its slot in the index's ring of queries (24 bytes, twice
     * over just after the ring grew) and {@code keep} table entries of 8 bytes at a load of at least
     * 56% (15 bytes each; see FingerprintIndex#grown), plus the fixed part of one index (its object,
     * cache node, a key of up to 64 characters, and the smallest table and ring:
     * {@value #INDEX_FIXED_BYTES} bytes), which every index has at least one query to carry. What a
     * query really takes is measured in benchmarks/README.md.
     */
    @Override
    public long bytesPerQuery() {
        int indexes = config.index() == Index.BOTH ? 2 : 1;
        long perQuery = 16 + 4L * config.keep() + 72 + 48 + 15L * config.keep();
        return indexes * (perQuery + INDEX_FIXED_BYTES);
    }

    /** See {@link #bytesPerQuery}. */
    static final int INDEX_FIXED_BYTES = 224 + 168 + 144 + 144;
}
