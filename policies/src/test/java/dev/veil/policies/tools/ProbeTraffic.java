package dev.veil.policies.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.policies.SoftmaxRegression;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.FileReader;
import java.io.FileWriter;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Replay traces ({@code veil monitor replay}'s format, analysts of tenant acme) of the traffic
 * policies/README.md measures the {@code antithetic} detector against, from real Fashion-MNIST
 * test images, with the model's raw scores; each caller one query every 10 s, callers interleaved:
 *
 * <ul>
 *   <li>{@code lime}: an explanation client: each caller one image, each query hides every 4x4
 *       tile with probability 1/2 behind grey 0.5;
 *   <li>{@code sweep:G1,G2,...}: a quality-assurance client: each image sent at each gain in turn
 *       (pixels times G, clipped), then the next image;
 *   <li>{@code signs}: probes x + 0.2 s, x - 0.2 s in pairs, s random +-1 per 4x4 square, x one
 *       image per caller (SPSA, NES with sign directions);
 *   <li>{@code noisy:SIGMA:IN}: the trace IN with Gaussian noise of SIGMA added to every pixel (then
 *       clipped to [0, 1]); the answers are IN's, so it measures a detector, not an attack.
 * </ul>
 *
 * <pre>java -cp "$CP" dev.veil.policies.tools.ProbeTraffic OUT KIND CALLERS QUERIES [SEED]</pre>
 * (CALLERS and QUERIES are ignored by {@code noisy}.)
 */
public final class ProbeTraffic {
    private ProbeTraffic() {}

    record Line(long tsMs, String text) {}

    /** Writes the trace; see the class comment for the arguments. */
    public static void main(String[] a) throws Exception {
        if (a.length < 4) {
            throw new IllegalArgumentException("usage: ProbeTraffic OUT KIND CALLERS QUERIES [SEED]");
        }
        String out = a[0];
        String kind = a[1];
        int callers = Integer.parseInt(a[2]);
        int queries = Integer.parseInt(a[3]);
        SplittableRandom r = new SplittableRandom(a.length > 4 ? Long.parseLong(a[4]) : 9);
        List<Line> lines = kind.startsWith("noisy:") ? noisy(kind, r) : generate(kind, callers, queries, r);
        lines.sort(Comparator.comparingLong(Line::tsMs));
        try (PrintWriter w = new PrintWriter(new BufferedWriter(new FileWriter(out)))) {
            for (Line l : lines) {
                w.println(l.text());
            }
        }
        System.out.println(lines.size() + " queries (" + kind + ") -> " + out);
    }

    private static List<Line> generate(String kind, int callers, int queries, SplittableRandom r) {
        SoftmaxRegression model = BenignTraffic.model();
        double[][] test = FashionMnist.testImages(Integer.MAX_VALUE);
        double[] gains = kind.startsWith("sweep:")
                ? java.util.Arrays.stream(kind.substring(6).split(",")).mapToDouble(Double::parseDouble).toArray()
                : null;
        if (!kind.equals("lime") && !kind.equals("signs") && gains == null) {
            throw new IllegalArgumentException("KIND must be lime, sweep:G1,G2,..., signs or noisy:SIGMA:IN, was "
                    + kind);
        }
        List<Line> lines = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            double[] image = test[r.nextInt(test.length)];
            double[] sign = null;
            for (int q = 0; q < queries; q++) {
                double[] x = new double[image.length];
                if (kind.equals("lime")) {
                    for (int tile = 0; tile < 49; tile++) {
                        boolean hidden = r.nextBoolean();
                        for (int k = 0; k < 16; k++) {
                            int i = ((tile / 7) * 4 + k / 4) * 28 + (tile % 7) * 4 + k % 4;
                            x[i] = hidden ? 0.5 : image[i];
                        }
                    }
                } else if (gains != null) {
                    if (q > 0 && q % gains.length == 0) {
                        image = test[r.nextInt(test.length)];
                    }
                    for (int i = 0; i < x.length; i++) {
                        x[i] = Nes.clip(image[i] * gains[q % gains.length]);
                    }
                } else {
                    if (q % 2 == 0) {
                        sign = new double[49];
                        for (int t = 0; t < sign.length; t++) {
                            sign[t] = r.nextBoolean() ? 1 : -1;
                        }
                    }
                    for (int i = 0; i < x.length; i++) {
                        int tile = (i / 28 / 4) * 7 + (i % 28) / 4;
                        x[i] = Nes.clip(image[i] + (q % 2 == 0 ? 0.2 : -0.2) * sign[tile]);
                    }
                }
                long ts = 1_780_000_000_000L + q * 10_000L + c;
                lines.add(new Line(ts, AttackTraces.line("probe-" + c, ts, x, model.probabilities(x))));
            }
        }
        return lines;
    }

    private static List<Line> noisy(String kind, SplittableRandom r) throws Exception {
        String[] parts = kind.split(":", 3);
        double sigma = Double.parseDouble(parts[1]);
        ObjectMapper json = new ObjectMapper();
        List<Line> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new FileReader(parts[2]))) {
            for (String l = in.readLine(); l != null; l = in.readLine()) {
                ObjectNode o = (ObjectNode) json.readTree(l);
                ArrayNode features = (ArrayNode) o.get("features");
                for (int i = 0; i < features.size(); i++) {
                    double v = Nes.clip(features.get(i).asDouble() + sigma * Nes.gaussian(r));
                    features.set(i, Math.rint(v * 1e5) / 1e5);
                }
                lines.add(new Line(o.get("ts_ms").asLong(), json.writeValueAsString(o)));
            }
        }
        return lines;
    }
}
