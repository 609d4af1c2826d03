package dev.veil.internal.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.Features;
import dev.veil.ReasonCode;
import dev.veil.spi.InputContract;
import dev.veil.spi.InputContract.CrossFieldRule;
import dev.veil.spi.InputContract.DistributionCheck;
import dev.veil.spi.InputContract.FeatureSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

class ValidationPropertiesTest {
    private static final double INF = Double.POSITIVE_INFINITY;
    private static final double[] NON_FINITE = {Double.NaN, INF, -INF};

    /** A contract over {@code n} unnamed features with every check switched on and statistics fitting {@code [0, 1]}. */
    private static CompiledContract fullContract(int n, Random r) {
        double[] mean = new double[n];
        double[] std = new double[n];
        for (int i = 0; i < n; i++) {
            mean[i] = r.nextDouble();
            std[i] = r.nextDouble();
        }
        DistributionCheck d = new DistributionCheck(mean, std, 0.05, 1e6, 1e6, Map.of(
                "mean", new double[] {-1, 2}, "std", new double[] {0, 2}, "roughness", new double[] {0, 2}));
        return CompiledContract.compile(new InputContract(List.of(n), 0, 1, Map.of(), true, List.of(), 8L * n, d));
    }

    private static double[] toArray(List<Double> l) {
        double[] a = new double[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = l.get(i);
        }
        return a;
    }

    @Test
    void shouldRefuseAnyVectorWithANonFiniteValueAsFinite() {
        qt().withExamples(300).forAll(
                lists().of(doubles().between(0, 1)).ofSizeBetween(1, 300),
                integers().between(0, 10_000),
                integers().between(0, NON_FINITE.length - 1),
                longs().all()
        ).checkAssert((values, at, kind, seed) -> {
            double[] x = toArray(values);
            int index = at % x.length;
            x[index] = NON_FINITE[kind];
            for (CompiledContract c : List.of(fullContract(x.length, new Random(seed)),
                    CompiledContract.compile(InputContract.ANY))) {
                Violation v = c.check(Features.of(x), -1);
                assertThat(v).isNotNull();
                assertThat(v.code()).isEqualTo(ReasonCode.INVALID_INPUT);
                assertThat(v.rule()).isEqualTo("finite");
                assertThat(v.message()).startsWith("value at index " + index + " ").contains(Double.toString(x[index]));
            }
        });
    }

    @Test
    void shouldRefuseAnInfiniteNamedFeatureAsFiniteNamingIt() {
        qt().withExamples(200).forAll(
                lists().of(doubles().between(-1e9, 1e9)).ofSizeBetween(1, 20),
                integers().between(0, 10_000),
                integers().between(1, 2)
        ).checkAssert((values, at, kind) -> {
            Map<String, Double> named = new LinkedHashMap<>();
            for (int i = 0; i < values.size(); i++) {
                named.put("f" + i, values.get(i));
            }
            int index = at % values.size();
            named.put("f" + index, NON_FINITE[kind]);
            Violation v = CompiledContract.compile(InputContract.ANY).check(Features.named(named), -1);
            assertThat(v).isNotNull();
            assertThat(v.code()).isEqualTo(ReasonCode.INVALID_INPUT);
            assertThat(v.rule()).isEqualTo("finite");
            assertThat(v.message()).startsWith("feature 'f" + index + "' is ");
        });
    }

    /** One random unnamed case: a range, statistics inside it, and a vector inside range and statistics. */
    private record UnnamedCase(CompiledContract contract, double[] x) {}

    private static final Gen<UnnamedCase> INSIDE_UNNAMED = longs().all().zip(integers().between(1, 200),
            (seed, n) -> {
                Random r = new Random(seed);
                double lo = -1000 * r.nextDouble();
                double hi = lo + 1e-3 + 2000 * r.nextDouble();
                double k = 0.5 + 5 * r.nextDouble();
                double[] mean = new double[n];
                double[] std = new double[n];
                double[] x = new double[n];
                for (int i = 0; i < n; i++) {
                    mean[i] = Math.min(hi, lo + (hi - lo) * r.nextDouble());
                    std[i] = (hi - lo) * r.nextDouble() * 0.1;
                    double s = Math.max(std[i], 1e-3);
                    double u = r.nextInt(10) == 0 ? (r.nextBoolean() ? 0.999 : -0.999) : 2 * r.nextDouble() - 1;
                    // clamping into [lo, hi] only moves x towards mean, which lies inside
                    x[i] = Math.min(hi, Math.max(lo, mean[i] + 0.999 * u * k * s));
                    if (r.nextInt(20) == 0) {
                        x[i] = r.nextBoolean() ? lo : hi; // the range bounds themselves, at |z| <= k / 2
                        std[i] = 2 * (hi - lo) / k;
                    }
                }
                double[] sum = TrainingStats.summaries(x);
                double tol = 1e-6 * (1 + (hi - lo));
                Map<String, double[]> summary = Map.of(
                        "mean", new double[] {sum[0] - tol, sum[0] + tol},
                        "std", new double[] {sum[1] - tol, sum[1] + tol},
                        "roughness", new double[] {sum[2] - tol, sum[2] + tol});
                DistributionCheck d = new DistributionCheck(mean, std, 1e-3, k, k, summary);
                List<Integer> shape = n % 2 == 0 ? List.of(2, n / 2) : List.of(n);
                return new UnnamedCase(CompiledContract.compile(
                        new InputContract(shape, lo, hi, Map.of(), false, List.of(), 8L * n, d)), x);
            });

    @Test
    void shouldAcceptEveryVectorInsideRangeAndDistribution() {
        qt().withExamples(300).forAll(INSIDE_UNNAMED).checkAssert(c ->
                assertThat(c.contract().check(Features.of(c.x()), -1)).isNull());
    }

    @Test
    void shouldAcceptEveryNamedRequestInsideItsContract() {
        qt().withExamples(300).forAll(longs().all(), integers().between(2, 12)).checkAssert((seed, n) -> {
            Random r = new Random(seed);
            Map<String, FeatureSpec> specs = new LinkedHashMap<>();
            List<String> names = new ArrayList<>();
            Map<String, Double> values = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                String name = "f" + i;
                double lo = -1e6 * r.nextDouble();
                double hi = lo + 1e6 * r.nextDouble();
                boolean required = i < 2 || r.nextBoolean();
                specs.put(name, new FeatureSpec(required, lo, hi));
                names.add(name);
                double v = r.nextInt(5) == 0 ? (r.nextBoolean() ? lo : hi)
                        : Math.min(hi, lo + (hi - lo) * r.nextDouble());
                if (required || r.nextBoolean()) {
                    values.put(name, v);
                } else if (r.nextBoolean()) {
                    values.put(name, null); // optional and absent
                }
            }
            FeatureSpec f0 = specs.get("f0");
            FeatureSpec f1 = specs.get("f1");
            List<CrossFieldRule> rules = List.of(
                    new CrossFieldRule("sum", "f0 + f1 <= " + (f0.max() + f1.max())),
                    new CrossFieldRule("order", "min(f0, f1) <= max(f0, f1) and not (f0 > " + f0.max() + ")"),
                    new CrossFieldRule("abs", "abs(f0) <= " + Math.max(Math.abs(f0.min()), Math.abs(f0.max()))));
            CompiledContract c = CompiledContract.compile(new InputContract(List.of(), -INF, INF, specs, false,
                    rules, 0, null));
            Collections.shuffle(names, r);
            Map<String, Double> shuffled = new LinkedHashMap<>();
            for (String name : names) {
                if (values.containsKey(name)) {
                    shuffled.put(name, values.get(name));
                }
            }
            assertThat(c.check(Features.named(shuffled), -1)).isNull();
            assertThat(c.check(Features.named(values), -1)).isNull();
        });
    }

    @Test
    void shouldRespectTheMaxAbsZBoundExactly() {
        Gen<double[]> stats = doubles().between(-1e3, 1e3).zip(doubles().between(0, 100),
                doubles().between(1e-6, 10), doubles().between(1e-3, 50),
                (m, std, floor, k) -> new double[] {m, std, floor, k});
        qt().withExamples(500).forAll(stats, integers().between(0, 6), doubles().between(-2, 2), integers().between(0, 2))
                .checkAssert((p, pick, u, position) -> {
                    double m = p[0];
                    double std = p[1];
                    double floor = p[2];
                    double k = p[3];
                    double s = Math.max(std, floor);
                    double[] candidates = {m + k * s, m - k * s, Math.nextUp(m + k * s), Math.nextDown(m + k * s),
                        Math.nextUp(m - k * s), Math.nextDown(m - k * s), m + u * k * s};
                    double x = candidates[pick];
                    double[] mean = {m, m, m};
                    double[] stds = {std, std, std};
                    double[] input = {m, m, m};
                    input[position] = x;
                    CompiledContract c = CompiledContract.compile(new InputContract(List.of(3), -INF, INF, Map.of(),
                            true, List.of(), 0, new DistributionCheck(mean, stds, floor, k, 0, Map.of())));
                    boolean inside = Math.abs((x - m) / s) <= k; // the definition
                    Violation v = c.check(Features.of(input), -1);
                    if (inside) {
                        assertThat(v).isNull();
                    } else {
                        assertThat(v).isNotNull();
                        assertThat(v.code()).isEqualTo(ReasonCode.OUT_OF_DISTRIBUTION);
                        assertThat(v.rule()).isEqualTo("distribution");
                        assertThat(v.message()).startsWith("value at index " + position + " ");
                    }
                });
    }

    @Test
    void shouldGiveTheSameVerdictWhateverLayoutsCameBefore() {
        Map<String, FeatureSpec> specs = Map.of(
                "a", new FeatureSpec(true, -10, 10),
                "b", new FeatureSpec(false, -10, 10),
                "c", new FeatureSpec(false, -10, 10));
        InputContract contract = new InputContract(List.of(), -INF, INF, specs, false,
                List.of(new CrossFieldRule("r1", "a - b < c"), new CrossFieldRule("r2", "abs(a) / (c + 20) < 0.4")),
                0, null);
        CompiledContract shared = CompiledContract.compile(contract);
        Gen<Map<String, Double>> requests = longs().all().map(seed -> {
            Random r = new Random(seed);
            List<String> names = new ArrayList<>(List.of("a", "b", "c", "d"));
            Collections.shuffle(names, r);
            Map<String, Double> m = new LinkedHashMap<>();
            for (String name : names.subList(0, 1 + r.nextInt(names.size()))) {
                m.put(name, r.nextInt(8) == 0 ? null : (double) (r.nextInt(25) - 12));
            }
            return m;
        });
        qt().withExamples(1000).forAll(requests).checkAssert(m -> {
            Features f = Features.named(m);
            assertThat(shared.check(f, -1)).isEqualTo(CompiledContract.compile(contract).check(f, -1));
        });
    }
}
