package dev.veil.policies.tools;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Benign query streams of synthetic loan applications, for the tabular-credit bundle's monitoring:
 * the traffic its detector thresholds were calibrated on ({@code veil calibrate}) and the traffic
 * its false-alarm test sends through a Guard.
 *
 * <p>Each caller scores {@code perCaller} independent applicants ({@link #applicant}): every
 * application passes the bundle's ranges and cross-field rules, its features in the order of
 * {@link #FEATURES} (the Guard and the replay put them in name order, whatever the map's order;
 * an applicant without a co-applicant leaves that key out). The gap between a caller's
 * queries is exponential with a mean of {@link #MEAN_GAP_MS}; callers start at uniform times spread
 * so that about {@link #CONCURRENT_RATE} queries a second reach the service from all callers
 * together. After a query, with probability {@code retry}, the caller sends the same application
 * again 1 to 3 s later (a client's retry); with probability {@code heavy} a caller scores ten times
 * as many applications as the others (a batch client).
 *
 * <p>As a command it writes a replay trace ({@code veil monitor replay}, {@code veil calibrate}):
 * one JSON line per query with the caller (role {@code underwriter}, tenant {@code bank}), the time,
 * the named features in the order of {@link #FEATURES} (a trace's {@code features} object, which
 * the replay puts in name order as the Guard does) and the scores of {@link #score}:
 *
 * <pre>
 * java -cp "$CP" dev.veil.policies.tools.CreditTraffic OUT.jsonl CALLERS PER_CALLER SEED [HEAVY]
 * </pre>
 */
public final class CreditTraffic {
    /** The features in the order every application of this class lists them (co-applicant last, optional). */
    public static final List<String> FEATURES = List.of("income", "loan_amount", "loan_term_months", "age",
            "years_employed", "debt_ratio", "credit_history_years", "open_credit_lines", "co_applicant_income");
    /** The decisions, the model's classes. */
    public static final List<String> DECISIONS = List.of("approve", "refer", "decline");
    /** Mean gap between one caller's queries. */
    public static final long MEAN_GAP_MS = 20_000;
    /** Queries a second over the whole service, about. */
    public static final double CONCURRENT_RATE = 10;
    /** Share of queries followed by an exact retry. */
    public static final double RETRY = 0.03;
    /** Share of applicants with a co-applicant. */
    public static final double CO_APPLICANT = 0.3;

    private static final int[] TERMS = {12, 24, 36, 48, 60, 84, 120, 180, 240, 300, 360};

    /** One query: who, when, and which application. */
    public record Query(String caller, long tsMs, Map<String, Double> application) {}

    private CreditTraffic() {}

    /**
     * One applicant: income log-normal (median 45,000, rounded to 100), age 21 to 75, years employed
     * and of credit history up to what the age allows, a debt ratio mostly 0.05 to 0.6, a loan of
     * 0.1 to 6 times the income (rounded to 500) over a usual term that ends before 90, 0 to 15 open
     * credit lines, and a co-applicant for 30%.
     */
    public static Map<String, Double> applicant(SplittableRandom r) {
        Map<String, Double> a = new LinkedHashMap<>();
        double income = Math.max(6000, Math.round(45_000 * Math.exp(0.6 * gaussian(r)) / 100) * 100.0);
        int age = 21 + r.nextInt(55);
        double loan = Math.round(income * (0.1 + 5.9 * Math.pow(r.nextDouble(), 1.5)) / 500) * 500.0;
        loan = Math.min(2_000_000, Math.max(1000, Math.min(loan, 20 * income)));
        int term;
        do {
            term = TERMS[r.nextInt(TERMS.length)];
        } while (age + term / 12.0 > 90);
        a.put("income", income);
        a.put("loan_amount", loan);
        a.put("loan_term_months", (double) term);
        a.put("age", (double) age);
        a.put("years_employed", (double) r.nextInt(Math.min(45, age - 14) + 1));
        a.put("debt_ratio", Math.round(Math.min(1.5, Math.max(0, 0.3 + 0.15 * gaussian(r))) * 100) / 100.0);
        a.put("credit_history_years", (double) r.nextInt(age - 16 + 1));
        a.put("open_credit_lines", (double) r.nextInt(16));
        if (r.nextDouble() < CO_APPLICANT) {
            a.put("co_applicant_income", Math.round(35_000 * Math.exp(0.7 * gaussian(r)) / 100) * 100.0);
        }
        return a;
    }

    /**
     * The credit score of the tabular-credit Guard tests: the probability p of repaying from a
     * logistic score; approve p^2, refer 2p(1-p), decline (1-p)^2.
     */
    public static double[] score(Map<String, Double> a) {
        double z = 2.0 + 0.8 * Math.log10(a.get("income") + 1) - 0.3 * a.get("loan_amount") / (a.get("income") + 1)
                - 3.0 * a.get("debt_ratio") + 0.05 * a.get("credit_history_years") + 0.03 * a.get("years_employed")
                - 4.0;
        double p = 1 / (1 + Math.exp(-z));
        return new double[] {p * p, 2 * p * (1 - p), (1 - p) * (1 - p)};
    }

    /** The queries of {@code callers} callers, in time order (see the class comment). */
    public static List<Query> queries(int callers, int perCaller, double retry, double heavy, long seed,
            long startMs) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Query> out = new ArrayList<>();
        long spreadMs = Math.max(1000, (long) (callers * perCaller * 1000.0 / CONCURRENT_RATE) - perCaller * MEAN_GAP_MS);
        for (int c = 0; c < callers; c++) {
            String caller = String.format(Locale.ROOT, "user-%04d", c);
            long t = startMs + (long) (r.nextDouble() * spreadMs);
            int n = r.nextDouble() < heavy ? 10 * perCaller : perCaller;
            for (int q = 0; q < n; q++) {
                Map<String, Double> a = applicant(r);
                t += 1 + (long) (-Math.log(1 - r.nextDouble()) * MEAN_GAP_MS);
                out.add(new Query(caller, t, a));
                if (r.nextDouble() < retry) {
                    t += 1000 + r.nextInt(2000);
                    out.add(new Query(caller, t, a));
                }
            }
        }
        out.sort(Comparator.comparingLong(Query::tsMs).thenComparing(Query::caller));
        return out;
    }

    static double gaussian(SplittableRandom r) {
        double u1 = 1 - r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 4) {
            System.err.println("usage: CreditTraffic OUT.jsonl CALLERS PER_CALLER SEED [HEAVY]");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        int callers = Integer.parseInt(args[1]);
        int perCaller = Integer.parseInt(args[2]);
        long seed = Long.parseLong(args[3]);
        double heavy = args.length > 4 ? Double.parseDouble(args[4]) : 0;
        List<Query> qs = queries(callers, perCaller, RETRY, heavy, seed, 1_780_000_000_000L);
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            StringBuilder b = new StringBuilder(512);
            for (Query q : qs) {
                b.setLength(0);
                b.append("{\"caller\":\"").append(q.caller())
                        .append("\",\"tenant\":\"bank\",\"roles\":[\"underwriter\"],\"ts_ms\":").append(q.tsMs())
                        .append(",\"features\":{");
                int i = 0;
                for (Map.Entry<String, Double> e : q.application().entrySet()) {
                    b.append(i++ == 0 ? "\"" : ",\"").append(e.getKey()).append("\":").append(e.getValue());
                }
                b.append("},\"scores\":[");
                double[] p = score(q.application());
                for (int k = 0; k < p.length; k++) {
                    b.append(k == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.6g", p[k]));
                }
                b.append("]}\n");
                w.write(b.toString());
            }
        }
        System.out.printf(Locale.ROOT, "%d queries from %d callers (seed %d, heavy %.2f) -> %s%n", qs.size(), callers,
                seed, heavy, out);
    }
}
