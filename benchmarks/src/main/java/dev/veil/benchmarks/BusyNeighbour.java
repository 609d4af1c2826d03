package dev.veil.benchmarks;

/**
 * A busy thread to run on the other vCPU while a benchmark runs on one (benchmarks/README.md, "Where
 * the goals stand"): it reads and writes one long per 64-byte line of an array of {@code MB}
 * megabytes, round and round, until it is killed. With 64 it streams through memory; with 1 it
 * stays in its core's caches. Not a JMH benchmark.
 *
 * <pre>{@code
 * taskset -c 1 java -cp benchmarks/target/benchmarks.jar dev.veil.benchmarks.BusyNeighbour 64 &
 * }</pre>
 */
public final class BusyNeighbour {
    private BusyNeighbour() {}

    public static void main(String[] args) {
        int mb = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        long[] x = new long[mb * 131_072];
        long s = 0;
        while (true) {
            for (int i = 0; i < x.length; i += 8) {
                s += x[i];
                x[i] = s;
            }
            if (s == 42) { // never, in practice: keeps the loop's work from being dropped
                System.out.println(s);
            }
        }
    }
}
