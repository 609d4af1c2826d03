package dev.veil.benchmarks;

import dev.veil.ApiKeys;
import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Level;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Signal;
import dev.veil.internal.validation.TrainingStats;
import dev.veil.spi.CompiledPolicy;
import dev.veil.spi.PolicyInput;
import dev.veil.spi.PredictionSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The policy engine alone: the compiled YAML policy of {@link GuardOverheadBenchmark} (distribution
 * check on, input digest) answering the questions the Guard asks for one allowed request, with the
 * policy inputs the Guard would build (caller from the API key, rate signal, prediction summary).
 * The baseline for other engines (Rego) answering the same questions.
 */
@BenchmarkMode({Mode.SampleTime, Mode.AverageTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PolicyEngineBenchmark {

    /** The compiled policy and three policy inputs: before monitoring, with signals, with the prediction. */
    @State(Scope.Benchmark)
    public static class Engine {
        CompiledPolicy policy;
        PolicyInput request;
        PolicyInput observed;
        PolicyInput predicted;
        PolicyInput logged;
        Path dir;

        @Setup
        public void setUp() throws IOException {
            double[][] pool = Fixture.pool();
            TrainingStats stats = Fixture.stats(pool);
            ApiKeys.Issued key = Fixture.issueKey();
            dir = Files.createTempDirectory("veil-bench-engine");
            Path bundleDir = Fixture.writeBundle(dir.resolve("bundle"),
                    Fixture.policy(true, Fixture.maxRmsZ(stats, pool), Fixture.InputLogging.DIGEST), key, stats);
            policy = PolicyBundle.load(bundleDir).policy();
            Caller caller = new Caller("bench", AuthMethod.API_KEY, Set.of("analyst"), "", Map.of());
            ModelInfo info = Fixture.model(new Fixture.SoftmaxModel()).info();
            request = new PolicyInput(caller, info, 30.0, Fixture.FEATURES, 8L * Fixture.FEATURES, List.of(), List.of(),
                    false, null);
            List<Signal> signals = List.of(new Signal("rate", Level.NONE, 42));
            observed = request.withSignals(signals, false);
            PredictionSummary summary = PredictionSummary.of(new Fixture.SoftmaxModel().predict(pool[0]));
            predicted = observed.withPrediction(summary, false);
            logged = new PolicyInput(caller, info, 0.0, Fixture.FEATURES, 8L * Fixture.FEATURES, List.of(), signals,
                    false, null);
            // The questions must take the paths of an allowed request.
            if (!policy.access(request).allow() || !policy.monitoring(observed).actions().isEmpty()
                    || policy.model(observed).stale()) {
                throw new IllegalStateException("benchmark setup: the policy does not allow the benchmark request");
            }
        }

        @TearDown
        public void tearDown() {
            Fixture.deleteTree(dir);
        }
    }

    /** access, validation, monitoring and output: the four questions with conditions worth comparing. */
    @Benchmark
    public void yamlFourQuestions(Engine e, Blackhole bh) {
        bh.consume(e.policy.access(e.request));
        bh.consume(e.policy.validation(e.request));
        bh.consume(e.policy.monitoring(e.observed));
        bh.consume(e.policy.output(e.predicted));
    }

    /** All six questions the Guard asks for an allowed request (adds model and logging). */
    @Benchmark
    public void yamlAllSix(Engine e, Blackhole bh) {
        bh.consume(e.policy.access(e.request));
        bh.consume(e.policy.validation(e.request));
        bh.consume(e.policy.monitoring(e.observed));
        bh.consume(e.policy.model(e.observed));
        bh.consume(e.policy.output(e.predicted));
        bh.consume(e.policy.logging(e.logged));
    }
}
