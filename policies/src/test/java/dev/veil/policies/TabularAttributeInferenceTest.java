package dev.veil.policies;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Features;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.ReasonCode;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.policies.tools.CreditTraffic;
import dev.veil.ApiKeys;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attribute inference in the manner of Fredrikson et al. (2014) against the shipped tabular-credit
 * bundle. The attacker knows every feature of a target applicant but its income, and the decision the
 * target got; he sends the application once per income band (8 queries, candidates 10,000 and more
 * apart) and picks the most common band among those whose answer is the known decision. The
 * candidates lie in different {@code knn_global} cells, and 8 queries are fewer than {@code knn}'s
 * {@code min_history} of 10: without {@code feature_sweep} nothing is refused or degraded and the
 * label alone beats guessing the most common band (a review of 2 December measured it). With it, the
 * third candidate of an applicant (a third income with everything else the same) blocks a broker for
 * an hour, and the global detector blocks a sweep spread over accounts from its fourth candidate.
 * Two candidates per applicant stay below the block (an honest correction looks the same): the
 * documented limit, measured here too. policies/README.md quotes these figures.
 *
 * <p>The model is a stand-in with fixed weights over the bundle's features, in which income matters
 * as in a credit model: p = sigmoid(0.8 + 1.8 ln(income / 45,000) - 5 (debt_ratio - 0.3) + 0.04
 * (credit_history_years - 10) + 0.03 (years_employed - 5) - 0.15 (loan_amount / income - 2.5));
 * approve p^2, refer 2p(1 - p), decline (1 - p)^2.
 */
class TabularAttributeInferenceTest {
    static final List<String> DECISIONS = List.of("approve", "refer", "decline");
    /** Income bands: their lower edges after the first, and one candidate income in each. */
    static final double[] EDGES = {20_000, 30_000, 40_000, 55_000, 75_000, 100_000, 150_000};
    static final double[] CANDIDATES = {15_000, 25_000, 35_000, 47_500, 65_000, 87_500, 122_500, 200_000};

    @TempDir
    Path dir;

    static double[] score(Map<String, Double> a) {
        double inc = Math.max(a.get("income"), 1);
        double z = 0.8 + 1.8 * Math.log(inc / 45_000.0) - 5.0 * (a.get("debt_ratio") - 0.3)
                + 0.04 * (a.get("credit_history_years") - 10) + 0.03 * (a.get("years_employed") - 5)
                - 0.15 * (a.get("loan_amount") / inc - 2.5);
        double p = 1 / (1 + Math.exp(-z));
        return new double[] {p * p, 2 * p * (1 - p), (1 - p) * (1 - p)};
    }

    static String decision(Map<String, Double> a) {
        double[] s = score(a);
        int b = 0;
        for (int i = 1; i < s.length; i++) {
            b = s[i] > s[b] ? i : b;
        }
        return DECISIONS.get(b);
    }

    static int band(double income) {
        int b = 0;
        while (b < EDGES.length && income >= EDGES[b]) {
            b++;
        }
        return b;
    }

    /** How often each band occurs among the bundle's synthetic applicants. */
    static double[] priors() {
        SplittableRandom r = new SplittableRandom(99);
        double[] p = new double[CANDIDATES.length];
        for (int i = 0; i < 20_000; i++) {
            p[band(CreditTraffic.applicant(r).get("income"))] += 1 / 20_000.0;
        }
        return p;
    }

    record Outcome(double accuracy, int answered, int refusedByMonitoring, int degraded) {}

    /** The bundle with 8 more broker accounts ({@code contract: active}); without feature_sweep if asked. */
    private PolicyBundle bundle(String name, boolean withoutSweep) throws IOException {
        return bundle(dir, name, withoutSweep);
    }

    /** As {@link #bundle(String, boolean)}, in {@code dir}. */
    static PolicyBundle bundle(Path dir, String name, boolean withoutSweep) throws IOException {
        Path copy = dir.resolve(name);
        MonitoringTests.copyBundle(Path.of("bundles/tabular-credit"), copy);
        MonitoringTests.addKeys(copy.resolve("keys.json"), ACCOUNTS.values());
        if (withoutSweep) {
            MonitoringTests.removeFeatureSweep(copy.resolve("tabular-credit.veil.yaml"));
        }
        return PolicyBundle.load(copy);
    }

    static final Map<String, ApiKeys.Issued> ACCOUNTS = new LinkedHashMap<>();

    static {
        for (int a = 0; a < 8; a++) {
            ACCOUNTS.put("mallory-" + a, ApiKeys.issue("mallory-" + a, List.of("broker"), "brokerline",
                    Map.of("contract", "active"), null));
        }
    }

    static Credentials demo(String caller) {
        return Credentials.apiKey(DemoKeys.key("tabular-credit", caller));
    }

    static List<Credentials> accounts() {
        return ACCOUNTS.values().stream().map(k -> Credentials.apiKey(k.plaintext())).toList();
    }

    /**
     * The attack on {@code targets} applicants, the candidates {@code tried} (indexes into
     * {@link #CANDIDATES}) of each target sent in turn from {@code keys} (candidate i from key i mod
     * the number of keys).
     */
    private Outcome attack(PolicyBundle bundle, List<Credentials> keys, int targets, int[] tried) {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-01T09:00:00Z"));
        Model<Map<String, Double>> model = Model.of(ModelInfo.of("credit-score", "stand-in",
                clock.instant().minus(Duration.ofDays(1))), a -> Prediction.classification(DECISIONS, score(a)),
                Features::named);
        double[] prior = priors();
        SplittableRandom r = new SplittableRandom(2014);
        int right = 0;
        int answered = 0;
        int refused = 0;
        int degraded = 0;
        int sentToday = 0;
        try (Guard<Map<String, Double>> g = Guard.builder(model).policy(bundle)
                .audit(AuditLog.jsonLines(dir.resolve("attack-" + System.nanoTime() + ".jsonl"))).clock(clock)
                .build()) {
            for (int t = 0; t < targets; t++) {
                Map<String, Double> target = CreditTraffic.applicant(r);
                String known = decision(target);
                if (sentToday + tried.length > 480) { // within the daily quota
                    clock.advance(Duration.ofDays(1));
                    sentToday = 0;
                }
                int guess = -1;
                for (int i = 0; i < tried.length; i++) {
                    int c = tried[i];
                    Map<String, Double> probe = new LinkedHashMap<>(target);
                    probe.put("income", CANDIDATES[c]);
                    clock.advance(Duration.ofSeconds(1));
                    sentToday++;
                    Response resp = g.predict(Request.of(keys.get(i % keys.size()), probe));
                    if (resp instanceof Response.Denied d) {
                        // validation refuses incomes below loan / 20: candidates the attacker rules out anyway
                        if (d.reason().code() != ReasonCode.INVALID_INPUT) {
                            refused++;
                        }
                        continue;
                    }
                    Response.Released ok = (Response.Released) resp;
                    answered++;
                    degraded += ok.degraded() ? 1 : 0;
                    if (ok.prediction().label().equals(known) && (guess < 0 || prior[c] > prior[guess])) {
                        guess = c;
                    }
                }
                right += guess == band(target.get("income")) ? 1 : 0;
                clock.advance(Duration.ofSeconds(60));
            }
        }
        return new Outcome((double) right / targets, answered, refused, degraded);
    }

    static final int[] ALL = {0, 1, 2, 3, 4, 5, 6, 7};

    static double mostCommon() {
        double most = 0;
        for (double p : priors()) {
            most = Math.max(most, p);
        }
        return most;
    }

    static void print(String what, Outcome o) {
        System.out.printf("TabularAttributeInferenceTest: %s: %d answered, %d refused by monitoring, %d degraded; the "
                + "right band for %.1f%% of the targets (the most common band: %.1f%%)%n", what, o.answered(),
                o.refusedByMonitoring(), o.degraded(), 100 * o.accuracy(), 100 * mostCommon());
    }

    @Test
    void withoutFeatureSweepAnIncomeBandSweepIsNeitherRefusedNorDegradedAndBeatsGuessing() throws IOException {
        // the attack works: what the detector below takes away
        PolicyBundle b = bundle("no-sweep", true);
        for (String caller : List.of("demo-broker-app", "demo-underwriter")) {
            Outcome o = attack(b, List.of(demo(caller)), 200, ALL);
            print(caller + ", without feature_sweep, 200 targets x 8 income candidates", o);
            assertThat(o.refusedByMonitoring()).as("%s: probes refused by monitoring", caller).isZero();
            assertThat(o.degraded()).as("%s: probes degraded", caller).isZero();
            assertThat(o.accuracy()).as("%s: the attack beats guessing by 10 points", caller)
                    .isGreaterThan(mostCommon() + 0.10);
        }
    }

    @Test
    void anIncomeBandSweepIsBlockedAndNoLongerBeatsGuessing() throws IOException {
        PolicyBundle b = bundle("shipped", false);
        for (String caller : List.of("demo-broker-app", "demo-underwriter")) {
            Outcome o = attack(b, List.of(demo(caller)), 200, ALL);
            print(caller + ", 200 targets x 8 income candidates", o);
            assertThat(o.refusedByMonitoring()).as("%s: probes refused by monitoring", caller).isGreaterThan(1000);
            assertThat(o.accuracy()).as("%s: no better than guessing the most common band", caller)
                    .isLessThan(mostCommon());
        }
    }

    @Test
    void aSweepWithOneCandidateFromEachOfEightAccountsIsBlockedByTheGlobalDetector() throws IOException {
        Outcome o = attack(bundle("shipped", false), accounts(), 200, ALL);
        print("8 accounts, one candidate each, 200 targets", o);
        assertThat(o.refusedByMonitoring()).isGreaterThan(1000);
        assertThat(o.accuracy()).isLessThan(mostCommon());
    }

    @Test
    void twoCandidatesPerApplicantAreMostlyAnsweredAndBeatGuessing() throws IOException {
        // the documented limit: an honest correction of the income looks the same. The two most common
        // bands, one query each
        double[] p = priors();
        int first = 0;
        for (int c = 1; c < p.length; c++) {
            first = p[c] > p[first] ? c : first;
        }
        int second = first == 0 ? 1 : 0;
        for (int c = 0; c < p.length; c++) {
            second = c != first && p[c] > p[second] ? c : second;
        }
        Outcome o = attack(bundle("shipped", false), List.of(demo("demo-broker-app")), 200, new int[] {first, second});
        print("demo-broker-app, 200 targets x the 2 most common bands", o);
        // most answered (a few applicants fall in cells of earlier ones: their third value blocks),
        // and the label still beats guessing: the limit policies/README.md states
        assertThat(o.answered()).isGreaterThan(300);
        assertThat(o.accuracy()).isGreaterThan(mostCommon());
    }
}
