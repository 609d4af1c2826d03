package dev.veil.internal.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The two validation kernels: the vectorised one must give bit-identical answers to the scalar one
 * (which defines the order of the sums; a NaN's sign and payload are not specified by Java, so all
 * NaNs count as one), and the scalar one must agree with a plain definition.
 * veil-core's tests run with {@code --add-modules jdk.incubator.vector} (see its pom), so the vector
 * kernel is what {@link ContractKernel#INSTANCE} holds here.
 */
class ContractKernelTest {
    /** Values that break comparisons and sums: signed zeros, NaN, infinities, subnormals, huge. */
    private static final double[] SPECIAL = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, 1.0,
        Math.nextUp(1.0), Math.nextDown(0.0), 0.5};

    private static ContractKernel vector;
    /** Both vector shapes, whatever this hardware prefers: 512-bit (one accumulator) and 256-bit (two). */
    private static ContractKernel[] vectors;
    private static final ContractKernel SCALAR = new ContractKernel.Scalar();

    @BeforeAll
    static void vectorKernel() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "the JVM runs without --add-modules jdk.incubator.vector: only the scalar kernel can be tested");
        vector = VectorContractKernel.createIfUseful();
        assumeTrue(vector != null, "this hardware has no 256-bit vectors: the scalar kernel is used");
        vectors = new ContractKernel[] {new VectorContractKernel(true), new VectorContractKernel(false)};
    }

    @Test
    void shouldUseTheVectorKernelWhenTheModuleIsPresent() {
        assertThat(ContractKernel.INSTANCE.name()).startsWith("vector");
    }

    /** A vector of length n: mostly values in [0, 1], some out of range, some special (huge: also +-MAX_VALUE, whose sums overflow). */
    private static double[] input(Random r, int n, int specials, boolean huge) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(10);
            v[i] = k < 7 ? r.nextInt(256) / 255.0 : k < 9 ? r.nextDouble() * 3 - 1 : r.nextGaussian() * 1e3;
        }
        for (int s = 0; s < specials && n > 0; s++) {
            double x = SPECIAL[r.nextInt(SPECIAL.length)];
            v[r.nextInt(n)] = huge || Math.abs(x) != Double.MAX_VALUE ? x : 2.0;
        }
        return v;
    }

    @Test
    void shouldGiveBitIdenticalAnswersToTheScalarKernel() {
        qt().withExamples(2_000).forAll(
                integers().between(0, 90),
                integers().between(0, 3),
                longs().all()
        ).checkAssert((len, specials, seed) -> {
            Random r = new Random(seed);
            int n = r.nextInt(8) == 0 ? 784 : len;
            double[] v = input(r, n, specials, true);
            double[] lo = new double[n];
            double[] hi = new double[n];
            double[] mean = new double[n];
            double[] inv = new double[n];
            for (int i = 0; i < n; i++) {
                lo[i] = r.nextInt(4) == 0 ? Double.NEGATIVE_INFINITY : -r.nextDouble();
                hi[i] = r.nextInt(4) == 0 ? Double.POSITIVE_INFINITY : 1 + r.nextDouble();
                mean[i] = r.nextDouble();
                inv[i] = 1 / Math.max(0.05, r.nextDouble());
            }
            double center = r.nextDouble();
            double gl = r.nextBoolean() ? 0 : Double.NEGATIVE_INFINITY;
            double gh = r.nextBoolean() ? 1 : Double.POSITIVE_INFINITY;

            // Uniform bounds (no |z| bound): the arrays hold the global range, which a kernel may read instead.
            double[] ulo = new double[n];
            double[] uhi = new double[n];
            java.util.Arrays.fill(ulo, gl);
            java.util.Arrays.fill(uhi, gh);
            double[] b = new double[4];
            boolean expected = SCALAR.sums(v, lo, hi, false, 0, 0, mean, inv, center, b);
            double[] bu = new double[4];
            boolean expectedUniform = SCALAR.sums(v, ulo, uhi, false, 0, 0, mean, inv, center, bu);
            for (ContractKernel k : kernels()) {
                assertThat(k.within(v, gl, gh)).as(k.name()).isEqualTo(SCALAR.within(v, gl, gh));
                assertThat(k.within(v, lo, hi)).as(k.name()).isEqualTo(SCALAR.within(v, lo, hi));
                double[] a = new double[4];
                assertThat(k.sums(v, lo, hi, false, 0, 0, mean, inv, center, a)).as(k.name()).isEqualTo(expected);
                assertSameSums(k, n, a, b);
                double[] au = new double[4];
                assertThat(k.sums(v, ulo, uhi, true, gl, gh, mean, inv, center, au)).as(k.name() + ", uniform")
                        .isEqualTo(expectedUniform);
                assertSameSums(k, n, au, bu);
            }
        });
    }

    private static void assertSameSums(ContractKernel k, int n, double[] a, double[] b) {
        for (int q = 0; q < 4; q++) { // the same bits, except that every NaN is the same NaN
            assertThat(Double.doubleToLongBits(a[q])).as("%s: sum %d of %s", k.name(), q, n)
                    .isEqualTo(Double.doubleToLongBits(b[q]));
        }
    }

    @Test
    void shouldMatchThePlainDefinition() {
        for (ContractKernel k : kernels()) {
            qt().withExamples(1_000).forAll(integers().between(0, 100), integers().between(0, 3), longs().all())
                    .checkAssert((n, specials, seed) -> {
                        Random r = new Random(seed);
                        double[] v = input(r, n, specials, false);
                        double[] lo = new double[n];
                        double[] hi = new double[n];
                        double[] mean = new double[n];
                        double[] inv = new double[n];
                        boolean within = true;
                        boolean withinGlobal = true;
                        double sz2 = 0;
                        double sy = 0;
                        double sy2 = 0;
                        double rough = 0;
                        for (int i = 0; i < n; i++) {
                            lo[i] = -r.nextDouble();
                            hi[i] = 1 + r.nextDouble();
                            mean[i] = r.nextDouble();
                            inv[i] = 1 / Math.max(0.05, r.nextDouble());
                            within &= v[i] >= lo[i] && v[i] <= hi[i];
                            withinGlobal &= v[i] >= 0 && v[i] <= 1;
                            double z = (v[i] - mean[i]) * inv[i];
                            sz2 += z * z;
                            sy += v[i] - 0.25;
                            sy2 += (v[i] - 0.25) * (v[i] - 0.25);
                            rough += i > 0 ? Math.abs(v[i] - v[i - 1]) : 0;
                        }
                        double[] out = new double[4];
                        assertThat(k.within(v, 0, 1)).as(k.name()).isEqualTo(withinGlobal);
                        assertThat(k.within(v, lo, hi)).as(k.name()).isEqualTo(within);
                        assertThat(k.sums(v, lo, hi, false, 0, 0, mean, inv, 0.25, out)).as(k.name()).isEqualTo(within);
                        double[] expected = {sz2, sy, sy2, rough};
                        for (int q = 0; q < 4; q++) {
                            if (Double.isFinite(expected[q])) {
                                assertThat(out[q]).as("%s sum %d", k.name(), q)
                                        .isCloseTo(expected[q], org.assertj.core.data.Offset.offset(
                                                1e-9 * Math.max(1, Math.abs(expected[q]))));
                            } else {
                                assertThat(Double.isFinite(out[q])).as("%s sum %d", k.name(), q).isFalse();
                            }
                        }
                    });
        }
    }

    private static ContractKernel[] kernels() {
        return new ContractKernel[] {SCALAR, vectors[0], vectors[1]};
    }
}
