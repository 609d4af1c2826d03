package dev.veil.benchmarks;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Features;
import dev.veil.Prediction;
import dev.veil.Signal;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.monitor.StatefulDetector;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.Query;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-query cost of the tabular-credit bundle's detectors ({@code policies/bundles/tabular-credit},
 * from the working directory), on the in-memory store with the Guard's default cap, run as the Guard
 * runs them (plan, one execute, evaluate, record, one submit): {@code shipped} is the bundle's eight,
 * the others one of them alone with the bundle's settings, {@code rate} the cheapest, as a baseline
 * in the same run. Applicants of nine named features (incomes log-normal, loans, terms, ages, years,
 * debt ratios, credit lines, a co-applicant for 30%), {@code callers} callers in turn; the store is
 * first filled with {@code prefill} of them, so that every caller's {@code feature_sweep} history
 * (500) is full. Building each query and its answer is not timed.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar TabularDetectorBenchmark -f 1 -wi 2 -i 3 -bm sample -tu us
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TabularDetectorBenchmark {
    private static final List<String> DECISIONS = List.of("approve", "refer", "decline");
    private static final int[] TERMS = {12, 24, 36, 48, 60, 84, 120, 180, 240, 300, 360};

    /** {@code shipped}, or the name of one of the bundle's detectors. */
    @Param({"rate", "feature_sweep", "feature_sweep_global", "knn", "shipped"})
    public String detectors;

    @Param({"100"})
    public int callers;

    @Param({"50000"})
    public int prefill;

    private StatefulDetector[] running;
    private MemoryStateStore store;
    private SplittableRandom random;
    private List<Caller> who;
    private long now;
    private int turn;
    private Query query;
    private Prediction answer;

    @Setup(Level.Trial)
    public void setUp() {
        java.nio.file.Path dir = java.nio.file.Path.of(System.getProperty("veil.bundle",
                "policies/bundles/tabular-credit"));
        dev.veil.PolicyBundle b = dev.veil.PolicyBundle.load(dir);
        List<StatefulDetector> chosen = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : b.policy().settings().detectors().entrySet()) {
            if (detectors.equals("shipped") || detectors.equals(e.getKey())) {
                chosen.add(BuiltinDetectors.create(e.getKey(), e.getValue(), b.contents()));
            }
        }
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("no detector '" + detectors + "' in " + dir.toAbsolutePath());
        }
        running = chosen.toArray(new StatefulDetector[0]);
        store = new MemoryStateStore(256L << 20, Clock.systemUTC(), 1_000_000);
        random = new SplittableRandom(42);
        who = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            who.add(new Caller("broker-" + c, AuthMethod.API_KEY, Set.of("broker"), "brokerline", Map.of()));
        }
        now = 1_790_000_000_000L;
        for (int i = 0; i < prefill; i++) {
            nextQuery();
            observe();
        }
    }

    @Setup(Level.Invocation)
    public void nextQuery() {
        Map<String, Double> a = new LinkedHashMap<>();
        double income = Math.round(45_000 * Math.exp(0.5 * random.nextGaussian()) / 100) * 100.0;
        int age = 21 + random.nextInt(55);
        a.put("income", income);
        a.put("loan_amount", Math.round(income * (0.1 + 5.9 * random.nextDouble()) / 100) * 100.0);
        a.put("loan_term_months", (double) TERMS[random.nextInt(TERMS.length)]);
        a.put("age", (double) age);
        a.put("years_employed", (double) random.nextInt(Math.min(45, age - 14) + 1));
        a.put("debt_ratio", Math.round(Math.max(0, 0.3 + 0.15 * random.nextGaussian()) * 100) / 100.0);
        a.put("credit_history_years", (double) random.nextInt(age - 16 + 1));
        a.put("open_credit_lines", (double) random.nextInt(16));
        if (random.nextDouble() < 0.3) {
            a.put("co_applicant_income", Math.round(35_000 * Math.exp(0.7 * random.nextGaussian()) / 100) * 100.0);
        }
        now += 100;
        query = new Query(who.get(turn++ % who.size()), now, Features.named(a));
        double p = 1 / (1 + Math.exp(-(0.8 + 1.8 * Math.log(income / 45_000.0) - 5 * (a.get("debt_ratio") - 0.3))));
        answer = Prediction.classification(DECISIONS, new double[] {p * p, 2 * p * (1 - p), (1 - p) * (1 - p)});
    }

    @Benchmark
    public Signal[] observe() {
        return DetectorTraffic.observe(running, store, query, answer);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        System.out.printf("%n[tabular detectors %s] state %.1f MB for %d callers%n", detectors,
                store.bytesUsed() / 1e6, callers);
        store.close();
    }
}
