package dev.veil.policies.tools;

import dev.veil.internal.monitor.traffic.Attack;
import dev.veil.internal.monitor.traffic.Attacks;
import dev.veil.internal.monitor.traffic.PcaBasis;
import dev.veil.policies.SoftmaxRegression;
import java.io.BufferedWriter;
import java.io.FileWriter;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A replay trace of the prior attacker (NES in a PCA basis; {@code veil monitor replay}'s
 * format, role analyst), on real Fashion-MNIST: veil-core's test attack {@code Attacks.pcaSearch}
 * (NES in the whitened coefficients of a PCA basis, antithetic pairs, a Gaussian prior pulling
 * toward the mean image, so every probe looks like an image rather than like noise) with a
 * 40-component {@code PcaBasis} of 10,000 training images the model was not trained on (30,000 to
 * 39,999, their labels unused), from the first test t-shirt the model gets right toward
 * {@code pullover}. The answers are the model's raw scores, {@code accounts} accounts round-robin,
 * one query every {@code spacing} ms. Prints the target score of the walk's point every 100 queries
 * (its progress).
 *
 * <pre>java -cp "$CP" dev.veil.policies.tools.PriorNesTraffic OUT SIGMA ACCOUNTS QUERIES SPACING_MS [SEED]</pre>
 */
public final class PriorNesTraffic {
    static final int COMPONENTS = 40;
    static final int TARGET = 2; // pullover
    static final double LR = 0.05;

    private PriorNesTraffic() {}

    /** Writes the trace; see the class comment for the arguments. */
    public static void main(String[] a) throws Exception {
        if (a.length < 5) {
            throw new IllegalArgumentException("usage: PriorNesTraffic OUT SIGMA ACCOUNTS QUERIES SPACING_MS [SEED]");
        }
        String out = a[0];
        double sigma = Double.parseDouble(a[1]);
        int accounts = Integer.parseInt(a[2]);
        int queries = Integer.parseInt(a[3]);
        long spacing = Long.parseLong(a[4]);
        long seed = a.length > 5 ? Long.parseLong(a[5]) : 42;
        SoftmaxRegression model = BenignTraffic.model();
        double[][] train = FashionMnist.trainImages(40_000);
        PcaBasis basis = PcaBasis.learn(List.of(Arrays.copyOfRange(train, 30_000, 40_000)), COMPONENTS, 7);
        Attack walk = Attacks.pcaSearch("prior", basis, AttackTraces.firstTShirt(model), TARGET, sigma, LR, seed);
        long ts = 1_780_000_000_000L;
        try (PrintWriter w = new PrintWriter(new BufferedWriter(new FileWriter(out)))) {
            for (int q = 0; q < queries; q++) {
                double[] p = walk.next();
                for (int i = 0; i < p.length; i++) {
                    p[i] = Math.rint(p[i] * 1e5) / 1e5; // the 5 decimals the trace holds
                }
                double[] s = model.probabilities(p);
                w.println(AttackTraces.line("mallory-" + (q % accounts), ts += spacing, p, s));
                walk.answer(s);
                if ((q + 1) % 100 == 0) {
                    System.out.printf(Locale.ROOT, "query %d: the walk's point has p(pullover) %.4f%n", q + 1,
                            model.probabilities(walk.current())[TARGET]);
                }
            }
        }
    }
}
