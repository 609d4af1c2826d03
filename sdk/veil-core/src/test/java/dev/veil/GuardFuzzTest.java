package dev.veil;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes a whole Guard with what callers send: credentials (a valid key of either role, a key of
 * no caller, a malformed bearer token), named features with any names and any values (NaN,
 * infinities, huge, negative zero, absent) and any declared payload size. Whatever the request,
 * {@link Guard#predict} returns a response with a decision id, never throws; a release carries a
 * label and at most two scores on the 0.05 grid (no scores for the label-only role); a denial
 * carries at least one reason. Every {@value #REQUESTS_PER_GUARD} requests, and
 * when the run ends, the Guard is closed and its audit log must hold exactly one record per request
 * with an intact hash chain (then a new Guard takes over, so that the log stays small).
 *
 * <p>The policy is a tabular one with every stage in use: API keys, rate limits, required and
 * optional named features with ranges, a cross-field rule, a payload limit, the rate, near-duplicate
 * and knn detectors with a degrade and an alert rule, top-k with rounding, reverse-sigmoid for
 * low-margin predictions, label only for one role and when degraded. The model fails (throws) on one
 * input value, so the model-error path is fuzzed too, and it notes any value that is not finite:
 * none may reach it (a NaN in an optional feature once did, taken for an absent feature).
 *
 * <p>A normal build runs the regression corpus in
 * {@code src/test/resources/dev/veil/GuardFuzzTestInputs/predict/}. To fuzz:
 * {@code JAZZER_FUZZ=1 mvn -pl sdk/veil-core test -Dtest=GuardFuzzTest -Djacoco.skip=true -Djazzer.hooks=true
 * '-Djazzer.instrument=dev.veil.**'}; a failing input is written to that directory and becomes a
 * regression case.
 */
class GuardFuzzTest {
    private static final Pattern UUID =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    private static final List<String> NAMES = List.of("income", "loan", "age", "ratio", "extra");
    private static final String POLICY = """
            veil: 1
            name: fuzz
            authentication: {api_keys: {file: keys.json}}
            access:
              default: {effect: deny}
              rules:
                - {id: analysts, when: {roles: [analyst]}, effect: allow,
                   rate_limit: {per_second: 1000000, burst: 1000000}, daily_quota: 1000000000}
                - {id: partners, when: {roles: [partner]}, effect: allow,
                   rate_limit: {per_second: 1000000, burst: 1000000}}
            validation:
              default:
                shape: []
                max_payload_bytes: 256
                allow_unknown_features: false
                features:
                  income: {min: 0, max: 1000000}
                  loan: {min: 0, max: 5000000}
                  age: {min: 18, max: 120}
                  ratio: {required: false, min: 0, max: 2}
                cross_field:
                  - {id: loan-vs-income, expr: "loan <= 20 * income + 1000"}
            monitoring:
              detectors:
                rate: {window_seconds: 60, high: 1000000000}
                near_duplicate: {}
                knn: {}
              rules:
                - {id: near, when: {signals: {near_duplicate: high}}, action: degrade}
                - {id: walk, when: {signals: {knn: high}}, action: alert}
            model:
              default: {max_age_days: 36500, on_stale: deny}
            output:
              default: {form: top_k, top_k: 2, round: 0.05}
              degraded: {form: label_only}
              rules:
                - id: partners-label
                  when: {roles: [partner]}
                  release: {form: label_only}
                - id: low-margin
                  when: {margin: {lt: 0.05}}
                  release: {form: top_k, top_k: 2, round: 0.05, reverse_sigmoid: {beta: 0.5, gamma: 2}}
            logging:
              default: {input: digest, output: keep, raw: mask}
            """;
    /** The model throws on this value (any feature), so that requests reach the model-error path. */
    static final double MODEL_FAILS_ON = 777;

    /** Requests per Guard: then its audit log is checked and deleted, and a new Guard takes over. */
    static final int REQUESTS_PER_GUARD = 20_000;

    private static final Path DIR;
    private static final String ANALYST;
    private static final String PARTNER;
    private static final Model<Map<String, Double>> MODEL = Model.of(
            ModelInfo.of("fuzz-model", "1", Instant.parse("2026-01-01T00:00:00Z")), GuardFuzzTest::predict,
            Features::named);
    private static final PolicyBundle BUNDLE;
    private static Path audit;
    private static Guard<Map<String, Double>> guard;
    private static long requests;
    private static long released;
    private static long guards;

    static {
        try {
            DIR = Files.createTempDirectory("veil-guard-fuzz");
            ApiKeys.Issued analyst = ApiKeys.issue("ana", List.of("analyst"), "acme", Map.of(), null);
            ApiKeys.Issued partner = ApiKeys.issue("pat", List.of("partner"), "other", Map.of(), null);
            ANALYST = analyst.plaintext();
            PARTNER = partner.plaintext();
            Files.write(DIR.resolve("keys.json"), new ObjectMapper().writeValueAsBytes(
                    Map.of("keys", List.of(analyst.entry(), partner.entry()))));
            Files.writeString(DIR.resolve("fuzz.veil.yaml"), POLICY, StandardCharsets.UTF_8);
            BUNDLE = PolicyBundle.load(DIR);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        newGuard();
    }

    private static void newGuard() {
        audit = DIR.resolve("audit-" + guards++ + ".jsonl");
        guard = Guard.builder(MODEL).policy(BUNDLE).audit(AuditLog.jsonLines(audit).async(1024, Duration.ofSeconds(10)))
                .build();
        requests = 0;
    }

    /** Closes the Guard and checks its log: exactly one record per request, and the chain verifies. */
    private static void closeAndCheckAudit() throws IOException {
        guard.close();
        AuditVerification v = AuditLog.verify(audit);
        assertThat(v.ok()).as(v.message()).isTrue();
        assertThat(v.records()).isEqualTo(requests);
        Files.delete(audit);
        Files.deleteIfExists(audit.resolveSibling(audit.getFileName() + ".lock")); // the Guard leaves its lock file
    }

    /** What reached the model that validation must have refused (a value that is not finite): must stay empty. */
    private static final List<Map<String, Double>> UNVALIDATED = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * Three classes from two linear scores of the features (softmax); throws on {@link #MODEL_FAILS_ON}.
     * Notes any input with a value that is not finite (validation refuses every one, absent optional
     * features aside, which have no value).
     */
    static Prediction predict(Map<String, Double> in) {
        if (in.values().stream().anyMatch(v -> v != null && !Double.isFinite(v))) {
            UNVALIDATED.add(new LinkedHashMap<>(in));
        }
        double s1 = 0;
        double s2 = 0;
        int i = 0;
        for (double v : in.values()) {
            if (v == MODEL_FAILS_ON) {
                throw new IllegalStateException("the model cannot score " + v);
            }
            double x = Math.log1p(Math.abs(v));
            s1 += (i % 2 == 0 ? 0.3 : -0.2) * x;
            s2 += (i % 3 == 0 ? -0.1 : 0.25) * x;
            i++;
        }
        double a = Math.exp(Math.min(50, s1));
        double b = Math.exp(Math.min(50, s2));
        double sum = 1 + a + b;
        return Prediction.classification(List.of("approve", "refer", "decline"), new double[] {1 / sum, a / sum, b / sum});
    }

    @FuzzTest(maxDuration = "2m")
    void predict(FuzzedDataProvider data) throws IOException {
        Credentials credentials = switch (data.consumeInt(0, 3)) {
            case 0 -> Credentials.apiKey(ANALYST);
            case 1 -> Credentials.apiKey(PARTNER);
            case 2 -> Credentials.apiKey(data.consumeString(80));
            default -> Credentials.bearer(data.consumeString(200));
        };
        int n = data.consumeInt(0, 6);
        Map<String, Double> features = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String name = data.consumeBoolean() ? NAMES.get(data.consumeInt(0, NAMES.size() - 1)) : data.consumeString(12);
            features.put(name, value(data));
        }
        Request<Map<String, Double>> request = Request.of(credentials, features);
        if (data.consumeBoolean()) {
            request = request.withPayloadBytes(data.consumeLong(0, Long.MAX_VALUE));
        }
        Response r = guard.predict(request);
        requests++;
        assertThat(UNVALIDATED).as("inputs with values that are not finite reached the model").isEmpty();
        assertThat(r).isNotNull();
        assertThat(r.decisionId()).matches(UUID);
        if (r instanceof Response.Released ok) {
            ReleasedPrediction p = ok.prediction();
            assertThat(p.label()).isIn("approve", "refer", "decline");
            assertThat(p.scores()).hasSizeLessThanOrEqualTo(2).allSatisfy(s -> {
                assertThat(s.score()).isBetween(0.0, 1.0);
                assertThat(Math.abs(s.score() / 0.05 - Math.rint(s.score() / 0.05))).isLessThan(1e-9);
            });
            if (credentials.equals(Credentials.apiKey(PARTNER))) {
                assertThat(p.scores()).isEmpty();
            }
            released++;
        } else {
            assertThat(((Response.Denied) r).reasons()).isNotEmpty();
        }
        if (requests == REQUESTS_PER_GUARD) {
            closeAndCheckAudit();
            newGuard();
        }
    }

    /**
     * A feature value: absent, any double (NaN, infinities, extremes, negative zero) or, as often, a
     * whole or fractional number of the size the policy's ranges take (which random doubles almost
     * never are), so that requests also get through validation to the model and the output stage.
     */
    private static Double value(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 3)) {
            case 0 -> null;
            case 1 -> data.consumeDouble();
            case 2 -> (double) data.consumeInt(-10, 2_000_000);
            default -> data.consumeProbabilityDouble() * 200;
        };
    }

    /** Also that the corpus reaches the model and the output stage: some request was released. */
    @AfterAll
    static void everyRequestHasItsRecordAndTheChainHolds() throws IOException {
        closeAndCheckAudit();
        assertThat(released).as("released requests").isPositive();
        Files.deleteIfExists(DIR.resolve("keys.json"));
        Files.deleteIfExists(DIR.resolve("fuzz.veil.yaml"));
        Files.deleteIfExists(DIR);
    }
}
