package dev.veil.internal.audit;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Features;
import dev.veil.Level;
import dev.veil.ModelInfo;
import dev.veil.Prediction;
import dev.veil.ReleasedPrediction;
import dev.veil.Signal;
import dev.veil.Stage;
import dev.veil.benchmarks.Fixture;
import dev.veil.internal.output.ReleaseTransformer;
import dev.veil.spi.FieldMode;
import dev.veil.spi.LoggingDecision;
import dev.veil.spi.PredictionSummary;
import dev.veil.spi.ReleaseSpec;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The audit writer thread's work per record: mask, digest, canonical JSON, SHA-256 chain hash (the
 * file write is left out). Its inverse is the most records per second one writer thread can take,
 * which a Guard called in a tight loop must not exceed. Records as the Guard builds them for an
 * allowed request of {@code GuardOverheadBenchmark} (in this package because the serializer is
 * package-private).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AuditSerializerBenchmark {

    /** One record per pool input, with the input logged as a digest and masked. */
    @State(Scope.Thread)
    public static class Records {
        AuditRecord[] digest;
        AuditRecord[] mask;
        AuditSerializer serializer = new AuditSerializer(AuditSerializer.ZERO_HASH);
        ByteSink out = new ByteSink(64 * 1024);
        int next;

        @Setup
        public void setUp() {
            double[][] pool = Fixture.pool();
            Fixture.SoftmaxModel model = new Fixture.SoftmaxModel();
            ModelInfo info = Fixture.model(model).info();
            Caller caller = new Caller("bench", AuthMethod.API_KEY, Set.of("analyst"), "", Map.of());
            ReleaseSpec spec = new ReleaseSpec(ReleaseSpec.Form.TOP_K, 3, 0.05, 0, null, null, false);
            ReleaseTransformer transformer = new ReleaseTransformer();
            digest = new AuditRecord[pool.length];
            mask = new AuditRecord[pool.length];
            for (int i = 0; i < pool.length; i++) {
                Prediction raw = model.predict(pool[i]);
                ReleasedPrediction released = transformer.apply(raw, spec, null);
                digest[i] = record(caller, info, pool[i], raw, released, FieldMode.DIGEST);
                mask[i] = record(caller, info, pool[i], raw, released, FieldMode.MASK);
            }
        }

        private static AuditRecord record(Caller caller, ModelInfo info, double[] x, Prediction raw,
                ReleasedPrediction released, FieldMode input) {
            AuditRecord.Builder b = AuditRecord.builder(UUID.randomUUID().toString(), Instant.now())
                    .bundle("bench-image-classifier", "")
                    .caller(caller)
                    .model(info)
                    .features(Features.of(x))
                    .payloadBytes(8L * x.length)
                    .released(released, false)
                    .signals(List.of(new Signal("rate", Level.NONE, 42)))
                    .rules(List.of("access:analysts", "validation:default", "output:default"))
                    .raw(PredictionSummary.of(raw))
                    .logging(new LoggingDecision("default", input, FieldMode.KEEP, FieldMode.MASK, FieldMode.KEEP))
                    .latencyNanos(2345);
            for (Stage s : List.of(Stage.ACCESS, Stage.VALIDATION, Stage.OBSERVE, Stage.MODEL, Stage.OUTPUT)) {
                b.stage(s, StageOutcome.ALLOW);
            }
            return b.build();
        }

        int index() {
            return next++ & (Fixture.POOL - 1);
        }
    }

    /** A record whose 784 input features are logged as a SHA-256 digest (of their bytes as big-endian doubles). */
    @Benchmark
    public String serializeInputDigest(Records r) throws IOException {
        r.out.reset();
        return r.serializer.append(r.digest[r.index()], r.out);
    }

    /** The same record with the input masked. */
    @Benchmark
    public String serializeInputMask(Records r) throws IOException {
        r.out.reset();
        return r.serializer.append(r.mask[r.index()], r.out);
    }
}
