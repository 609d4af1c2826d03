package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.ApiKeys;
import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.ReasonCode;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.internal.monitor.traffic.Attack;
import dev.veil.internal.monitor.traffic.Attacks;
import dev.veil.internal.monitor.traffic.BenignTraffic;
import dev.veil.internal.monitor.traffic.Fixtures;
import dev.veil.internal.monitor.traffic.PcaBasis;
import dev.veil.internal.monitor.traffic.SoftmaxModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The similarity detectors in a real Guard: a policy bundle on disk whose monitoring rules block
 * a caller when {@code near_duplicate}, {@code knn} or {@code knn_global} reaches {@code high},
 * real API keys, a real audit file. Benign callers (100 x 50 queries with retries and a batch job
 * of 500) are never blocked; each attack is blocked on the query that raised the alarm, within 50
 * queries from one account and within 100 in total when spread over 10 accounts.
 */
class MonitoringGuardTest {
    static final String POLICY = """
            veil: 1
            name: similarity-monitoring
            authentication:
              api_keys: { file: keys.json }
            access:
              default: { effect: allow, rate_limit: { per_second: 100, burst: 200 } }
            validation:
              default:
                shape: [28, 28]
                range: { min: 0, max: 1 }
            monitoring:
              detectors:
                near_duplicate: {}
                knn: {}
                knn_global: {}
              rules:
                - { id: alert-close, when: { signals: { knn: medium } }, action: alert }
                - { id: block-near-duplicates, when: { signals: { near_duplicate: high } }, action: block,
                    cooldown_seconds: 3600 }
                - { id: block-walks, when: { signals: { knn: high } }, action: block, cooldown_seconds: 3600 }
                - { id: block-crowds, when: { signals: { knn_global: high } }, action: block,
                    cooldown_seconds: 3600 }
            output:
              default: { form: label_only }
            """;

    @TempDir
    Path dir;

    /** A clock the test moves. */
    static final class TestClock extends Clock {
        long millis;

        TestClock(long millis) {
            this.millis = millis;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }

    private record Job(String name, Attack attack, int accounts, int queries) {}

    private record Send(long time, String caller, double[] x, int job, int index) {}

    @Test
    void shouldBlockEveryAttackAndNoBenignCaller() throws Exception {
        long t0 = 1_700_000_000_000L;
        SoftmaxModel target = Fixtures.model();
        List<double[]> pool = Fixtures.pool();
        PcaBasis pca = Fixtures.pca();
        List<Job> jobs = List.of(
                new Job("nes-pixel-0.02", Attacks.nes("nes", EfficacyScenario.start(501), 4, 0.02,
                        Attacks.Noise.PIXEL, 0.01, 501), 1, 50),
                new Job("hill-climb", Attacks.hillClimb("hill", EfficacyScenario.start(502), 6, 0.25, 502), 1, 50),
                new Job("nes-pixel-0.1-spread", Attacks.nes("nes", EfficacyScenario.start(503), 2, 0.1,
                        Attacks.Noise.PIXEL, 0.01, 503), 10, 100),
                new Job("pca-search-spread", Attacks.pcaSearch("pca", pca, EfficacyScenario.start(504), 9, 0.2, 0.05,
                        504), 10, 100),
                new Job("boundary-walk-spread", Attacks.boundaryWalk("walk", pool, 10, 505), 10, 100));

        // keys for everybody, written as the bundle's key store
        BenignTraffic.Spec spec = new BenignTraffic.Spec(100, 50, 0.03, 0.2, 1, 500, 1_800_000, 20_000, 100);
        List<BenignTraffic.Event> benign = BenignTraffic.generate(spec, 8, t0);
        Map<String, String> keys = new HashMap<>();
        List<Map<String, Object>> entries = new ArrayList<>();
        List<String> callers = new ArrayList<>(benign.stream().map(BenignTraffic.Event::caller).distinct().toList());
        for (int j = 0; j < jobs.size(); j++) {
            for (int a = 0; a < jobs.get(j).accounts(); a++) {
                callers.add("attacker-" + j + "-" + a);
            }
        }
        for (String c : callers) {
            ApiKeys.Issued k = ApiKeys.issue(c, List.of("user"), "", Map.of(), null);
            keys.put(c, k.plaintext());
            entries.add(k.entry());
        }
        Files.writeString(dir.resolve("keys.json"), new ObjectMapper().writeValueAsString(Map.of("keys", entries)));
        Files.writeString(dir.resolve("policy.veil.yaml"), POLICY);

        // the schedule: benign events, and each attack one query a second, five minutes apart
        List<Send> sends = new ArrayList<>();
        for (BenignTraffic.Event e : benign) {
            sends.add(new Send(e.timeMillis(), e.caller(), e.x(), -1, -1));
        }
        for (int j = 0; j < jobs.size(); j++) {
            for (int i = 0; i < jobs.get(j).queries(); i++) {
                sends.add(new Send(t0 + 300_000 + j * 300_000L + i * 1000L + 500, "attacker-" + j + "-"
                        + (i % jobs.get(j).accounts()), null, j, i));
            }
        }
        sends.sort(java.util.Comparator.comparingLong(Send::time));

        TestClock clock = new TestClock(t0);
        Path audit = dir.resolve("audit.jsonl");
        Model<double[]> model = Model.ofVector(ModelInfo.of("digits", "1", Instant.ofEpochMilli(t0)),
                x -> Prediction.classification(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
                        target.scores(x)));
        int[] firstBlocked = new int[jobs.size()];
        java.util.Arrays.fill(firstBlocked, -1);
        Map<String, Integer> benignDenied = new LinkedHashMap<>();
        List<java.util.Set<String>> blockedAccounts = new ArrayList<>();
        jobs.forEach(j -> blockedAccounts.add(new java.util.HashSet<>()));
        int requests = 0;
        try (Guard<double[]> guard = Guard.builder(model).policy(PolicyBundle.load(dir)).audit(AuditLog.jsonLines(audit))
                .clock(clock).build()) {
            for (Send s : sends) {
                clock.millis = s.time();
                double[] x = s.job() < 0 ? s.x() : jobs.get(s.job()).attack().next();
                Response resp = guard.predict(Request.of(Credentials.apiKey(keys.get(s.caller())), x));
                requests++;
                if (s.job() < 0) {
                    if (!resp.allowed()) {
                        benignDenied.merge(s.caller(), 1, Integer::sum);
                    }
                    continue;
                }
                // the attacker learns from the model's scores whatever the Guard released (its worst case)
                jobs.get(s.job()).attack().answer(target.scores(x));
                if (resp instanceof Response.Denied d) {
                    assertThat(d.reason().code()).isEqualTo(ReasonCode.BLOCKED);
                    blockedAccounts.get(s.job()).add(s.caller());
                    if (firstBlocked[s.job()] < 0) {
                        firstBlocked[s.job()] = s.index();
                    }
                }
            }
        }
        for (int j = 0; j < jobs.size(); j++) {
            System.out.printf("guard: %-22s first blocked at query %d, %d of %d accounts blocked%n", jobs.get(j).name(),
                    firstBlocked[j], blockedAccounts.get(j).size(), jobs.get(j).accounts());
        }
        assertThat(benignDenied).as("benign callers denied").isEmpty();
        for (int j = 0; j < jobs.size(); j++) {
            int limit = jobs.get(j).accounts() == 1 ? 49 : 99;
            assertThat(firstBlocked[j]).as(jobs.get(j).name() + " first blocked query").isBetween(0, limit);
        }
        assertThat(blockedAccounts.get(2)).as("every account of the spread NES attack ends up blocked").hasSize(10);
        assertThat(AuditLog.verify(audit).records()).isEqualTo(requests);
    }
}
