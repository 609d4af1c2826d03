package dev.veil.internal.monitor;

import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SketchKernel} on the Vector API: each block of sixteen coordinates is two 8-float loads,
 * subtracted as floats, widened to 8 doubles each and squared into two 512-bit accumulators (lanes
 * 0-7 and 8-15 of the lane sums), which are folded by one vector addition and added as the same
 * tree: the scalar kernel's bits.
 * Loaded only when {@code jdk.incubator.vector} is in the boot layer.
 */
final class VectorSketchKernel extends SketchKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_512;

    /** The kernel, or {@code null} where the hardware has no 512-bit vectors (the scalar one is then as fast). */
    static SketchKernel createIfUseful() {
        return DoubleVector.SPECIES_PREFERRED.vectorBitSize() >= D.vectorBitSize() ? new VectorSketchKernel() : null;
    }

    @Override
    double distance(float[] s, byte[] data, int at) {
        int m = s.length;
        int body = m - m % LANES;
        DoubleVector low = DoubleVector.zero(D);
        DoubleVector high = low;
        for (int j = 0; j < body; j += LANES) {
            FloatVector a = FloatVector.fromArray(F, s, j)
                    .sub(FloatVector.fromByteArray(F, data, at + 4 * j, ByteOrder.LITTLE_ENDIAN));
            FloatVector b = FloatVector.fromArray(F, s, j + 8)
                    .sub(FloatVector.fromByteArray(F, data, at + 4 * j + 32, ByteOrder.LITTLE_ENDIAN));
            DoubleVector da = (DoubleVector) a.convertShape(VectorOperators.F2D, D, 0);
            DoubleVector db = (DoubleVector) b.convertShape(VectorOperators.F2D, D, 0);
            low = low.add(da.mul(da));
            high = high.add(db.mul(db));
        }
        DoubleVector a = low.add(high);
        double sum = tree(a.lane(0), a.lane(1), a.lane(2), a.lane(3), a.lane(4), a.lane(5), a.lane(6), a.lane(7));
        return finish(s, data, at, body, sum);
    }

    @Override
    String name() {
        return "vector-512";
    }
}
