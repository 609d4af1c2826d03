package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The antithetic detector's pair kernels: the scalar one must count what its contract defines, and
 * the vector one (veil-core's tests run with {@code --add-modules jdk.incubator.vector}) the same,
 * for any number of features and any place of the entries in their array.
 */
class PairKernelTest {
    private static final PairKernel SCALAR = new PairKernel.Scalar();
    private static final int FAR = 1 << 24;

    /** Units as the detector has them: near each other (so that every comparison can go either way), or blind. */
    private static int unit(SplittableRandom r, int around) {
        return switch (r.nextInt(10)) {
            case 0 -> FAR;
            case 1 -> -Short.MAX_VALUE + r.nextInt(2 * Short.MAX_VALUE + 1);
            default -> around + r.nextInt(81) - 40;
        };
    }

    @Test
    void kernelsCountWhatTheContractDefines() {
        PairKernel kernel = PairKernel.INSTANCE;
        qt().withExamples(3000).forAll(longs().all(), integers().between(1, 300), integers().between(1, 40))
                .checkAssert((seed, n, tol2) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    int[] sums = new int[n];
                    int[] values = new int[n];
                    int pad = r.nextInt(20);
                    int[] u = new int[pad + 2 * n + r.nextInt(20)];
                    for (int f = 0; f < n; f++) {
                        values[f] = r.nextInt(201) - 100;
                        u[pad + f] = unit(r, values[f]);
                        u[pad + n + f] = unit(r, values[f]);
                        sums[f] = r.nextInt(8) == 0 ? -2 * FAR : u[pad + f] + u[pad + n + f] + r.nextInt(4 * tol2 + 1) - 2 * tol2;
                    }
                    int plain = 0;
                    int switched = 0;
                    for (int f = 0; f < n; f++) {
                        int d = u[pad + f];
                        int c = u[pad + n + f];
                        if (Math.abs(sums[f] - c - d) < tol2) {
                            if (Math.abs(values[f] - c) <= tol2 || Math.abs(values[f] - d) <= tol2) {
                                switched++;
                            } else {
                                plain++;
                            }
                        }
                    }
                    long expected = (long) switched << 32 | plain;
                    assertThat(SCALAR.count(sums, values, u, pad, pad + n, n, tol2)).isEqualTo(expected);
                    assertThat(kernel.count(sums, values, u, pad, pad + n, n, tol2)).as("%s kernel, n %d", kernel.name(), n)
                            .isEqualTo(expected);
                });
    }

    @Test
    void theVectorKernelRunsWhereTheModuleIs() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "jdk.incubator.vector is not in the boot layer");
        assertThat(PairKernel.INSTANCE.name()).startsWith("vector-");
    }
}
