package dev.veil.benchmarks;

import dev.veil.ApiKeys;
import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Credentials;
import dev.veil.Features;
import dev.veil.PolicyBundle;
import dev.veil.Prediction;
import dev.veil.internal.access.Authenticator;
import dev.veil.internal.access.CallerLimiter;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.output.ReleaseTransformer;
import dev.veil.internal.validation.CompiledContract;
import dev.veil.internal.validation.TrainingStats;
import dev.veil.spi.AccessDecision;
import dev.veil.spi.CompiledPolicy;
import dev.veil.internal.monitor.StatefulDetector;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.StateOp;
import java.util.ArrayList;
import dev.veil.spi.PolicyInput;
import dev.veil.spi.PredictionSummary;
import dev.veil.spi.Query;
import dev.veil.spi.ReleaseSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
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
 * Where a Guard call's time goes: the request-thread parts of the stages of
 * {@link GuardOverheadBenchmark}, each alone, built from the same bundle the way the Guard builds
 * them. Diagnostic (average time only); the figures that count are {@link GuardOverheadBenchmark}'s.
 * The policy questions are in {@link PolicyEngineBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector") // vectorised validation: see the README
public class GuardStagesBenchmark {

    /** The stage components of the full bundle (distribution check on) and the contract without it. */
    @State(Scope.Benchmark)
    public static class Stages {
        double[][] pool;
        Fixture.SoftmaxModel model;
        Prediction[] predictions;
        Credentials credentials;
        Authenticator authenticator;
        CompiledContract withDistribution;
        CompiledContract withoutDistribution;
        StatefulDetector rate;
        MemoryStateStore store;
        CallerLimiter limiter;
        AccessDecision access;
        ReleaseSpec release;
        ReleaseTransformer transformer = new ReleaseTransformer();
        SplittableRandom random = new SplittableRandom(3);
        Caller caller;
        int next;
        Path dir;

        @Setup
        public void setUp() throws IOException {
            pool = Fixture.pool();
            model = new Fixture.SoftmaxModel();
            predictions = new Prediction[pool.length];
            for (int i = 0; i < pool.length; i++) {
                predictions[i] = model.predict(pool[i]);
            }
            TrainingStats stats = Fixture.stats(pool);
            ApiKeys.Issued key = Fixture.issueKey();
            credentials = Credentials.apiKey(key.plaintext());
            dir = Files.createTempDirectory("veil-bench-stages");
            double maxRmsZ = Fixture.maxRmsZ(stats, pool);
            PolicyBundle full = PolicyBundle.load(Fixture.writeBundle(dir.resolve("full"),
                    Fixture.policy(true, maxRmsZ, Fixture.InputLogging.DIGEST), key, stats));
            PolicyBundle noDist = PolicyBundle.load(Fixture.writeBundle(dir.resolve("no-distribution"),
                    Fixture.policy(false, maxRmsZ, Fixture.InputLogging.DIGEST), key, stats));
            CompiledPolicy policy = full.policy();
            authenticator = Authenticator.from(policy.settings().authentication(), full.contents(), Clock.systemUTC());
            caller = new Caller("bench", AuthMethod.API_KEY, Set.of("analyst"), "", Map.of());
            PolicyInput in = new PolicyInput(caller, Fixture.model(model).info(), 30, Fixture.FEATURES,
                    8L * Fixture.FEATURES, List.of(), List.of(), false, null);
            withDistribution = CompiledContract.compile(policy.validation(in).contract());
            withoutDistribution = CompiledContract.compile(noDist.policy().validation(in).contract());
            rate = BuiltinDetectors.create("rate", policy.settings().detectors().get("rate"));
            store = new MemoryStateStore(64L << 20, Clock.systemUTC(), 1000);
            limiter = new CallerLimiter(Clock.systemUTC());
            access = policy.access(in);
            release = policy.output(in.withPrediction(PredictionSummary.of(predictions[0]), false)).release();
            for (double[] x : pool) {
                if (withDistribution.check(Features.of(x), -1) != null) {
                    throw new IllegalStateException("benchmark setup: a pool input fails the contract");
                }
            }
        }

        int index() {
            return next++ & (Fixture.POOL - 1);
        }

        @TearDown
        public void tearDown() {
            Fixture.deleteTree(dir);
        }
    }

    /**
     * API-key authentication: parse, look up, SipHash of the secret, constant-time compare (the
     * salted SHA-256 runs only until the store has seen the secret match, i.e. in the first call).
     */
    @Benchmark
    public Object authenticate(Stages s) {
        return s.authenticator.authenticate(s.credentials);
    }

    /**
     * Rate limit and daily quota of the caller (token bucket under the caller's lock), given the
     * request's time as the in-memory state store gives it (read here as {@link #rateDetector} reads
     * its query's time).
     */
    @Benchmark
    public Object rateLimit(Stages s) {
        return s.limiter.tryAcquire("bench", s.access.rateLimit(), s.access.dailyQuota(), System.currentTimeMillis());
    }

    /** Shape, range and payload size of a 784-feature input. */
    @Benchmark
    public Object validateNoDistribution(Stages s) {
        return s.withoutDistribution.check(Features.of(s.pool[s.index()]), -1);
    }

    /** As {@link #validateNoDistribution} plus the distribution check (RMS z-score and summaries). */
    @Benchmark
    public Object validateWithDistribution(Stages s) {
        return s.withDistribution.check(Features.of(s.pool[s.index()]), -1);
    }

    /** The rate detector's sliding-window count for the caller, through the in-memory state store. */
    @Benchmark
    public Object rateDetector(Stages s) {
        Query q = new Query(s.caller, System.currentTimeMillis(), Features.of(s.pool[s.index()]));
        List<StateOp> ops = new ArrayList<>(1);
        Object ctx = s.rate.plan(q, ops);
        return s.rate.evaluate(q, ctx, s.store.execute(ops.toArray(StateOp[]::new)), 0);
    }

    /** The summary the output policy sees, and the release: top 3 rounded to 0.05. */
    @Benchmark
    public void release(Stages s, Blackhole bh) {
        Prediction raw = s.predictions[s.index()];
        bh.consume(PredictionSummary.of(raw));
        bh.consume(s.transformer.apply(raw, s.release, s.random));
    }
}
