package dev.veil.benchmarks;

import dev.veil.Signal;
import dev.veil.internal.state.MemoryStateStore;
import java.time.Clock;
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
 * Issue 3's per-query cost of monitoring: the built-in detectors with their default configuration,
 * at 784 features, on the in-memory state store with the Guard's default memory cap (256 MiB),
 * run exactly as the Guard runs them (plan, one execute, evaluate, record, one submit: see
 * {@link DetectorTraffic}). Goal: under 20 us median for {@code all}.
 *
 * <p>The store is first filled with {@code prefill} benign queries (by default 100 per caller, so
 * that every per-caller history is full and the global structures are large, as in a service that
 * has been running for a while); building each query and the model's answer is not timed. The timed
 * queries are remembered too (tens of thousands in a run), so by the end the state is about the
 * same whatever {@code prefill} and {@code callers} were (benchmarks/README.md, round 8).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector") // vectorised knn distances, as recommended
public class DetectorBenchmark {
    /** A set of {@link DetectorTraffic#SETS}, each detector at its defaults, or {@code shipped}: the image-classifier bundle's. */
    @Param({"all", "nine", "eight", "smooth", "antithetic", "near_duplicate", "knn", "knn_global", "answers", "rate",
        "shipped"})
    public String detectors;

    /**
     * Detector settings other than the defaults: {@code detector.key=value} pairs separated by
     * {@code ;}, for example {@code near_duplicate.index=global} (see {@link DetectorTraffic}).
     */
    @Param({""})
    public String config;

    /**
     * The images: {@code strokes}, synthetic (the default, and the figures of every round), or
     * {@code fashion}, the real Fashion-MNIST images (Debian's {@code dataset-fashion-mnist}; see
     * {@link DetectorTraffic}).
     */
    @Param({"strokes"})
    public String images;

    @Param({"500"})
    public int callers;

    @Param({"50000"})
    public int prefill;

    /** The store's memory cap in MiB (256: the Guard's default). */
    @Param({"256"})
    public int stateMiB;

    private MemoryStateStore store;
    private DetectorTraffic traffic;
    private DetectorTraffic.Prepared next;

    @Setup(Level.Trial)
    public void setUp() {
        store = new MemoryStateStore((long) stateMiB << 20, Clock.systemUTC(), 1_000_000);
        traffic = new DetectorTraffic(detectors, config, images, callers, 42);
        for (int i = 0; i < prefill; i++) {
            traffic.observe(store, traffic.next());
        }
    }

    @Setup(Level.Invocation)
    public void nextQuery() {
        next = traffic.next();
    }

    @Benchmark
    public Signal[] observe() {
        return traffic.observe(store, next);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        System.out.printf("%n[detectors %s] state %.1f MB for %d callers%n", detectors, store.bytesUsed() / 1e6,
                callers);
        store.close();
    }
}
