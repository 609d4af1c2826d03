package dev.veil.benchmarks;

import dev.veil.internal.monitor.SmoothDetector;

/**
 * How many of {@link DetectorTraffic}'s queries the {@code smooth} detector takes for smooth (below
 * its default floor, 28 features a row), and the largest roughness among them: {@code smooth}
 * hashes each smooth query, so this says how often {@code DetectorBenchmark} pays that hash (a
 * {@code main}, not JMH; benchmarks/README.md, round 23).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.veil.benchmarks.SmoothShare [QUERIES]</pre>
 */
public final class SmoothShare {
    private SmoothShare() {}

    public static void main(String[] args) {
        int queries = args.length > 0 ? Integer.parseInt(args[0]) : 400_000;
        DetectorTraffic traffic = new DetectorTraffic("smooth", 500, 42);
        SmoothDetector.Config config = SmoothDetector.Config.DEFAULT;
        int smooth = 0;
        double largest = 0;
        for (int i = 0; i < queries; i++) {
            double r = SmoothDetector.roughness(traffic.next().query().features().vector(), config.width());
            if (r < config.floor()) {
                smooth++;
            }
            largest = Math.max(largest, r);
        }
        System.out.printf(java.util.Locale.ROOT, "%,d of %,d DetectorTraffic queries are smooth (roughness below %s); "
                + "the roughest: %.4f%n", smooth, queries, config.floor(), largest);
    }
}
