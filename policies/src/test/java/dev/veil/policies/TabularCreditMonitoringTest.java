package dev.veil.policies;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.ApiKeys;
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
import dev.veil.policies.MonitoringTests.Caught;
import dev.veil.policies.MonitoringTests.HonestTally;
import dev.veil.policies.MonitoringTests.Outcome;
import dev.veil.policies.tools.CreditTraffic;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tabular-credit bundle's attack detectors through a real {@link Guard} around the logistic
 * credit score of the other Guard tests: honest broker apps scoring independent synthetic applicants
 * ({@link CreditTraffic}) are (almost) never degraded or blocked, and the attacks a credit model
 * meets (an attribute-inference walk that changes one feature of a known applicant at a time, and a
 * bisection of the decision boundary between an approved and a declined applicant) are stopped within
 * 50 queries, from one broker account and spread over ten. A control bundle with the rate detector
 * only (the bundle before the attack detectors) lets every attack through, which shows that the
 * attack tests can fail.
 *
 * <p>The callers' API keys are issued into a copy of the shipped bundle (its DEMO-KEYS.md has one
 * broker): the copy differs from the shipped bundle in keys.json only.
 */
class TabularCreditMonitoringTest {
    static final Instant START = Instant.parse("2026-12-01T09:00:00Z");
    static final int ATTACK_BUDGET = 50;
    static final int HONEST = 200;
    static final int ACCOUNTS = 10;

    @TempDir
    static Path keysDir;
    /** The brokers' keys, issued once and stored in both copies. */
    static final Map<String, ApiKeys.Issued> issued = new LinkedHashMap<>();
    static PolicyBundle bundle;
    static PolicyBundle rateOnly;
    /** The shipped bundle without its feature_sweep detectors: what the distance-based ones catch alone. */
    static PolicyBundle withoutSweep;

    @TempDir
    Path dir;
    MutableClock clock;

    @BeforeAll
    static void bundles() throws IOException {
        for (int c = 0; c < HONEST; c++) {
            issue(String.format("broker-%04d", c));
        }
        for (int a = 0; a < ACCOUNTS; a++) {
            issue("mallory-" + a);
        }
        bundle = PolicyBundle.load(copyWithBrokers(keysDir.resolve("shipped"), false));
        rateOnly = PolicyBundle.load(copyWithBrokers(keysDir.resolve("rate-only"), true));
        Path noSweep = copyWithBrokers(keysDir.resolve("no-sweep"), false);
        MonitoringTests.removeFeatureSweep(noSweep.resolve("tabular-credit.veil.yaml"));
        withoutSweep = PolicyBundle.load(noSweep);
    }

    @BeforeEach
    void clock() {
        clock = new MutableClock(START);
    }

    static void issue(String caller) {
        issued.put(caller, ApiKeys.issue(caller, List.of("broker"), "brokerline", Map.of("contract", "active"), null));
    }

    /**
     * A copy of the shipped bundle with broker keys ({@code contract: active}) for the honest callers
     * {@code broker-0000}.. and the attacker's accounts {@code mallory-0}..; with {@code rateOnly},
     * its monitoring is what it was before the attack detectors: the rate ladder.
     */
    static Path copyWithBrokers(Path dst, boolean rateOnly) throws IOException {
        MonitoringTests.copyBundle(Path.of("bundles/tabular-credit"), dst);
        MonitoringTests.addKeys(dst.resolve("keys.json"), issued.values());
        if (rateOnly) {
            String rate = """

                    monitoring:
                      detectors:
                        rate: {window_seconds: 600, low: 100, high: 300}
                      rules:
                        - {id: rate-alert, when: {signals: {rate: low}}, action: alert}
                        - {id: rate-block, when: {signals: {rate: high}, not: {roles: [underwriter]}}, action: block, cooldown_seconds: 3600}
                    """;
            MonitoringTests.replaceMonitoring(dst.resolve("tabular-credit.veil.yaml"), rate);
        }
        return dst;
    }

    static Credentials key(String caller) {
        return Credentials.apiKey(issued.get(caller).plaintext());
    }

    Guard<Map<String, Double>> guard(PolicyBundle b, String audit) {
        Model<Map<String, Double>> model = Model.of(ModelInfo.of("credit-score", "test-1", START.minus(Duration.ofDays(30))),
                a -> Prediction.classification(CreditTraffic.DECISIONS, CreditTraffic.score(a)), Features::named);
        return Guard.builder(model).policy(b).audit(AuditLog.jsonLines(dir.resolve(audit))).clock(clock).build();
    }

    static Outcome outcome(Response r) {
        if (r instanceof Response.Denied d) {
            assertThat(d.reason().code()).as("%s", r).isEqualTo(ReasonCode.BLOCKED);
            return Outcome.BLOCKED;
        }
        Response.Released ok = (Response.Released) r;
        return ok.degraded() ? Outcome.DEGRADED : ok.alerts().isEmpty() ? Outcome.CLEAN : Outcome.ALERTED;
    }

    // ------------------------------------------------------------------ benign traffic

    @Test
    void honestBrokersScoringIndependentApplicantsAreAlmostNeverDegradedOrBlocked() {
        List<CreditTraffic.Query> queries = CreditTraffic.queries(HONEST, 30, CreditTraffic.RETRY, 0.02, 7,
                START.toEpochMilli());
        HonestTally tally = new HonestTally();
        long retries = queries.stream().map(q -> q.caller() + q.application()).distinct().count();
        retries = queries.size() - retries;
        try (Guard<Map<String, Double>> g = guard(bundle, "benign.jsonl")) {
            for (CreditTraffic.Query q : queries) {
                clock.advance(Duration.ofMillis(Math.max(0, q.tsMs() - clock.millis())));
                String broker = "broker-" + q.caller().substring("user-".length());
                Response r = g.predict(Request.of(key(broker), q.application()));
                tally.record(q.caller(), r, outcome(r));
            }
        }
        tally.requireAlmostNeverFlagged(HONEST, queries.size(), retries, 2);
    }

    // ------------------------------------------------------------------ attacks

    /** An attacker: asks for the next probe (an application), reads the released decision. */
    interface Attack {
        Map<String, Double> next();

        void answer(String decision);
    }

    /** The applicant the attacker knows (an approved one). */
    static Map<String, Double> known() {
        return CreditApplications.typical();
    }

    /**
     * Attribute inference: the known applicant with one feature changed at a time over a grid around
     * its value (debt ratio, then income, then years of credit history, then years employed), to
     * learn how each feature moves the decision.
     */
    static Attack oneFeatureWalk() {
        List<Map<String, Double>> probes = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            probes.add(CreditApplications.typicalWith("debt_ratio", 0.05 + 0.05 * i));
        }
        for (int i = 0; i < 15; i++) {
            probes.add(CreditApplications.typicalWith("income", 20_000 + 5_000 * i));
        }
        for (int i = 0; i <= 24; i++) {
            probes.add(CreditApplications.typicalWith("credit_history_years", i));
        }
        for (int i = 0; i <= 25; i++) {
            probes.add(CreditApplications.typicalWith("years_employed", i));
        }
        return new Attack() {
            int n;

            @Override
            public Map<String, Double> next() {
                return probes.get(n++ % probes.size());
            }

            @Override
            public void answer(String decision) {}
        };
    }

    /**
     * Model extraction: bisection of the segment between an approved and a declined applicant, moving
     * the end whose decision the midpoint shares (every point of the segment passes the bundle's
     * linear cross-field rules).
     */
    static Attack bisection() {
        Map<String, Double> approved = known();
        Map<String, Double> declined = CreditApplications.typicalWith("income", 24_000.0, "loan_amount", 400_000.0,
                "debt_ratio", 0.7, "credit_history_years", 3.0, "years_employed", 2.0);
        assertThat(top(approved)).isEqualTo("approve");
        assertThat(top(declined)).isEqualTo("decline");
        return new Attack() {
            Map<String, Double> a = approved;
            Map<String, Double> b = declined;
            Map<String, Double> mid;

            @Override
            public Map<String, Double> next() {
                mid = new LinkedHashMap<>();
                for (String f : a.keySet()) {
                    mid.put(f, (a.get(f) + b.get(f)) / 2);
                }
                return mid;
            }

            @Override
            public void answer(String decision) {
                if (decision.equals("approve")) {
                    a = mid;
                } else {
                    b = mid;
                }
            }
        };
    }

    static String top(Map<String, Double> a) {
        double[] p = CreditTraffic.score(a);
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            best = p[i] > p[best] ? i : best;
        }
        return CreditTraffic.DECISIONS.get(best);
    }

    static Map<String, Function<Void, Attack>> attacks() {
        Map<String, Function<Void, Attack>> m = new TreeMap<>();
        m.put("one-feature-walk", v -> oneFeatureWalk());
        m.put("boundary-bisection", v -> bisection());
        return m;
    }

    /**
     * Runs an attack from {@code accounts} broker accounts, round-robin, one query a second, for at
     * most {@code budget} queries; stops at the first degraded or blocked answer.
     */
    Caught run(PolicyBundle b, Attack attack, int accounts, int budget) {
        try (Guard<Map<String, Double>> g = guard(b, "attack-" + System.nanoTime() + ".jsonl")) {
            for (int n = 0; n < budget; n++) {
                clock.advance(Duration.ofSeconds(1));
                Response r = g.predict(Request.of(key("mallory-" + (n % accounts)), attack.next()));
                Caught caught = Caught.at(n, r, outcome(r));
                if (caught != null) {
                    return caught;
                }
                attack.answer(((Response.Released) r).prediction().label());
            }
        }
        return null;
    }

    @Test
    void bothAttacksFromOneAccountAreStoppedWithinFiftyQueries() {
        // both change one feature at a time: feature_sweep blocks the walk at its 3rd probe (a third
        // value of the feature it walks along) and the bisection once three probes share the rest
        Map<String, Caught> caught = new TreeMap<>();
        attacks().forEach((name, a) -> caught.put(name, run(bundle, a.apply(null), 1, ATTACK_BUDGET)));
        System.out.println("one account: " + caught);
        assertThat(caught).hasSize(2).allSatisfy((name, c) -> {
            assertThat(c).as(name + " not caught within %d queries", ATTACK_BUDGET).isNotNull();
            assertThat(c.outcome()).as(name).isEqualTo(Outcome.BLOCKED);
            assertThat(c.rules()).as(name).containsExactly("feature-sweep-block");
        });
        assertThat(caught.get("one-feature-walk").query()).isEqualTo(2);
        assertThat(caught.get("boundary-bisection").query()).isEqualTo(5);
    }

    @Test
    void withoutFeatureSweepBothAttacksFromOneAccountAreStillStoppedByKnn() {
        Map<String, Caught> caught = new TreeMap<>();
        attacks().forEach((name, a) -> caught.put(name, run(withoutSweep, a.apply(null), 1, ATTACK_BUDGET)));
        System.out.println("one account, without feature_sweep: " + caught);
        assertThat(caught).hasSize(2).allSatisfy((name, c) -> {
            assertThat(c).as(name + " not caught within %d queries", ATTACK_BUDGET).isNotNull();
            assertThat(c.outcome()).as(name).isEqualTo(Outcome.BLOCKED);
            assertThat(c.rules()).as(name).anyMatch(r -> r.startsWith("knn-"));
        });
        // the walk's probes differ in one feature: six of them in one cell within 60 s are knn_global's
        // high (before the caller's knn, which needs 10 earlier queries); the bisection's probes come
        // close only after a few halvings, and the caller's knn blocks it on its eleventh query
        assertThat(caught.get("one-feature-walk").query()).isEqualTo(5);
        assertThat(caught.get("boundary-bisection").query()).isLessThanOrEqualTo(10);
    }

    /** The same attack, each probe rewritten by {@code rewrite} (the same application, sent otherwise). */
    static Attack rewritten(Attack attack, java.util.function.UnaryOperator<Map<String, Double>> rewrite) {
        return new Attack() {
            @Override
            public Map<String, Double> next() {
                return rewrite.apply(new LinkedHashMap<>(attack.next()));
            }

            @Override
            public void answer(String decision) {
                attack.answer(decision);
            }
        };
    }

    /** The same attack with the keys of every probe in a new random order (JSON decoders keep a body's key order). */
    static Attack shuffled(Attack attack, long seed) {
        java.util.Random r = new java.util.Random(seed);
        return rewritten(attack, probe -> {
            List<Map.Entry<String, Double>> entries = new ArrayList<>(probe.entrySet());
            java.util.Collections.shuffle(entries, r);
            Map<String, Double> out = new LinkedHashMap<>();
            entries.forEach(e -> out.put(e.getKey(), e.getValue()));
            return out;
        });
    }

    @Test
    void shufflingTheKeysOfEveryProbeChangesNothingTheDetectorsSee() {
        // Features.named(Map) once laid the values out in the map's order: a shuffled walk then gave
        // no signal at all within 60 queries (a newcomer review), because the detectors compare
        // queries position by position
        attacks().forEach((name, a) -> {
            Caught inOrder = run(bundle, a.apply(null), 1, ATTACK_BUDGET);
            Caught shuffled = run(bundle, shuffled(a.apply(null), 7), 1, ATTACK_BUDGET);
            assertThat(shuffled).as(name).isNotNull();
            assertThat(shuffled.query()).as(name).isEqualTo(inOrder.query());
            assertThat(shuffled.outcome()).as(name).isEqualTo(inOrder.outcome());
            assertThat(shuffled.rules()).as(name).isEqualTo(inOrder.rules());
        });
    }

    /** The same attack with co_applicant_income sent as null on every other probe (the same application). */
    static Attack alternatingNull(Attack attack) {
        int[] n = {0};
        return rewritten(attack, probe -> {
            if (n[0]++ % 2 == 1 && !probe.containsKey("co_applicant_income")) {
                probe.put("co_applicant_income", null);
            }
            return probe;
        });
    }

    @Test
    void sendingAnOptionalFeatureAsNullOnEveryOtherProbeChangesNothingTheDetectorsSee() {
        // a null once held a place a left-out key did not, so alternating the two shifted every later
        // feature on every other query: a red-team review extracted the model's boundary unseen
        attacks().forEach((name, a) -> {
            Caught inOrder = run(bundle, a.apply(null), 1, ATTACK_BUDGET);
            Caught alternating = run(bundle, alternatingNull(a.apply(null)), 1, ATTACK_BUDGET);
            assertThat(alternating).as(name).isEqualTo(inOrder);
        });
    }

    @Test
    void bothAttacksSpreadOverTenAccountsAreStoppedByTheGlobalDetectors() {
        Map<String, Caught> caught = new TreeMap<>();
        attacks().forEach((name, a) -> caught.put(name, run(bundle, a.apply(null), ACCOUNTS, ATTACK_BUDGET)));
        System.out.println("ten accounts: " + caught);
        assertThat(caught).hasSize(2).allSatisfy((name, c) -> {
            assertThat(c).as(name + " spread over 10 accounts, not caught within %d queries", ATTACK_BUDGET)
                    .isNotNull();
            assertThat(c.outcome()).as(name).isEqualTo(Outcome.BLOCKED);
        });
        // the global feature_sweep watches the incomes only (a counter per watched feature and query):
        // the walk, which starts with the debt ratio, is knn_global's; the bisection moves the income
        assertThat(caught.get("one-feature-walk").rules()).containsExactly("knn-global-block");
        assertThat(caught.get("one-feature-walk").query()).isEqualTo(5);
        assertThat(caught.get("boundary-bisection").rules()).containsExactly("feature-sweep-global-block");
        assertThat(caught.get("boundary-bisection").query()).isEqualTo(9);
        caught.clear();
        // without feature_sweep: 10 accounts round-robin, and within 50 queries no account sends the 6
        // queries its own knn needs; knn_global sees them all
        attacks().forEach((name, a) -> caught.put(name, run(withoutSweep, a.apply(null), ACCOUNTS, ATTACK_BUDGET)));
        System.out.println("ten accounts, without feature_sweep: " + caught);
        assertThat(caught).hasSize(2).allSatisfy((name, c) -> {
            assertThat(c).as(name + " spread over 10 accounts, not caught within %d queries", ATTACK_BUDGET)
                    .isNotNull();
            assertThat(c.outcome()).as(name).isEqualTo(Outcome.BLOCKED);
            assertThat(c.rules()).as(name).anyMatch(r -> r.startsWith("knn-global-"));
        });
    }

    @Test
    void withTheRateDetectorOnlyNoAttackIsStopped() {
        Map<String, Caught> caught = new TreeMap<>();
        attacks().forEach((name, a) -> {
            caught.put(name + "/1", run(rateOnly, a.apply(null), 1, ATTACK_BUDGET));
            caught.put(name + "/10", run(rateOnly, a.apply(null), ACCOUNTS, ATTACK_BUDGET));
        });
        assertThat(caught).hasSize(4).allSatisfy((name, c) -> assertThat(c).as(name).isNull());
    }
}
