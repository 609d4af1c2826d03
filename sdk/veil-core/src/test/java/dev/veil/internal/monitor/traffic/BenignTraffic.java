package dev.veil.internal.monitor.traffic;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Benign query streams: callers who send independent samples of {@link SyntheticDigits}, now and
 * then retry a request exactly, and batch jobs that send hundreds of distinct inputs in a burst,
 * all interleaved in time as a service sees them.
 */
public final class BenignTraffic {
    /** One query: who, when, what. */
    public record Event(String caller, long timeMillis, double[] x, boolean retry) {}

    /**
     * Parameters of a benign population.
     *
     * @param callers interactive callers
     * @param queriesPerCaller distinct queries each sends
     * @param retryRate chance that a query is followed by an exact retry (repeated with the same chance)
     * @param focusedShare share of callers whose inputs all come from one class (a homogeneous workload)
     * @param batchJobs batch jobs (each its own caller)
     * @param batchSize distinct inputs per batch job
     * @param spanMillis time over which callers start
     * @param meanGapMillis mean time between an interactive caller's queries
     * @param batchGapMillis time between a batch job's queries
     */
    public record Spec(int callers, int queriesPerCaller, double retryRate, double focusedShare, int batchJobs,
            int batchSize, long spanMillis, long meanGapMillis, long batchGapMillis) {}

    /** The population of the efficacy tests: 2,000 callers x 50 queries, 3% retries, 5 batch jobs of 500. */
    public static final Spec ISSUE = new Spec(2000, 50, 0.03, 0.2, 5, 500, 3_600_000, 20_000, 100);

    /** Start of the issue population's traffic (ms since the epoch). */
    public static final long ISSUE_T0 = 1_700_000_000_000L;

    private static List<Event> issue;

    private BenignTraffic() {}

    /**
     * The {@link #ISSUE} population with seed 42 from {@link #ISSUE_T0}, generated once per JVM (its
     * 107,000 images take seconds) and shared, read-only, by the tests that need it.
     */
    public static synchronized List<Event> issue() {
        if (issue == null) {
            issue = List.copyOf(generate(ISSUE, 42, ISSUE_T0));
        }
        return issue;
    }

    /** The events of a population, in time order, starting at {@code t0}. */
    public static List<Event> generate(Spec spec, long seed, long t0) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Event> events = new ArrayList<>();
        for (int c = 0; c < spec.callers(); c++) {
            String id = "user-" + c;
            int focus = r.nextDouble() < spec.focusedShare() ? r.nextInt(SyntheticDigits.CLASSES) : -1;
            long t = t0 + (long) (r.nextDouble() * spec.spanMillis());
            for (int q = 0; q < spec.queriesPerCaller(); q++) {
                double[] x = focus < 0 ? SyntheticDigits.sample(r) : SyntheticDigits.sample(r, focus);
                events.add(new Event(id, t, x, false));
                while (r.nextDouble() < spec.retryRate()) {
                    t += 200 + r.nextInt(2000);
                    events.add(new Event(id, t, x, true));
                }
                t += 1 + (long) (-Math.log(1 - r.nextDouble()) * spec.meanGapMillis());
            }
        }
        for (int j = 0; j < spec.batchJobs(); j++) {
            String id = "batch-" + j;
            long t = t0 + (long) (r.nextDouble() * spec.spanMillis());
            for (int q = 0; q < spec.batchSize(); q++) {
                events.add(new Event(id, t, SyntheticDigits.sample(r), false));
                t += spec.batchGapMillis();
            }
        }
        events.sort(Comparator.comparingLong(Event::timeMillis));
        return events;
    }
}
