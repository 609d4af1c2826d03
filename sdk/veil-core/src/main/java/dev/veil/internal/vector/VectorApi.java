package dev.veil.internal.vector;

import java.util.function.Supplier;

/**
 * Whether Veil's kernels run on the JDK's incubating Vector API ({@code jdk.incubator.vector}, an
 * optional module: {@code --add-modules jdk.incubator.vector}). Each kernel has a plain-Java twin
 * that gives the same bits, so this choice changes speed, never a decision or a signal. The system
 * property {@code veil.validation.scalar=true} forces the plain kernels everywhere (benchmarks use it
 * to compare; the name is older than the second kernel).
 */
public final class VectorApi {
    private VectorApi() {}

    /**
     * The vector kernel when the module is present and {@code vector} gives one (it returns null
     * where the hardware's vectors are too narrow to help), else the plain one.
     *
     * @param vector makes the vector kernel; it is the only code that names the module's classes, so
     *     a module that is present but not readable from here fails inside it, and the plain kernel is
     *     used
     * @param scalar makes the plain kernel
     */
    public static <K> K choose(Supplier<K> vector, Supplier<K> scalar) {
        if (Boolean.getBoolean("veil.validation.scalar")
                || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return scalar.get();
        }
        try {
            K k = vector.get();
            if (k != null) {
                return k;
            }
        } catch (LinkageError e) {
            // in the boot layer but not readable here (a custom layer set-up): the plain kernel
            System.getLogger("dev.veil.Guard").log(System.Logger.Level.DEBUG,
                    "the Vector API is present but not usable here", e);
        }
        return scalar.get();
    }
}
