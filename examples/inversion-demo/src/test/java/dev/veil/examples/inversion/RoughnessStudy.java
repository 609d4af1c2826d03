package dev.veil.examples.inversion;

import dev.veil.internal.monitor.SmoothDetector;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Would {@code smooth}'s roughness, measured on the difference between a caller's consecutive
 * queries instead of on each query, tell the attacker adapted to {@code smooth} (a fixed checker on
 * every probe, which cancels in a difference) from honest callers? Prints the percentiles of the
 * roughness of single queries and of consecutive differences: honest callers sending random test
 * images (of mixed classes, and of one class), and the one-sided prior attackers of the demo, plain
 * and with the checker, against the bare model (1,000 queries per target, 10 targets, seed 0's
 * model). Not a test: a study whose figures examples/inversion-demo/README.md quotes.
 *
 * <pre>{@code
 * mvn -q -f examples/inversion-demo/pom.xml test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.veil.examples.inversion.RoughnessStudy
 * }</pre>
 */
final class RoughnessStudy {
    private static final int WIDTH = 28;
    private static final int QUERIES = 1_000;
    private static final int HONEST_PAIRS = 10_000;

    private RoughnessStudy() {}

    public static void main(String[] args) {
        FashionMnist data = FashionMnist.load(args.length > 0 ? Path.of(args[0]) : FashionMnist.DEBIAN_DIR);
        Softmax target = Softmax.train(data.trainImages(), data.trainLabels(), 0, InversionDemo.TARGET_TRAINING, 10,
                5, 1);
        double[][] test = data.testImages();
        int[] labels = data.testLabels();
        Pca basis = Pca.learn(test, InversionDemo.PUBLIC_FROM, test.length, 40, 7);
        SplittableRandom r = new SplittableRandom(0);
        // honest callers send test images the attackers did not learn from (0 to PUBLIC_FROM - 1)
        int pool = InversionDemo.PUBLIC_FROM;
        double[] single = new double[HONEST_PAIRS];
        double[] mixed = new double[HONEST_PAIRS];
        double[] sameClass = new double[HONEST_PAIRS];
        for (int i = 0; i < HONEST_PAIRS; i++) {
            int a = r.nextInt(pool);
            int b = other(r, pool, a, -1, labels);
            int c = other(r, pool, a, labels[a], labels);
            single[i] = SmoothDetector.roughness(test[a], WIDTH);
            mixed[i] = SmoothDetector.roughness(difference(test[a], test[b]), WIDTH);
            sameClass[i] = SmoothDetector.roughness(difference(test[a], test[c]), WIDTH);
        }
        System.out.println("roughness (smooth's floor: 0.238)        p1     p5    p25    p50    p75    p95");
        print("honest, one image", single);
        print("honest, difference, mixed classes", mixed);
        print("honest, difference, one class", sameClass);
        for (double texture : new double[] {0, 0.1}) {
            double[] probes = new double[10 * QUERIES];
            double[] steps = new double[10 * (QUERIES - 1)];
            for (int t = 0; t < 10; t++) {
                Attacker attacker = texture == 0 ? Attacker.priorNesOneSided(basis, 1.0, 0.05, 200 + t)
                        : Attacker.priorNesOneSidedTextured(basis, 1.0, 0.05, texture, 200 + t);
                double[] previous = null;
                for (int q = 0; q < QUERIES; q++) {
                    double[] probe = attacker.next().clone();
                    probes[t * QUERIES + q] = SmoothDetector.roughness(probe, WIDTH);
                    if (previous != null) {
                        steps[t * (QUERIES - 1) + q - 1] = SmoothDetector.roughness(difference(probe, previous), WIDTH);
                    }
                    previous = probe;
                    attacker.answer(target.probabilities(probe)[t]);
                }
            }
            String name = texture == 0 ? "one-sided" : "one-sided + checker " + texture;
            print(name + ", one probe", probes);
            print(name + ", difference", steps);
        }
    }

    /** A random index below {@code pool}, not {@code not}, of class {@code label} (any class when -1). */
    private static int other(SplittableRandom r, int pool, int not, int label, int[] labels) {
        int i;
        do {
            i = r.nextInt(pool);
        } while (i == not || label >= 0 && labels[i] != label);
        return i;
    }

    private static double[] difference(double[] a, double[] b) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    private static void print(String name, double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-40s", name));
        for (double p : new double[] {0.01, 0.05, 0.25, 0.5, 0.75, 0.95}) {
            line.append(String.format(Locale.ROOT, " %6.3f", s[(int) (p * (s.length - 1))]));
        }
        System.out.println(line);
    }
}
