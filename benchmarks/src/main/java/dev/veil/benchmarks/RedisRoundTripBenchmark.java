package dev.veil.benchmarks;

import dev.veil.Signal;
import dev.veil.redis.RedisStateStore;
import dev.veil.spi.StateOp;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 3's Redis round-trip budget: one waited round trip per request, pipelined. Against a real
 * {@code redis-server} that the set-up starts on a free loopback port ({@link LocalRedis}):
 *
 * <ul>
 *   <li>{@code monitorAll}: the nine built-in detectors (defaults, 784 features, the benign
 *       traffic of {@link DetectorTraffic}) on a {@link RedisStateStore}, as the Guard runs them:
 *       one {@code execute} (every detector's reads and updates in one {@code EVALSHA}, waited
 *       for) and one {@code submit} (the answer detectors' history, not waited for);
 *   <li>{@code bareRoundTrip}: the smallest batch ({@code BlockedUntil}), i.e. the loopback round
 *       trip and the script call alone, the floor under {@code monitorAll}.
 * </ul>
 *
 * <p>The tear-down prints Redis's own count of {@code EVALSHA} calls per request (from
 * {@code INFO commandstats}): the budget is met when it is 2 for {@code monitorAll} (one execute,
 * waited for, and one submit, not waited for) and 1 for {@code bareRoundTrip}. It also prints
 * {@code total_commands_processed} per request, which counts the commands the script itself runs
 * inside Redis (no further round trips: that is Redis's own work per request).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RedisRoundTripBenchmark {
    @Param({"500"})
    public int callers;

    @Param({"5000"})
    public int prefill;

    private LocalRedis redis;
    private RedisStateStore store;
    private DetectorTraffic traffic;
    private DetectorTraffic.Prepared next;
    private long requests;
    private long evalshaBefore;
    private long commandsBefore;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        redis = new LocalRedis();
        store = RedisStateStore.builder(redis.url()).timeout(Duration.ofSeconds(5)).build();
        traffic = new DetectorTraffic("all", callers, 42);
        for (int i = 0; i < prefill; i++) {
            traffic.observe(store, traffic.next());
        }
        evalshaBefore = redis.calls("evalsha");
        commandsBefore = totalCommands();
    }

    @Setup(Level.Invocation)
    public void nextQuery() {
        next = traffic.next();
    }

    @Benchmark
    public Signal[] monitorAll() {
        requests++;
        return traffic.observe(store, next);
    }

    @Benchmark
    public Object[] bareRoundTrip() {
        requests++;
        return store.execute(new StateOp.BlockedUntil("bench", next.query().timeMillis()));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        store.close();
        long evalsha = redis.calls("evalsha") - evalshaBefore;
        long commands = totalCommands() - commandsBefore;
        System.out.printf("%n[redis] %d requests: %.3f EVALSHA per request; %.1f commands per request including those"
                + " the script runs (INFO); failed submits %d%n",
                requests, evalsha / (double) requests, commands / (double) requests, store.failedSubmits());
        redis.close();
    }

    private long totalCommands() throws IOException {
        String info = redis.command("INFO", "stats");
        String key = "total_commands_processed:";
        int i = info.indexOf(key) + key.length();
        int j = i;
        while (Character.isDigit(info.charAt(j))) {
            j++;
        }
        return Long.parseLong(info.substring(i, j)) - 1; // less this INFO itself
    }
}
