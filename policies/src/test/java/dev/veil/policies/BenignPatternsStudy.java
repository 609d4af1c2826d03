package dev.veil.policies;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.ReasonCode;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.policies.tools.BenignTraffic;
import dev.veil.policies.tools.FashionMnist;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A STUDY, not a test: honest traffic patterns through a real Guard on the shipped image-classifier
 * bundle, with real Fashion-MNIST test images (popular images sent as near copies by many callers,
 * batch clients, nightly re-scoring, timeout retries, UI sessions adjusting one image, tenant-mates
 * whose queries pair up in {@code antithetic_tenant}). Each pattern prints a table and asserts
 * nothing: what it measures is what the shipped detectors do, which a later change may rightly
 * alter. Its name does not match Surefire's test patterns, so {@code scripts/test.sh} does not run
 * it; {@code scripts/benign-study.sh [pattern...]} does (patterns are the method names below; the
 * tables and what to do about them: policies/README.md, "Honest traffic the shipped bundle bothers").
 *
 * <p>Known limitation: the Guard's in-memory store runs its times to live (a detector's
 * {@code ttl_seconds}, after which an idle caller's, tenant's or input's history is dropped) on the
 * system clock, not on the clock each run advances, so no history expires during a run however
 * much simulated time passes. The patterns keep quiet gaps under the detectors' times to live (UI
 * users start 7 s apart; the tenant-mate pattern's 50-minute gap stays under the 1-hour time to
 * live that each of the tenant's queries renews), or give each caller a Guard of its own
 * ({@link #uiEachUserInAFreshGuard}); the nightly re-scoring rows (the same images again 1, 23 or
 * 24 hours later) may count history a live Guard would have dropped.
 */
class BenignPatternsStudy {
    static final Instant START = Instant.parse("2026-12-01T00:00:00Z");
    static final long T0 = START.toEpochMilli();

    static PolicyBundle bundle;
    static SoftmaxRegression classifier;
    static double[][] test;
    static int[] labels;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() {
        // a study run on purpose fails without its data rather than printing nothing
        assertThat(FashionMnist.available()).as(FashionMnist.MISSING).isTrue();
        bundle = PolicyBundle.classpath("veil-policies/image-classifier");
        classifier = BenignTraffic.model();
        test = FashionMnist.testImages(Integer.MAX_VALUE);
        labels = FashionMnist.testLabels(Integer.MAX_VALUE);
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.SEVERE); // the load warnings, once per Guard
        for (var h : java.util.logging.Logger.getLogger("").getHandlers()) {
            h.setLevel(java.util.logging.Level.SEVERE);
        }
    }

    // ------------------------------------------------------------------ traffic and its tally

    /** Who sends: role and tenant decide the credentials. */
    enum Kind {
        ANALYST_JWT, PARTNER_JWT, ANALYST_KEY, RESEARCHER_KEY, INTERACTIVE_JWT
    }

    /** One query: when, who, what; {@code mark} flags the queries of interest (the popular image). */
    record Event(long ts, String caller, Kind kind, double[] x, boolean mark) {}

    /** Per caller: queries, first alert/degrade/block index (0-based among its queries), rules. */
    static final class Stat {
        int n;
        int firstAlert = -1;
        int firstDegrade = -1;
        int firstBlock = -1;
        int rateLimited;
        int ood;
        int blockedCount;
        int degradedCount;
        int answered;
        final java.util.Set<String> rules = new java.util.TreeSet<>();
        String firstActionRules = "";
    }

    static final class Result {
        final Map<String, Stat> callers = new LinkedHashMap<>();
        int queries;
        int marked;
        int markedDegraded;
        int markedBlocked;
        final Map<String, Integer> markedRules = new TreeMap<>();
    }

    Result run(PolicyBundle b, List<Event> events) {
        events.sort(Comparator.comparingLong(Event::ts));
        MutableClock clock = new MutableClock(Instant.ofEpochMilli(Math.min(T0, events.get(0).ts())));
        Model<double[]> model = Model.ofVector(
                ModelInfo.of("fashion-softmax", "test-1", START.minus(Duration.ofDays(10))), classifier::predict);
        Result res = new Result();
        Map<String, Credentials> creds = new HashMap<>();
        Map<String, Long> issued = new HashMap<>();
        Path audit = dir.resolve("audit-" + System.nanoTime() + ".jsonl");
        try (Guard<double[]> g = Guard.builder(model).policy(b)
                .audit(AuditLog.jsonLines(audit)).clock(clock).build()) {
            for (Event e : events) {
                clock.advance(Duration.ofMillis(Math.max(0, e.ts() - clock.millis())));
                Long at = issued.get(e.caller());
                if (at == null || clock.millis() - at > 3_600_000L) {
                    creds.put(e.caller(), credentials(e.caller(), e.kind(), clock.instant()));
                    issued.put(e.caller(), clock.millis());
                }
                Response r = g.predict(Request.of(creds.get(e.caller()), e.x()));
                Stat s = res.callers.computeIfAbsent(e.caller(), k -> new Stat());
                int i = s.n++;
                res.queries++;
                if (e.mark()) {
                    res.marked++;
                }
                if (r instanceof Response.Denied d) {
                    ReasonCode c = d.reason().code();
                    if (c == ReasonCode.RATE_LIMITED) {
                        s.rateLimited++;
                    } else if (c == ReasonCode.OUT_OF_DISTRIBUTION) {
                        s.ood++;
                    } else if (c == ReasonCode.BLOCKED) {
                        s.blockedCount++;
                        s.rules.add(d.reason().rule() + "(" + d.reason().stage() + ")");
                        if (s.firstBlock < 0) {
                            s.firstBlock = i;
                            s.firstActionRules = d.reason().rule();
                        }
                        if (e.mark()) {
                            res.markedBlocked++;
                        }
                    } else {
                        s.rules.add("denied:" + c + ":" + d.reason().rule());
                    }
                    continue;
                }
                Response.Released ok = (Response.Released) r;
                s.answered++;
                List<String> monitoring = ok.alerts();
                s.rules.addAll(monitoring);
                boolean monDegrade = monitoring.stream().anyMatch(a -> a.endsWith("-degrade"));
                if (!monitoring.isEmpty() && s.firstAlert < 0) {
                    s.firstAlert = i;
                }
                if (monDegrade) {
                    s.degradedCount++;
                    if (s.firstDegrade < 0) {
                        s.firstDegrade = i;
                        if (s.firstBlock < 0) {
                            s.firstActionRules = String.join("+", monitoring);
                        }
                    }
                    if (e.mark()) {
                        res.markedDegraded++;
                        for (String a : monitoring) {
                            res.markedRules.merge(a, 1, Integer::sum);
                        }
                    }
                } else if (ok.degraded() && !monitoring.isEmpty()) {
                    s.rules.add("degraded-other");
                }
            }
        }
        try {
            java.nio.file.Files.deleteIfExists(audit);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return res;
    }

    Credentials credentials(String caller, Kind kind, Instant now) {
        return switch (kind) {
            case ANALYST_JWT -> Credentials.bearer(DemoTokens.sign(DemoTokens.privateKey(), DemoTokens.ISSUER, caller,
                    List.of("analyst"), "acme", Map.of(), now, Duration.ofHours(3)));
            case PARTNER_JWT -> Credentials.bearer(DemoTokens.sign(DemoTokens.privateKey(), DemoTokens.ISSUER, caller,
                    List.of("partner"), "northwind", Map.of("contract", "active", "region", "eu"), now,
                    Duration.ofHours(3)));
            case INTERACTIVE_JWT -> Credentials.bearer(DemoTokens.sign(DemoTokens.privateKey(), DemoTokens.ISSUER, caller,
                    List.of("analyst", "interactive"), "acme", Map.of(), now, Duration.ofHours(3)));
            case ANALYST_KEY -> Credentials.apiKey(DemoKeys.key("image-classifier", "demo-analyst"));
            case RESEARCHER_KEY -> Credentials.apiKey(DemoKeys.key("image-classifier", "demo-researcher"));
        };
    }

    static String row(String name, Result r) {
        int callers = r.callers.size();
        int alerted = 0;
        int degraded = 0;
        int blocked = 0;
        int limited = 0;
        int ood = 0;
        Map<String, Integer> firstRules = new TreeMap<>();
        Map<String, Integer> allRules = new TreeMap<>();
        List<Integer> firstAction = new ArrayList<>();
        for (Stat s : r.callers.values()) {
            alerted += s.firstAlert >= 0 || s.firstBlock >= 0 ? 1 : 0;
            degraded += s.firstDegrade >= 0 ? 1 : 0;
            blocked += s.firstBlock >= 0 ? 1 : 0;
            limited += s.rateLimited;
            ood += s.ood;
            int fa = s.firstDegrade < 0 ? s.firstBlock : s.firstBlock < 0 ? s.firstDegrade : Math.min(s.firstDegrade, s.firstBlock);
            if (fa >= 0) {
                firstAction.add(fa);
                firstRules.merge(s.firstActionRules.replaceAll("[a-z-]+-alert\\+", ""), 1, Integer::sum);
            }
            for (String a : s.rules) {
                allRules.merge(a, 1, Integer::sum);
            }
        }
        firstAction.sort(null);
        String fa = firstAction.isEmpty() ? "-"
                : firstAction.get(0) + "/" + firstAction.get(firstAction.size() / 2) + "/" + firstAction.get(firstAction.size() - 1);
        String marked = r.marked == 0 ? "" : String.format(Locale.ROOT, " | marked %d: degraded %d blocked %d %s",
                r.marked, r.markedDegraded, r.markedBlocked, r.markedRules);
        return String.format(Locale.ROOT,
                "| %-44s | %4d | %6d | %4d | %4d | %4d | %5d | %4d | %-11s | first action: %s | rules (callers): %s%s",
                name, callers, r.queries, alerted, degraded, blocked, limited, ood, fa, firstRules, allRules, marked);
    }

    static void header(String title) {
        System.out.println();
        System.out.println("### " + title);
        System.out.println("| scenario | callers | queries | alerted | degraded | blocked | rate-limited (queries) | OOD refused | first degrade-or-block query min/median/max |");
    }

    // ------------------------------------------------------------------ image edits

    static double q(double v) {
        return Math.round(Math.max(0, Math.min(1, v)) * 255) / 255.0;
    }

    static double[] quantize(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = q(x[i]);
        }
        return y;
    }

    static double[] noise(double[] x, double sigma, SplittableRandom r) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = q(x[i] + sigma * gauss(r));
        }
        return y;
    }

    /** Noise only where the image has ink (a re-encoding leaves black background black). */
    static double[] inkNoise(double[] x, double sigma, SplittableRandom r) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] > 0 ? q(x[i] + sigma * gauss(r)) : 0;
        }
        return y;
    }

    static double gauss(SplittableRandom r) {
        double u = 1 - r.nextDouble();
        double v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    static double[] shift(double[] x, int dx, int dy) {
        double[] y = new double[784];
        for (int row = 0; row < 28; row++) {
            for (int col = 0; col < 28; col++) {
                int sr = row - dy;
                int sc = col - dx;
                y[row * 28 + col] = sr >= 0 && sr < 28 && sc >= 0 && sc < 28 ? x[sr * 28 + sc] : 0;
            }
        }
        return y;
    }

    static double[] bright(double[] x, double gain) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = q(x[i] * gain);
        }
        return y;
    }

    static double bilinear(double[] x, double row, double col) {
        if (row < 0 || col < 0 || row > 27 || col > 27) {
            return 0;
        }
        int r0 = (int) Math.floor(row);
        int c0 = (int) Math.floor(col);
        int r1 = Math.min(27, r0 + 1);
        int c1 = Math.min(27, c0 + 1);
        double fr = row - r0;
        double fc = col - c0;
        return (1 - fr) * ((1 - fc) * x[r0 * 28 + c0] + fc * x[r0 * 28 + c1])
                + fr * ((1 - fc) * x[r1 * 28 + c0] + fc * x[r1 * 28 + c1]);
    }

    static double[] rotate(double[] x, double degrees) {
        double a = Math.toRadians(degrees);
        double cos = Math.cos(a);
        double sin = Math.sin(a);
        double[] y = new double[784];
        for (int row = 0; row < 28; row++) {
            for (int col = 0; col < 28; col++) {
                double dr = row - 13.5;
                double dc = col - 13.5;
                y[row * 28 + col] = q(bilinear(x, 13.5 + cos * dr - sin * dc, 13.5 + sin * dr + cos * dc));
            }
        }
        return y;
    }

    /** Crops {@code k} pixels off every side and scales the rest back to 28x28 (a zoom). */
    static double[] cropZoom(double[] x, double k) {
        double[] y = new double[784];
        double scale = (28 - 2 * k) / 28.0;
        for (int row = 0; row < 28; row++) {
            for (int col = 0; col < 28; col++) {
                y[row * 28 + col] = q(bilinear(x, k + (row + 0.5) * scale - 0.5, k + (col + 0.5) * scale - 0.5));
            }
        }
        return y;
    }

    // ------------------------------------------------------------------ normal traffic

    /** Test images in a fixed shuffled order, handed out so that no two callers share one. */
    static final class Pool {
        final int[] order;
        int next;

        Pool(long seed, int avoid) {
            SplittableRandom r = new SplittableRandom(seed);
            order = new int[test.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            for (int i = order.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            this.avoid = avoid;
        }

        final int avoid;

        int take() {
            int i = order[next++ % order.length];
            return i == avoid ? take() : i;
        }
    }

    static long expGap(SplittableRandom r, double meanMs) {
        return 1 + (long) (-Math.log(1 - r.nextDouble()) * meanMs);
    }

    // ------------------------------------------------------------------ 1. popular image

    /**
     * {@code callers} callers each send {@code perCaller} distinct test images (mean gap 10 s) and,
     * at a random place in their stream, one copy of the popular image made by {@code variant}.
     * Callers start uniformly within {@code startSpreadMs}; when {@code popularWindowMs} > 0 the
     * popular query is instead sent at a uniform time within that window from T0 (a burst).
     */
    List<Event> popular(int popularImage, int callers, int perCaller, double partnerShare, long startSpreadMs,
            long popularWindowMs, java.util.function.BiFunction<double[], SplittableRandom, double[]> variant, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Pool pool = new Pool(seed, popularImage);
        List<Event> ev = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            boolean partner = c < callers * partnerShare;
            Kind kind = partner ? Kind.PARTNER_JWT : Kind.ANALYST_JWT;
            String name = (partner ? "partner-" : "user-") + c;
            long t = T0 + (long) (r.nextDouble() * startSpreadMs);
            int at = r.nextInt(perCaller + 1);
            for (int k = 0; k <= perCaller; k++) {
                t += expGap(r, 10_000);
                if (k == at) {
                    long when = popularWindowMs > 0 ? T0 + (long) (r.nextDouble() * popularWindowMs) : t;
                    ev.add(new Event(when, name, kind, variant.apply(test[popularImage], r), true));
                } else {
                    ev.add(new Event(t, name, kind, test[pool.take()], false));
                }
            }
        }
        return ev;
    }

    @Test
    void popularImage() {
        Map<String, java.util.function.BiFunction<double[], SplittableRandom, double[]>> variants = new LinkedHashMap<>();
        variants.put("exact copy", (x, r) -> x.clone());
        variants.put("noise 0.01 (8-bit)", (x, r) -> noise(x, 0.01, r));
        variants.put("ink noise 0.02 (re-encode)", (x, r) -> inkNoise(x, 0.02, r));
        variants.put("1-pixel shift (random dir)", (x, r) -> {
            int d = r.nextInt(4);
            return shift(x, d == 0 ? 1 : d == 1 ? -1 : 0, d == 2 ? 1 : d == 3 ? -1 : 0);
        });
        variants.put("brightness x0.9..1.1", (x, r) -> bright(x, 0.9 + 0.2 * r.nextDouble()));
        variants.put("mixed (any of the above)", (x, r) -> switch (r.nextInt(4)) {
            case 0 -> noise(x, 0.01, r);
            case 1 -> inkNoise(x, 0.02, r);
            case 2 -> shift(x, r.nextBoolean() ? 1 : -1, 0);
            default -> bright(x, 0.9 + 0.2 * r.nextDouble());
        });
        int[] images = popularImages(3);
        record Timing(String name, long startSpread, long popularWindow, double partners) {}
        List<Timing> timings = List.of(
                new Timing("one tenant, 200 callers in 5 min", 1_000, 0, 0),
                new Timing("2 tenants (100 acme+100 northwind), 5 min", 1_000, 0, 0.5),
                new Timing("one tenant, spread over 1 h", 3_300_000, 0, 0),
                new Timing("one tenant, popular burst within 60 s", 1_000, 60_000, 0),
                new Timing("2 tenants, popular burst within 60 s", 1_000, 60_000, 0.5));
        for (Timing t : timings) {
            header("popular image: " + t.name() + "; 200 callers x 30 distinct test images + 1 popular (3 popular images, summed)");
            for (var v : variants.entrySet()) {
                Result sum = null;
                for (int k = 0; k < images.length; k++) {
                    Result r = run(bundle, popular(images[k], 200, 30, t.partners(), t.startSpread(), t.popularWindow(),
                            v.getValue(), 100 + k));
                    sum = merge(sum, r, "img" + k + ":");
                }
                System.out.println(row(v.getKey(), sum));
            }
        }
    }

    /** The first {@code n} test images the model classifies right (popular images: nothing special about them). */
    static int[] popularImages(int n) {
        int[] out = new int[n];
        int found = 0;
        for (int i = 0; found < n; i += 97) {
            if (classifier.predict(test[i]).topIndex() == labels[i]) {
                out[found++] = i;
            }
        }
        return out;
    }

    static Result merge(Result sum, Result r, String prefix) {
        Result into = sum == null ? new Result() : sum;
        for (var e : r.callers.entrySet()) {
            into.callers.put(prefix + e.getKey(), e.getValue());
        }
        into.queries += r.queries;
        into.marked += r.marked;
        into.markedDegraded += r.markedDegraded;
        into.markedBlocked += r.markedBlocked;
        r.markedRules.forEach((k, v) -> into.markedRules.merge(k, v, Integer::sum));
        return into;
    }

    // ------------------------------------------------------------------ 2. batch clients

    List<Event> batch(Kind kind, int images, double perSecond, long startMs, int firstImage) {
        List<Event> ev = new ArrayList<>();
        double gap = 1000.0 / perSecond;
        for (int i = 0; i < images; i++) {
            ev.add(new Event(startMs + (long) (i * gap), "batch", kind, test[(firstImage + i) % test.length], false));
        }
        return ev;
    }

    @Test
    void batchClients() {
        header("batch client: one account, distinct test images in test-set order, open loop (no back-off)");
        for (Kind kind : List.of(Kind.ANALYST_KEY, Kind.RESEARCHER_KEY)) {
            for (int n : new int[] {500, 2000}) {
                for (double rate : new double[] {100, 10, 5, 2, 0.95}) {
                    Result r = run(bundle, batch(kind, n, rate, T0, 0));
                    Stat s = r.callers.get("batch");
                    System.out.println(row(String.format(Locale.ROOT, "%s %d images at %s/s", kind, n, rate), r)
                            + String.format(Locale.ROOT, " | answered %d, degraded answers %d, blocked %d, first block %d",
                                    s.answered, s.degradedCount, s.blockedCount, s.firstBlock));
                }
            }
        }
        header("a client submitting N requests at once (async client, 1 ms apart), analyst API key");
        for (int n : new int[] {50, 100, 200}) {
            Result r = run(bundle, batch(Kind.ANALYST_KEY, n, 1000, T0, 0));
            Stat s = r.callers.get("batch");
            System.out.println(row("burst of " + n, r) + String.format(Locale.ROOT,
                    " | answered %d, degraded answers %d, blocked %d, first block %d", s.answered, s.degradedCount,
                    s.blockedCount, s.firstBlock));
        }
        header("a client submitting N requests at once, then ONE more request 5 s later (analyst API key)");
        for (int n : new int[] {60, 120, 179, 180, 200}) {
            List<Event> ev = batch(Kind.ANALYST_KEY, n, 1000, T0, 0);
            ev.add(new Event(T0 + n + 5_000, "batch", Kind.ANALYST_KEY, test[5000], false));
            Result r = run(bundle, ev);
            Stat s = r.callers.get("batch");
            System.out.println(row("burst of " + n + " then 1", r) + String.format(Locale.ROOT,
                    " | answered %d, rate-limited %d, blocked %d, first block %d", s.answered, s.rateLimited,
                    s.blockedCount, s.firstBlock));
        }
        header("nightly re-scoring: yesterday's 1,000 images again (analyst API key)");
        for (double rate : new double[] {0.95, 5}) {
            for (long hours : new long[] {24, 23, 1}) {
                List<Event> ev = batch(Kind.ANALYST_KEY, 1000, rate, T0, 0);
                ev.addAll(batch(Kind.ANALYST_KEY, 1000, rate, T0 + hours * 3_600_000L, 0));
                Result r = run(bundle, ev);
                Stat s = r.callers.get("batch");
                System.out.println(row(String.format(Locale.ROOT, "1000 at %s/s, again %d h later", rate, hours), r)
                        + String.format(Locale.ROOT, " | answered %d, degraded answers %d, blocked %d, first block %d",
                                s.answered, s.degradedCount, s.blockedCount, s.firstBlock));
            }
        }
        // a nightly job whose images are decoded again (another JPEG library, a resize): near copies of yesterday's
        for (long hours : new long[] {24, 1}) {
            SplittableRandom rnd = new SplittableRandom(3);
            List<Event> ev = batch(Kind.ANALYST_KEY, 1000, 0.95, T0, 0);
            for (Event e : batch(Kind.ANALYST_KEY, 1000, 0.95, T0 + hours * 3_600_000L, 0)) {
                ev.add(new Event(e.ts(), e.caller(), e.kind(), inkNoise(e.x(), 0.02, rnd), false));
            }
            Result r = run(bundle, ev);
            System.out.println(row(String.format(Locale.ROOT, "1000 at 0.95/s, re-decoded copies %d h later", hours), r));
        }
    }

    // ------------------------------------------------------------------ 3. retries

    @Test
    void retries() {
        header("timeout retries: 200 analysts x 30 distinct images, a share of queries resent 1-4 more times within seconds");
        for (double share : new double[] {0, 0.03, 0.05, 0.2, 0.5}) {
            for (String style : List.of("sequential", "two in flight (A,B,A,B..)")) {
                SplittableRandom r = new SplittableRandom(11);
                Pool pool = new Pool(11, -1);
                List<Event> ev = new ArrayList<>();
                for (int c = 0; c < 200; c++) {
                    String name = "user-" + c;
                    long t = T0 + (long) (r.nextDouble() * 1000);
                    for (int k = 0; k < 30; k++) {
                        t += expGap(r, 10_000);
                        double[] a = test[pool.take()];
                        ev.add(new Event(t, name, Kind.ANALYST_JWT, a, false));
                        boolean pair = style.startsWith("two") && k < 29;
                        double[] b = null;
                        if (pair) {
                            b = test[pool.take()];
                            k++;
                            ev.add(new Event(t + 5, name, Kind.ANALYST_JWT, b, false));
                        }
                        if (r.nextDouble() < share) {
                            int extra = share == 0.03 ? 1 : 1 + r.nextInt(4); // 3%: one retry, as calibrated
                            long back = 500;
                            for (int x = 0; x < extra; x++) {
                                t += back + r.nextInt(250);
                                back *= 2;
                                ev.add(new Event(t, name, Kind.ANALYST_JWT, a, false));
                                if (pair) {
                                    ev.add(new Event(t + 5, name, Kind.ANALYST_JWT, b, false));
                                }
                            }
                        }
                    }
                }
                System.out.println(row(String.format(Locale.ROOT, "%s, %.0f%% of requests retried", style, share * 100),
                        run(bundle, ev)));
            }
        }
    }

    /**
     * The mechanism behind the retry rows as they were until knn_global counted each input once per cell
     * (it took off the copies of the query's own vector only, so another input's retries in the same
     * cell counted; now none of them should). For 300 test images X, caller A sends
     * X (once, or 5 times: a request and 4 timeout retries 1 s apart), then caller B (another
     * account, same tenant) sends Y, the real test image nearest to X on 4x4 tile means (a distinct,
     * honest image). Counted: B's answers degraded.
     */
    @Test
    void anotherCallersRetriesDegradeADistinctImage() {
        header("mechanism: A sends X once or 5 times (retries), then B sends Y, the nearest other real test image");
        for (int sends : new int[] {1, 3, 5, 6}) {
            for (boolean sameCaller : new boolean[] {false, true}) {
                List<Event> ev = new ArrayList<>();
                long t = T0;
                for (int k = 0; k < 300; k++) {
                    int xi = k * 31 % test.length;
                    int yi = nearestOnTiles(test, xi);
                    String a = "a-" + k;
                    String bName = sameCaller ? a : "b-" + k;
                    for (int s2 = 0; s2 < sends; s2++) {
                        ev.add(new Event(t + s2 * 1000L, a, Kind.ANALYST_JWT, test[xi], false));
                    }
                    ev.add(new Event(t + sends * 1000L + 500, bName, Kind.ANALYST_JWT, test[yi], true));
                    t += 120_000; // each trial in its own knn_global window
                }
                Result r = run(bundle, ev);
                System.out.println(row(String.format(Locale.ROOT, "X sent %d time(s), then Y by %s", sends,
                        sameCaller ? "the same caller" : "another caller"), r));
            }
        }
    }

    static double[] tiles(double[] x) {
        double[] m = new double[49];
        for (int i = 0; i < 784; i++) {
            m[(i / 28 / 4) * 7 + (i % 28) / 4] += x[i] / 16;
        }
        return m;
    }

    /** The image of {@code images} nearest to image {@code xi} on 4x4 tile means, other than an exact copy. */
    static int nearestOnTiles(double[][] images, int xi) {
        double[] a = tiles(images[xi]);
        int best = -1;
        double bd = Double.MAX_VALUE;
        for (int j = 0; j < images.length; j++) {
            if (j == xi) {
                continue;
            }
            double[] b = tiles(images[j]);
            double d = 0;
            for (int i = 0; i < 49; i++) {
                d += (a[i] - b[i]) * (a[i] - b[i]);
            }
            if (d > 0 && d < bd) {
                bd = d;
                best = j;
            }
        }
        return best;
    }

    // ------------------------------------------------------------------ 4. UI adjusting one image

    @Test
    void uiAdjustments() {
        ui(bundle, Kind.ANALYST_JWT, new int[] {0, 10, 50}, "");
    }

    /**
     * The fix a policy author can make today: UI clients get a role of their own ("interactive")
     * that the per-caller attack blocks leave out, as they leave out researchers: their sessions are
     * then answered with labels only while they look like a walk.
     */
    @Test
    void uiAdjustmentsWithAnInteractiveRoleExemptFromBlocks() throws java.io.IOException {
        Path copy = dir.resolve("ic-interactive");
        MonitoringTests.copyBundle(Path.of("bundles/image-classifier"), copy);
        Path policy = copy.resolve("image-classifier.veil.yaml");
        String y = java.nio.file.Files.readString(policy);
        String[] blocks = {"near-duplicate-block", "knn-block", "antithetic-block", "smooth-block", "antithetic-tenant-block"};
        for (String id : blocks) {
            int at = y.indexOf("- id: " + id + "\n");
            int not = y.indexOf("not: {roles: [researcher]}", at);
            y = y.substring(0, not) + "not: {roles: [researcher, interactive]}" + y.substring(not + "not: {roles: [researcher]}".length());
        }
        java.nio.file.Files.writeString(policy, y);
        ui(PolicyBundle.load(copy), Kind.INTERACTIVE_JWT, new int[] {0, 50}, " [bundle copy: role interactive exempt from the attack blocks]");
    }

    /**
     * antithetic_tenant pairs queries of different callers: A adjusts image P (brightness slider, 8
     * steps 2 s apart), then, {@code gap} later, B (another analyst of the tenant) sends 4 slightly
     * brightened copies of another image Q (too few for knn, which needs 5 earlier queries). 50
     * trials, each in a fresh Guard; the control is B alone, and B in another tenant (a partner).
     * Gaps stay under the detector's 1-hour time to live, which the tenant's every query renews.
     */
    @Test
    void twoCallersOfATenantEachSendingNearCopies() {
        header("antithetic_tenant across callers: A sends 8 brightness steps of P, then B sends 4 brightness steps of Q");
        SplittableRandom r = new SplittableRandom(5);
        for (String aPath : List.of("one way", "random walk")) {
        for (String mode : List.of("B alone", "B 10 s after A", "B 50 min after A", "B (partner tenant) 10 s after A")) {
            Result sum = null;
            Pool pool = new Pool(77, -1);
            for (int k = 0; k < 50; k++) {
                double[] pImg = test[pool.take()];
                double[] qImg = test[pool.take()];
                List<Event> ev = new ArrayList<>();
                long t = T0;
                if (!mode.equals("B alone")) {
                    double v = 0;
                    for (int i = 0; i < 8; i++) {
                        ev.add(new Event(t, "a", Kind.ANALYST_JWT, bright(pImg, 1 + 0.05 * v), false));
                        v += aPath.equals("one way") || r.nextBoolean() ? 1 : -1;
                        t += 2000;
                    }
                }
                t += mode.contains("50 min") ? 3_000_000 : 10_000;
                Kind bk = mode.contains("partner") ? Kind.PARTNER_JWT : Kind.ANALYST_JWT;
                double v = 0;
                for (int i = 0; i < 4; i++) {
                    ev.add(new Event(t, "b", bk, bright(qImg, 1 + 0.05 * v), true));
                    v += aPath.equals("one way") || r.nextBoolean() ? 1 : -1;
                    t += 2000 + r.nextInt(1000);
                }
                Result one = run(bundle, ev);
                one.callers.remove("a"); // B's answers only
                sum = merge(sum, one, "trial" + k + ":");
            }
            System.out.println(row("A and B " + aPath + ": " + mode + " (B only)", sum));
        }
        }
    }

    /** Lone users: each UI user of {@link #uiAdjustments} in a Guard of its own (no tenant-mates, no state from other users). */
    @Test
    void uiEachUserInAFreshGuard() {
        freshGuards = true;
        try {
            ui(bundle, Kind.ANALYST_JWT, new int[] {0}, " [each user in a fresh Guard]", 7_200_000L);
        } finally {
            freshGuards = false;
        }
    }

    static boolean freshGuards;

    void ui(PolicyBundle b, Kind kind, int[] priors, String note) {
        ui(b, kind, priors, note, 7_000L);
    }

    void ui(PolicyBundle b, Kind kind, int[] priors, String note, long spacing) {
        Map<String, java.util.function.BiFunction<double[], Double, double[]>> edits = new LinkedHashMap<>();
        // the slider's value in steps; path: a random walk of +-1 step (users drag back and forth)
        edits.put("brightness (step 0.05)", (x, v) -> bright(x, 1 + 0.05 * v));
        edits.put("rotate (step 2 deg)", (x, v) -> rotate(x, 2 * v));
        edits.put("crop/zoom (step 0.5 px)", (x, v) -> cropZoom(x, 0.5 * Math.abs(v)));
        edits.put("mixed: brightness+rotate", (x, v) -> rotate(bright(x, 1 + 0.05 * v), v));
        for (int prior : priors) {
            for (int session : new int[] {10, 20, 30}) {
                header(String.format(Locale.ROOT,
                        "UI: 50 users each send %d distinct images, then adjust one image %d times (a step every 1-4 s)%s",
                        prior, session, note));
                for (var edit : edits.entrySet()) {
                    for (String path : List.of("random walk", "one way")) {
                        SplittableRandom r = new SplittableRandom(prior * 1000 + session);
                        Pool pool = new Pool(prior * 1000 + session, -1);
                        List<Event> ev = new ArrayList<>();
                        for (int c = 0; c < 50; c++) {
                            String name = "ui-" + c;
                            long t = T0 + c * spacing;
                            for (int k = 0; k < prior; k++) {
                                t += expGap(r, 10_000);
                                ev.add(new Event(t, name, kind, test[pool.take()], false));
                            }
                            double[] base = test[pool.take()];
                            double v = 0;
                            for (int k = 0; k < session; k++) {
                                t += 1000 + r.nextInt(3000);
                                ev.add(new Event(t, name, kind, edit.getValue().apply(base, v), true));
                                v += path.equals("one way") ? 1 : r.nextBoolean() ? 1 : -1;
                                if (path.equals("one way") && v > 8) {
                                    v = 0; // the slider is reset and dragged again
                                }
                            }
                        }
                        Result res;
                        if (freshGuards) {
                            res = null;
                            Map<String, List<Event>> byUser = new LinkedHashMap<>();
                            for (Event e : ev) {
                                byUser.computeIfAbsent(e.caller(), k -> new ArrayList<>()).add(e);
                            }
                            for (List<Event> one : byUser.values()) {
                                res = merge(res, run(b, one), "");
                            }
                        } else {
                            res = run(b, ev);
                        }
                        System.out.println(row(edit.getKey() + ", " + path, res));
                    }
                }
            }
        }
    }
}
