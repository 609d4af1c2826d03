package dev.veil.internal.monitor;

import dev.veil.Level;
import dev.veil.Signal;
import dev.veil.internal.monitor.traffic.Attack;
import dev.veil.internal.monitor.traffic.Attacks;
import dev.veil.internal.monitor.traffic.BenignTraffic;
import dev.veil.internal.monitor.traffic.Fixtures;
import dev.veil.internal.monitor.traffic.PcaBasis;
import dev.veil.internal.monitor.traffic.SoftmaxModel;
import dev.veil.internal.monitor.traffic.SyntheticDigits;
import dev.veil.internal.state.MemoryStateStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The efficacy scenario of issue 3, run once per JVM: the benign population of
 * {@link BenignTraffic#ISSUE} (2,000 callers x 50 queries with retries, 5 batch jobs of 500) and,
 * interleaved with it in time, every attack of {@link Attacks} on 784 features, once from one
 * account and once spread round-robin over 10 accounts, each attack with its own starting point and
 * seed, one query a second, four minutes apart. All queries go through the built-in detectors with
 * their default configuration (as a policy that names them gets them) and one real
 * {@link MemoryStateStore} with the Guard's default memory cap (256 MiB; it evicts the oldest index
 * entries during the run; with a 1 GiB cap, where nothing is evicted, every figure was the same),
 * exactly as the Guard batches them.
 */
final class EfficacyScenario {
    static final long T0 = BenignTraffic.ISSUE_T0;
    static final int SINGLE_QUERIES = 60;
    static final int SPREAD_QUERIES = 120;
    static final int ACCOUNTS = 10;
    /** The level a policy blocks on in these tests. */
    static final Level BLOCK = Level.HIGH;
    static final String[] DETECTORS = {"near_duplicate", "knn", "knn_global"};
    /** The memory cap of the state store: the Guard's default. */
    static final long STATE_BYTES = dev.veil.internal.guard.DefaultGuard.DEFAULT_STATE_BYTES;

    /** What happened to one attack. */
    record AttackOutcome(String name, int accounts, int queries, int firstAlarm, Map<String, Integer> firstByDetector,
            int accountsFlagged) {}

    /** What happened to one benign caller. */
    record CallerOutcome(String caller, int queries, Level highest, String firstDetector, int maxShared,
            double minKnn, long maxCell) {}

    /** The whole run. */
    record Outcome(List<AttackOutcome> attacks, Map<String, CallerOutcome> benign, long stateBytes, int queries,
            double modelAccuracy) {}

    private static Outcome outcome;

    private EfficacyScenario() {}

    static synchronized Outcome get() {
        if (outcome == null) {
            outcome = run();
        }
        return outcome;
    }

    static StatefulDetector[] defaultDetectors() {
        StatefulDetector[] d = new StatefulDetector[DETECTORS.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = BuiltinDetectors.create(DETECTORS[i], Map.of());
        }
        return d;
    }

    /** An attack to schedule: how to build it, on how many accounts, how many queries in total. */
    private record Spec(String name, Function<Long, Attack> factory, int accounts, int queries) {}

    private static Outcome run() {
        SoftmaxModel model = Fixtures.model();
        List<double[]> pool = Fixtures.pool(); // "public" unlabeled images the attackers have
        SplittableRandom r = new SplittableRandom(2027);
        List<double[]> test = new ArrayList<>();
        int[] labels = new int[500];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = r.nextInt(SyntheticDigits.CLASSES);
            test.add(SyntheticDigits.sample(r, labels[i]));
        }
        double accuracy = model.accuracy(test, labels);
        PcaBasis pca = Fixtures.pca();
        List<Spec> specs = new ArrayList<>();
        for (int accounts : new int[] {1, ACCOUNTS}) {
            int n = accounts == 1 ? SINGLE_QUERIES : SPREAD_QUERIES;
            specs.add(new Spec("nes-pixel-0.001", s -> Attacks.nes("nes-pixel-0.001", start(s), target(s), 0.001,
                    Attacks.Noise.PIXEL, 0.01, s), accounts, n));
            specs.add(new Spec("nes-pixel-0.02", s -> Attacks.nes("nes-pixel-0.02", start(s), target(s), 0.02,
                    Attacks.Noise.PIXEL, 0.01, s), accounts, n));
            specs.add(new Spec("nes-pixel-0.02-blank", s -> Attacks.nes("nes-pixel-0.02-blank",
                    new double[SyntheticDigits.D], target(s), 0.02, Attacks.Noise.PIXEL, 0.01, s), accounts, n));
            specs.add(new Spec("nes-pixel-0.1", s -> Attacks.nes("nes-pixel-0.1", start(s), target(s), 0.1,
                    Attacks.Noise.PIXEL, 0.01, s), accounts, n));
            specs.add(new Spec("nes-pixel-0.1-blank", s -> Attacks.nes("nes-pixel-0.1-blank",
                    new double[SyntheticDigits.D], target(s), 0.1, Attacks.Noise.PIXEL, 0.01, s), accounts, n));
            specs.add(new Spec("nes-smooth-0.1", s -> Attacks.nes("nes-smooth-0.1", start(s), target(s), 0.1,
                    Attacks.Noise.SMOOTH_7X7, 0.01, s), accounts, n));
            specs.add(new Spec("hill-climb", s -> Attacks.hillClimb("hill-climb", start(s), target(s), 0.25, s),
                    accounts, n));
            specs.add(new Spec("pca-search-0.2", s -> Attacks.pcaSearch("pca-search-0.2", pca, start(s), target(s),
                    0.2, 0.05, s), accounts, n));
            specs.add(new Spec("boundary-walk", s -> Attacks.boundaryWalk("boundary-walk", pool, 10, s), accounts, n));
        }
        List<BenignTraffic.Event> benign = BenignTraffic.issue();

        // schedule: attack j starts 10 minutes in, four minutes after attack j-1, one query a second
        record Slot(long time, int attack, int index) {}
        List<Slot> slots = new ArrayList<>();
        for (int j = 0; j < specs.size(); j++) {
            long start = T0 + 600_000 + j * 240_000L;
            for (int i = 0; i < specs.get(j).queries(); i++) {
                slots.add(new Slot(start + i * 1000L + 500, j, i));
            }
        }
        MemoryStateStore store = new MemoryStateStore(STATE_BYTES, Clock.systemUTC(), 1_000_000);
        DetectorHarness h = new DetectorHarness(store, defaultDetectors());
        Attack[] attacks = new Attack[specs.size()];
        int[] firstAlarm = new int[specs.size()];
        List<Map<String, Integer>> firstBy = new ArrayList<>();
        List<java.util.Set<String>> flaggedAccounts = new ArrayList<>();
        for (int j = 0; j < specs.size(); j++) {
            attacks[j] = specs.get(j).factory().apply(1000L + 17 * j);
            firstAlarm[j] = -1;
            firstBy.add(new LinkedHashMap<>());
            flaggedAccounts.add(new java.util.HashSet<>());
        }
        Map<String, int[]> benignCount = new HashMap<>();
        Map<String, Level> benignHighest = new HashMap<>();
        Map<String, String> benignFirst = new HashMap<>();
        Map<String, double[]> benignExtremes = new HashMap<>(); // max shared, min knn, max cell
        int bi = 0;
        int si = 0;
        slots.sort(java.util.Comparator.comparingLong(Slot::time));
        int queries = 0;
        while (bi < benign.size() || si < slots.size()) {
            boolean takeBenign = si >= slots.size()
                    || (bi < benign.size() && benign.get(bi).timeMillis() <= slots.get(si).time());
            queries++;
            if (takeBenign) {
                BenignTraffic.Event e = benign.get(bi++);
                Signal[] s = h.observe(e.caller(), e.timeMillis(), e.x());
                benignCount.computeIfAbsent(e.caller(), k -> new int[1])[0]++;
                double[] ex = benignExtremes.computeIfAbsent(e.caller(), k -> new double[] {0, Double.MAX_VALUE, 0});
                ex[0] = Math.max(ex[0], s[0].score());
                if (s[1].score() >= 0) {
                    ex[1] = Math.min(ex[1], s[1].score());
                }
                ex[2] = Math.max(ex[2], s[2].score());
                for (Signal sig : s) {
                    Level prev = benignHighest.getOrDefault(e.caller(), Level.NONE);
                    if (sig.level().compareTo(prev) > 0) {
                        benignHighest.put(e.caller(), sig.level());
                        if (sig.level().atLeast(BLOCK)) {
                            benignFirst.putIfAbsent(e.caller(), sig.name());
                        }
                    }
                }
            } else {
                Slot slot = slots.get(si++);
                Spec spec = specs.get(slot.attack());
                Attack a = attacks[slot.attack()];
                String account = "attacker-" + slot.attack() + "-" + (slot.index() % spec.accounts());
                double[] x = a.next();
                Signal[] s = h.observe(account, slot.time(), x);
                a.answer(model.scores(x));
                for (Signal sig : s) {
                    if (sig.level().atLeast(BLOCK)) {
                        firstBy.get(slot.attack()).putIfAbsent(sig.name(), slot.index());
                        if (firstAlarm[slot.attack()] < 0) {
                            firstAlarm[slot.attack()] = slot.index();
                        }
                        flaggedAccounts.get(slot.attack()).add(account);
                    }
                }
            }
        }
        List<AttackOutcome> out = new ArrayList<>();
        for (int j = 0; j < specs.size(); j++) {
            Spec spec = specs.get(j);
            out.add(new AttackOutcome(spec.name(), spec.accounts(), spec.queries(), firstAlarm[j], firstBy.get(j),
                    flaggedAccounts.get(j).size()));
        }
        Map<String, CallerOutcome> callers = new LinkedHashMap<>();
        for (var e : benignCount.entrySet()) {
            double[] ex = benignExtremes.get(e.getKey());
            callers.put(e.getKey(), new CallerOutcome(e.getKey(), e.getValue()[0],
                    benignHighest.getOrDefault(e.getKey(), Level.NONE), benignFirst.get(e.getKey()), (int) ex[0],
                    ex[1], (long) ex[2]));
        }
        return new Outcome(out, callers, store.bytesUsed(), queries, accuracy);
    }

    /** The class an attack built with seed {@code s} climbs toward. */
    static int target(long s) {
        return (int) Math.floorMod(s * 7 + 3, SyntheticDigits.CLASSES);
    }

    /** A natural starting image for the attack with seed {@code s}, of a class other than its target. */
    static double[] start(long s) {
        SplittableRandom r = new SplittableRandom(s * 31 + 5);
        return SyntheticDigits.sample(r, (target(s) + 1 + r.nextInt(SyntheticDigits.CLASSES - 1))
                % SyntheticDigits.CLASSES);
    }
}
