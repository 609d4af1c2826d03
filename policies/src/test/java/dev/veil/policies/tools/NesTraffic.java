package dev.veil.policies.tools;

import dev.veil.policies.SoftmaxRegression;
import java.io.BufferedWriter;
import java.io.FileWriter;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A replay trace of an NES inversion attack ({@code veil monitor replay}'s format, role analyst):
 * antithetic per-pixel probes x +- sigma u around the first test t-shirt the test model gets right,
 * ten pairs per signed step of 0.01 toward {@code pullover}, the model's raw scores as the answers
 * (as ImageClassifierMonitoringTest's attack, without a Guard in the loop), from {@code accounts}
 * accounts round-robin, {@code spacing} ms apart.
 *
 * <p>With {@code BLUR} > 0 the probe directions are smooth: each Gaussian direction is averaged
 * over a (2 BLUR + 1)-pixel square and rescaled to one per pixel (RMS), the "smooth NES" of
 * ML-DEFENCES.md section 8.
 *
 * <pre>java -cp "$CP" dev.veil.policies.tools.NesTraffic OUT SIGMA ACCOUNTS QUERIES SPACING_MS [PREFIX [BLUR]]</pre>
 */
public final class NesTraffic {
    private NesTraffic() {}

    private static double gaussian(SplittableRandom r) {
        double u1 = 1 - r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    private static double clip(double v) {
        return v < 0 ? 0 : v > 1 ? 1 : v;
    }

    /** The box blur of a 28x28 direction over (2 radius + 1)-pixel squares, rescaled to RMS 1. */
    private static double[] smooth(double[] u, int radius) {
        double[] out = new double[u.length];
        double ss = 0;
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                double sum = 0;
                for (int dy = -radius; dy <= radius; dy++) {
                    for (int dx = -radius; dx <= radius; dx++) {
                        int yy = Math.min(27, Math.max(0, y + dy));
                        int xx = Math.min(27, Math.max(0, x + dx));
                        sum += u[yy * 28 + xx];
                    }
                }
                out[y * 28 + x] = sum;
                ss += sum * sum;
            }
        }
        double scale = Math.sqrt(out.length / ss);
        for (int i = 0; i < out.length; i++) {
            out[i] *= scale;
        }
        return out;
    }

    /** Writes the trace; see the class comment for the arguments. */
    public static void main(String[] a) throws Exception {
        if (a.length < 5) {
            throw new IllegalArgumentException("usage: NesTraffic OUT SIGMA ACCOUNTS QUERIES SPACING_MS [PREFIX]");
        }
        String out = a[0];
        double sigma = Double.parseDouble(a[1]);
        int accounts = Integer.parseInt(a[2]);
        int queries = Integer.parseInt(a[3]);
        long spacing = Long.parseLong(a[4]);
        String prefix = a.length > 5 ? a[5] : "mallory";
        int blur = a.length > 6 ? Integer.parseInt(a[6]) : 0;
        SoftmaxRegression model = BenignTraffic.model();
        double[][] test = FashionMnist.testImages(2000);
        int[] labels = FashionMnist.testLabels(2000);
        double[] x = null;
        for (int i = 0; i < labels.length && x == null; i++) {
            if (labels[i] == 0 && model.predict(test[i]).topIndex() == 0) {
                x = test[i].clone();
            }
        }
        if (x == null) {
            throw new IllegalStateException("no t-shirt among the first 2,000 test images that the model gets right");
        }
        SplittableRandom r = new SplittableRandom(42);
        double[] grad = new double[x.length];
        double[] u = null;
        double fPlus = 0;
        int pairs = 0;
        long ts = 1_780_000_000_000L;
        try (PrintWriter w = new PrintWriter(new BufferedWriter(new FileWriter(out)))) {
            for (int q = 0; q < queries; q++) {
                boolean plus = q % 2 == 0;
                if (plus) {
                    u = new double[x.length];
                    for (int i = 0; i < u.length; i++) {
                        u[i] = gaussian(r);
                    }
                    if (blur > 0) {
                        u = smooth(u, blur);
                    }
                }
                double[] p = new double[x.length];
                for (int i = 0; i < p.length; i++) {
                    p[i] = clip(x[i] + (plus ? sigma : -sigma) * u[i]);
                }
                double[] s = model.predict(p).scores();
                StringBuilder sb = new StringBuilder();
                sb.append("{\"caller\":\"").append(prefix).append('-').append(q % accounts)
                        .append("\",\"roles\":[\"analyst\"],\"ts_ms\":").append(ts += spacing).append(",\"features\":[");
                for (int i = 0; i < p.length; i++) {
                    sb.append(i > 0 ? "," : "").append(String.format(Locale.ROOT, "%.5f", p[i]));
                }
                sb.append("],\"scores\":[");
                for (int i = 0; i < s.length; i++) {
                    sb.append(i > 0 ? "," : "").append(s[i]);
                }
                w.println(sb.append("]}"));
                double f = Math.log(Math.max(1e-3, s[2])); // class 2: pullover
                if (plus) {
                    fPlus = f;
                    continue;
                }
                for (int i = 0; i < grad.length; i++) {
                    grad[i] += (fPlus - f) * u[i];
                }
                if (++pairs == 10) {
                    for (int i = 0; i < x.length; i++) {
                        x[i] = clip(x[i] + 0.01 * Math.signum(grad[i]));
                        grad[i] = 0;
                    }
                    pairs = 0;
                }
            }
        }
    }
}
