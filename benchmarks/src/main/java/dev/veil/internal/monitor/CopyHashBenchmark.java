package dev.veil.internal.monitor;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The copy hash of one 784-value input ({@link CopyHash}, NH keyed by the seed) against its
 * baseline in the same run, the polynomial hash it replaced ({@link #polynomial}: two interleaved
 * Horner chains, as {@code QueryHashing.vectorHash} computed it, two steps at a time). In this
 * package because {@link CopyHash} is package-private. Three detectors hash every query.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class CopyHashBenchmark {
    private static final long ODD = 0xBF58476D1CE4E5B9L;
    private static final long GOLDEN_2 = QueryHashing.GOLDEN * QueryHashing.GOLDEN;
    private static final long ODD_2 = ODD * ODD;

    private final double[][] inputs = new double[64][784];
    private final CopyHash copyHash = new CopyHash(104_729);
    private int next;

    @Setup
    public void setUp() {
        SplittableRandom r = new SplittableRandom(1);
        for (double[] x : inputs) {
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextDouble();
            }
        }
    }

    @Benchmark
    public long copyHash() {
        return copyHash.of(inputs[next++ & 63]);
    }

    @Benchmark
    public long polynomial() {
        return polynomial(inputs[next++ & 63], 104_729);
    }

    /** The replaced hash (lengths that are multiples of 4, as here). */
    static long polynomial(double[] x, long seed) {
        long h1 = QueryHashing.mix(seed ^ x.length);
        long h2 = ~h1;
        for (int i = 0; i + 3 < x.length; i += 4) {
            long a0 = Double.doubleToRawLongBits(x[i] + 0.0);
            long a1 = Double.doubleToRawLongBits(x[i + 1] + 0.0);
            long a2 = Double.doubleToRawLongBits(x[i + 2] + 0.0);
            long a3 = Double.doubleToRawLongBits(x[i + 3] + 0.0);
            h1 = h1 * GOLDEN_2 + (a0 * QueryHashing.GOLDEN + a2);
            h2 = h2 * ODD_2 + (a1 * ODD + a3);
        }
        return QueryHashing.mix(h1 ^ QueryHashing.mix(h2));
    }
}
