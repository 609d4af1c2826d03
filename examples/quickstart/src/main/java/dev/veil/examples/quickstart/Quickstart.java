package dev.veil.examples.quickstart;

import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import dev.veil.Credentials;
import dev.veil.Features;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Request;
import dev.veil.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Veil end to end: an allowed call with a minimised answer, denied calls (unknown key, a role the
 * policy refuses, a malformed input, a flood that monitoring blocks), and the audit log verified.
 * Run it with {@code scripts/quickstart.sh}.
 */
public final class Quickstart {
    // Demo keys only: their salted hashes are in quickstart-bundle/keys.json.
    static final String ALICE = "veil_alice001_zYB2fu42Y9RIolBHfBJwHUOVLmb9oyntHUYSXfCAkC4";
    static final String BOB = "veil_bobintrn_gY-E7cozo6UNiJFsOInSQwWxWZnuOrLOamCwi41OquI";

    public static void main(String[] args) throws Exception {
        Path auditFile = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("veil-quickstart").resolve("audit.jsonl");
        int failures = run(auditFile);
        System.exit(failures == 0 ? 0 : 1);
    }

    /** Runs the walkthrough, printing each step; returns the number of steps that did not behave as expected. */
    static int run(Path auditFile) {
        LoanModel loanModel = new LoanModel();
        // --8<-- [start:usage]
        Model<Map<String, Double>> model = Model.of(
                ModelInfo.of("loan-scorer", "2026.11", Instant.parse("2026-11-01T00:00:00Z")),
                loanModel::predict,
                Features::named);
        Guard<Map<String, Double>> guard = Guard.builder(model)
                .policy(PolicyBundle.classpath("quickstart-bundle"))
                .audit(AuditLog.jsonLines(auditFile).async(4096, Duration.ofMillis(100)))
                .build();

        Response r = guard.predict(Request.of(Credentials.apiKey(ALICE), application(85_000, 250_000, 41)));
        if (r instanceof Response.Released ok) {
            // applied() and degraded() are for you, not for your caller: they can tell which rule answered
            System.out.println("released: " + ok.prediction().scores() + " via " + ok.prediction().applied());
        } else if (r instanceof Response.Denied no) {
            System.out.println("denied: " + no.reasons());
            // for you: the rule (block-flood) says which monitoring rule caught the caller; for your caller,
            // no.reason().forCaller(): the code and message alone
        }
        // --8<-- [end:usage]
        int failures = 0;
        failures += expect("1. analyst asks -> minimised answer (top 2, rounded to 0.05)", r, null);
        failures += expect("2. unknown API key",
                guard.predict(Request.of(Credentials.apiKey("veil_nobody00_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                        application(85_000, 250_000, 41))), "unauthenticated");
        failures += expect("3. intern (role not allowed)",
                guard.predict(Request.of(Credentials.apiKey(BOB), application(85_000, 250_000, 41))), "forbidden");
        failures += expect("4. malformed input (age missing)",
                guard.predict(Request.of(Credentials.apiKey(ALICE), application(85_000, 250_000, Double.NaN))),
                "invalid_input");
        failures += expect("5. loan 100x income (cross-field rule)",
                guard.predict(Request.of(Credentials.apiKey(ALICE), application(10_000, 1_000_000, 30))),
                "invalid_input");
        Response last = null;
        int sent = 0;
        while (sent < 40) {
            last = guard.predict(Request.of(Credentials.apiKey(ALICE), application(50_000 + sent, 200_000, 35)));
            sent++;
            if (!last.allowed()) {
                break;
            }
        }
        failures += expect("6. a flood of near-identical probes (" + sent + " sent)", last, "blocked");
        failures += expect("7. the blocked caller asks again",
                guard.predict(Request.of(Credentials.apiKey(ALICE), application(85_000, 250_000, 41))), "blocked");
        guard.close();

        AuditVerification v = AuditLog.verify(auditFile);
        System.out.println("8. audit log " + auditFile + ": " + (v.ok() ? "ok " + v.records() + " records" : v.message()));
        if (!v.ok() || v.records() != 7 + sent - 1) {
            failures++;
        }
        // The policy masks the applications (logging: input: mask): no record holds them, not even as
        // a digest, which anyone with the log could reverse by hashing every plausible application.
        long withInput = records(auditFile).stream().filter(line -> line.contains("\"features\":")).count();
        System.out.println("9. records holding an application, in clear or as a digest: " + withInput);
        if (withInput != 0) {
            failures++;
        }
        System.out.println(failures == 0 ? "quickstart: all steps behaved as expected" : "quickstart: " + failures
                + " step(s) did not behave as expected");
        return failures;
    }

    private static List<String> records(Path auditFile) {
        try {
            return Files.readAllLines(auditFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Double> application(double income, double loan, double age) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("income", income);
        m.put("loan_amount", loan);
        m.put("age", Double.isNaN(age) ? null : age);
        return m;
    }

    private static int expect(String step, Response r, String code) {
        String got = r instanceof Response.Denied d ? d.reason().code().code() : null;
        String shown = r instanceof Response.Released ok
                ? "released " + ok.prediction().label() + " " + ok.prediction().scores() + " " + ok.prediction().applied()
                : "denied " + ((Response.Denied) r).reason();
        boolean pass = code == null ? r.allowed() : code.equals(got);
        System.out.println((pass ? "[ok]   " : "[FAIL] ") + step + ": " + shown);
        return pass ? 0 : 1;
    }
}
