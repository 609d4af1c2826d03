package dev.veil.policies.tools;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Features;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.ReasonCode;
import dev.veil.internal.validation.CompiledContract;
import dev.veil.internal.validation.Violation;
import dev.veil.spi.PolicyInput;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Measures the image-classifier bundle's distribution check: how many of the 10,000 real
 * Fashion-MNIST test images it refuses (false refusals, by the part of the check that refused them)
 * and how many of each kind of probe ({@link Probes}) it refuses. Prints the Markdown tables of
 * {@code policies/README.md}.
 *
 * <p>It checks exactly what the Guard checks: the contract of the bundle's {@code validation}
 * decision for a caller with the given role, compiled with {@link CompiledContract}. Run from the
 * repository root (the exact command is in {@code policies/README.md}):
 * <pre>
 * java -cp "$(cat policies/target/test-classpath.txt):policies/target/test-classes" \
 *     dev.veil.policies.tools.DistributionFigures [bundle-dir] [role]
 * </pre>
 */
public final class DistributionFigures {
    /** Probes drawn per random probe family (fixed seeds, so the figures repeat exactly). */
    public static final int PROBES_PER_FAMILY = 1000;

    private DistributionFigures() {}

    /**
     * The compiled input contract the bundle's {@code validation} question gives a caller with
     * {@code role}, authenticated by API key, for a 784-pixel request.
     */
    public static CompiledContract contract(PolicyBundle bundle, String role, String tenant) {
        Caller caller = new Caller("figures", AuthMethod.API_KEY, Set.of(role), tenant, Map.of());
        PolicyInput in = new PolicyInput(caller, ModelInfo.of("model", "1", Instant.EPOCH), 0, Probes.PIXELS,
                8L * Probes.PIXELS, List.of(), List.of(), false, null);
        return CompiledContract.compile(bundle.policy().validation(in).contract());
    }

    /** Which part of the distribution check refused, from the violation's message; or the code. */
    public static String part(Violation v) {
        if (v.code() != ReasonCode.OUT_OF_DISTRIBUTION) {
            return v.code().code() + ":" + v.rule();
        }
        String m = v.message();
        if (m.contains("RMS z-score")) {
            return "max_rms_z";
        }
        if (m.contains("too far from the training data")) { // one feature's |z|
            return "max_abs_z";
        }
        if (m.contains("input's mean")) {
            return "summary mean";
        }
        if (m.contains("standard deviation")) {
            return "summary std";
        }
        if (m.contains("roughness")) {
            return "summary roughness";
        }
        return "other";
    }

    /** Refusals of {@code images} by part (a LinkedHashMap, insertion order); key "total" counts all. */
    public static Map<String, Integer> refusals(CompiledContract contract, double[][] images) {
        Map<String, Integer> out = new LinkedHashMap<>();
        out.put("total", 0);
        for (double[] x : images) {
            Violation v = contract.check(Features.of(x), -1);
            if (v != null) {
                out.merge("total", 1, Integer::sum);
                out.merge(part(v), 1, Integer::sum);
            }
        }
        return out;
    }

    /**
     * A named family of probes.
     *
     * @param asserted whether the tests assert that the bundle's default (analyst) contract refuses
     *     every probe of this family
     */
    public record Family(String name, boolean asserted, List<double[]> probes) {}

    /**
     * The probe families of the README table. {@code asserted} families are the ones the default
     * contract refuses completely, and the tests assert it; the others are shown for what they are.
     *
     * @param testImages real test images the "on a real image" families corrupt
     * @param perFamily probes per random family
     */
    public static List<Family> families(double[][] testImages, int perFamily) {
        List<Family> f = new ArrayList<>();
        f.add(new Family("blank (all 0)", true, List.of(Probes.blank())));
        f.add(new Family("saturated (all 1)", true, List.of(Probes.saturated())));
        f.add(new Family("uniform noise U[0, 1]", true, draw(perFamily, 11, r -> Probes.uniformNoise(r, 1.0))));
        f.add(new Family("salt-and-pepper, every pixel 0 or 1", true,
                draw(perFamily, 12, r -> Probes.saltAndPepper(r, 1.0, Probes.blank()))));
        f.add(new Family("salt-and-pepper, 20% of a blank image", false,
                draw(perFamily, 13, r -> Probes.saltAndPepper(r, 0.2, Probes.blank()))));
        f.add(new Family("salt-and-pepper, 20% of a real test image", true,
                draw(perFamily, 14, r -> Probes.saltAndPepper(r, 0.2, testImages[r.nextInt(testImages.length)]))));
        f.add(new Family("uniform grey 0.5", false, List.of(Probes.grey(0.5))));
        f.add(new Family("faint noise U[0, 0.2]", false, draw(perFamily, 15, r -> Probes.uniformNoise(r, 0.2))));
        f.add(new Family("salt-and-pepper, 5% of a blank image", false,
                draw(perFamily, 16, r -> Probes.saltAndPepper(r, 0.05, Probes.blank()))));
        f.add(new Family("salt-and-pepper, 5% of a real test image", false,
                draw(perFamily, 17, r -> Probes.saltAndPepper(r, 0.05, testImages[r.nextInt(testImages.length)]))));
        return f;
    }

    private static List<double[]> draw(int n, long seed, Function<Random, double[]> make) {
        Random r = new Random(seed);
        List<double[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(make.apply(r));
        }
        return out;
    }

    /**
     * Prints the figures.
     *
     * @param args optional: the bundle directory (default {@code policies/bundles/image-classifier}),
     *     the caller's role (default {@code analyst})
     */
    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "policies/bundles/image-classifier");
        String role = args.length > 1 ? args[1] : "analyst";
        PolicyBundle bundle = PolicyBundle.load(dir);
        CompiledContract contract = contract(bundle, role, "acme");
        double[][] test = FashionMnist.testImages(Integer.MAX_VALUE);
        long t0 = System.nanoTime();
        Map<String, Integer> real = refusals(contract, test);
        double micros = (System.nanoTime() - t0) / 1e3 / test.length;
        System.out.println("Bundle " + dir + " (revision " + bundle.revision() + "), role " + role + ": "
                + describe(contract));
        System.out.println();
        System.out.println("| real Fashion-MNIST test images | refused | share |");
        System.out.println("|---|---:|---:|");
        for (Map.Entry<String, Integer> e : real.entrySet()) {
            System.out.printf("| %s | %d | %.2f%% |%n", e.getKey().equals("total") ? "all 10,000" : "by " + e.getKey(),
                    e.getValue(), 100.0 * e.getValue() / test.length);
        }
        System.out.println();
        System.out.println("| probe | all refused (asserted, analyst) | probes | refused | refused by |");
        System.out.println("|---|---|---:|---:|---|");
        for (Family f : families(test, PROBES_PER_FAMILY)) {
            Map<String, Integer> r = refusals(contract, f.probes().toArray(double[][]::new));
            Map<String, Integer> parts = new LinkedHashMap<>(r);
            int total = parts.remove("total");
            System.out.printf("| %s | %s | %d | %.1f%% | %s |%n", f.name(), f.asserted() ? "yes" : "no",
                    f.probes().size(), 100.0 * total / f.probes().size(), parts.isEmpty() ? "" : parts.toString());
        }
        System.out.printf("%n(%.1f microseconds per image for the whole contract check)%n", micros);
    }

    private static String describe(CompiledContract c) {
        var d = c.contract().distribution();
        return "std_floor " + d.stdFloor() + ", max_abs_z " + d.maxAbsZ() + ", max_rms_z " + d.maxRmsZ() + ", summary "
                + new TreeSet<>(d.summary().keySet());
    }

}
