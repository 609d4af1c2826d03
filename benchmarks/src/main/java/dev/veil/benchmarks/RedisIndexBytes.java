package dev.veil.benchmarks;

import dev.veil.redis.RedisStateStore;
import dev.veil.spi.StateOp;
import java.time.Duration;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one shared fingerprint index costs in Redis per remembered query at a given bound: queries
 * of 50 random hashes (distinct queries, as {@code near_duplicate} sends with its defaults) with
 * members of 31 characters (the shared index's: caller tag, vector tag, time) into one index of a
 * {@link RedisStateStore} whose shared indexes are bounded at {@code bound} queries, in a fresh
 * {@code redis-server} ({@link LocalRedis}); Redis's {@code used_memory} per query once the index
 * holds {@code bound} queries, and again after {@code queries} in all (forgotten queries' entries
 * waiting for the sweep). The bound sets the modulus of the numbers the entries keep (batch.lua,
 * ops.F), so a bound of 100,000 (the default) keeps larger numbers than the 1,000 of
 * {@code RedisStateBytesTest}. A first index of 1,000 queries is filled and not counted (the first
 * in a Redis measures more: Redis's own tables grow). Run:
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar dev.veil.benchmarks.RedisIndexBytes [bound [queries]]
 * }</pre>
 */
public final class RedisIndexBytes {
    private RedisIndexBytes() {}

    private static final Pattern USED = Pattern.compile("used_memory:(\\d+)");
    private static final String CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    public static void main(String[] args) throws Exception {
        int bound = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int queries = args.length > 1 ? Integer.parseInt(args[1]) : bound + bound / 5;
        if (queries < bound) {
            throw new IllegalArgumentException("queries (" + queries + ") must be at least the bound (" + bound + ")");
        }
        SplittableRandom r = new SplittableRandom(7);
        try (LocalRedis redis = new LocalRedis();
                RedisStateStore store = RedisStateStore.builder(redis.url()).namespace("veil:{index}:")
                        .timeout(Duration.ofSeconds(10)).fingerprintIndexQueries(1_000, bound).build()) {
            send(store, "warm", r, 1_000);
            long before = used(redis);
            send(store, "g", r, bound);
            double filled = (used(redis) - before) / (double) bound;
            send(store, "g", r, queries - bound);
            double after = (used(redis) - before) / (double) bound;
            System.out.printf(Locale.ROOT, "one shared index bounded at %d queries, 50 hashes a query: %.0f B of Redis "
                    + "used_memory per remembered query once full; %.0f B after %d queries in all%n", bound, filled,
                    after, queries);
        }
    }

    private static void send(RedisStateStore store, String index, SplittableRandom r, int n) {
        for (int i = 0; i < n; i++) {
            long[] h = new long[50];
            for (int j = 0; j < h.length; j++) {
                h[j] = r.nextLong();
            }
            char[] m = new char[31];
            for (int j = 0; j < m.length; j++) {
                m[j] = CHARS.charAt(r.nextInt(CHARS.length()));
            }
            store.execute(new StateOp.Fingerprint(index, h, new String(m), 8, 3_600_000));
        }
    }

    private static long used(LocalRedis redis) throws Exception {
        Matcher m = USED.matcher(redis.command("INFO", "memory"));
        if (!m.find()) {
            throw new IllegalStateException("no used_memory in INFO memory");
        }
        return Long.parseLong(m.group(1));
    }
}
