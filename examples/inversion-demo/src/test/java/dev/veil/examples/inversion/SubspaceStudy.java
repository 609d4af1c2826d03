package dev.veil.examples.inversion;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Would a caller's recent queries lying in a low-dimensional affine subspace tell the prior
 * attackers (whose probes are points of a 40-component PCA basis, with or without a fixed checker)
 * from honest callers? For each query after the first {@code w}, the share of its distance from the
 * mean of the caller's previous {@code w} queries that lies outside their span (the relative
 * residual of a least-squares fit; 0 when the query is an affine combination of them), averaged over
 * {@link #RUN} consecutive queries. Prints its percentiles over every stream's full windows, for 200
 * honest callers sending 150 distinct random test images each (of mixed classes, and of one class),
 * the demo's prior attackers against the bare model (10 targets, 150 queries each), and the adapted
 * one with fresh Gaussian noise of 0.05 added to the ink of every probe, an attacker who knows this
 * measure; then, against a floor at the 0.5th percentile of the honest callers' smallest values, the
 * median first query below it, and how many of the 10 targets the demo's judge recognises in each
 * attack's reconstruction after 3,000 queries per target on the bare model (the demo's budget). Not a test: a study whose figures examples/inversion-demo/README.md
 * quotes.
 *
 * <pre>{@code
 * mvn -q -f examples/inversion-demo/pom.xml test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.veil.examples.inversion.SubspaceStudy           # -Drun=1: single queries
 * }</pre>
 */
final class SubspaceStudy {
    private static final int HONEST_CALLERS = 200;
    private static final int QUERIES = 150;
    /** Each attack's queries per target, as in the demo (30,000 for 10 targets), for its outcome. */
    private static final int BUDGET = 3_000;

    private SubspaceStudy() {}

    public static void main(String[] args) {
        FashionMnist data = FashionMnist.load(FashionMnist.DEBIAN_DIR);
        Softmax target = Softmax.train(data.trainImages(), data.trainLabels(), 0, InversionDemo.TARGET_TRAINING, 10,
                5, 1);
        double[][] test = data.testImages();
        int[] labels = data.testLabels();
        Pca basis = Pca.learn(test, InversionDemo.PUBLIC_FROM, test.length, 40, 7);
        Knn judge = new Knn(data.trainImages(), data.trainLabels(), InversionDemo.TARGET_TRAINING,
                InversionDemo.TARGET_TRAINING + InversionDemo.JUDGE_IMAGES);
        int pool = InversionDemo.PUBLIC_FROM;
        for (int w : new int[] {50, 100}) {
            System.out.printf(Locale.ROOT, "window %d, mean of %d: p0.1     p1     p5    p25    p50   | below the floor:"
                    + " median first query (0-based), streams%n", w, RUN);
            SplittableRandom r = new SplittableRandom(1);
            double[][] honestMixed = new double[HONEST_CALLERS][];
            double[][] honestOne = new double[HONEST_CALLERS][];
            for (int c = 0; c < HONEST_CALLERS; c++) {
                double[][] mixed = new double[QUERIES][];
                double[][] one = new double[QUERIES][];
                int label = r.nextInt(10);
                java.util.Set<Integer> seen = new java.util.HashSet<>(); // distinct images: copies are not counted
                java.util.Set<Integer> seenOne = new java.util.HashSet<>();
                for (int q = 0; q < QUERIES; q++) {
                    int m;
                    do {
                        m = r.nextInt(pool);
                    } while (!seen.add(m));
                    mixed[q] = test[m];
                    int i;
                    do {
                        i = r.nextInt(pool);
                    } while (labels[i] != label || !seenOne.add(i));
                    one[q] = test[i];
                }
                honestMixed[c] = smoothed(residuals(mixed, w));
                honestOne[c] = smoothed(residuals(one, w));
            }
            double floor = Math.min(quantile(minima(honestMixed), 0.005), quantile(minima(honestOne), 0.005));
            print("honest, mixed classes", honestMixed, floor, w);
            print("honest, one class", honestOne, floor, w);
            String[] names = {"prior NES (antithetic)", "prior NES one-sided", "one-sided + checker 0.1",
                "checker 0.1 + fresh noise 0.05"};
            for (int kind = 0; kind < names.length; kind++) {
                SplittableRandom noise = new SplittableRandom(99);
                double[][] streams = new double[10][];
                int recognised = 0;
                for (int t = 0; t < 10; t++) {
                    Attacker a = kind == 0 ? Attacker.priorNes(basis, 1.0, 0.05, 200 + t)
                            : kind == 1 ? Attacker.priorNesOneSided(basis, 1.0, 0.05, 200 + t)
                            : Attacker.priorNesOneSidedTextured(basis, 1.0, 0.05, 0.1, 200 + t);
                    double[][] probes = new double[QUERIES][];
                    for (int q = 0; q < BUDGET; q++) {
                        double[] probe = a.next().clone();
                        if (q < QUERIES) {
                            probes[q] = probe;
                        }
                        if (kind == 3) { // the attacker who knows this measure: fresh noise on the ink of every probe
                            for (int i = 0; i < probe.length; i++) {
                                if (probe[i] >= 0.05) {
                                    probe[i] = Attacker.clip(probe[i] + 0.05 * Attacker.gaussian(noise));
                                }
                            }
                        }
                        a.answer(target.probabilities(probe)[t]);
                    }
                    streams[t] = smoothed(residuals(probes, w));
                    recognised += judge.classify(a.reconstruction()) == t ? 1 : 0;
                }
                print(names[kind], streams, floor, w);
                if (w == 50) { // the same attacks for both windows: their outcome once
                    System.out.printf(Locale.ROOT, "    (on the bare model, %,d queries per target: %d of 10 recognised)%n",
                            BUDGET, recognised);
                }
            }
        }
    }

    /** Consecutive residuals averaged ({@code -Drun=N}; 1: each query's own). */
    static final int RUN = Integer.getInteger("run", 10);

    /** The mean of each run of {@link #RUN} consecutive values (the values themselves when 1). */
    static double[] smoothed(double[] v) {
        double[] out = new double[v.length - RUN + 1];
        for (int i = 0; i < out.length; i++) {
            double s = 0;
            for (int j = 0; j < RUN; j++) {
                s += v[i + j];
            }
            out[i] = s / RUN;
        }
        return out;
    }

    /** The relative residual of each query from index w on, against its w predecessors. */
    static double[] residuals(double[][] xs, int w) {
        double[] out = new double[xs.length - w];
        int d = xs[0].length;
        for (int t = w; t < xs.length; t++) {
            double[] mean = new double[d];
            for (int j = t - w; j < t; j++) {
                for (int i = 0; i < d; i++) {
                    mean[i] += xs[j][i] / w;
                }
            }
            // orthonormal basis of the span of the centred predecessors (modified Gram-Schmidt)
            double[][] basis = new double[w][];
            int rank = 0;
            for (int j = t - w; j < t; j++) {
                double[] v = new double[d];
                for (int i = 0; i < d; i++) {
                    v[i] = xs[j][i] - mean[i];
                }
                double before = norm(v);
                for (int b = 0; b < rank; b++) {
                    subtractProjection(v, basis[b]);
                }
                double after = norm(v);
                if (after > 1e-9 * Math.max(1, before)) {
                    for (int i = 0; i < d; i++) {
                        v[i] /= after;
                    }
                    basis[rank++] = v;
                }
            }
            double[] y = new double[d];
            for (int i = 0; i < d; i++) {
                y[i] = xs[t][i] - mean[i];
            }
            double total = norm(y);
            for (int b = 0; b < rank; b++) {
                subtractProjection(y, basis[b]);
            }
            out[t - w] = total == 0 ? 0 : norm(y) / total;
        }
        return out;
    }

    private static void subtractProjection(double[] v, double[] unit) {
        double dot = 0;
        for (int i = 0; i < v.length; i++) {
            dot += v[i] * unit[i];
        }
        for (int i = 0; i < v.length; i++) {
            v[i] -= dot * unit[i];
        }
    }

    private static double norm(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    private static double[] minima(double[][] streams) {
        double[] m = new double[streams.length];
        for (int c = 0; c < streams.length; c++) {
            m[c] = Arrays.stream(streams[c]).min().orElse(Double.NaN);
        }
        return m;
    }

    private static double quantile(double[] values, double p) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s[(int) (p * (s.length - 1))];
    }

    private static void print(String name, double[][] streams, double floor, int w) {
        double[] all = Arrays.stream(streams).flatMapToDouble(Arrays::stream).toArray();
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-35s", name));
        for (double p : new double[] {0.001, 0.01, 0.05, 0.25, 0.5}) {
            line.append(String.format(Locale.ROOT, " %6.3f", quantile(all, p)));
        }
        int[] first = new int[streams.length];
        int caught = 0;
        for (int c = 0; c < streams.length; c++) {
            first[c] = Integer.MAX_VALUE;
            for (int q = 0; q < streams[c].length; q++) {
                if (streams[c][q] < floor) {
                    first[c] = q + w + RUN - 1; // the 0-based index of the run's last query
                    caught++;
                    break;
                }
            }
        }
        Arrays.sort(first);
        int median = first[first.length / 2];
        line.append(String.format(Locale.ROOT, "   | %.3f: %s, %d of %d", floor,
                median == Integer.MAX_VALUE ? "never" : Integer.toString(median), caught, streams.length));
        System.out.println(line);
    }
}
