package dev.veil.benchmarks;

import dev.veil.redis.RedisStateStore;
import dev.veil.spi.StateOp;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 3's "bytes of state per remembered query" in Redis: {@link StateBytes}'s traffic (the same
 * detector sets of {@link DetectorTraffic}, at the defaults, 784 features, N benign queries from a
 * number of callers) through a {@link RedisStateStore}, each set in its own namespace of a fresh
 * {@code redis-server} ({@link LocalRedis}), and Redis's {@code used_memory} before and after,
 * divided by N. Run:
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar dev.veil.benchmarks.RedisStateBytes [N [callers]]
 * }</pre>
 */
public final class RedisStateBytes {
    private RedisStateBytes() {}

    private static final Pattern USED = Pattern.compile("used_memory:(\\d+)");

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int callers = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        System.out.printf(Locale.ROOT, "%d queries from %d callers, 784 features, defaults, Redis used_memory%n", n,
                callers);
        System.out.printf(Locale.ROOT, "%-16s %14s %12s%n", "detectors", "Redis B/query", "keys/query");
        try (LocalRedis redis = new LocalRedis()) {
            for (String set : new String[] {"near_duplicate", "knn", "antithetic", "answers"}) {
                measure(redis, set, n, callers);
            }
        }
    }

    private static void measure(LocalRedis redis, String set, int n, int callers) throws Exception {
        DetectorTraffic traffic = new DetectorTraffic(set, callers, 42);
        DetectorTraffic.Prepared[] queries = new DetectorTraffic.Prepared[n];
        for (int i = 0; i < n; i++) {
            queries[i] = traffic.next();
        }
        try (RedisStateStore store = RedisStateStore.builder(redis.url()).namespace("veil:{" + set + "}:")
                .timeout(Duration.ofSeconds(10)).build()) {
            traffic.observe(store, traffic.next());
            store.execute(new StateOp.ListRead("sync")); // after the submitted batches on the one connection
            long before = used(redis);
            long keysBefore = keys(redis);
            for (int i = 0; i < n; i++) {
                traffic.observe(store, queries[i]);
            }
            store.execute(new StateOp.ListRead("sync"));
            System.out.printf(Locale.ROOT, "%-16s %14.0f %12.2f%n", set, (used(redis) - before) / (double) n,
                    (keys(redis) - keysBefore) / (double) n);
        }
    }

    private static long used(LocalRedis redis) throws Exception {
        Matcher m = USED.matcher(redis.command("INFO", "memory"));
        if (!m.find()) {
            throw new IllegalStateException("no used_memory in INFO memory");
        }
        return Long.parseLong(m.group(1));
    }

    private static long keys(LocalRedis redis) throws Exception {
        return Long.parseLong(redis.command("DBSIZE").replaceAll("\\D", ""));
    }
}
