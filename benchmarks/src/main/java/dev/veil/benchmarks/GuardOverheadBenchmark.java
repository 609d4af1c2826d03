package dev.veil.benchmarks;

import dev.veil.ApiKeys;
import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Features;
import dev.veil.Guard;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.internal.audit.AuditStats;
import dev.veil.internal.audit.AuditWriter;
import dev.veil.internal.guard.DefaultGuard;
import dev.veil.internal.validation.TrainingStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a Guard adds to a prediction: a 784-feature softmax regression called directly
 * ({@link #direct}) and through a Guard running every stage with a realistic policy, audit records
 * going to an asynchronous JSON-lines file ({@link #guarded} and its variants). The added cost is
 * the difference to {@code direct} in the same run; see benchmarks/README.md for the figures.
 *
 * <p>The inputs cycle through {@value Fixture#POOL} distinct image-like vectors. Each measurement
 * iteration opens a fresh Guard on a fresh audit file (so the file stays small) and, when it ends,
 * prints the audit writer's counters: if {@code producerWaits} is not 0 the writer thread did not
 * keep up and the figure includes back-pressure; {@code denied} counts requests that were not
 * released (it must be 0, or the benchmark measured refusals).
 */
@BenchmarkMode({Mode.SampleTime, Mode.AverageTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector") // vectorised validation: see the README
public class GuardOverheadBenchmark {

    /** The model, the input pool, the key and the statistics: built once per trial. */
    @State(Scope.Benchmark)
    public static class Shared {
        Fixture.SoftmaxModel model;
        double[][] pool;
        ApiKeys.Issued key;
        TrainingStats stats;
        double maxRmsZ;
        Path dir;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            model = new Fixture.SoftmaxModel();
            pool = Fixture.pool();
            key = Fixture.issueKey();
            stats = Fixture.stats(pool);
            maxRmsZ = Fixture.maxRmsZ(stats, pool);
            String base = System.getProperty("veil.bench.dir");
            dir = base == null ? Files.createTempDirectory("veil-bench")
                    : Files.createTempDirectory(Files.createDirectories(Path.of(base)), "veil-bench");
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            Fixture.deleteTree(dir);
        }
    }

    /** Which input comes next; one cursor per benchmark thread. */
    @State(Scope.Thread)
    public static class Cursor {
        private int next;

        double[] next(double[][] pool) {
            return pool[next++ & (Fixture.POOL - 1)];
        }

        /**
         * A fresh copy of the next input, as a service builds one when it decodes a request: the
         * copy reads the pool's vector (not in this core's caches: the pool is 3 MB) and leaves the
         * new array in them, where a decoded request's array is when the service calls predict.
         */
        double[] fresh(double[][] pool) {
            return next(pool).clone();
        }
    }

    /**
     * Leaves the thread idle for {@value #PAUSE_MICROS} microseconds before each call (outside the
     * timed section: JMH times each call of a benchmark with an invocation-level fixture on its own).
     * This offers at most about 10,000 calls a second, which one audit writer keeps up with even when
     * it digests every input; and caches cool down between calls, as in a service that is not
     * saturated.
     */
    @State(Scope.Thread)
    public static class Pacer {
        static final long PAUSE_MICROS = 100;

        @Setup(Level.Invocation)
        public void pause() {
            LockSupport.parkNanos(PAUSE_MICROS * 1000);
        }
    }

    /**
     * A Guard over one bundle variant. The bundle is written and loaded once per trial; the Guard
     * and its audit file are new in every iteration.
     */
    public abstract static class GuardState {
        private PolicyBundle bundle;
        private Path bundleDir;
        private Path auditFile;
        private Shared shared;
        private int iteration;
        Guard<double[]> guard;
        Credentials credentials;
        final LongAdder denied = new LongAdder();

        abstract boolean distribution();

        abstract Fixture.InputLogging inputLogging();

        /**
         * Whether the model hands its input over with {@link Features#ofOwned} (no copy by the Guard)
         * instead of {@code Model.ofVector}'s {@link Features#of} (the Guard copies the vector).
         */
        boolean ownedFeatures() {
            return false;
        }

        /** Whether the Guard wraps {@link Fixture#onePass} instead of the softmax model. */
        boolean onePassModel() {
            return false;
        }

        @Setup(Level.Trial)
        public void loadBundle(Shared s) {
            shared = s;
            String name = getClass().getSimpleName();
            bundleDir = Fixture.writeBundle(s.dir.resolve(name + "-bundle"),
                    Fixture.policy(distribution(), s.maxRmsZ, inputLogging()), s.key, s.stats);
            bundle = PolicyBundle.load(bundleDir);
            credentials = Credentials.apiKey(s.key.plaintext());
        }

        @Setup(Level.Iteration)
        public void openGuard() {
            iteration++;
            auditFile = shared.dir.resolve(getClass().getSimpleName() + "-audit-" + iteration + ".jsonl");
            guard = Guard.builder(onePassModel() ? Fixture.onePassModel()
                            : ownedFeatures() ? Fixture.ownedModel(shared.model) : Fixture.model(shared.model))
                    .policy(bundle)
                    .audit(AuditLog.jsonLines(auditFile).async(AuditLog.DEFAULT_QUEUE_CAPACITY,
                            AuditLog.DEFAULT_MAX_WAIT))
                    .build();
            // Every pool input must be released as such: otherwise the benchmark would time refusals.
            for (double[] x : shared.pool) {
                Response r = guard.predict(Request.of(credentials, x));
                if (!(r instanceof Response.Released ok) || ok.degraded()) {
                    throw new IllegalStateException("benchmark setup: a pool input was not released normally: " + r);
                }
            }
            denied.reset();
        }

        @TearDown(Level.Iteration)
        public void closeGuard() {
            AuditWriter writer = auditWriter(guard);
            AuditStats before = writer.stats();
            long t0 = System.nanoTime();
            guard.close();
            long drainMillis = (System.nanoTime() - t0) / 1_000_000;
            AuditStats after = writer.stats();
            long size;
            try {
                size = Files.size(auditFile);
                Files.delete(auditFile);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            // One line, grep-able: "veil-audit <state> written=... producerWaits=...".
            System.out.printf("%nveil-audit %s iteration=%d written=%d batches=%d records/batch=%.1f maxQueueDepth=%d "
                            + "producerWaits=%d rejected=%d lost=%d denied=%d drainedAtClose=%d drainMs=%d bytes/record=%d%n",
                    getClass().getSimpleName(), iteration, after.recordsWritten(), after.batches(),
                    after.batches() == 0 ? 0.0 : (double) after.recordsWritten() / after.batches(),
                    after.maxQueueDepth(), after.producerWaits(), after.rejected(), after.lost(), denied.sum(),
                    after.recordsWritten() - before.recordsWritten(), drainMillis,
                    after.recordsWritten() == 0 ? 0 : size / after.recordsWritten());
        }

        Response predict(Cursor c) {
            return predict(c.next(shared.pool));
        }

        Response predictFresh(Cursor c) {
            return predict(c.fresh(shared.pool));
        }

        private Response predict(double[] x) {
            Response r = guard.predict(Request.of(credentials, x));
            if (!r.allowed()) {
                denied.increment();
            }
            return r;
        }
    }

    /** All stages, distribution check on, input logged as a digest. */
    @State(Scope.Benchmark)
    public static class FullDigest extends GuardState {
        @Override
        boolean distribution() {
            return true;
        }

        @Override
        Fixture.InputLogging inputLogging() {
            return Fixture.InputLogging.DIGEST;
        }
    }

    /** As {@link FullDigest}, the model's input handed over with {@link Features#ofOwned}. */
    @State(Scope.Benchmark)
    public static class FullDigestOwned extends FullDigest {
        @Override
        boolean ownedFeatures() {
            return true;
        }
    }

    /** As {@link NoDistributionDigest}, the model's input handed over with {@link Features#ofOwned}. */
    @State(Scope.Benchmark)
    public static class NoDistributionDigestOwned extends NoDistributionDigest {
        @Override
        boolean ownedFeatures() {
            return true;
        }
    }

    /** All stages but the distribution check, input logged as a digest. */
    @State(Scope.Benchmark)
    public static class NoDistributionDigest extends GuardState {
        @Override
        boolean distribution() {
            return false;
        }

        @Override
        Fixture.InputLogging inputLogging() {
            return Fixture.InputLogging.DIGEST;
        }
    }

    /** All stages, distribution check on, input masked in the audit record. */
    @State(Scope.Benchmark)
    public static class FullMask extends GuardState {
        @Override
        boolean distribution() {
            return true;
        }

        @Override
        Fixture.InputLogging inputLogging() {
            return Fixture.InputLogging.MASK;
        }
    }

    /** As {@link FullMask}, the model's input handed over with {@link Features#ofOwned}. */
    @State(Scope.Benchmark)
    public static class FullMaskOwned extends FullMask {
        @Override
        boolean ownedFeatures() {
            return true;
        }
    }

    /** As {@link FullDigest}, wrapping {@link Fixture#onePass} instead of the softmax model. */
    @State(Scope.Benchmark)
    public static class FullDigestOnePass extends FullDigest {
        @Override
        boolean onePassModel() {
            return true;
        }
    }

    /** As {@link NoDistributionDigest}, wrapping {@link Fixture#onePass} instead of the softmax model. */
    @State(Scope.Benchmark)
    public static class NoDistributionDigestOnePass extends NoDistributionDigest {
        @Override
        boolean onePassModel() {
            return true;
        }
    }

    /** As {@link FullMask}, wrapping {@link Fixture#onePass} instead of the softmax model. */
    @State(Scope.Benchmark)
    public static class FullMaskOnePass extends FullMask {
        @Override
        boolean onePassModel() {
            return true;
        }
    }

    /** As {@link NoDistributionMask}, wrapping {@link Fixture#onePass} instead of the softmax model. */
    @State(Scope.Benchmark)
    public static class NoDistributionMaskOnePass extends NoDistributionMask {
        @Override
        boolean onePassModel() {
            return true;
        }
    }

    /** All stages but the distribution check, input masked in the audit record. */
    @State(Scope.Benchmark)
    public static class NoDistributionMask extends GuardState {
        @Override
        boolean distribution() {
            return false;
        }

        @Override
        Fixture.InputLogging inputLogging() {
            return Fixture.InputLogging.MASK;
        }
    }

    /** The baseline: the model's predict function alone. */
    @Benchmark
    public Prediction direct(Shared s, Cursor c) {
        return s.model.predict(c.next(s.pool));
    }

    /**
     * The baseline of the {@code OnePass} variants: {@link Fixture#onePass} alone, a model whose
     * time is one read of its input, so that what the Guard adds is not lost in the softmax model's
     * fork-to-fork variation.
     */
    @Benchmark
    public Prediction directOnePass(Shared s, Cursor c) {
        return Fixture.onePass(c.next(s.pool));
    }

    /** As {@link #guarded}, wrapping {@link Fixture#onePass}: the Guard's own cost, every stage. */
    @Benchmark
    public Response guardedOnePass(FullDigestOnePass g, Cursor c) {
        return g.predict(c);
    }

    /** As {@link #guardedNoDistribution}, wrapping {@link Fixture#onePass}. */
    @Benchmark
    public Response guardedNoDistributionOnePass(NoDistributionDigestOnePass g, Cursor c) {
        return g.predict(c);
    }

    /**
     * As {@link #guardedOnePass}, the input masked in the audit record: nothing reads the features
     * after the model, so the Guard does not copy them.
     */
    @Benchmark
    public Response guardedInputMaskOnePass(FullMaskOnePass g, Cursor c) {
        return g.predict(c);
    }

    /** As {@link #guardedInputMaskOnePass} without the distribution check. */
    @Benchmark
    public Response guardedNoDistributionInputMaskOnePass(NoDistributionMaskOnePass g, Cursor c) {
        return g.predict(c);
    }

    /**
     * The baseline of the {@code Fresh} variants: the model called on a fresh copy of the next input
     * (see {@link Cursor#fresh}), the copy included.
     */
    @Benchmark
    public Prediction directFresh(Shared s, Cursor c) {
        return s.model.predict(c.fresh(s.pool));
    }

    /**
     * As {@link #guardedOwned}, on a fresh copy of the next input (the copy included, as in
     * {@link #directFresh}): a service that decodes each request into a new array and hands it
     * over with {@link Features#ofOwned}.
     */
    @Benchmark
    public Response guardedFreshOwned(FullDigestOwned g, Cursor c) {
        return g.predictFresh(c);
    }

    /** As {@link #guardedFreshOwned} without the distribution check. */
    @Benchmark
    public Response guardedNoDistributionFreshOwned(NoDistributionDigestOwned g, Cursor c) {
        return g.predictFresh(c);
    }

    /** Every stage, distribution check on, audit with the input's digest. */
    @Benchmark
    public Response guarded(FullDigest g, Cursor c) {
        return g.predict(c);
    }

    /** Every stage except the distribution check, audit with the input's digest. */
    @Benchmark
    public Response guardedNoDistribution(NoDistributionDigest g, Cursor c) {
        return g.predict(c);
    }

    /**
     * As {@link #guarded}, the model built with {@link Features#ofOwned}: the Guard uses the vector
     * without a copy (for a service that builds a fresh array per request and a model that does
     * not write to its input).
     */
    @Benchmark
    public Response guardedOwned(FullDigestOwned g, Cursor c) {
        return g.predict(c);
    }

    /** As {@link #guardedNoDistribution}, the model built with {@link Features#ofOwned}. */
    @Benchmark
    public Response guardedNoDistributionOwned(NoDistributionDigestOwned g, Cursor c) {
        return g.predict(c);
    }

    /** As {@link #guarded}, with the input masked in the audit record (no 784-value digest). */
    @Benchmark
    public Response guardedInputMask(FullMask g, Cursor c) {
        return g.predict(c);
    }

    /** As {@link #guardedInputMask}, the model built with {@link Features#ofOwned}. */
    @Benchmark
    public Response guardedInputMaskOwned(FullMaskOwned g, Cursor c) {
        return g.predict(c);
    }

    /** As {@link #guardedInputMaskOwned}, on a fresh copy of the next input (see {@link #directFresh}). */
    @Benchmark
    public Response guardedInputMaskFreshOwned(FullMaskOwned g, Cursor c) {
        return g.predictFresh(c);
    }

    /** As {@link #guardedNoDistribution}, with the input masked in the audit record. */
    @Benchmark
    public Response guardedNoDistributionInputMask(NoDistributionMask g, Cursor c) {
        return g.predict(c);
    }

    /** {@link #direct} with a pause before each call (see {@link Pacer}); sample time only. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    public Prediction directPaced(Shared s, Cursor c, Pacer p) {
        return s.model.predict(c.next(s.pool));
    }

    /**
     * {@link #guarded} with a pause before each call (see {@link Pacer}): the cost of every stage,
     * input digest included, when the audit writer is not the bottleneck. Sample time only.
     */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    public Response guardedPaced(FullDigest g, Cursor c, Pacer p) {
        return g.predict(c);
    }

    /** The Guard's audit writer, for its counters (not part of the public API). */
    static AuditWriter auditWriter(Guard<?> guard) {
        try {
            Field f = DefaultGuard.class.getDeclaredField("audit");
            f.setAccessible(true);
            return (AuditWriter) f.get(guard);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("DefaultGuard has no field 'audit' any more; update the benchmark", e);
        }
    }
}
