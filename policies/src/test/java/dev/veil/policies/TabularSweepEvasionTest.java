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
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ways around {@code feature_sweep} on the shipped tabular-credit bundle, most of them from a
 * red-team review of 2 December (whose harness this is): the income sweep of
 * {@link TabularAttributeInferenceTest} rotated over 60 applicants, or with another feature moved by
 * half a cell on every probe, must not beat guessing the most common band (20.6%). The documented
 * limits are asserted as what happens: a feature the model ignores moved by a whole cell a probe
 * hides the sweep, and an account that knows an applicant's figures can get the applicant's broker
 * blocked. A broker's and an underwriter's what-if checks on the loan are not counted.
 */
class TabularSweepEvasionTest {
    static final double[] CANDIDATES = TabularAttributeInferenceTest.CANDIDATES;
    @TempDir
    Path dir;

    PolicyBundle bundle(String name) throws IOException {
        return TabularAttributeInferenceTest.bundle(dir, name, false);
    }

    static Credentials broker() {
        return Credentials.apiKey(DemoKeys.key("tabular-credit", "demo-broker-app"));
    }

    static Credentials acct(int i) {
        return TabularAttributeInferenceTest.accounts().get(i);
    }

    /** One probe: target t, candidate c, sent by key k after waiting gap seconds. */
    record Probe(int t, int c, int k, long gap, BiFunction<Map<String, Double>, Integer, Map<String, Double>> tweak) {}

    record Result(double acc, int answered, int refused, int degraded, Map<String, Integer> rules) {}

    Guard<Map<String, Double>> guard(PolicyBundle b, MutableClock clock) {
        Model<Map<String, Double>> model = Model.of(ModelInfo.of("credit-score", "stand-in",
                clock.instant().minus(Duration.ofDays(1))),
                a -> Prediction.classification(TabularAttributeInferenceTest.DECISIONS,
                        TabularAttributeInferenceTest.score(a)),
                Features::named);
        return Guard.builder(model).policy(b)
                .audit(AuditLog.jsonLines(dir.resolve("a-" + System.nanoTime() + ".jsonl")))
                .clock(clock).build();
    }

    Result run(PolicyBundle b, List<Credentials> keys, int targets, List<Probe> schedule) {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-01T09:00:00Z"));
        double[] prior = TabularAttributeInferenceTest.priors();
        SplittableRandom r = new SplittableRandom(2014);
        List<Map<String, Double>> ts = new ArrayList<>();
        for (int t = 0; t < targets; t++) {
            ts.add(CreditTraffic.applicant(r));
        }
        int[] guess = new int[targets];
        java.util.Arrays.fill(guess, -1);
        int answered = 0, refused = 0, degraded = 0;
        Map<String, Integer> rules = new TreeMap<>();
        try (Guard<Map<String, Double>> g = guard(b, clock)) {
            for (Probe p : schedule) {
                clock.advance(Duration.ofSeconds(p.gap()));
                Map<String, Double> probe = new LinkedHashMap<>(ts.get(p.t()));
                probe.put("income", CANDIDATES[p.c()]);
                if (p.tweak() != null) {
                    probe = p.tweak().apply(probe, p.c());
                }
                Response resp = g.predict(Request.of(keys.get(p.k()), probe));
                if (resp instanceof Response.Denied d) {
                    if (d.reason().code() != ReasonCode.INVALID_INPUT) {
                        refused++;
                        rules.merge("refused:" + d.reason().rule(), 1, Integer::sum);
                    }
                    continue;
                }
                Response.Released ok = (Response.Released) resp;
                answered++;
                degraded += ok.degraded() ? 1 : 0;
                for (String a : ok.alerts()) {
                    rules.merge("alert:" + a, 1, Integer::sum);
                }
                String known = TabularAttributeInferenceTest.decision(ts.get(p.t()));
                int gu = guess[p.t()];
                if (ok.prediction().label().equals(known) && (gu < 0 || prior[p.c()] > prior[gu])) {
                    guess[p.t()] = p.c();
                }
            }
        }
        int right = 0;
        for (int t = 0; t < targets; t++) {
            right += guess[t] == TabularAttributeInferenceTest.band(ts.get(t).get("income")) ? 1 : 0;
        }
        return new Result((double) right / targets, answered, refused, degraded, rules);
    }

    /** Sequential sweep (as the shipped test), with a tweak per probe. */
    static List<Probe> sequential(int targets, BiFunction<Map<String, Double>, Integer, Map<String, Double>> tweak) {
        List<Probe> s = new ArrayList<>();
        int today = 0;
        for (int t = 0; t < targets; t++) {
            long extra = 60;
            if (today + 8 > 480) {
                extra += 86400;
                today = 0;
            }
            for (int c = 0; c < 8; c++) {
                s.add(new Probe(t, c, 0, c == 0 ? extra : 1, tweak));
                today++;
            }
        }
        return s;
    }

    /** Round-robin: groups of g targets, candidate c of every target in the group, then c+1; gap seconds apart. */
    static List<Probe> roundRobin(int targets, int g, long gap, int keys) {
        List<Probe> s = new ArrayList<>();
        int n = 0;
        for (int from = 0; from < targets; from += g) {
            int to = Math.min(targets, from + g);
            long first = 86400; // a new day per group: 60 x 8 = 480 within the quota
            for (int c = 0; c < 8; c++) {
                for (int t = from; t < to; t++) {
                    s.add(new Probe(t, c, (n++) % keys, first > 0 ? first : gap, null));
                    first = 0;
                }
            }
        }
        return s;
    }

    static double mostCommon() {
        return TabularAttributeInferenceTest.mostCommon();
    }

    /** The attacker was refused the most of his probes and got no better than guessing. */
    static void requireNoBetterThanGuessing(String what, Result o) {
        System.out.printf("TabularSweepEvasionTest: %s: %d answered, %d refused by monitoring, %d degraded; the right "
                + "band for %.1f%% (the most common band: %.1f%%) %s%n", what, o.answered(), o.refused(), o.degraded(),
                100 * o.acc(), 100 * mostCommon(), o.rules());
        assertThat(o.acc()).as(what).isLessThan(mostCommon());
        assertThat(o.refused()).as(what).isGreaterThan(o.answered());
    }

    @Test
    void aSweepRotatedOverSixtyApplicantsIsBlockedAndNoLongerBeatsGuessing() throws IOException {
        // every query an attack query, 480 a day (the quota), each applicant's candidates 60 queries apart:
        // with a history of 100 none was compared with its applicant's earlier ones
        requireNoBetterThanGuessing("one broker, 60 applicants in turn, 7 s apart",
                run(bundle("rr"), List.of(broker()), 180, roundRobin(180, 60, 7, 1)));
        requireNoBetterThanGuessing("two broker accounts, 30 applicants in turn each",
                run(bundle("rr2"), List.of(acct(0), acct(1)), 180, roundRobin2(180)));
    }

    @Test
    void movingAnotherFeatureALittleOnEveryProbeDoesNotHideTheSweep() throws IOException {
        Map<String, BiFunction<Map<String, Double>, Integer, Map<String, Double>>> tweaks = new LinkedHashMap<>();
        tweaks.put("open_credit_lines +1 a probe (half a cell)", (m, c) -> {
            double k = m.get("open_credit_lines");
            m.put("open_credit_lines", k + 7 <= 60 ? k + c : k - c);
            return m;
        });
        tweaks.put("age +1 a probe (half a cell)", (m, c) -> {
            m.put("age", m.get("age") + c);
            return m;
        });
        tweaks.put("loan term +3 months a probe (half a cell)", (m, c) -> {
            double k = m.get("loan_term_months");
            m.put("loan_term_months", k + 21 <= 360 ? k + 3 * c : k - 3 * c);
            return m;
        });
        for (double d : new double[] {0.5, 1.0}) {
            tweaks.put("years employed and of credit history -" + d + " x c", (m, c) -> {
                m.put("years_employed", Math.max(0, m.get("years_employed") - d * c));
                m.put("credit_history_years", Math.max(0, m.get("credit_history_years") - d * c));
                return m;
            });
        }
        double[] a = {-1.5, -0.5, 0.5, 1.5, -1.5, -0.5, 0.5, 1.5};
        double[] b = {-1, -1, -1, -1, 1, 1, 1, 1};
        tweaks.put("years of credit history +-1.5 and employed +-1 in a pattern", (m, c) -> {
            double age = m.get("age");
            double ch = m.get("credit_history_years");
            double ye = m.get("years_employed");
            ch = Math.min(age - 16, Math.max(0, ch + a[c] + (ch < 1.5 ? 1.5 : 0) - (ch + 1.5 > age - 16 ? 1.5 : 0)));
            ye = Math.min(age - 14, Math.max(0, ye + b[c] + (ye < 1 ? 1 : 0) - (ye + 1 > age - 14 ? 1 : 0)));
            m.put("credit_history_years", ch);
            m.put("years_employed", ye);
            return m;
        });
        int n = 0;
        for (Map.Entry<String, BiFunction<Map<String, Double>, Integer, Map<String, Double>>> t : tweaks.entrySet()) {
            Result o = run(bundle("t" + n++), List.of(broker()), 200, sequential(200, t.getValue()));
            requireNoBetterThanGuessing(t.getKey(), o);
            // as the plain sweep: blocked at its 3rd candidate, for an hour (about 60 applicants)
            assertThat(o.acc()).as(t.getKey()).isLessThanOrEqualTo(0.01);
        }
    }

    @Test
    void movingAFeatureTheModelIgnoresByACellOnEveryProbeHidesTheSweep() throws IOException {
        // the documented limit: the stand-in model ignores the number of credit lines; two more a
        // probe (a cell) keeps any three probes from meeting, and the sweep beats guessing
        Result o = run(bundle("lines"), List.of(broker()), 200, sequential(200, (m, c) -> {
            double k = m.get("open_credit_lines");
            m.put("open_credit_lines", k + 14 <= 60 ? k + 2 * c : k - 2 * c);
            return m;
        }));
        System.out.printf("TabularSweepEvasionTest: open_credit_lines +2 a probe (a cell): %d answered, %d refused "
                + "by monitoring; the right band for %.1f%%%n", o.answered(), o.refused(), 100 * o.acc());
        assertThat(o.refused()).isZero();
        assertThat(o.acc()).isGreaterThan(mostCommon());
    }

    static String outcome(Response r) {
        if (r instanceof Response.Denied d) {
            return "denied " + d.reason().code().code() + " " + d.reason().rule();
        }
        Response.Released ok = (Response.Released) r;
        return ok.degraded() ? "degraded" : ok.alerts().isEmpty() ? "clean" : "alerted " + ok.alerts();
    }

    @Test
    void aBrokerTryingOtherLoansForOneApplicantIsNotCounted() throws IOException {
        // the loan's amount and term are not watched: brokers and underwriters try other loans on purpose
        MutableClock clock = new MutableClock(Instant.parse("2026-12-01T09:00:00Z"));
        Map<String, Double> applicant = CreditTraffic.applicant(new SplittableRandom(5));
        applicant.put("income", 52_300.0);
        applicant.put("age", 40.0);
        applicant.put("loan_amount", 20_000.0);
        applicant.put("credit_history_years", 10.0);
        applicant.put("years_employed", 10.0);
        Credentials underwriter = Credentials.apiKey(DemoKeys.key("tabular-credit", "demo-underwriter"));
        List<String> outcomes = new ArrayList<>();
        try (Guard<Map<String, Double>> g = guard(bundle("whatif"), clock)) {
            for (double term : new double[] {36, 48, 60, 72}) {
                Map<String, Double> m = new LinkedHashMap<>(applicant);
                m.put("loan_term_months", term);
                clock.advance(Duration.ofSeconds(40));
                outcomes.add(outcome(g.predict(Request.of(broker(), m))));
            }
            for (double loan : new double[] {20_000, 25_000, 30_000, 35_000}) {
                Map<String, Double> m = new LinkedHashMap<>(applicant);
                m.put("loan_amount", loan);
                clock.advance(Duration.ofSeconds(40));
                outcomes.add(outcome(g.predict(Request.of(underwriter, m))));
            }
        }
        assertThat(outcomes).containsOnly("clean");
    }

    @Test
    void anAccountThatKnowsAnApplicantsFiguresCanGetItsBrokerBlocked() throws IOException {
        // the exposure of feature_sweep_global's block (policies/README.md): two other incomes sent with
        // an applicant's figures within 10 minutes make the broker who then sends the real ones the third
        MutableClock clock = new MutableClock(Instant.parse("2026-12-01T09:00:00Z"));
        Map<String, Double> applicant = CreditTraffic.applicant(new SplittableRandom(5));
        applicant.put("income", 52_300.0);
        List<String> outcomes = new ArrayList<>();
        try (Guard<Map<String, Double>> g = guard(bundle("grief"), clock)) {
            for (double income : new double[] {60_000, 70_000}) {
                Map<String, Double> m = new LinkedHashMap<>(applicant);
                m.put("income", income);
                clock.advance(Duration.ofSeconds(5));
                outcomes.add(outcome(g.predict(Request.of(acct(0), m))));
            }
            clock.advance(Duration.ofSeconds(30));
            outcomes.add(outcome(g.predict(Request.of(broker(), applicant))));
        }
        assertThat(outcomes).containsExactly("clean", "alerted [feature-sweep-global-alert]",
                "denied blocked feature-sweep-global-block");
    }

    /** 30 targets a group; group g from account g % 2; candidates of a target 30 queries (600 s) apart. */
    static List<Probe> roundRobin2(int targets) {
        List<Probe> s = new ArrayList<>();
        int g = 0;
        for (int from = 0; from < targets; from += 30, g++) {
            for (int c = 0; c < 8; c++) {
                for (int t = from; t < from + 30; t++) {
                    s.add(new Probe(t, c, g % 2, 10, null));
                }
            }
        }
        return s;
    }
}
