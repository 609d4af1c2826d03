package dev.veil.policies;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What monitoring did to honest callers, for the shipped bundles' false-alarm tests: each caller's
 * worst answer ({@link Outcome}) and the rules that fired for it.
 */
final class HonestTally {
    /** What monitoring did to one answer: nothing, an alert, a degraded answer, or a block (in that order). */
    enum Outcome {
        CLEAN, ALERTED, DEGRADED, BLOCKED
    }

    private final Map<String, Outcome> worst = new TreeMap<>();
    private final Map<String, List<String>> rules = new TreeMap<>();

    /** Records one answer to {@code caller}, which monitoring treated as {@code outcome}. */
    void record(String caller, Response r, Outcome outcome) {
        worst.merge(caller, outcome, (a, b) -> a.compareTo(b) >= 0 ? a : b);
        if (r instanceof Response.Released ok && !ok.alerts().isEmpty()) {
            rules.computeIfAbsent(caller, k -> new ArrayList<>()).addAll(ok.alerts());
        } else if (r instanceof Response.Denied d) {
            rules.computeIfAbsent(caller, k -> new ArrayList<>()).add(d.reason().rule());
        }
    }

    /**
     * Prints the tally and requires that all {@code callers} were seen, that the traffic held more
     * than 100 exact retries, that no caller was degraded or blocked (at most 0.1% of the callers:
     * none of a few hundred) and that at most {@code maxAlerted} were alerted.
     */
    void requireAlmostNeverFlagged(int callers, int queries, long retries, int maxAlerted) {
        long degradedOrBlocked = worst.values().stream().filter(o -> o.compareTo(Outcome.DEGRADED) >= 0).count();
        long alerted = worst.values().stream().filter(o -> o.compareTo(Outcome.ALERTED) >= 0).count();
        System.out.printf("benign: %d callers, %d queries (%d retries): degraded or blocked %d, alerted %d %s%n",
                worst.size(), queries, retries, degradedOrBlocked, alerted, rules);
        assertThat(worst).hasSize(callers);
        assertThat(retries).as("exact retries in the traffic").isGreaterThan(100);
        assertThat(degradedOrBlocked).as("honest callers degraded or blocked: %s", rules).isZero();
        assertThat(alerted).as("honest callers alerted: %s", rules).isLessThanOrEqualTo(maxAlerted);
    }
}
