package dev.veil.internal.monitor.replay;

import dev.veil.Level;
import dev.veil.PolicyBundle;
import dev.veil.Signal;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.monitor.StatefulDetector;
import dev.veil.spi.StateStore;
import dev.veil.spi.StateUnavailableException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * {@code veil calibrate}: picks each built-in detector's thresholds from benign traffic so that a
 * chosen share of benign callers would reach them.
 *
 * <p>The benign trace is replayed as {@link MonitorReplay} does, with two differences: no
 * monitoring rule runs (so no block, throttle, rate limit or quota cuts a caller's stream short;
 * access and validation still refuse what the Guard would refuse, and an access refusal is an
 * error since it means the trace's callers do not match the policy), and each detector runs with
 * the most permissive thresholds its type takes. A detector's score counts for a caller only when
 * that probe gives a level other than none, which leaves out the scores a detector reports before
 * it has seen enough (its {@code min_queries}, {@code min_points}, {@code min_distances}).
 *
 * <p>For every caller and detector the most extreme counted score is kept: the largest, or the
 * smallest when a lower score is worse ({@link StatefulDetector#higherIsWorse()}). For a target
 * rate r over n callers, at most {@code floor(r * n)} callers may alarm: the threshold lies between
 * the extreme of the {@code floor(r * n) + 1}-th worst caller and the next worse distinct value
 * (near the middle, with few digits, at most {@link #MAX_DIGITS} significant ones, else just beyond
 * the former; just beyond it with {@link #BEYOND_DIGITS} significant digits when there is no worse
 * value, e.g. 0.401 beyond 0.4; integers rounded up), then
 * is moved into the range the detector takes:
 * towards fewer alarms freely; a threshold that would have to move towards more alarms makes the
 * level unusable ({@code 0}, level not used). {@code high} targets {@code fpr}, {@code medium}
 * {@code 10 * fpr} and {@code low} {@code 100 * fpr}. A level whose target is 1 or more (every
 * benign caller may alarm: {@code low} from {@code fpr} 0.01 on, {@code medium} from 0.1) is not
 * used either ({@code 0}, with a note): any threshold meets such a target, the one that alarms on
 * every query too, so none would be a calibration.
 *
 * <p>A detector that fails to give its signal is handled as the policy's {@code on_error} says, as
 * in the replay: under {@code deny} the query is refused and counts for no detector, under
 * {@code degrade} only that detector's score is missing; either way the failure is listed
 * ({@link MonitorReplay#detectorFailures}).
 *
 * <p>Types whose threshold range is not known here are reported as skipped, and so are {@code rate}
 * and {@code smooth} with a {@code scope} of {@code tenant} or {@code global}
 * ({@link StatefulDetector#sharedScore}): their score is one count or share over many callers'
 * queries, the same for each of them, so the benign callers are not independent samples of it and
 * a share of them says nothing of how often it alarms. Not
 * thread-safe.
 */
public final class Calibration {
    /** Share of benign callers each level may alarm for, as a multiple of {@code fpr}: low, medium, high. */
    static final double[] RATE_FACTORS = {100, 10, 1};
    /** The most significant digits a threshold that is not an integer gets (a range's own bounds aside). */
    static final int MAX_DIGITS = 6;
    /** Significant digits of a threshold just beyond the worst benign value (no worse value to halve the way to). */
    static final int BEYOND_DIGITS = 3;

    /**
     * The thresholds a built-in type takes.
     *
     * @param min the smallest usable threshold
     * @param max the largest usable threshold
     * @param integer whether thresholds are integers
     * @param strictBelow for a lower-is-worse score: whether a score alarms when strictly below the
     *     threshold (else at or below)
     * @param noScore why a caller gets no score (its signal never reaches the least level), and in
     *     what traffic the scored callers stand for all of them: {@code veil calibrate}'s note
     */
    record Range(double min, double max, boolean integer, boolean strictBelow, NoScore noScore) {
        /** A type whose callers go unscored while their stream is too short. */
        Range(double min, double max, boolean integer, boolean strictBelow) {
            this(min, max, integer, strictBelow, NoScore.SHORT_STREAM);
        }
    }

    /**
     * Why callers of a type get no score, and the traffic in which the scored ones' rate of alarms
     * would hold for everybody.
     *
     * @param why what the unscored callers did not do
     * @param traffic the traffic in which every caller would be scored, and advice
     */
    public record NoScore(String why, String traffic) {
        static final NoScore SHORT_STREAM = new NoScore("got no score (too short a stream)",
                "in traffic whose sessions are all as long as theirs; calibrate on sessions as long as real ones");
    }

    /** Known types (see each detector's configuration). */
    static final Map<String, Range> RANGES = Map.ofEntries(
            Map.entry("rate", new Range(1, Long.MAX_VALUE, true, false)),
            Map.entry("near_duplicate", new Range(1, 50, true, false)),
            Map.entry("knn_global", new Range(1, Long.MAX_VALUE, true, false)),
            Map.entry("knn", new Range(Double.MIN_VALUE, Double.MAX_VALUE, false, true)),
            Map.entry("boundary", new Range(0.01, 1, false, false)),
            Map.entry("class_focus", new Range(0.01, 1, false, false)),
            Map.entry("confidence_climb", new Range(0.5, 20, false, false)),
            Map.entry("extraction", new Range(0.01, 1, false, true)),
            Map.entry("antithetic", new Range(0.01, 1, false, false)),
            Map.entry("smooth", new Range(0.01, 1, false, false)),
            // a caller is scored once it sends a second value of one feature with the others the same
            Map.entry("feature_sweep", new Range(2, dev.veil.spi.StateOp.CountNewInWindow.MAX_MEMBERS / 2, true,
                    false, new NoScore("never sent a second value of one feature with the others the same (no score)",
                            "in traffic where every caller sends such pairs as often as they did"))));

    /**
     * One level's threshold.
     *
     * @param level {@code low}, {@code medium} or {@code high}
     * @param targetRate the share of benign callers it may alarm for
     * @param threshold the threshold, {@code 0} when the level is not usable
     * @param alarmed how many of the benign callers reach it
     * @param note why it is where it is when that is not plain (clamped, not usable), else {@code ""}
     */
    public record LevelResult(String level, double targetRate, double threshold, int alarmed, String note) {}

    /**
     * One detector's calibration.
     *
     * @param name the detector's name
     * @param type its built-in type
     * @param higherIsWorse whether larger scores are more suspicious
     * @param callers the benign callers
     * @param scored callers with at least one counted score
     * @param levels low, medium, high (empty when skipped)
     * @param skipped why the detector was not calibrated, or {@code null}
     * @param integer whether its thresholds are integers
     */
    public record DetectorResult(String name, String type, boolean higherIsWorse, int callers, int scored,
            List<LevelResult> levels, String skipped, boolean integer) {
        /** Why this type's callers go unscored (for the note on callers without a score). */
        public NoScore noScore() {
            Range r = RANGES.get(type);
            return r == null ? NoScore.SHORT_STREAM : r.noScore();
        }

        /**
         * The object written to the bundle's data: {@code {"low": .., "medium": .., "high": .., "fpr": ..,
         * "callers": ..}} (integers for integer thresholds; 0 = level not used).
         */
        public Map<String, Object> dataEntry(double fpr) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (LevelResult l : levels) {
                m.put(l.level(), l.threshold() == 0 ? (Object) 0L
                        : integer ? (Object) Math.round(l.threshold()) : (Object) l.threshold());
            }
            m.put("fpr", fpr);
            m.put("callers", (long) callers);
            return m;
        }
    }

    /**
     * What calibration found.
     *
     * @param fpr the target false-positive rate of {@code high}, per detector
     * @param callers the benign callers with a query that reached the detectors
     * @param queries the benign queries
     * @param detectors every configured detector, in the policy's order
     * @param refusals queries refused before the detectors, by reason
     * @param firstRefusals the first of each reason
     * @param anyAlarmed the benign callers that reach {@code low}, {@code medium} and {@code high} on
     *     any calibrated detector (a caller is flagged by whichever alarms: up to the number of
     *     detectors times the target)
     */
    public record Result(double fpr, int callers, long queries, List<DetectorResult> detectors,
            Map<MonitorReplay.Refusal, Long> refusals, Map<MonitorReplay.Refusal, String> firstRefusals,
            List<Integer> anyAlarmed, long queriesWithScores) {
        /**
         * The data document for {@code monitoring/thresholds/data.json}: one entry per calibrated
         * detector, none for a detector no benign caller got a score from (its thresholds would
         * alarm for every caller that gets one).
         */
        public Map<String, Object> data() {
            Map<String, Object> m = new LinkedHashMap<>();
            for (DetectorResult d : detectors) {
                if (d.skipped() == null && d.scored() > 0) {
                    m.put(d.name(), d.dataEntry(fpr));
                }
            }
            return m;
        }
    }

    private final double fpr;
    private final MonitorReplay replay;
    private final List<DetectorResult> skipped;
    private final List<String> order;
    private final List<StatefulDetector> probes;
    private final List<Range> ranges;
    private final List<String> types;
    private final Map<String, double[]> extremes = new HashMap<>();
    /** Each probe's index in {@link #probes}, by its name (its signal's). */
    private final Map<String, Integer> probeIndex = new HashMap<>();

    private Calibration(double fpr, MonitorReplay replay, List<String> order, List<StatefulDetector> probes,
            List<Range> ranges, List<String> types, List<DetectorResult> skipped) {
        this.fpr = fpr;
        this.replay = replay;
        this.order = order;
        this.probes = probes;
        this.ranges = ranges;
        this.types = types;
        this.skipped = skipped;
        for (int i = 0; i < probes.size(); i++) {
            probeIndex.put(probes.get(i).name(), i);
        }
    }

    /**
     * The fewest benign callers with which a false-positive rate of {@code fpr} can be measured:
     * ceil(1 / fpr), at most {@link Integer#MAX_VALUE} (more than any trace's callers; the refusal
     * says the real number).
     */
    public static int minimumCallers(double fpr) {
        checkFpr(fpr);
        return (int) Math.min(Integer.MAX_VALUE, Math.ceil(1 / fpr - 1e-9));
    }

    private static void checkFpr(double fpr) {
        if (!(fpr > 0 && fpr < 1)) {
            throw new IllegalArgumentException("fpr must be in (0, 1), e.g. 0.001, was " + fpr);
        }
    }

    /**
     * Starts a calibration of {@code bundle}'s built-in detectors against a fresh store whose clock
     * is {@code clock}.
     *
     * @throws IllegalArgumentException for an fpr outside (0, 1), a custom detector, or a detector
     *     that cannot be created
     */
    public static Calibration start(PolicyBundle bundle, StateStore store, TraceClock clock, double fpr) {
        return start(bundle, store, clock, fpr, RANGES);
    }

    /** As {@link #start(PolicyBundle, StateStore, TraceClock, double)} with the given known ranges. */
    static Calibration start(PolicyBundle bundle, StateStore store, TraceClock clock, double fpr,
            Map<String, Range> known) {
        return start(bundle, store, clock, fpr, known, UnaryOperator.identity());
    }

    /**
     * As above, running {@code probe.apply(p)} for each probe {@code p}, with its name: for tests,
     * which need detectors that fail where a built-in must not.
     */
    static Calibration start(PolicyBundle bundle, StateStore store, TraceClock clock, double fpr,
            Map<String, Range> known, UnaryOperator<StatefulDetector> probe) {
        checkFpr(fpr);
        List<String> order = new ArrayList<>();
        List<StatefulDetector> probes = new ArrayList<>();
        List<Range> ranges = new ArrayList<>();
        List<String> types = new ArrayList<>();
        List<DetectorResult> skipped = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : bundle.policy().settings().detectors().entrySet()) {
            String name = e.getKey();
            String type = BuiltinDetectors.typeOf(name, e.getValue());
            if (type == null) {
                throw new IllegalArgumentException("monitoring.detectors." + name + ": '" + name + "' is a custom "
                        + "detector (added in code with Guard.Builder.detector); only built-in detectors can be "
                        + "calibrated");
            }
            order.add(name);
            Range r = known.get(type);
            if (r == null) {
                skipped.add(new DetectorResult(name, type, true, 0, 0, List.of(), "veil calibrate does not know the "
                        + "threshold range of type '" + type + "' yet", false));
                continue;
            }
            Map<String, Object> cfg = probeConfig(name, e.getValue(), type, r);
            StatefulDetector p;
            try {
                p = BuiltinDetectors.create(name, cfg);
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("monitoring.detectors." + name + ": " + ex.getMessage(), ex);
            }
            String shared = p.sharedScore();
            if (shared != null) {
                skipped.add(new DetectorResult(name, type, true, 0, 0, List.of(), "its score is " + shared
                        + ", the same for all the callers counted together, so their share says nothing of how "
                        + "often it alarms; set its thresholds by hand", false));
                continue;
            }
            probes.add(probe.apply(p));
            ranges.add(r);
            types.add(type);
        }
        MonitorReplay replay = MonitorReplay.observing(bundle, probes, store, clock);
        return new Calibration(fpr, replay, List.copyOf(order), List.copyOf(probes), List.copyOf(ranges),
                List.copyOf(types), skipped);
    }

    /** The configuration with the thresholds replaced by the most permissive ones the type takes. */
    static Map<String, Object> probeConfig(String name, Map<String, Object> config, String type, Range r) {
        Map<String, Object> cfg = new LinkedHashMap<>(config);
        cfg.remove(BuiltinDetectors.THRESHOLDS_KEY);
        List<String> keys = BuiltinDetectors.levelKeys(type);
        keys.forEach(cfg::remove);
        double least = Math.max(1, r.min()); // 1 where the type takes it (feature_sweep's least is 2)
        Object valid = r.integer() ? (Object) Math.round(least) : (Object) least;
        StatefulDetector plain = BuiltinDetectors.create(name, withLevels(cfg, keys, valid));
        double permissive = plain.higherIsWorse() ? r.min() : r.max();
        return withLevels(cfg, keys, r.integer() ? (Object) Math.round(permissive) : (Object) permissive);
    }

    private static Map<String, Object> withLevels(Map<String, Object> cfg, List<String> keys, Object low) {
        Map<String, Object> m = new LinkedHashMap<>(cfg);
        m.put(keys.get(0), low);
        m.put(keys.get(1), 0L);
        m.put(keys.get(2), 0L);
        return m;
    }

    /**
     * Replays every line of a benign trace.
     *
     * @throws TraceFormatException for a malformed line ({@code SOURCE:LINE: what is wrong})
     * @throws StateUnavailableException when the state store fails
     * @throws IllegalStateException when the policy fails on a line (a detector's failure is handled as
     *     {@code on_error} says)
     */
    public void replay(InputStream in, String source) {
        TraceReader.forEach(in, source, this::accept);
    }

    /** Replays one benign query. */
    public void accept(TraceQuery q) {
        MonitorReplay.Step step = replay.accept(q);
        if (step.refusal() != null) {
            return; // a caller counts once a query of it reached the detectors (nothing else can alarm for it)
        }
        double[] ext = extremes.computeIfAbsent(dev.veil.internal.state.StateKeys.of(q.caller(), q.tenant()), k -> {
            double[] a = new double[probes.size()];
            Arrays.fill(a, Double.NaN);
            return a;
        });
        // by name: a detector that failed to give its signal under on_error: degrade has none in the list
        for (Signal s : step.signals()) {
            Integer at = probeIndex.get(s.name());
            if (at == null || s.level() == Level.NONE || Double.isNaN(s.score())) {
                continue;
            }
            int i = at;
            double cur = ext[i];
            boolean higher = probes.get(i).higherIsWorse();
            if (Double.isNaN(cur) || (higher ? s.score() > cur : s.score() < cur)) {
                ext[i] = s.score();
            }
        }
    }

    /** The replay the benign trace runs through (for its notes on the trace). */
    public MonitorReplay replay() {
        return replay;
    }

    /**
     * Picks the thresholds.
     *
     * @throws IllegalArgumentException when there are fewer than {@link #minimumCallers} callers, or
     *     the access policy refused benign queries, or the access or validation question could not be
     *     evaluated on one
     */
    public Result finish() {
        int n = extremes.size();
        Map<MonitorReplay.Refusal, Long> refusals = replay.refusals();
        long denied = refusals.get(MonitorReplay.Refusal.ACCESS_DENIED);
        if (denied > 0) {
            throw new IllegalArgumentException(denied + " benign queries were denied by the access policy, first "
                    + replay.firstRefusals().get(MonitorReplay.Refusal.ACCESS_DENIED) + "; give the trace's lines the "
                    + "\"roles\", \"tenant\" and \"attributes\" the policy allows, so that calibration sees what the Guard "
                    + "would see");
        }
        for (MonitorReplay.Refusal failed : List.of(MonitorReplay.Refusal.ACCESS_FAILED,
                MonitorReplay.Refusal.VALIDATION_FAILED)) {
            long count = refusals.get(failed);
            if (count > 0) {
                String question = failed == MonitorReplay.Refusal.ACCESS_FAILED ? "access" : "validation";
                throw new IllegalArgumentException(count + " benign quer" + (count == 1 ? "y" : "ies") + " could not be"
                        + " evaluated by the bundle's " + question + " question (a Guard answers them internal_error),"
                        + " first " + replay.firstRefusals().get(failed) + "; fix the bundle so that its " + question
                        + " question answers every benign query, so that calibration sees what the Guard would see");
            }
        }
        int need = minimumCallers(fpr);
        if (n < need) {
            long refused = refusals.values().stream().mapToLong(Long::longValue).sum();
            throw new IllegalArgumentException("the benign trace has " + n + " caller" + (n == 1 ? "" : "s")
                    + " whose queries reached the detectors" + (refused == 0 ? "" : " (" + refused + " benign "
                    + "quer" + (refused == 1 ? "y was" : "ies were") + " refused before them, first "
                    + replay.firstRefusal() + ")") + "; a false-positive rate of " + fpr + " per caller and "
                    + "detector cannot be measured with fewer than " + plain(Math.ceil(1 / fpr - 1e-9))
                    + " benign callers (1 / fpr)"
                    + (n == 0 ? "" : ": one false alarm would already be a rate of " + 1.0 / n)
                    + ". Use more benign callers or a larger --fpr");
        }
        Map<String, DetectorResult> byName = new HashMap<>();
        for (DetectorResult d : skipped) {
            byName.put(d.name(), d);
        }
        for (int i = 0; i < probes.size(); i++) {
            byName.put(probes.get(i).name(), calibrate(i, n));
        }
        List<DetectorResult> out = new ArrayList<>();
        for (String name : order) {
            out.add(byName.get(name));
        }
        // --fpr is a rate per detector: a caller can reach a level on any of them
        int[] any = new int[3];
        for (double[] ext : extremes.values()) {
            for (int l = 0; l < 3; l++) {
                for (int i = 0; i < probes.size(); i++) {
                    DetectorResult d = byName.get(probes.get(i).name());
                    if (alarms(ext[i], d.levels().get(l).threshold(), d.higherIsWorse(), ranges.get(i))) {
                        any[l]++;
                        break;
                    }
                }
            }
        }
        return new Result(fpr, n, replay.queries(), List.copyOf(out), refusals, replay.firstRefusals(),
                List.of(any[0], any[1], any[2]), replay.queriesWithScores());
    }

    private DetectorResult calibrate(int i, int n) {
        StatefulDetector d = probes.get(i);
        Range r = ranges.get(i);
        boolean higher = d.higherIsWorse();
        double[] eligible = extremes.values().stream().mapToDouble(a -> a[i]).filter(v -> !Double.isNaN(v)).toArray();
        Arrays.sort(eligible);
        if (higher) {
            reverse(eligible);
        }
        List<LevelResult> levels = new ArrayList<>(3);
        for (int l = 0; l < 3; l++) {
            double target = RATE_FACTORS[l] * fpr;
            String name = BuiltinDetectors.LEVELS.get(l);
            // (a detector no caller got a score from is not calibrated at all: level() says so)
            levels.add(target >= 1 - 1e-9 && eligible.length > 0 ? everyCaller(name, RATE_FACTORS[l])
                    : level(name, Math.min(1, target), eligible, n, r, higher));
        }
        return new DetectorResult(d.name(), types.get(i), higher, n, eligible.length, List.copyOf(levels), null,
                r.integer());
    }

    /** A level whose target, {@code factor * fpr}, is every benign caller: not used. */
    static LevelResult everyCaller(String level, double factor) {
        return new LevelResult(level, 1, 0, 0, "not used: its target, " + plain(factor) + " x the fpr, is 100% or "
                + "more of the benign callers, which a threshold that alarms on every query would meet; an fpr below "
                + plain(1 / factor) + " calibrates it");
    }

    /**
     * The threshold of one level.
     *
     * @param worstFirst every counted caller's extreme, the most suspicious first
     * @param n all benign callers (callers without a counted score never alarm)
     */
    static LevelResult level(String level, double rate, double[] worstFirst, int n, Range r, boolean higher) {
        int k = (int) Math.floor(rate * n + 1e-9);
        double permissive = higher ? r.min() : r.max();
        double t;
        String note = "";
        if (worstFirst.length == 0) {
            t = permissive;
            note = "NOT CALIBRATED: no benign caller got a score, so this, the threshold the detector takes that "
                    + "alarms most, would alarm for every caller that gets one; not written to the data";
        } else if (k >= worstFirst.length) {
            t = permissive;
            note = "the most permissive threshold the detector takes (it alarms most)";
        } else {
            double v = worstFirst[k];
            int j = k - 1;
            while (j >= 0 && worstFirst[j] == v) {
                j--;
            }
            if (higher) {
                if (r.integer()) {
                    t = j >= 0 ? between(v, worstFirst[j]) : v + 1;
                } else {
                    t = j >= 0 ? between(v, worstFirst[j]) : above(v, BEYOND_DIGITS);
                    if (digits(t) > MAX_DIGITS) {
                        t = above(v, MAX_DIGITS); // no short number between: fewer alarms, never more
                    }
                }
                if (r.integer()) {
                    t = Math.ceil(t);
                }
                if (t < r.min()) {
                    t = r.min();
                    note = "raised to the smallest threshold the detector takes";
                } else if (t > r.max()) {
                    t = 0;
                    note = "not usable: more than " + pct(rate) + " of the benign callers reach the largest score "
                            + "the detector takes (" + plain(r.max()) + ")";
                }
            } else {
                t = j >= 0 ? between(worstFirst[j], v) : below(v, BEYOND_DIGITS, r.strictBelow());
                if (digits(t) > MAX_DIGITS) {
                    t = below(v, MAX_DIGITS, r.strictBelow()); // no short number between: fewer alarms, never more
                }
                if (t > r.max()) {
                    t = r.max();
                    note = "lowered to the largest threshold the detector takes";
                } else if (t < r.min()) {
                    t = 0;
                    note = "not usable: more than " + pct(rate) + " of the benign callers reach scores below the "
                            + "smallest threshold the detector takes (" + plain(r.min()) + ")";
                }
            }
        }
        int alarmed = 0;
        for (double v : worstFirst) {
            if (alarms(v, t, higher, r)) {
                alarmed++;
            }
        }
        return new LevelResult(level, rate, t, alarmed, note);
    }

    /** Whether a caller's extreme score {@code v} reaches threshold {@code t} (0: the level is off). */
    private static boolean alarms(double v, double t, boolean higher, Range r) {
        return t != 0 && !Double.isNaN(v) && (higher ? v >= t : r.strictBelow() ? v < t : v <= t);
    }

    /**
     * A number strictly between {@code lo} and {@code hi} ({@code lo < hi}), near the midpoint, with
     * as few significant digits as possible (0.6 rather than 0.5857142857142856): every such number
     * separates the benign callers the same way. {@code hi} itself when no double lies between.
     */
    static double between(double lo, double hi) {
        double mid = lo + (hi - lo) / 2;
        for (int digits = 1; digits <= 17; digits++) {
            double r = new BigDecimal(mid).round(new MathContext(digits, RoundingMode.HALF_EVEN)).doubleValue();
            if (r > lo && r < hi) {
                return r;
            }
        }
        return mid > lo && mid < hi ? mid : hi; // adjacent doubles: hi still separates them
    }

    /**
     * The smallest number with {@code digits} significant digits (fewer when they end in zeros) that
     * is larger than {@code v}: a threshold just beyond {@code v} for {@code score >= t}.
     */
    static double above(double v, int digits) {
        BigDecimal c = fixed(BigDecimal.valueOf(v).round(new MathContext(digits, RoundingMode.CEILING)), digits,
                RoundingMode.CEILING);
        while (c.doubleValue() <= v) {
            c = fixed(c.add(c.ulp()), digits, RoundingMode.CEILING);
        }
        return c.doubleValue();
    }

    /**
     * The largest number with {@code digits} significant digits (fewer when they end in zeros) that
     * {@code v} does not reach: below {@code v}, or {@code v} itself when {@code strict} (a score
     * alarms when strictly below the threshold).
     */
    static double below(double v, int digits, boolean strict) {
        BigDecimal c = fixed(BigDecimal.valueOf(v).round(new MathContext(digits, RoundingMode.FLOOR)), digits,
                RoundingMode.FLOOR);
        while (strict ? c.doubleValue() > v : c.doubleValue() >= v) {
            c = fixed(c.subtract(c.ulp()), digits, RoundingMode.FLOOR);
        }
        return c.doubleValue();
    }

    /** {@code c} with exactly {@code digits} significant digits, so that its ulp is a step at the last of them. */
    private static BigDecimal fixed(BigDecimal c, int digits, RoundingMode mode) {
        return c.setScale(c.scale() + digits - c.precision(), mode);
    }

    /** The significant digits of {@code v}'s shortest decimal form. */
    static int digits(double v) {
        return v == 0 ? 1 : BigDecimal.valueOf(v).stripTrailingZeros().precision();
    }

    private static void reverse(double[] a) {
        for (int i = 0, j = a.length - 1; i < j; i++, j--) {
            double x = a[i];
            a[i] = a[j];
            a[j] = x;
        }
    }

    private static String pct(double rate) {
        return plain(rate * 100) + "%";
    }

    static String plain(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
