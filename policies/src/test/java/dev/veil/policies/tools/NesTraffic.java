package dev.veil.policies.tools;

import dev.veil.policies.SoftmaxRegression;
import java.io.BufferedWriter;
import java.io.FileWriter;
import java.io.PrintWriter;

/**
 * A replay trace of an NES inversion attack ({@code veil monitor replay}'s format, role analyst):
 * the {@link Nes} walk from the first test t-shirt the test model gets right toward {@code pullover},
 * seed 42, with the model's raw scores as the answers (ImageClassifierMonitoringTest's attack
 * without a Guard in the loop), from {@code accounts} accounts round-robin, {@code spacing} ms apart.
 *
 * <p>With {@code BLUR} > 0 the probe directions are smooth (see {@link Nes}), the "smooth NES" of
 * issue 3's efficacy tests.
 *
 * <pre>java -cp "$CP" dev.veil.policies.tools.NesTraffic OUT SIGMA ACCOUNTS QUERIES SPACING_MS [PREFIX [BLUR]]</pre>
 */
public final class NesTraffic {
    private NesTraffic() {}

    /** Writes the trace; see the class comment for the arguments. */
    public static void main(String[] a) throws Exception {
        if (a.length < 5) {
            throw new IllegalArgumentException("usage: NesTraffic OUT SIGMA ACCOUNTS QUERIES SPACING_MS [PREFIX [BLUR]]");
        }
        String out = a[0];
        double sigma = Double.parseDouble(a[1]);
        int accounts = Integer.parseInt(a[2]);
        int queries = Integer.parseInt(a[3]);
        long spacing = Long.parseLong(a[4]);
        String prefix = a.length > 5 ? a[5] : "mallory";
        int blur = a.length > 6 ? Integer.parseInt(a[6]) : 0;
        SoftmaxRegression model = BenignTraffic.model();
        double[] x = AttackTraces.firstTShirt(model);
        Nes walk = new Nes(x, sigma, 42, blur);
        long ts = 1_780_000_000_000L;
        try (PrintWriter w = new PrintWriter(new BufferedWriter(new FileWriter(out)))) {
            for (int q = 0; q < queries; q++) {
                double[] p = walk.next();
                double[] s = model.predict(p).scores();
                w.println(AttackTraces.line(prefix + "-" + (q % accounts), ts += spacing, p, s));
                walk.answer(s[2]); // class 2: pullover
            }
        }
    }
}
