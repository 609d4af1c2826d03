package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.Level;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The numbers of issue 3 for the query-similarity detectors ({@code near_duplicate}, {@code knn},
 * {@code knn_global}, default configuration) on 784-feature inputs, through a real in-memory state
 * store ({@link EfficacyScenario}). An attack or caller counts as flagged when any of the three
 * reaches {@link Level#HIGH}, the level the policies of these tests block on ({@code medium} is
 * for alerts).
 *
 * <p>Measured (0-based index of the attack's first query at HIGH, over all its accounts; one query
 * a second, interleaved with the benign traffic):
 *
 * <table>
 *   <caption>queries to detection</caption>
 *   <tr><th>attack</th><th>1 account</th><th>10 accounts, round-robin</th><th>by</th></tr>
 *   <tr><td>NES, pixel probes, sigma 0.001</td><td>1</td><td>1</td><td>near_duplicate</td></tr>
 *   <tr><td>NES, pixel probes, sigma 0.02</td><td>5</td><td>11</td><td>knn; spread: knn_global</td></tr>
 *   <tr><td>NES, sigma 0.02, from a blank image</td><td>5</td><td>11</td><td>knn; spread: knn_global</td></tr>
 *   <tr><td>NES, pixel probes, sigma 0.1</td><td>5</td><td>50</td><td>knn (spread: on the first account's
 *       sixth query)</td></tr>
 *   <tr><td>NES, sigma 0.1, from a blank image</td><td>5</td><td>50</td><td>knn</td></tr>
 *   <tr><td>smooth NES (7x7 noise), sigma 0.1</td><td>5</td><td>21</td><td>knn; spread: knn_global</td></tr>
 *   <tr><td>hill climbing (3x3 patches)</td><td>2</td><td>1</td><td>near_duplicate</td></tr>
 *   <tr><td>NES in a 40-d PCA basis, sigma 0.2</td><td>5</td><td>31</td><td>knn; spread: knn_global</td></tr>
 *   <tr><td>boundary walk (bisection)</td><td>5</td><td>7</td><td>knn; spread: near_duplicate</td></tr>
 * </table>
 *
 * <p>Every account of every spread attack ends up flagged. Benign: of 2,005 callers (2,000 x 50
 * queries with 3% exact retries, a fifth sending one class only, and 5 batch jobs of 500), none
 * reached {@code high} or {@code medium} (13 reached {@code low}). Margins to {@code high}: the
 * benign extremes were 24 shared hashes ({@code high} 30), a {@code knn} score of 0.133
 * ({@code high} 0.115, the largest attack probes score about 0.08 to 0.10) and 5 queries in a cell
 * ({@code high} 12). The earliest possible {@code knn} alarm is a caller's sixth query
 * ({@code min_history} 5); an attack spread so thin that no account sends six queries and whose
 * probes are too large for the other two detectors (per-pixel sigma 0.1) is not caught by these
 * detectors.
 */
class DetectorEfficacyTest {
    private static EfficacyScenario.Outcome outcome;

    @BeforeAll
    static void run() {
        outcome = EfficacyScenario.get();
        System.out.println(report(outcome));
    }

    static String report(EfficacyScenario.Outcome o) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "efficacy: %d queries, model accuracy %.3f, state %d MB%n", o.queries(),
                o.modelAccuracy(), o.stateBytes() >> 20));
        b.append(String.format(Locale.ROOT, "%-22s %8s %6s %8s  %s%n", "attack", "accounts", "first", "flagged",
                "first HIGH per detector (0-based query of the attack)"));
        for (EfficacyScenario.AttackOutcome a : o.attacks()) {
            b.append(String.format(Locale.ROOT, "%-22s %8d %6d %5d/%-2d  %s%n", a.name(), a.accounts(), a.firstAlarm(),
                    a.accountsFlagged(), a.accounts(), a.firstByDetector()));
        }
        long flagged = o.benign().values().stream().filter(c -> c.highest().atLeast(EfficacyScenario.BLOCK)).count();
        long medium = o.benign().values().stream().filter(c -> c.highest().atLeast(Level.MEDIUM)).count();
        long low = o.benign().values().stream().filter(c -> c.highest().atLeast(Level.LOW)).count();
        b.append(String.format(Locale.ROOT, "benign: %d callers, at HIGH %d, at MEDIUM or above %d, at LOW or above %d%n",
                o.benign().size(), flagged, medium, low));
        b.append(String.format(Locale.ROOT, "benign extremes: max shared hashes %d, min knn score %.4f, max cell count %d%n",
                o.benign().values().stream().mapToInt(EfficacyScenario.CallerOutcome::maxShared).max().orElse(0),
                o.benign().values().stream().mapToDouble(EfficacyScenario.CallerOutcome::minKnn).min().orElse(0),
                o.benign().values().stream().mapToLong(EfficacyScenario.CallerOutcome::maxCell).max().orElse(0)));
        return b.toString();
    }

    private static List<EfficacyScenario.AttackOutcome> attacks(int accounts) {
        return outcome.attacks().stream().filter(a -> a.accounts() == accounts).toList();
    }

    @Test
    void shouldFlagEveryAttackFromOneAccountWithinFiftyQueries() {
        assertThat(attacks(1)).hasSize(9);
        for (EfficacyScenario.AttackOutcome a : attacks(1)) {
            assertThat(a.firstAlarm()).as(a.name() + " first alarm").isBetween(0, 49);
        }
    }

    @Test
    void shouldFlagEveryAttackSpreadOverTenAccountsWithinOneHundredQueriesInTotal() {
        assertThat(attacks(EfficacyScenario.ACCOUNTS)).hasSize(9);
        for (EfficacyScenario.AttackOutcome a : attacks(EfficacyScenario.ACCOUNTS)) {
            assertThat(a.firstAlarm()).as(a.name() + " spread, first alarm").isBetween(0, 99);
        }
    }

    @Test
    void shouldFlagTheBoundaryWalk() {
        for (EfficacyScenario.AttackOutcome a : outcome.attacks()) {
            if (a.name().equals("boundary-walk")) {
                assertThat(a.firstAlarm()).as("boundary walk on %d account(s)", a.accounts()).isBetween(0, 49);
            }
        }
    }

    @Test
    void shouldRaiseAlarmsForAtMostOneInAThousandBenignCallers() {
        assertThat(outcome.benign()).hasSize(2005);
        long flagged = outcome.benign().values().stream()
                .filter(c -> c.highest().atLeast(EfficacyScenario.BLOCK)).count();
        assertThat(flagged).as("benign callers at HIGH").isLessThanOrEqualTo(2);
    }

    @Test
    void shouldNotFlagBatchJobsOrCallersWhoRetry() {
        assertThat(outcome.benign().values().stream().filter(c -> c.caller().startsWith("batch-")))
                .hasSize(5)
                .allSatisfy(c -> assertThat(c.highest()).as(c.caller()).isLessThan(EfficacyScenario.BLOCK));
        // the benign population retries 3% of its queries: callers with more queries than distinct inputs
        assertThat(outcome.benign().values().stream().filter(c -> c.caller().startsWith("user-") && c.queries() > 52))
                .isNotEmpty()
                .allSatisfy(c -> assertThat(c.highest()).as(c.caller()).isLessThan(EfficacyScenario.BLOCK));
    }

    @Test
    void shouldAttackAModelThatWorks() {
        assertThat(outcome.modelAccuracy()).as("target model accuracy on fresh samples").isGreaterThan(0.8);
    }
}
