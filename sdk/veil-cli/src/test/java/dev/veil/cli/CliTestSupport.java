package dev.veil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.veil.ApiKeys;
import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Features;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.Request;
import dev.veil.Response;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs the CLI in-process and builds real bundles, key stores and Guards for the tests. */
final class CliTestSupport {
    private CliTestSupport() {}

    /** What one run of the command line did. */
    record Result(int exit, String out, String err) {
        /** Standard output split into lines. */
        List<String> outLines() {
            return out.lines().toList();
        }

        /** Standard error split into lines. */
        List<String> errLines() {
            return err.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    /** Runs {@code veil args...} in this JVM, capturing standard output and error. */
    static Result veil(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = VeilCli.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(exit, out.toString(), err.toString());
    }

    /**
     * Runs {@code veil args...} in this JVM with a standard output every write to which fails, as to
     * {@code /dev/full} (the out of the result is empty), capturing standard error.
     */
    static Result veilWithFullStdout(String... args) {
        java.io.OutputStream full = new java.io.OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }
        };
        StringWriter err = new StringWriter();
        int exit = VeilCli.run(new PrintWriter(new java.io.OutputStreamWriter(full,
                java.nio.charset.StandardCharsets.UTF_8)), new PrintWriter(err), args);
        return new Result(exit, "", err.toString());
    }

    /** Asserts a failure: the exit code, nothing on stdout, and stderr containing every fragment. */
    static void assertFails(Result r, int exit, String... errFragments) {
        assertThat(r.exit()).as(r.toString()).isEqualTo(exit);
        assertThat(r.out()).as(r.toString()).isEmpty();
        assertThat(r.err()).as(r.toString()).contains(errFragments);
    }

    static String s(Path p) {
        return p.toString();
    }

    /** The quickstart policy (examples/quickstart/src/main/resources/quickstart-bundle). */
    static final String QUICKSTART_POLICY = """
            # Quickstart policy for a loan-approval model with three named features.
            veil: 1
            name: loan-quickstart
            on_error: deny

            authentication:
              api_keys: { file: keys.json }

            access:
              default: { effect: deny, message: "only analysts may query the loan model" }
              rules:
                - id: analysts
                  when: { roles: [analyst] }
                  effect: allow
                  rate_limit: { per_second: 50, burst: 100 }
                  daily_quota: 10000

            validation:
              default:
                shape: [3]
                max_payload_bytes: 4096
                features:
                  income:      { min: 0, max: 1000000 }
                  loan_amount: { min: 0, max: 5000000 }
                  age:         { min: 18, max: 120 }
                cross_field:
                  - { id: loan-vs-income, expr: "loan_amount <= 20 * income" }

            monitoring:
              detectors:
                rate: { window_seconds: 60, low: 10, medium: 20, high: 25 }
              rules:
                - { id: alert-busy, when: { signals: { rate: medium } }, action: alert }
                - { id: block-flood, when: { signals: { rate: high } }, action: block, cooldown_seconds: 600 }

            model:
              default: { max_age_days: 365, on_stale: degrade }

            output:
              default: { form: top_k, top_k: 2, round: 0.05 }
              degraded: { form: label_only }

            logging:
              # mask, not digest: an application has few possible values (age, income, amount), so anyone with
              # the log could hash every candidate and find the one whose digest matches
              default: { input: mask, output: keep, raw: mask, caller: keep }
            """;

    /** A quickstart bundle in a directory, with the plaintext keys of its two callers. */
    record QuickstartBundle(Path dir, String analystKey, String internKey) {
        Path keys() {
            return dir.resolve("keys.json");
        }
    }

    /**
     * Writes the quickstart bundle to {@code dir}: {@code .manifest}, {@code loan.veil.yaml} and a
     * {@code keys.json} holding freshly issued keys for alice (analyst) and bob (intern).
     */
    static QuickstartBundle quickstartBundle(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(".manifest"), "{\"revision\": \"quickstart-1\", \"roots\": [\"veil\"]}\n");
            Files.writeString(dir.resolve("loan.veil.yaml"), QUICKSTART_POLICY);
            ApiKeys.Issued alice = ApiKeys.issue("alice", List.of("analyst"), "acme", Map.of(), null);
            ApiKeys.Issued bob = ApiKeys.issue("bob", List.of("intern"), "acme", Map.of(), null);
            Map<String, Object> store = Map.of("keys", List.of(alice.entry(), bob.entry()));
            Files.writeString(dir.resolve("keys.json"), JsonMapper.builder().build().writeValueAsString(store));
            return new QuickstartBundle(dir, alice.plaintext(), bob.plaintext());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A Guard as the quickstart builds it, around a small softmax loan scorer. */
    static Guard<Map<String, Double>> guard(Path bundle, Path auditFile) {
        Model<Map<String, Double>> model = Model.of(
                ModelInfo.of("loan-scorer", "2026.11", Instant.now().minus(Duration.ofDays(10))),
                CliTestSupport::score,
                Features::named);
        return Guard.builder(model)
                .policy(PolicyBundle.load(bundle))
                .audit(AuditLog.jsonLines(auditFile).async(64, Duration.ofMillis(100)))
                .build();
    }

    /** The quickstart's loan scorer. */
    static Prediction score(Map<String, Double> application) {
        double ratio = application.get("loan_amount") / Math.max(1.0, application.get("income"));
        double[] logits = {3.0 - 0.6 * ratio, 0.5 - 0.1 * Math.abs(ratio - 3), -1.5 + 0.8 * ratio};
        double sum = 0;
        double[] p = new double[3];
        for (int i = 0; i < 3; i++) {
            p[i] = Math.exp(logits[i]);
            sum += p[i];
        }
        for (int i = 0; i < 3; i++) {
            p[i] /= sum;
        }
        return Prediction.classification(List.of("approve", "review", "decline"), p);
    }

    /** A loan application. */
    static Map<String, Double> application(double income, double loan, double age) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("income", income);
        m.put("loan_amount", loan);
        m.put("age", age);
        return m;
    }

    /** One request with an API key. */
    static Response ask(Guard<Map<String, Double>> guard, String key, Map<String, Double> application) {
        return guard.predict(Request.of(Credentials.apiKey(key), application));
    }
}
