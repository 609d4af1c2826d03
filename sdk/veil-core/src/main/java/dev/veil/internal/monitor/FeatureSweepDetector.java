package dev.veil.internal.monitor;

import dev.veil.Signal;
import dev.veil.internal.state.PackedEntries;
import dev.veil.internal.state.StateKeys;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One input sent again and again with one feature changed: attribute inference by a sweep of
 * candidates (Fredrikson et al. 2014). An attacker who knows every feature of a person but one (an
 * applicant's income) and the decision the person got sends the person's input once per candidate
 * value of the missing feature and keeps the candidates whose answer matches. No distance-based
 * detector sees it: the candidates lie far apart in that feature, and a sweep takes a handful of
 * queries. This detector counts, for each watched feature, how many distinct values of it a scope
 * (one caller, or all callers) has sent in the window with every other feature about the same.
 *
 * <p><b>About the same, feature by feature.</b> Each feature's value is cut into cells of the
 * feature's {@code width} ({@code widths} by name, else {@code width}), shifted by an offset in
 * [0, width) drawn from the {@code seed}. Scope {@code caller} takes two values as the same when
 * their cells are at most {@code tolerance} apart (default 1: the same or a neighbouring cell), so
 * that moving another feature by less than a width on each probe (an attacker adding a cent to a
 * loan, or a year to a count the model hardly reads, so that the probes no longer match) still
 * sends the same input to every probe within a cell or two of it; to escape, each probe must move
 * another feature by {@code tolerance} cells or more (then no three probes meet), which changes the
 * person the model sees unless the model weighs that feature little (wider cells for such features,
 * or leaving them out with {@code optional}, make that cost more, and make honest inputs meet more
 * often). Scope {@code global} compares cells exactly: a change of d crosses a cell's edge with
 * probability d / width, so a steady change of half a width a probe hides a sweep from it. Scope
 * {@code caller} compares two queries on the features both have: a feature one of them lacks (a
 * named layout's absent feature, a key left out of a map, a name one probe adds) is left out of that
 * comparison. Scope {@code global} hashes the cells of the features a query has, so where the
 * validation accepts unknown features a probe that adds a new feature name each time meets no earlier
 * one there: list the features (validation {@code allow_unknown_features: false}).
 *
 * <p><b>Score:</b> the largest number, over the watched features ({@code sweep}, default every
 * feature), of distinct exact values of that feature (this query's included) sent within the window
 * by the scope with every other compared feature the same as this query's (a value is named by a
 * keyed hash of its bits). A retry of an input counts once; an honest correction of one field counts
 * 2; a sweep of 8 candidates reaches 8. Features named in {@code optional} are left out when the
 * other features are compared (a feature some requests leave out: in scope global, a sweep that
 * alternated sending it and leaving it out would otherwise be two sweeps of half the length); they
 * are still watched for a sweep of their own.
 *
 * <p><b>Scope:</b> {@code caller} (the default) compares each query with the caller's last
 * {@code history} queries within the window; {@code global} counts everybody's queries together, so
 * that a sweep spread over many accounts (one candidate per account) is still one sweep. Independent
 * honest inputs almost never agree on every other feature; the same input sent by two callers counts
 * once.
 *
 * <p><b>Configuration</b> ({@code monitoring.detectors.<name>}, where the name is
 * {@code feature_sweep} or any name with {@code type: feature_sweep}):
 *
 * <table>
 *   <caption>feature_sweep keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code scope}</td><td>caller</td><td>{@code caller} or {@code global}</td></tr>
 *   <tr><td>{@code window_seconds}</td><td>3600</td><td>counting window, 1..604800</td></tr>
 *   <tr><td>{@code history}</td><td>100</td><td>scope caller only: the caller's last queries compared,
 *       1..2000</td></tr>
 *   <tr><td>{@code tolerance}</td><td>1</td><td>scope caller only: cells two values of a compared
 *       feature may be apart and still be the same, 0..3</td></tr>
 *   <tr><td>{@code width}</td><td>1</td><td>cell width of every feature not in {@code widths},
 *       (0, 1e15]</td></tr>
 *   <tr><td>{@code widths}</td><td>none</td><td>cell widths by feature name (named inputs;
 *       for a plain vector the names are the positions, {@code "0"}, {@code "1"}, ...)</td></tr>
 *   <tr><td>{@code sweep}</td><td>every feature</td><td>the features watched for a sweep</td></tr>
 *   <tr><td>{@code optional}</td><td>none</td><td>features left out when comparing the others</td></tr>
 *   <tr><td>{@code seed}</td><td>15485863</td><td>cell offsets and value hashes (integer)</td></tr>
 *   <tr><td>{@code low}, {@code medium}, {@code high}</td><td>3, 4, 6</td><td>distinct values of one
 *       feature at which the level is reached; 0 = level not used; non-decreasing</td></tr>
 * </table>
 *
 * <p>A policy each of whose validation rules lists its features and refuses others
 * ({@code allow_unknown_features: false}), or takes a plain vector of a fixed shape, may name in
 * {@code sweep}, {@code widths} and {@code optional} only features some rule lets through (for plain
 * vectors, positions below the longest shape): a misspelt name is a load error.
 *
 * <p><b>Limits.</b> A sweep that changes two features together (two unknown attributes, or one and
 * another by the tolerance or more each time) is not counted; {@code knn} sees it when the steps
 * are small. A sweep slower than the window, hidden among more than {@code history} other queries of
 * the caller, or spread over more values of the other features than one person has, is not counted
 * either. An attacker who knows the seed can place a feature at a cell's edge (so write a seed of
 * your own).
 *
 * <p><b>State:</b> scope {@code caller}: a list of the caller's last {@code history} queries, kept
 * for the window: 12 bytes, plus 8 per compared feature (its name, hashed, and its cell) and 8 per
 * watched feature (its name and value, hashed), padded to a multiple of 8 pairs, each. Scope
 * {@code global}: a sliding-window counter per watched feature and per cell of the other features,
 * with the values it counted (up to twice the highest level used), in the store's share for
 * per-input counters: as many counters a query as watched features, so name the few a sweep would
 * look for ({@code sweep}: an income, an age) rather than every one. For inputs of at most
 * {@value #MAX_FEATURES} features: a policy with a fixed shape of more is refused when it loads, and
 * a longer input that a policy without one lets through is a failure of the detector (handled as
 * {@code on_error} says: denied by default).
 *
 * <p><b>Cost:</b> a hash per feature; scope {@code caller}: one list append in the store and a
 * comparison of each compared feature with each of the caller's remembered queries; scope
 * {@code global}: one counter update in the store per watched feature.
 */
public final class FeatureSweepDetector implements StatefulDetector {
    public static final String TYPE = "feature_sweep";
    /** Most features an input may have: the detector compares inputs feature by feature (tabular data). */
    static final int MAX_FEATURES = 64;
    /** Big-endian views of a history entry's bytes (as {@link java.nio.ByteBuffer} writes them). */
    private static final java.lang.invoke.VarHandle INT = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
            int[].class, java.nio.ByteOrder.BIG_ENDIAN);
    private static final java.lang.invoke.VarHandle LONG = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
            long[].class, java.nio.ByteOrder.BIG_ENDIAN);
    private static final java.lang.invoke.VarHandle SHORT = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
            short[].class, java.nio.ByteOrder.BIG_ENDIAN);
    /** Separates the cell offsets and value hashes from other uses of the seed. */
    private static final long DOMAIN = 0x5EE9_F3A7_0FF5L;

    /** Where the counts are kept apart. */
    public enum Scope {
        CALLER, GLOBAL
    }

    /**
     * Parsed configuration; see the class Javadoc.
     *
     * @param scope caller or global
     * @param windowSeconds counting window
     * @param history scope caller: the caller's last queries compared
     * @param tolerance scope caller: cells two values of a compared feature may be apart
     * @param width cell width of features without their own
     * @param widths cell widths by feature name
     * @param sweep the features watched ({@code null}: every feature)
     * @param optional features left out when comparing the others
     * @param seed cell offsets and value hashes
     * @param low distinct values for level low (0: not used)
     * @param medium distinct values for level medium (0: not used)
     * @param high distinct values for level high (0: not used)
     */
    public record Config(Scope scope, long windowSeconds, int history, int tolerance, double width,
            Map<String, Double> widths, Set<String> sweep, Set<String> optional, long seed, long low, long medium,
            long high) {
        /** Defaults: see the class Javadoc. */
        public static final Config DEFAULT = new Config(Scope.CALLER, 3600, 100, 1, 1, Map.of(), null, Set.of(),
                15_485_863, 3, 4, 6);

        public Config {
            java.util.Objects.requireNonNull(scope, "scope");
            if (windowSeconds < 1 || windowSeconds > 604_800) {
                throw new IllegalArgumentException("window_seconds must be in [1, 604800] (a week), was "
                        + windowSeconds);
            }
            if (history < 1 || history > 2000) {
                throw new IllegalArgumentException("history must be in [1, 2000], was " + history);
            }
            if (tolerance < 0 || tolerance > 3) {
                throw new IllegalArgumentException("tolerance must be in [0, 3] (cells), was " + tolerance);
            }
            checkWidth("width", width);
            widths = Map.copyOf(widths);
            widths.forEach((k, v) -> checkWidth("widths." + k, v));
            sweep = sweep == null ? null : Set.copyOf(sweep);
            optional = Set.copyOf(optional);
            if (sweep != null && sweep.isEmpty()) {
                throw new IllegalArgumentException("sweep must name at least one feature (leave it out to watch "
                        + "every feature)");
            }
            Thresholds.checkRising(low, medium, high, 2, StateOp.CountNewInWindow.MAX_MEMBERS / 2.0,
                    "distinct values of one feature", String.valueOf(StateOp.CountNewInWindow.MAX_MEMBERS / 2));
        }

        private static void checkWidth(String key, double w) {
            if (!(w > 0 && w <= 1e15)) {
                throw new IllegalArgumentException(key + " must be in (0, 1e15], was " + w);
            }
        }

        /** Every configuration key, checked before any value is read. */
        static final Set<String> KEYS = Set.of("type", "scope", "window_seconds", "history", "tolerance", "width",
                "widths", "sweep", "optional", "seed", "low", "medium", "high");

        /** Reads the configuration map; unknown keys (first) and wrong types are errors. */
        public static Config from(Map<String, Object> m) {
            DetectorConfig c = new DetectorConfig(TYPE, m, KEYS);
            c.string("type", TYPE);
            Config d = DEFAULT;
            String scope = c.string("scope", "caller");
            Scope s = switch (scope) {
                case "caller" -> Scope.CALLER;
                case "global" -> Scope.GLOBAL;
                default -> throw new IllegalArgumentException("scope must be caller or global, was '" + scope + "'");
            };
            Map<String, Double> widths = new HashMap<>();
            Object w = m == null ? null : m.get("widths");
            if (w != null) {
                if (!(w instanceof Map<?, ?> wm)) {
                    throw new IllegalArgumentException("widths must be a map of feature names to cell widths, was "
                            + w);
                }
                for (Map.Entry<?, ?> e : wm.entrySet()) {
                    if (!(e.getValue() instanceof Number n) || Double.isNaN(n.doubleValue())) {
                        throw new IllegalArgumentException("widths." + e.getKey() + " must be a number, was "
                                + e.getValue());
                    }
                    widths.put(String.valueOf(e.getKey()), n.doubleValue());
                }
            }
            for (String k : List.of("history", "tolerance")) {
                if (s == Scope.GLOBAL && m.containsKey(k)) {
                    throw new IllegalArgumentException(k + " is for scope caller (which compares the caller's last "
                            + "queries, cell by cell); scope global counts everybody's queries in the window by "
                            + "their exact cells: remove " + k);
                }
            }
            return new Config(s, c.longValue("window_seconds", d.windowSeconds()), c.intValue("history", d.history()),
                    c.intValue("tolerance", d.tolerance()), c.doubleValue("width", d.width()), widths,
                    names(m, "sweep", null), names(m, "optional", Set.of()), c.longValue("seed", d.seed()),
                    c.longValue("low", d.low()), c.longValue("medium", d.medium()), c.longValue("high", d.high()));
        }

        private static Set<String> names(Map<String, Object> m, String key, Set<String> dflt) {
            Object v = m == null ? null : m.get(key);
            if (v == null) {
                return dflt;
            }
            if (!(v instanceof List<?> l)) {
                throw new IllegalArgumentException(key + " must be a list of feature names, was " + v);
            }
            Set<String> out = new LinkedHashSet<>();
            for (Object o : l) {
                if (!(o instanceof String s) || s.isEmpty()) {
                    throw new IllegalArgumentException(key + " must be a list of feature names, was " + v);
                }
                if (!out.add(s)) {
                    throw new IllegalArgumentException(key + " names '" + s + "' twice");
                }
            }
            return out;
        }
    }

    private final String name;
    private final Config config;
    private final String prefix;
    private final long windowMillis;
    private final long key;
    /** Scope global: values each counter remembers, twice the highest level used. */
    private final int members;

    public FeatureSweepDetector(String name, Config config) {
        this.name = name;
        this.config = config;
        // scope caller: a history per caller; scope global: per-input counters, with their own share
        // of the in-memory store's cap
        this.prefix = config.scope() == Scope.CALLER ? "fs:" + name + ":" : StateKeys.PER_INPUT + name + ":";
        this.windowMillis = config.windowSeconds() * 1000;
        this.key = QueryHashing.mix(config.seed() ^ DOMAIN);
        long top = Math.max(config.low(), Math.max(config.medium(), config.high()));
        this.members = (int) Math.min(StateOp.CountNewInWindow.MAX_MEMBERS, 2 * top);
    }

    static FeatureSweepDetector create(String name, Map<String, Object> config) {
        return new FeatureSweepDetector(name, Config.from(config));
    }

    public Config config() {
        return config;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean onPublishedSeed() {
        return config.seed() == Config.DEFAULT.seed();
    }

    @Override
    public String featuresProblem(long features) {
        return features > MAX_FEATURES ? "feature_sweep compares inputs feature by feature and takes at most "
                + MAX_FEATURES + " features (tabular data), not " + features : null;
    }

    @Override
    public String featureNamesProblem(Set<String> features) {
        Map<String, java.util.Collection<String>> named = new java.util.LinkedHashMap<>();
        named.put("sweep", config.sweep() == null ? Set.of() : config.sweep());
        named.put("widths", config.widths().keySet());
        named.put("optional", config.optional());
        for (Map.Entry<String, java.util.Collection<String>> e : named.entrySet()) {
            java.util.TreeSet<String> unknown = new java.util.TreeSet<>(e.getValue());
            unknown.removeAll(features);
            if (!unknown.isEmpty()) {
                return e.getKey() + " names " + unknown + ", not features of the input (the validation lets "
                        + "through only " + new java.util.TreeSet<>(features) + "): a misspelt name would watch or "
                        + "widen nothing";
            }
        }
        return null;
    }

    @Override
    public boolean readsFeaturesInRecord() {
        return false;
    }

    /** A feature's identity in the hashes: its name's, keyed. */
    private long nameKey(String feature) {
        long h = key;
        for (int i = 0; i < feature.length(); i++) {
            h = QueryHashing.mix(h ^ feature.charAt(i)) + QueryHashing.GOLDEN;
        }
        return QueryHashing.mix(h ^ feature.length());
    }

    /**
     * The cell of value {@code v} of feature {@code f}: floor(v / width + the feature's secret offset
     * in [0, 1)), as an int (beyond the int range the cells of the ends stand for all values there).
     */
    int cellOf(String f, double v) {
        return cell(v, width(f), offset(nameKey(f)));
    }

    private static int cell(double v, double width, double offset) {
        return (int) Math.floor(v / width + offset); // saturates, as a long would at its own ends
    }

    private double width(String f) {
        return config.widths().getOrDefault(f, config.width());
    }

    /** The secret offset in [0, 1) of the cells of the feature whose name's key is {@code id}. */
    private static double offset(long id) {
        return (QueryHashing.mix(id ^ 0x0FF5E7L) >>> 11) * 0x1.0p-53;
    }

    /**
     * What {@link #planOf} needs of each feature that follows from its name alone (its key, cell
     * width and offset, whether it is watched and whether compared), for one list of names ({@code
     * null}: a plain vector of {@code n} features, named by position). Made once per distinct list
     * (a service passes the same one with every request: {@link dev.veil.Features#named}), not per
     * query. Immutable.
     */
    private record Layout(List<String> names, int n, long[] ids, double[] widths, double[] offsets,
            boolean[] watched, boolean[] compared) {}

    /** The last layout made (racy but safe: a layout is immutable, and one made twice is the same). */
    private volatile Layout last;

    private Layout layout(List<String> names, int n) {
        Layout l = last;
        if (l != null && l.n() == n && (l.names() == names || java.util.Objects.equals(l.names(), names))) {
            return l;
        }
        long[] ids = new long[n];
        double[] widths = new double[n];
        double[] offsets = new double[n];
        boolean[] watched = new boolean[n];
        boolean[] compared = new boolean[n];
        for (int i = 0; i < n; i++) {
            String f = names == null ? Integer.toString(i) : names.get(i);
            ids[i] = nameKey(f);
            widths[i] = width(f);
            offsets[i] = offset(ids[i]);
            watched[i] = config.sweep() == null || config.sweep().contains(f);
            compared[i] = !config.optional().contains(f);
        }
        l = new Layout(names, n, ids, widths, offsets, watched, compared);
        last = l;
        return l;
    }

    /**
     * A query's features as the detector compares them. Scope caller: per compared feature (present,
     * not optional) its name's key and its cell, in the order of the keys ({@code rest} empty).
     * Scope global: per watched feature the hash of its name with the cells of every other compared
     * feature ({@code rest}: equal for two inputs whose other features are in the same cells, the
     * key of its counter; no compared features). Both: per watched feature (present) its name's key
     * and the keyed hash of its value.
     */
    record Plan(int[] comparedIds, int[] cells, int[] watchedIds, long[] rest, int[] values) {}

    Plan planOf(Query q) {
        double[] x = q.features().vector();
        List<String> names = q.features().isNamed() ? q.features().names() : null;
        int n = x.length;
        String problem = featuresProblem(n);
        if (problem != null) {
            // a policy without a fixed shape let it through (one with a fixed shape is refused at load):
            // a failure of the detector, handled as on_error says, not a query it silently lets pass,
            // or padding an input would hide a sweep
            throw new IllegalArgumentException(problem);
        }
        // scope caller compares the cells one by one (sorted by name key); scope global hashes them
        // together: each computes only what it reads
        boolean global = config.scope() == Scope.GLOBAL;
        Layout layout = layout(names, n);
        long[] ids = layout.ids();
        long[] compared = new long[n]; // caller: (name key << 32) | cell index, for sorting by key
        long[] cellHash = global ? new long[n] : null; // global: 0 for a feature not compared
        boolean[] watched = new boolean[n]; // watched and present
        int nc = 0;
        int nw = 0;
        long total = 0;
        for (int i = 0; i < n; i++) {
            if (Double.isNaN(x[i])) {
                continue; // absent
            }
            long id = ids[i];
            watched[i] = layout.watched()[i];
            nw += watched[i] ? 1 : 0;
            if (!layout.compared()[i]) {
                continue; // optional: not compared
            }
            int cell = cell(x[i], layout.widths()[i], layout.offsets()[i]);
            if (global) {
                cellHash[i] = QueryHashing.mix(id + QueryHashing.mix(cell));
                total += cellHash[i];
            } else {
                compared[nc++] = ((id >>> 32) << 32) | (cell & 0xFFFF_FFFFL);
            }
        }
        java.util.Arrays.sort(compared, 0, nc);
        int[] comparedIds = new int[nc];
        int[] cells = new int[nc];
        for (int k = 0; k < nc; k++) {
            comparedIds[k] = (int) (compared[k] >>> 32);
            cells[k] = (int) compared[k];
        }
        int[] watchedIds = new int[nw];
        long[] rest = new long[global ? nw : 0];
        int[] values = new int[nw];
        int k = 0;
        for (int j = 0; j < n; j++) {
            if (watched[j]) {
                watchedIds[k] = (int) (ids[j] >>> 32);
                if (global) {
                    rest[k] = QueryHashing.mix((total - cellHash[j]) ^ ids[j]); // every compared feature but j's
                }
                values[k++] = (int) (QueryHashing.mix(ids[j] ^ QueryHashing.mix(Double.doubleToLongBits(x[j] + 0.0)))
                        >>> 32);
            }
        }
        return new Plan(comparedIds, cells, watchedIds, rest, values);
    }

    /**
     * Scope caller: the history entry of a query: its time (8 bytes), the numbers of compared and of
     * watched features (2 bytes each), then (name key, cell) per compared feature and (name key,
     * value hash) per watched one, 8 bytes a pair, and zeros up to a multiple of 8 pairs, so that the
     * entries of one kind of input have one length (the in-memory store then keeps them packed and
     * hands them over without a copy).
     */
    static byte[] entry(long timeMillis, Plan p) {
        int nc = p.cells().length;
        int nw = p.values().length;
        int pairs = (nc + nw + 7) / 8 * 8;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(12 + 8 * pairs);
        b.putLong(timeMillis).putShort((short) nc).putShort((short) nw);
        for (int k = 0; k < nc; k++) {
            b.putInt(p.comparedIds()[k]).putInt(p.cells()[k]);
        }
        for (int k = 0; k < nw; k++) {
            b.putInt(p.watchedIds()[k]).putInt(p.values()[k]);
        }
        return b.array();
    }

    @Override
    public Object plan(Query q, List<StateOp> ops) {
        Plan p = planOf(q);
        long now = q.timeMillis();
        if (config.scope() == Scope.CALLER) {
            ops.add(new StateOp.ListAppend(prefix + StateKeys.of(q.caller()), entry(now, p), config.history(),
                    windowMillis));
        } else {
            for (int k = 0; k < p.rest().length; k++) {
                ops.add(new StateOp.CountNewInWindow(prefix + QueryHashing.unsignedBase36(p.rest()[k]),
                        p.values()[k] & 0xFFFF_FFFFL, now, windowMillis, members));
            }
        }
        return p;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Signal evaluate(Query q, Object context, Object[] results, int from) {
        Plan p = (Plan) context;
        long most = 1; // this query's own value
        if (config.scope() == Scope.CALLER) {
            most = Math.max(most, mostValues(p, (List<byte[]>) results[from], q.timeMillis() - windowMillis,
                    config.tolerance()));
        } else {
            for (int k = 0; k < p.rest().length; k++) {
                most = Math.max(most, (Long) results[from + k]);
            }
        }
        return new Signal(name, Thresholds.levelAtLeast(most, config.low(), config.medium(), config.high()), most);
    }

    /**
     * The most distinct values of one watched feature among this query and the remembered ones of
     * time after {@code since} that have it with another value and every other compared feature
     * that both have with cells at most {@code tolerance} apart (at least one such feature).
     */
    static long mostValues(Plan p, List<byte[]> previous, long since, int tolerance) {
        int nw = p.values().length;
        int[][] seen = new int[nw][]; // per watched feature: the other values, distinct (null: none yet)
        int[] counts = new int[nw];
        if (previous instanceof PackedEntries packed) {
            // the in-memory store's contiguous history: no array per entry, no copy per entry
            byte[] data = packed.array();
            for (int i = packed.size() - 1; i >= 0; i--) { // newest first
                count(p, data, packed.offset() + i * packed.stride(), packed.stride(), since, tolerance, seen, counts);
            }
        } else {
            for (int i = previous.size() - 1; i >= 0; i--) {
                byte[] e = previous.get(i);
                count(p, e, 0, e.length, since, tolerance, seen, counts);
            }
        }
        int most = 0;
        for (int c : counts) {
            most = Math.max(most, c);
        }
        return most + 1L;
    }

    /** Adds the values of one remembered query ({@code len} bytes of {@code e} from {@code at}) to the counts. */
    private static void count(Plan p, byte[] e, int at, int len, long since, int tolerance, int[][] seen,
            int[] counts) {
        int nc = p.cells().length;
        int nw = p.values().length;
        if (len < 12 || (len - 12) % 8 != 0 || (long) LONG.get(e, at) <= since) {
            return; // not an entry of this format, or older than the window (a clock may step back)
        }
        int enc = (short) SHORT.get(e, at + 8);
        int enw = (short) SHORT.get(e, at + 10);
        if (enc < 0 || enw < 0 || 12 + 8L * (enc + enw) > len) {
            return;
        }
        // merge the two sorted lists of compared features: which of those both have differ. A
        // feature only one of them has is left out (a probe that added a new feature name each time,
        // where the validation accepts unknown ones, would otherwise meet no earlier probe). Most
        // entries are other applicants: they differ in two features within a few steps.
        int differ = 0;
        int differing = -1; // this query's compared feature that differs, when only one does
        int shared = 0;
        int a = 0;
        int o = at + 12;
        for (int k = 0; k < enc && differ <= 1; k++, o += 8) {
            int id = (int) INT.get(e, o);
            while (a < nc && p.comparedIds()[a] < id) { // this query's feature, absent there
                a++;
            }
            if (a < nc && p.comparedIds()[a] == id) {
                shared++;
                if (Math.abs((long) p.cells()[a] - (int) INT.get(e, o + 4)) > tolerance) {
                    differ++;
                    differing = a;
                }
                a++;
            }
        }
        if (differ > 1 || shared == 0) {
            return;
        }
        int differingId = differ == 1 ? p.comparedIds()[differing] : 0;
        for (o = at + 12 + 8 * enc; o < at + 12 + 8 * (enc + enw); o += 8) {
            int id = (int) INT.get(e, o);
            int value = (int) INT.get(e, o + 4);
            for (int k = 0; k < nw; k++) {
                // the watched feature itself may differ (as far as it likes), no other one
                if (p.watchedIds()[k] == id && p.values()[k] != value && (differ == 0 || differingId == id)) {
                    counts[k] = addDistinct(seen, k, counts[k], value);
                }
            }
        }
    }

    private static int addDistinct(int[][] seen, int k, int count, int value) {
        int[] s = seen[k];
        for (int i = 0; i < count; i++) {
            if (s[i] == value) {
                return count;
            }
        }
        if (s == null || s.length == count) {
            s = java.util.Arrays.copyOf(s == null ? new int[0] : s, Math.max(4, 2 * count));
            seen[k] = s;
        }
        s[count] = value;
        return count + 1;
    }

    /**
     * Scope caller: one history entry (12 bytes, and 8 per compared and per watched feature, padded
     * to a multiple of 8 pairs: every feature, up to {@value #MAX_FEATURES}, in the worst case, plus
     * the list's own overhead per entry, about 48 bytes); scope global: a counter per watched feature
     * (every feature without {@code sweep}) in the worst case, where every query opens new ones, each as large as
     * {@code knn_global}'s.
     */
    @Override
    public long bytesPerQuery() {
        long watched = config.sweep() == null ? MAX_FEATURES : config.sweep().size();
        return config.scope() == Scope.CALLER ? 12 + 8L * ((MAX_FEATURES + watched + 7) / 8 * 8) + 48
                : watched * (2L * (prefix.length() + 16) + 256 + 224 + 40 + 2 * 16);
    }

    /** Scope global: values each counter remembers. */
    int members() {
        return members;
    }
}
