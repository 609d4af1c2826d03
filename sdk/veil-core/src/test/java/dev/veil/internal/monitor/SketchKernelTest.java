package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The knn detector's distance kernels: the scalar one must follow the documented order of the sums
 * (sixteen lane sums, folded to eight and added as a tree, then the tail), and the vector one (veil-core's tests run with
 * {@code --add-modules jdk.incubator.vector}) must give the same bits, for any sketch length and
 * any place of the entry in its array.
 */
class SketchKernelTest {
    private static final SketchKernel SCALAR = new SketchKernel.Scalar();

    /** Coordinates as sketches have them (any finite float, clamped to +-1e30), some special. */
    private static float coordinate(SplittableRandom r) {
        return switch (r.nextInt(8)) {
            case 0 -> 0f;
            case 1 -> -0f;
            case 2 -> Float.MIN_VALUE;
            case 3 -> (float) (r.nextGaussian() * 1e30);
            default -> (float) r.nextGaussian();
        };
    }

    /** The documented definition, written out plainly. */
    private static double definition(float[] s, float[] e) {
        int body = s.length - s.length % 16;
        double[] lanes = new double[16];
        for (int j = 0; j < body; j++) {
            double t = s[j] - e[j];
            lanes[j % 16] += t * t;
        }
        double[] a = new double[8];
        for (int l = 0; l < 8; l++) {
            a[l] = lanes[l] + lanes[l + 8];
        }
        double sum = ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
        for (int j = body; j < s.length; j++) {
            double t = s[j] - e[j];
            sum += t * t;
        }
        return Math.sqrt(sum);
    }

    @Test
    void kernelsFollowTheDocumentedOrderBitForBit() {
        SketchKernel vector = SketchKernel.INSTANCE;
        qt().withExamples(3000).forAll(longs().all(), integers().between(1, 300), integers().between(0, 40))
                .checkAssert((seed, m, pad) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    float[] s = new float[m];
                    float[] e = new float[m];
                    for (int j = 0; j < m; j++) {
                        s[j] = coordinate(r);
                        e[j] = r.nextInt(4) == 0 ? s[j] : coordinate(r); // equal coordinates too
                    }
                    byte[] data = new byte[pad + 4 * m + r.nextInt(8)];
                    ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
                    for (int j = 0; j < m; j++) {
                        b.putFloat(pad + 4 * j, e[j]);
                    }
                    double expected = definition(s, e);
                    assertThat(SCALAR.distance(s, data, pad)).isEqualTo(expected);
                    assertThat(Double.doubleToRawLongBits(vector.distance(s, data, pad)))
                            .as("%s kernel, m %d", vector.name(), m).isEqualTo(Double.doubleToRawLongBits(expected));
                });
    }

    @Test
    void theVectorKernelRunsWhereTheModuleAndWideVectorsAre() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "the JVM runs without --add-modules jdk.incubator.vector");
        assumeTrue(VectorSketchKernel.createIfUseful() != null, "this hardware has no 512-bit vectors");
        assertThat(SketchKernel.INSTANCE.name()).isEqualTo("vector-512");
    }
}
