package dev.veil.examples.inversion;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.ReasonCode;
import dev.veil.ReleasedPrediction;
import dev.veil.Request;
import dev.veil.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Veil's main job, end to end (docs: examples/inversion-demo/README.md). A softmax classifier is
 * trained here on real Fashion-MNIST; black-box inversion attackers try to recover what each class
 * of its training data looks like, from the model's confidence scores alone: once against the bare
 * model, once behind a Guard running Veil's shipped {@code image-classifier} bundle unchanged. Honest
 * users send real test images through the same bundle. The demo prints one table (what the attackers
 * got, when they were flagged and blocked, how often honest users were bothered, how accurate the
 * released labels are), writes the reconstructions as a PNG grid, verifies the audit logs, and exits
 * with status 1 when a figure contradicts what this demo claims. One-sided prior NES
 * ({@link #ONE_SIDED}) sends no antithetic pairs; the bundle's {@code smooth} detector stops it. The
 * same attacker adding a fixed fine pattern to its probes ({@link #ADAPTED}) is not stopped: the demo
 * says so in a NOT STOPPED line after the table, and claims only that its attack is real.
 *
 * <pre>InversionDemo [--bundle DIR] [--signing-key JWK] [--data DIR] [--out DIR] [--targets N] [--queries N]
 *               [--honest-callers N] [--images-per-caller N] [--seed N]</pre>
 */
public final class InversionDemo {
    static final Instant START = Instant.parse("2026-12-01T08:00:00Z");
    static final String ISSUER = "https://login.example.com/";
    static final String AUDIENCE = "image-classifier";
    /** Training images of the attacked model: the first half of the training set. */
    static final int TARGET_TRAINING = 30_000;
    /** The attacker's public unlabelled images: test images the honest users do not send. */
    static final int PUBLIC_FROM = 5_000;
    /** The judge's images: training images after the attacked model's. */
    static final int JUDGE_IMAGES = 10_000;
    private static final Pattern TOP_LEVEL_KEY = Pattern.compile("[a-z_]+:");

    /**
     * The attacker of the table's last rows: prior NES with one-sided probes of sigma 1, every probe
     * in a fresh direction, so no antithetic pairs ({@link Attacker#priorNesOneSided}). Until the
     * shipped bundle ran the {@code smooth} detector, it got through (8 of 10 classes); its probes,
     * drawn from 40 principal components, are smoother than real images.
     */
    static final String ONE_SIDED = "prior NES, one-sided, sigma 1";

    /**
     * {@link #ONE_SIDED} adapted to the {@code smooth} detector: a fixed checker of +-0.1 added to every
     * probe's ink ({@link Attacker#priorNesOneSidedTextured}) makes its probes as rough as real images,
     * at no cost to its search. Veil's shipped bundle does not stop it; the demo prints a NOT STOPPED
     * line with its figures and claims only that its attack is real.
     */
    static final String ADAPTED = "prior NES, one-sided, + checker 0.1";

    /**
     * The patient attackers of the rows after the plain ones, behind Veil: claimed as the others are (over 5
     * accounts, each account gets its few answers before its own block).
     */
    static final List<Variant> VARIANTS = List.of(
            new Variant("every 20 s", 20, 1, false),
            new Variant("every 20 s, 5 accounts", 20, 5, false),
            new Variant("every 20 s, 5 accounts, decoys", 20, 5, true));

    private InversionDemo() {}

    /** What to run: where things are, and how much. */
    record Settings(Path bundle, Path signingKey, Path data, Path out, int targets, int queries, int honestCallers,
            int imagesPerCaller, int seed) {
        static Settings parse(String[] args) {
            Map<String, String> given = new HashMap<>();
            for (int i = 0; i < args.length; i += 2) {
                if (i + 1 >= args.length || !args[i].startsWith("--")) {
                    throw new IllegalArgumentException("expected --option value pairs, got '" + String.join(" ", args)
                            + "'; options: --bundle --signing-key --data --out --targets --queries --honest-callers "
                            + "--images-per-caller --seed");
                }
                given.put(args[i].substring(2), args[i + 1]);
            }
            Settings s = new Settings(
                    Path.of(given.getOrDefault("bundle", "policies/bundles/image-classifier")),
                    Path.of(given.getOrDefault("signing-key",
                            "policies/src/test/resources/demo-jwt/image-classifier-es256.private.jwk.json")),
                    Path.of(given.getOrDefault("data", FashionMnist.DEBIAN_DIR.toString())),
                    Path.of(given.getOrDefault("out", "inversion-demo-out")),
                    number(given, "targets", 10, 1, 10),
                    number(given, "queries", 3000, 100, 5000),
                    number(given, "honest-callers", 200, 1, 1000),
                    number(given, "images-per-caller", 25, 1, 50),
                    number(given, "seed", 0, 0, 1_000_000));
            Set<String> known = Set.of("bundle", "signing-key", "data", "out", "targets", "queries", "honest-callers",
                    "images-per-caller", "seed");
            for (String k : given.keySet()) {
                if (!known.contains(k)) {
                    throw new IllegalArgumentException("unknown option --" + k + "; options: --" + String.join(" --",
                            known.stream().sorted().toList()));
                }
            }
            if (s.honestCallers * s.imagesPerCaller > PUBLIC_FROM) {
                throw new IllegalArgumentException("--honest-callers x --images-per-caller is at most " + PUBLIC_FROM
                        + " (the test images the attacker does not use)");
            }
            return s;
        }

        private static int number(Map<String, String> given, String name, int dflt, int min, int max) {
            String v = given.get(name);
            if (v == null) {
                return dflt;
            }
            try {
                int n = Integer.parseInt(v);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("--" + name + " must be a whole number from " + min + " to " + max
                    + ", got '" + v + "'");
        }
    }

    /**
     * One attack on one target class: what was sent (decoys included) and answered (the attacker's
     * probes), refused as unlike the training images, denied otherwise (rate limit, quota: not
     * blocked), when it was first flagged and blocked (and by which monitoring rule it was blocked: "" when never),
     * how many of its probes were answered before that block, and what it got.
     */
    record Attack(int target, int sent, int answered, int refusedAsProbe, int deniedOtherwise, int firstAlarm,
            int firstBlock, String blockRule, int answeredBeforeBlock, double[] reconstruction) {}

    /** What the attacker's queries go to. */
    enum Against {
        /** The model itself: raw scores. */
        BARE("bare model"),
        /** A Guard on the bundle without its monitoring section: access, validation and output minimisation. */
        NO_MONITORING("no monitoring"),
        /** A Guard on the bundle as shipped. */
        VEIL("Veil");

        final String title;

        Against(String title) {
            this.title = title;
        }
    }

    /**
     * How an attacker behind a Guard spends its queries: one every {@code spacingSeconds}, each to
     * the next of {@code accounts} accounts per target (round-robin), and with {@code decoys} a
     * public image after each antithetic pair (as the next query, so from the next account; no
     * detector may tell it from a real query).
     */
    record Variant(String name, int spacingSeconds, int accounts, boolean decoys) {
        static final Variant PLAIN = new Variant("", 1, 1, false);
    }

    /** One attacker over every target, against one of the three. */
    record Row(String attacker, Against against, Variant variant, List<Attack> attacks) {
        /** The row's name in the table. */
        String title() {
            return attacker + (variant.name().isEmpty() ? "" : ", " + variant.name());
        }

        /** Whether the demo claims that Veil stops this row's attacker: all but {@link #ADAPTED}. */
        boolean claimedStopped() {
            return !attacker.equals(ADAPTED);
        }
    }

    /** Honest users through the same bundle. */
    record Honest(int callers, int queries, int flaggedCallers, int blockedCallers, int refused,
            int deniedOtherwise, int released, int releasedRight, int bareRight) {}

    /** Everything the table shows. */
    record Result(double targetAccuracy, double judgeAccuracy, List<Row> rows, Honest honest, double[][] classMeans,
            double[] start, Softmax target, Knn judge, List<String> audits) {}

    /** Runs the demo; exits 1 when a figure contradicts the demo's claims, 2 on a bad argument or missing data. */
    public static void main(String[] args) {
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("inversion demo: " + e.getMessage());
            System.exit(2);
            return;
        }
        Result result;
        try {
            result = run(settings, System.out::println);
        } catch (IllegalStateException | UncheckedIOException | dev.veil.VeilException e) {
            System.err.println("inversion demo: " + e.getMessage());
            System.exit(2);
            return;
        }
        List<String> broken = check(result);
        if (!broken.isEmpty()) {
            System.out.println();
            broken.forEach(b -> System.out.println("CLAIM FAILED: " + b));
            System.exit(1);
        }
        System.out.println();
        System.out.println("every claim of the demo held; it does not claim that Veil stops " + ADAPTED
                + " (the line after the table).");
    }

    /** Runs everything and prints the table through {@code out}. */
    static Result run(Settings s, java.util.function.Consumer<String> out) {
        PolicyBundle bundle = PolicyBundle.load(s.bundle);
        prepare(s.out);
        PolicyBundle unmonitored = PolicyBundle.load(withoutMonitoring(s.bundle, s.out.resolve("bundle-without-monitoring")));
        ECKey signingKey = signingKey(s.signingKey);
        out.accept("loading Fashion-MNIST from " + s.data + " ...");
        FashionMnist data = FashionMnist.load(s.data);
        int n = data.trainImages().length;
        Softmax target = Softmax.train(data.trainImages(), data.trainLabels(), 0, TARGET_TRAINING, 10, 5, 1 + s.seed);
        Knn judge = new Knn(data.trainImages(), data.trainLabels(), TARGET_TRAINING, TARGET_TRAINING + JUDGE_IMAGES);
        double targetAccuracy = target.accuracy(data.testImages(), data.testLabels(), 0, data.testImages().length);
        double judgeAccuracy = judge.accuracy(data.testImages(), data.testLabels(), 0, 1000);
        out.accept(String.format(Locale.ROOT, "the model under attack: softmax regression on training images 0 to %,d "
                + "(test accuracy %.1f%%); the judge: 10 nearest neighbours among training images %,d to %,d (%.1f%% "
                + "on 1,000 test images)", TARGET_TRAINING - 1, 100 * targetAccuracy, TARGET_TRAINING,
                TARGET_TRAINING + JUDGE_IMAGES - 1, 100 * judgeAccuracy));
        double[][] classMeans = classMeans(data, TARGET_TRAINING);
        Pca basis = Pca.learn(data.testImages(), PUBLIC_FROM, data.testImages().length, 40, 7);
        double[] start = basis.image(new double[basis.size()]);
        out.accept(String.format(Locale.ROOT, "the attackers: %d target classes, %,d queries each (one a second, one "
                + "account per target, unless the row says otherwise); all start from the mean of %,d public "
                + "unlabelled images (test images %,d to %,d), from which the prior attackers also learn 40 principal "
                + "components", s.targets, s.queries, data.testImages().length - PUBLIC_FROM, PUBLIC_FROM,
                data.testImages().length - 1));

        Model<double[]> model = Model.ofVector(
                ModelInfo.of("fashion-softmax", "demo", START.minus(Duration.ofDays(10))),
                x -> Prediction.classification(FashionMnist.CLASSES, target.probabilities(x)));
        List<Row> rows = new ArrayList<>();
        List<String> audits = new ArrayList<>();
        Function<Integer, Attacker> pixel = t -> Attacker.pixelNes(start, 0.02, 0.01, 100 + t + 1000L * s.seed);
        Function<Integer, Attacker> prior = t -> Attacker.priorNes(basis, 0.5, 0.05, 200 + t + 1000L * s.seed);
        Function<Integer, Attacker> oneSided = t -> Attacker.priorNesOneSided(basis, 1.0, 0.05,
                200 + t + 1000L * s.seed);
        threeRows("pixel NES", "pixel", pixel, rows, audits, target, model, unmonitored, bundle, signingKey, data, s);
        threeRows("prior NES", "prior", prior, rows, audits, target, model, unmonitored, bundle, signingKey, data, s);
        for (Variant v : VARIANTS) {
            Path audit = s.out.resolve("audit-prior-" + v.name().replaceAll("[^a-z0-9]+", "-") + ".jsonl");
            rows.add(new Row("prior NES", Against.VEIL, v, attackGuard(model, bundle, audit, signingKey, prior, v, data,
                    s)));
            audits.add(verify(audit));
        }
        threeRows(ONE_SIDED, "prior-one-sided", oneSided, rows, audits, target, model, unmonitored, bundle, signingKey,
                data, s);
        Function<Integer, Attacker> adapted = t -> Attacker.priorNesOneSidedTextured(basis, 1.0, 0.05, 0.1,
                200 + t + 1000L * s.seed);
        threeRows(ADAPTED, "prior-one-sided-checker", adapted, rows, audits, target, model, unmonitored, bundle,
                signingKey, data, s);
        Path honestAudit = s.out.resolve("audit-honest.jsonl");
        Honest honest = honest(model, bundle, honestAudit, signingKey, target, data, s);
        audits.add(verify(honestAudit));
        Result result = new Result(targetAccuracy, judgeAccuracy, rows, honest, classMeans, start, target, judge,
                audits);
        print(result, s, out);
        Path png = s.out.resolve("reconstructions.png");
        ImageGrid.write(png, grid(result, s.targets));
        out.accept("");
        out.accept("reconstructions: " + png.toAbsolutePath() + " (a row per target class; columns: the mean of the "
                + "class's training images, which the attacker is after, then one per row of the table, in its order)");
        audits.forEach(line -> out.accept("audit: " + line));
        return result;
    }

    /** The rows of {@code attacker} against the bare model, the bundle without monitoring and Veil. */
    private static void threeRows(String attacker, String file, Function<Integer, Attacker> make, List<Row> rows,
            List<String> audits, Softmax target, Model<double[]> model, PolicyBundle unmonitored, PolicyBundle bundle,
            ECKey signingKey, FashionMnist data, Settings s) {
        rows.add(new Row(attacker, Against.BARE, Variant.PLAIN, attackBare(target, make, s)));
        Path plain = s.out.resolve("audit-" + file + "-no-monitoring.jsonl");
        rows.add(new Row(attacker, Against.NO_MONITORING, Variant.PLAIN,
                attackGuard(model, unmonitored, plain, signingKey, make, Variant.PLAIN, data, s)));
        audits.add(verify(plain));
        Path audit = s.out.resolve("audit-" + file + ".jsonl");
        rows.add(new Row(attacker, Against.VEIL, Variant.PLAIN,
                attackGuard(model, bundle, audit, signingKey, make, Variant.PLAIN, data, s)));
        audits.add(verify(audit));
    }

    private static List<Attack> attackBare(Softmax model, Function<Integer, Attacker> make, Settings s) {
        List<Attack> attacks = new ArrayList<>();
        for (int t = 0; t < s.targets; t++) {
            Attacker attacker = make.apply(t);
            for (int q = 0; q < s.queries; q++) {
                attacker.answer(model.probabilities(attacker.next())[t]);
            }
            attacks.add(new Attack(t, s.queries, s.queries, 0, 0, -1, -1, "", s.queries,
                    attacker.reconstruction()));
        }
        return attacks;
    }

    private static List<Attack> attackGuard(Model<double[]> model, PolicyBundle bundle, Path audit, ECKey key,
            Function<Integer, Attacker> make, Variant v, FashionMnist data, Settings s) {
        MutableClock clock = new MutableClock(START);
        SplittableRandom decoys = new SplittableRandom(31 + s.seed);
        List<Attack> attacks = new ArrayList<>();
        try (Guard<double[]> guard = Guard.builder(model).policy(bundle).audit(AuditLog.jsonLines(audit)).clock(clock)
                .build()) {
            for (int t = 0; t < s.targets; t++) {
                Attacker attacker = make.apply(t);
                String label = FashionMnist.CLASSES.get(t);
                Credentials[] accounts = new Credentials[v.accounts()];
                for (int k = 0; k < accounts.length; k++) {
                    accounts[k] = Credentials.bearer(token(key, "mallory-" + label + "-" + k, clock.instant()));
                }
                int answered = 0;
                int refused = 0;
                int other = 0;
                int firstAlarm = -1;
                int firstBlock = -1;
                String blockRule = "";
                int answeredBeforeBlock = 0;
                for (int q = 0; q < s.queries; q++) {
                    clock.advance(Duration.ofSeconds(v.spacingSeconds()));
                    Credentials account = accounts[q % accounts.length];
                    boolean decoy = v.decoys() && q % 3 == 2; // a public image after each pair of probes
                    double[] x = decoy
                            ? data.testImages()[PUBLIC_FROM + decoys.nextInt(data.testImages().length - PUBLIC_FROM)]
                            : attacker.next();
                    Response r = guard.predict(Request.of(account, x));
                    if (r instanceof Response.Released ok) {
                        if (!decoy) {
                            answered++;
                            answeredBeforeBlock += firstBlock < 0 ? 1 : 0;
                            attacker.answer(score(ok.prediction(), label));
                        }
                        if (firstAlarm < 0 && (ok.degraded() || !ok.alerts().isEmpty())) {
                            firstAlarm = q;
                        }
                    } else {
                        ReasonCode code = ((Response.Denied) r).reason().code();
                        if (code == ReasonCode.BLOCKED) {
                            if (firstBlock < 0) {
                                firstBlock = q;
                                blockRule = ((Response.Denied) r).reason().rule();
                            }
                            if (firstAlarm < 0) {
                                firstAlarm = q;
                            }
                        } else if (decoy) {
                            continue; // what happens to a decoy is not the attack's: answered, refused, other
                        } else if (code == ReasonCode.OUT_OF_DISTRIBUTION) {
                            refused++;
                            attacker.refused(); // it would be refused again: a fresh direction instead
                        } else {
                            other++;
                        }
                    }
                }
                attacks.add(new Attack(t, s.queries, answered, refused, other, firstAlarm, firstBlock,
                        blockRule, answeredBeforeBlock, attacker.reconstruction()));
            }
        }
        return attacks;
    }

    /** What the attacker reads from a released answer: the target's score, 0 when it is not released. */
    static double score(ReleasedPrediction p, String label) {
        if (p.scores().isEmpty()) { // labels only: all the attacker learns is whether the label is its target
            return label.equals(p.label()) ? 1 : 0;
        }
        return p.scores().stream().filter(x -> x.label().equals(label)).mapToDouble(ReleasedPrediction.ScoredLabel::score)
                .findFirst().orElse(0);
    }

    private static Honest honest(Model<double[]> model, PolicyBundle bundle, Path audit, ECKey key, Softmax target,
            FashionMnist data, Settings s) {
        MutableClock clock = new MutableClock(START);
        SplittableRandom random = new SplittableRandom(11 + s.seed);
        int[] next = new int[s.honestCallers];
        Credentials[] accounts = new Credentials[s.honestCallers];
        for (int c = 0; c < accounts.length; c++) {
            accounts[c] = Credentials.bearer(token(key, "user-" + c, clock.instant()));
        }
        Set<Integer> flagged = new HashSet<>();
        Set<Integer> blocked = new HashSet<>();
        int queries = s.honestCallers * s.imagesPerCaller;
        int refused = 0;
        int other = 0;
        int released = 0;
        int releasedRight = 0;
        int bareRight = 0;
        // Each caller sends its own distinct images; callers take turns at random, about one query in 0.7 s overall.
        List<Integer> turns = new ArrayList<>();
        for (int c = 0; c < s.honestCallers; c++) {
            for (int i = 0; i < s.imagesPerCaller; i++) {
                turns.add(c);
            }
        }
        for (int i = turns.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            turns.set(j, turns.set(i, turns.get(j)));
        }
        try (Guard<double[]> guard = Guard.builder(model).policy(bundle).audit(AuditLog.jsonLines(audit)).clock(clock)
                .build()) {
            for (int caller : turns) {
                clock.advance(Duration.ofMillis(200 + random.nextInt(1000)));
                int image = caller * s.imagesPerCaller + next[caller]++;
                double[] x = data.testImages()[image];
                String truth = FashionMnist.CLASSES.get(data.testLabels()[image]);
                if (target.classify(x) == data.testLabels()[image]) {
                    bareRight++;
                }
                Response r = guard.predict(Request.of(accounts[caller], x));
                if (r instanceof Response.Released ok) {
                    released++;
                    releasedRight += truth.equals(ok.prediction().label()) ? 1 : 0;
                    if (ok.degraded() || !ok.alerts().isEmpty()) {
                        flagged.add(caller);
                    }
                } else if (((Response.Denied) r).reason().code() == ReasonCode.OUT_OF_DISTRIBUTION) {
                    refused++;
                } else if (((Response.Denied) r).reason().code() == ReasonCode.BLOCKED) {
                    flagged.add(caller);
                    blocked.add(caller);
                } else {
                    other++; // a rate limit, a quota: no honest user of this demo should meet one
                }
            }
        }
        return new Honest(s.honestCallers, queries, flagged.size(), blocked.size(), refused, other, released,
                releasedRight, bareRight);
    }

    /** Creates {@code out} and removes the audit logs of an earlier run (each run writes new chains). */
    private static void prepare(Path out) {
        try {
            Files.createDirectories(out);
            try (Stream<Path> old = Files.list(out)) {
                for (Path p : old.filter(p -> p.getFileName().toString().matches("audit-.*\\.jsonl")).toList()) {
                    Files.delete(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the output directory " + out + ": " + e.getMessage(), e);
        }
    }

    /**
     * A copy of the bundle at {@code bundle} in {@code copy}, whose policy file has no {@code monitoring}
     * section: the same access, validation, output and logging, no detectors.
     */
    static Path withoutMonitoring(Path bundle, Path copy) {
        try {
            if (Files.exists(copy)) {
                try (Stream<Path> old = Files.walk(copy)) {
                    for (Path p : old.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
            List<Path> policies = new ArrayList<>();
            try (Stream<Path> files = Files.walk(bundle)) {
                for (Path p : files.sorted().toList()) {
                    Path to = copy.resolve(bundle.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(to);
                    } else {
                        Files.copy(p, to);
                        if (p.getFileName().toString().endsWith(".veil.yaml")) {
                            policies.add(to);
                        }
                    }
                }
            }
            if (policies.size() != 1) {
                throw new IllegalStateException("the bundle " + bundle + " should hold one *.veil.yaml file, holds "
                        + policies.size());
            }
            List<String> kept = new ArrayList<>();
            boolean inMonitoring = false;
            boolean found = false;
            for (String line : Files.readAllLines(policies.get(0), StandardCharsets.UTF_8)) {
                if (TOP_LEVEL_KEY.matcher(line).lookingAt()) {
                    inMonitoring = line.startsWith("monitoring:");
                    found |= inMonitoring;
                }
                if (!inMonitoring) {
                    kept.add(line);
                }
            }
            if (!found) {
                throw new IllegalStateException("the bundle " + bundle + " has no monitoring section to take out");
            }
            Files.write(policies.get(0), kept, StandardCharsets.UTF_8);
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the bundle " + bundle + " to " + copy + ": " + e.getMessage(), e);
        }
    }

    private static String verify(Path audit) {
        AuditVerification v = AuditLog.verify(audit);
        return audit.getFileName() + ": " + v;
    }

    private static double[][] classMeans(FashionMnist data, int to) {
        double[][] means = new double[10][data.trainImages()[0].length];
        int[] counts = new int[10];
        for (int i = 0; i < to; i++) {
            int y = data.trainLabels()[i];
            counts[y]++;
            for (int j = 0; j < means[y].length; j++) {
                means[y][j] += data.trainImages()[i][j];
            }
        }
        for (int y = 0; y < 10; y++) {
            for (int j = 0; j < means[y].length; j++) {
                means[y][j] /= counts[y];
            }
        }
        return means;
    }

    /** Pearson correlation of two images (the start image, the mean of all images, has 0.76 with a class's mean). */
    static double correlation(double[] a, double[] b) {
        double ma = Arrays.stream(a).average().orElse(0);
        double mb = Arrays.stream(b).average().orElse(0);
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (a[i] - ma) * (b[i] - mb);
            aa += (a[i] - ma) * (a[i] - ma);
            bb += (b[i] - mb) * (b[i] - mb);
        }
        return aa == 0 || bb == 0 ? 0 : ab / Math.sqrt(aa * bb);
    }

    /** How many of a row's reconstructions the judge takes for their target class. */
    static int recognised(Result r, Row row) {
        return (int) row.attacks().stream().filter(a -> r.judge().classify(a.reconstruction()) == a.target()).count();
    }

    /** The mean confidence of the attacked model in the target class, on the row's reconstructions. */
    static double meanConfidence(Result r, Row row) {
        return row.attacks().stream().mapToDouble(a -> r.target().probabilities(a.reconstruction())[a.target()])
                .average().orElse(0);
    }

    /** The mean correlation of the row's reconstructions with their class's mean training image. */
    static double meanSimilarity(Result r, Row row) {
        return row.attacks().stream().mapToDouble(a -> correlation(a.reconstruction(), r.classMeans()[a.target()]))
                .average().orElse(0);
    }

    /** The mean correlation of the start image with the targets' class means: where every attack begins. */
    static double startSimilarity(Result r, int targets) {
        double sum = 0;
        for (int t = 0; t < targets; t++) {
            sum += correlation(r.start(), r.classMeans()[t]);
        }
        return sum / targets;
    }

    private static String median(List<Attack> attacks, Function<Attack, Integer> f) {
        int[] v = attacks.stream().mapToInt(f::apply).toArray();
        if (Arrays.stream(v).allMatch(x -> x < 0)) {
            return "never";
        }
        long never = Arrays.stream(v).filter(x -> x < 0).count();
        int[] seen = Arrays.stream(v).filter(x -> x >= 0).sorted().toArray();
        String m = String.valueOf(seen[seen.length / 2]);
        return never == 0 ? m : m + " (" + never + " never)";
    }

    private static void print(Result r, Settings s, java.util.function.Consumer<String> out) {
        out.accept("");
        String format = "%-41s %-13s %8s %8s %7s %6s %6s %13s %9s %10s %10s";
        out.accept(String.format(Locale.ROOT, format, "attacker", "against", "queries", "answered", "refused", "other",
                "alarm", "blocked", "p(target)", "recognised", "similarity"));
        out.accept(String.format(Locale.ROOT, format, "(none: the start, the mean public image)", "", "", "", "", "",
                "", "", String.format(Locale.ROOT, "%.2f", startConfidence(r, s)),
                startRecognised(r, s) + "/" + s.targets, String.format(Locale.ROOT, "%.2f", startSimilarity(r, s.targets))));
        for (Row row : r.rows()) {
            boolean guarded = row.against() != Against.BARE;
            out.accept(String.format(Locale.ROOT, format, row.title(), row.against().title,
                    String.format(Locale.ROOT, "%,d", row.attacks().stream().mapToInt(Attack::sent).sum()),
                    String.format(Locale.ROOT, "%,d", row.attacks().stream().mapToInt(Attack::answered).sum()),
                    String.format(Locale.ROOT, "%,d", row.attacks().stream().mapToInt(Attack::refusedAsProbe).sum()),
                    String.format(Locale.ROOT, "%,d", row.attacks().stream().mapToInt(Attack::deniedOtherwise).sum()),
                    guarded ? median(row.attacks(), Attack::firstAlarm) : "-",
                    guarded ? median(row.attacks(), Attack::firstBlock) : "-",
                    String.format(Locale.ROOT, "%.2f", meanConfidence(r, row)),
                    recognised(r, row) + "/" + s.targets,
                    String.format(Locale.ROOT, "%.2f", meanSimilarity(r, row))));
        }
        for (Row row : r.rows()) {
            if (row.against() == Against.VEIL && !row.claimedStopped()) {
                out.accept("");
                out.accept(notStopped(r, row));
            }
        }
        Honest h = r.honest();
        out.accept("");
        out.accept(String.format(Locale.ROOT, "honest users: %d callers sent %,d real test images of mixed classes "
                + "through Veil: %d flagged (alerted, degraded or blocked), %d blocked, %d otherwise denied, %d images "
                + "refused as unlike the training data; released labels %.1f%% right (the bare model: %.1f%%)",
                h.callers(), h.queries(), h.flaggedCallers(), h.blockedCallers(), h.deniedOtherwise(), h.refused(),
                100.0 * h.releasedRight() / Math.max(1, h.released()), 100.0 * h.bareRight() / h.queries()));
        out.accept("");
        out.accept("queries, answered, refused, other: totals over the targets (queries include decoys; answered, "
                + "refused, other: the attacker's probes, answered, refused as unlike the training images, denied by a "
                + "rate limit or quota). "
                + "alarm, blocked: the median over targets of the 0-based query at which Veil first alerted, degraded "
                + "or blocked the target's accounts, and first refused one as blocked. p(target): the attacked model's "
                + "mean confidence in the target class on the reconstructions. recognised: how many reconstructions an "
                + "independent judge (10 nearest neighbours among training images the model never saw) takes for their "
                + "target class (chance: 1 in 10). similarity: mean correlation with the mean training image of the "
                + "target class.");
    }

    private static double startConfidence(Result r, Settings s) {
        double sum = 0;
        for (int t = 0; t < s.targets; t++) {
            sum += r.target().probabilities(r.start())[t];
        }
        return sum / s.targets;
    }

    private static int startRecognised(Result r, Settings s) {
        int c = r.judge().classify(r.start());
        return c < s.targets ? 1 : 0;
    }

    private static List<List<double[]>> grid(Result r, int targets) {
        List<List<double[]>> rows = new ArrayList<>();
        for (int t = 0; t < targets; t++) {
            List<double[]> row = new ArrayList<>();
            row.add(r.classMeans()[t]);
            for (Row attack : r.rows()) {
                row.add(attack.attacks().get(t).reconstruction());
            }
            rows.add(row);
        }
        return rows;
    }

    /** The demo's claims; each broken one, said. */
    static List<String> check(Result r) {
        List<String> broken = new ArrayList<>();
        for (Row row : r.rows()) {
            int targets = row.attacks().size();
            int recognised = recognised(r, row);
            // the prior attackers' attacks are real: they work on the bare model, and output minimisation alone
            // does not stop them
            if (row.against() != Against.VEIL && row.attacker().startsWith("prior")
                    && recognised < (targets * 7 + 9) / 10) {
                broken.add(row.attacker() + " should recover most classes (at least 70%) against the "
                        + row.against().title + ", recovered " + recognised + " of " + targets);
            }
            if (row.against() == Against.VEIL && row.claimedStopped()) {
                broken.addAll(stopFailures(r, row));
            }
        }
        Honest h = r.honest();
        if (h.flaggedCallers() * 100 > h.callers()) {
            broken.add("at most 1% of honest callers should be flagged; " + h.flaggedCallers() + " of " + h.callers()
                    + " were");
        }
        if (h.deniedOtherwise() > 0) {
            broken.add("no honest request should meet a rate limit or quota; " + h.deniedOtherwise() + " did");
        }
        if (h.releasedRight() * 100L < (long) h.released() * 95 * h.bareRight() / h.queries()) {
            broken.add("released labels should be about as accurate as the bare model's");
        }
        for (String a : r.audits()) {
            if (!a.contains(": ok ")) {
                broken.add("an audit log does not verify: " + a);
            }
        }
        return broken;
    }

    /**
     * What "Veil stops the attacker of {@code row}" would need and the row does not show: at most 30% of
     * the classes recognised (chance is 10%), the model's mean confidence in the targets on the
     * reconstructions at most 0.3, every target whose accounts got an answer flagged within 50 queries.
     * Empty when the row shows Veil stopping it.
     */
    static List<String> stopFailures(Result r, Row row) {
        List<String> broken = new ArrayList<>();
        int targets = row.attacks().size();
        int recognised = recognised(r, row);
        if (recognised > Math.max(1, (targets * 3 + 9) / 10)) {
            broken.add(row.title() + " behind Veil should recover at most 30% of the classes (chance is "
                    + "10%), recovered " + recognised + " of " + targets);
        }
        if (meanConfidence(r, row) > 0.3) {
            broken.add(row.title() + " behind Veil should not raise the model's confidence in its targets "
                    + "above 0.3 on average; it reached " + meanConfidence(r, row));
        }
        for (Attack a : row.attacks()) {
            if (a.answered() > 0 && (a.firstAlarm() < 0 || a.firstAlarm() >= 50)) {
                broken.add(row.title() + " behind Veil, target " + FashionMnist.CLASSES.get(a.target())
                        + ": flagged at query " + a.firstAlarm() + " (-1: never), not within 50");
            }
        }
        return broken;
    }

    /**
     * The line printed after the table for a Veil row whose attacker the demo does not claim Veil stops:
     * "NOT STOPPED: ..." with what it got, or, should this run have stopped it, a line that says so.
     */
    static String notStopped(Result r, Row row) {
        List<Attack> attacks = row.attacks();
        long neverBlocked = attacks.stream().filter(a -> a.firstBlock() < 0).count();
        String figures = String.format(Locale.ROOT, "%d of %d classes recognised, %,d answers of %,d queries; first "
                + "block at query %s (median; by %s); %d of %d accounts never blocked", recognised(r, row),
                attacks.size(), attacks.stream().mapToInt(Attack::answered).sum(),
                attacks.stream().mapToInt(Attack::sent).sum(), median(attacks, Attack::firstBlock),
                String.join(", ", attacks.stream().map(Attack::blockRule).filter(x -> !x.isEmpty()).distinct().sorted()
                        .toList()), neverBlocked, attacks.size());
        return stopFailures(r, row).isEmpty()
                ? "not claimed, but stopped in this run: " + row.title() + " behind Veil: " + figures
                : "NOT STOPPED: " + row.title() + " behind Veil: " + figures + ". Its probes carry a fixed fine pattern "
                        + "that makes them as rough as real images (README, \"What the demo does not stop\").";
    }

    private static ECKey signingKey(Path file) {
        try {
            return ECKey.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the demo signing key " + file + ": " + e.getMessage()
                    + " (run the demo from the repository's root, or pass --signing-key)", e);
        } catch (ParseException e) {
            throw new IllegalStateException("the demo signing key " + file + " is not an EC JWK: " + e.getMessage(), e);
        }
    }

    /** An analyst's token of tenant acme for {@code subject}, signed as the bundle's demo identity provider. */
    private static String token(ECKey key, String subject, Instant now) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE).subject(subject)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofDays(2))))
                .claim("roles", List.of("analyst")).claim("tenant", "acme").build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims);
        try {
            jwt.sign(new ECDSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a demo token: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }

    /** A clock the demo moves: the attack runs over hours of simulated time in seconds. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("the demo's clock has one zone, UTC");
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
