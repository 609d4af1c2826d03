package dev.veil.redis;

import dev.veil.redis.internal.BatchEncoder;
import dev.veil.redis.internal.RedisBatchClient;
import dev.veil.redis.internal.ReplyDecoder;
import dev.veil.spi.StateOp;
import dev.veil.spi.StateStore;
import dev.veil.spi.StateUnavailableException;
import io.lettuce.core.RedisURI;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * A {@link StateStore} in Redis, so that several Guards, in one process or many, share rate
 * buckets, daily quotas, blocks and throttles, privacy-budget ledgers and every built-in detector's
 * windows, lists and fingerprint index: an attack spread over replicas is seen as one.
 *
 * <pre>{@code
 * StateStore redis = RedisStateStore.builder("redis://redis.internal:6379")
 *         .namespace("veil:{fashion}:")
 *         .timeout(Duration.ofMillis(200))
 *         .build();
 * Guard<double[]> guard = Guard.builder(model).policy(bundle).audit(log).stateStore(redis).build();
 * }</pre>
 *
 * <p><b>One round trip per batch.</b> {@link #execute} sends the whole batch as ONE {@code EVALSHA}
 * of a Lua script that runs the operations in order and answers them together: one request, one
 * reply, whatever other threads send on the shared connection. Each operation is atomic (the whole
 * batch is, which the SPI permits but does not promise). The script is loaded once and called by
 * its SHA-1; after a Redis restart (NOSCRIPT) it is sent again once.
 *
 * <p><b>Same answers as the in-memory store.</b> Token buckets use Bucket4j's greedy-refill
 * arithmetic exactly, privacy ledgers the same fixed-point units as the in-memory ledger, windows
 * the same twelve slots; a conformance test runs the same operations against both. Where they
 * differ by design: this store has no memory cap (every key has a time to live instead; size Redis
 * and run it with {@code maxmemory-policy noeviction}, which {@link Builder#build} checks and the
 * store checks again every {@link Builder#SERVER_CHECK_INTERVAL}), no bound
 * on callers with rate or cool-down state, and its state is lost if Redis loses it (persistence is
 * Redis's configuration).
 *
 * <p><b>Failures.</b> A connection error, a timeout or an error reply throws
 * {@link StateUnavailableException}; the Guard then applies the policy's
 * {@code on_state_unavailable} ({@code deny}, {@code degrade} or {@code local}). The client
 * reconnects in the background and the next batch after Redis is back succeeds. A Redis found to
 * evict keys after the store was built (its {@code maxmemory-policy} and {@code maxmemory} are read
 * again every {@link Builder#SERVER_CHECK_INTERVAL}, off the requests' path) is unavailable too:
 * every batch throws {@link StateUnavailableException} without being sent, and an error is logged
 * once, until Redis is set back to {@code noeviction} (unless {@link Builder#allowEviction}). Keys
 * that Redis evicted since the last check ({@code evicted_keys}) are logged as an error either way.
 *
 * <p>Thread-safe; one store (one connection) serves any number of threads. Close it (the Guard
 * closes the store it was given) to close the connection.
 */
public final class RedisStateStore implements StateStore {
    private final RedisBatchClient client;
    private final BatchEncoder encoder;
    private final Clock clock;
    private final String namespace;
    /** The state generation the batches expect in Redis, and their numbers under it; renewed when Redis lost it. */
    private volatile Epoch epoch;
    private volatile boolean closed;
    private final boolean allowEviction;
    /** How long a batch is waited for (named when the clocks step apart). */
    private final java.time.Duration timeout;
    /**
     * Whether Redis's clock was last found ahead of this host's by more than the bound (1), behind
     * it (-1), or within it (0), by the periodic check (guarded by this).
     */
    private int clockApart;
    /**
     * Why every batch is refused now (Redis was found to evict keys after build, see
     * {@link #serverChecked}), or null.
     */
    private volatile String refusal;
    /** Whether an {@code INFO} of the periodic check is on its way (one at a time). */
    private final java.util.concurrent.atomic.AtomicBoolean checking = new java.util.concurrent.atomic.AtomicBoolean();
    /** {@code maxmemory_policy} and {@code maxmemory} last read (guarded by this); null when unknown. */
    private String evictionSettings;
    /** {@code evicted_keys} last read (guarded by this); -1 when unknown. */
    private long evictedKeys = -1;

    private RedisStateStore(Builder b) {
        this.clock = b.clock;
        this.namespace = b.namespace;
        this.allowEviction = b.allowEviction;
        this.timeout = b.timeout;
        this.encoder = new BatchEncoder(b.namespace, b.maxLedgerCallers, b.maxCallerIndexQueries,
                b.maxSharedIndexQueries);
        this.client = new RedisBatchClient(b.uri, b.namespace, b.timeout, b.connectTimeout, b.hostClock, b.clientKeys,
                b.trusted);
        try {
            checkServer(b);
            epoch = new Epoch(client.generation(encoder.generationKey(), newGeneration(), true));
            checkCommands();
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
        client.every(b.serverCheckInterval, this::checkServerAgain);
        if (!b.namespaceGiven) {
            LOG.log(System.Logger.Level.WARNING, defaultNamespaceWarning(client.where()));
        }
    }

    /**
     * Logged by a store built without {@link Builder#namespace}: every service on one Redis that
     * leaves it out shares one namespace, and with it every caller's state.
     */
    static String defaultNamespaceWarning(String where) {
        return "the state store for Redis at " + where + " uses the default namespace '" + Builder.DEFAULT_NAMESPACE
                + "': every Guard on this Redis that leaves the namespace out shares its callers' rate limits, quotas, "
                + "blocks, privacy budgets and detector histories with this one (a block or a spent budget at one "
                + "service then holds at another); Guards meant to act as one (replicas of one service) should share a "
                + "namespace, other services not: give each service its own, "
                + "RedisStateStore.builder(url).namespace(\"veil:{my-model}:\")";
    }

    /**
     * The clock and the eviction policy of the server, checked at build (see the README); the
     * clock, the eviction policy and the count of evicted keys are read again every
     * {@link Builder#SERVER_CHECK_INTERVAL} ({@link #checkServerAgain}).
     */
    private void checkServer(Builder b) {
        long skew = client.clockSkewMillis();
        if (Math.abs(skew) > RedisBatchClient.DEADLINE_SLACK_MILLIS / 2) {
            throw new StateUnavailableException("the clock of Redis at " + client.where() + " is " + Math.abs(skew)
                    + " ms " + (skew > 0 ? "ahead of" : "behind") + " this host's: batches carry a deadline on this "
                    + "host's clock (so that a batch Redis receives after the Guard gave up on it is not applied), "
                    + "which allows " + RedisBatchClient.DEADLINE_SLACK_MILLIS / 2 + " ms; synchronise the clocks "
                    + "(NTP)");
        }
        java.util.Map<String, String> memory = client.serverInfo();
        String policy = memory.get("maxmemory_policy");
        String limit = memory.get("maxmemory");
        synchronized (this) {
            evictionSettings = policy == null || limit == null ? null : policy + " " + limit;
            evictedKeys = evictedKeys(memory);
        }
        if (policy == null) {
            LOG.log(System.Logger.Level.WARNING, "could not read maxmemory-policy of Redis at " + client.where()
                    + " (INFO memory not permitted?); make sure it is noeviction: an evicting Redis drops quotas, "
                    + "blocks and privacy budgets under memory pressure");
        } else if (!policy.equals("noeviction") && !b.allowEviction) {
            if ("0".equals(limit)) {
                LOG.log(System.Logger.Level.WARNING, "Redis at " + client.where() + " has no maxmemory, so it does "
                        + "not evict now, but its maxmemory-policy " + policy + " would evict Veil's quotas, blocks "
                        + "and privacy budgets as soon as a limit is set; set maxmemory-policy noeviction");
            } else {
                throw new StateUnavailableException("Redis at " + client.where() + " evicts keys (maxmemory-policy "
                        + policy + ", maxmemory " + limit + "): under memory pressure it would drop Veil's quotas, "
                        + "blocks and privacy budgets, which would then start again from zero (every Veil key has a "
                        + "time to live, so volatile-* policies evict Veil's keys first). Set maxmemory-policy "
                        + "noeviction (a full Redis then refuses writes and the Guard fails closed), or accept the "
                        + "risk with RedisStateStore.builder(...).allowEviction(true)");
            }
        }
    }

    /**
     * Whether the connection's ACL user may run every command of a batch (README, "ACL users"): so
     * that a user without one fails {@link Builder#build}, naming it, instead of every batch that
     * needs it (every request then denied, or degraded, as {@code state_unavailable}). Tries those of
     * the batch script without changing anything, then sends an empty batch ({@code EVALSHA}).
     * {@link #checkServer} and the state generation ran the others ({@code SCRIPT LOAD},
     * {@code TIME}, {@code EVAL}, {@code GET}, {@code SET}); a refusal of one of those says the same
     * ({@code RedisBatchClient}).
     */
    private void checkCommands() {
        java.util.Map<String, String> refused = client.refusedCommands(encoder.generationKey(), encoder.aclCheckKey());
        if (!refused.isEmpty()) {
            StringBuilder names = new StringBuilder();
            for (String c : refused.keySet()) {
                names.append(names.length() == 0 ? "" : ", ").append(c.toUpperCase(java.util.Locale.ROOT));
            }
            String first = refused.values().iterator().next();
            throw new StateUnavailableException("Redis at " + client.where() + " refuses commands the batches run ("
                    + names + ": " + first + ")" + (RedisBatchClient.refusedByAcl(first)
                            ? "; " + RedisBatchClient.aclAdvice(namespace) : ""));
        }
        Sent empty = encode(nextToken());
        Object reply;
        try {
            reply = client.execute(empty.encoded().keys(), empty.encoded().args());
        } catch (RedisBatchClient.Full full) {
            throw full.refusal();
        }
        // marked from here on, so that a loss before this store's first request is seen too
        marked(empty, decoded(new StateOp[0], reply));
    }

    /**
     * The state generation the batches of this store expect in Redis (see batch.lua) and the latest
     * batch of this store that Redis answered under it (its mark), which every batch asks Redis
     * whether it still holds ({@link #marked}).
     */
    private static final class Epoch {
        final byte[] generation;
        final java.util.concurrent.atomic.AtomicReference<Marked> mark =
                new java.util.concurrent.atomic.AtomicReference<>(new Marked(BatchEncoder.NO_MARK, 0));

        Epoch(byte[] generation) {
            this.generation = generation;
        }
    }

    /**
     * A store's mark and how many losses it has said under its epoch (its era): a mark is replaced
     * only by the answer to a batch sent with it, or by the first answer that says it was lost
     * (the next era), so that no answer sent with an older mark, or taken in late, steps over a
     * lost one or says a loss twice.
     */
    private record Marked(BatchEncoder.Mark mark, long era) {}

    /** A random start for this store's batch tokens, and how many it made: each batch's token is unique. */
    private final long tokenBase = new java.security.SecureRandom().nextLong();
    private final java.util.concurrent.atomic.AtomicLong tokens = new java.util.concurrent.atomic.AtomicLong();

    private byte[] nextToken() {
        return java.util.HexFormat.of().toHexDigits(tokenBase ^ tokens.incrementAndGet())
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** A batch as sent: the epoch and the mark it was sent with, its token, its KEYS and ARGV. */
    private record Sent(Epoch epoch, Marked before, byte[] token, BatchEncoder.Encoded encoded) {}

    /** Encodes a batch under the store's epoch and mark now (the mark read before the clock). */
    private Sent encode(byte[] token, StateOp... ops) {
        Epoch e = epoch;
        Marked before = e.mark.get();
        return new Sent(e, before, token, encoder.encode(clock.millis(), e.generation, before.mark(), token, ops));
    }

    /**
     * Takes in a batch's answer. When Redis still held the mark the batch was sent with, and that
     * mark is still the store's, the batch (number and token) becomes the store's mark: answers to
     * batches sent with an older mark, or taken in after a newer one, change nothing, so that none
     * steps over a mark Redis lost. When Redis no longer held it (a count of batches below its number,
     * or another batch's token under it), Redis lost writes it had acknowledged without losing its
     * state generation: it restarted from an older RDB snapshot, or a replica that had not received
     * them was promoted (README, "Failures and {@code on_state_unavailable}"). The first such answer
     * in an era is logged as an error and takes the mark into the next era; the others of that era
     * say nothing. The batch has run on the state Redis has, as a batch after a total loss does.
     *
     * @param sent the batch
     * @param reply its answer
     */
    private void marked(Sent sent, ReplyDecoder.Reply reply) {
        Marked before = sent.before();
        BatchEncoder.Mark now = new BatchEncoder.Mark(reply.number(), sent.token());
        java.util.concurrent.atomic.AtomicReference<Marked> mark = sent.epoch().mark;
        if (!reply.lost()) {
            mark.compareAndSet(before, new Marked(now, before.era()));
            return;
        }
        for (;;) {
            Marked current = mark.get();
            if (current.era() != before.era()) {
                return; // this loss was said, and the mark replaced, by another answer
            }
            if (mark.compareAndSet(current, new Marked(now, current.era() + 1))) {
                break;
            }
        }
        LOG.log(System.Logger.Level.ERROR, "Redis at " + client.where() + " lost writes it had acknowledged for "
                + "namespace '" + namespace + "': the batch numbered " + before.mark().number() + ", which this store "
                + "saw answered, is gone from it (Redis numbered this store's next batch " + reply.number()
                + "), and with it every batch of the Guards on this namespace since Redis last saved (Redis "
                + "restarted from an older RDB snapshot, or a replica that had not received them was promoted). "
                + "The privacy budget they spent can be spent again, and the quotas, blocks and detector counts "
                + "they added are gone. Run Redis with appendonly yes (veil-redis README, \"Failures and "
                + "on_state_unavailable\").");
    }

    /** The reply of a batch, or {@link StateUnavailableException} when it has not the form this store reads. */
    private ReplyDecoder.Reply decoded(StateOp[] ops, Object reply) {
        try {
            return ReplyDecoder.decode(ops, reply);
        } catch (RuntimeException ex) {
            throw new StateUnavailableException("Redis at " + client.where() + " answered the state batch in a form "
                    + "this veil-redis does not read: " + ex.getMessage(), ex);
        }
    }

    private static final System.Logger LOG = System.getLogger(RedisStateStore.class.getName());

    /**
     * Reads Redis's eviction settings, evicted-key count and clock again (without waiting:
     * {@code INFO} and {@code TIME} on the shared connection, their replies handled by
     * {@link #serverChecked} and {@link #clockChecked}). Runs every
     * {@link Builder#SERVER_CHECK_INTERVAL} on the client's own threads, never on a request's.
     *
     * @return when the replies were handled (at once when a check is still on its way)
     */
    java.util.concurrent.CompletableFuture<Void> checkServerAgain() {
        if (closed || !checking.compareAndSet(false, true)) {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        java.util.concurrent.CompletableFuture<Void> info = client.serverInfoLater().<Void>handle((i, e) -> {
            if (e == null && !closed) {
                serverChecked(i);
            }
            return null;
        }).toCompletableFuture();
        java.util.concurrent.CompletableFuture<Void> time = client.clockSkewLater().<Void>handle((skew, e) -> {
            if (e == null && !closed) {
                clockChecked(skew);
            }
            return null;
        }).toCompletableFuture();
        return java.util.concurrent.CompletableFuture.allOf(info, time).whenComplete((r, e) -> checking.set(false));
    }

    /**
     * What the periodic check measured of Redis's clock: when it is found apart from this host's by
     * more than {@code build()} allows (beyond the measurement's uncertainty), a warning says what
     * that does and how to fix it, once until it is found within again (said too), or apart the
     * other way. Batches carry a deadline on this host's clock ({@code RedisBatchClient#execute}).
     */
    synchronized void clockChecked(RedisBatchClient.Skew skew) {
        long bound = RedisBatchClient.DEADLINE_SLACK_MILLIS / 2;
        long apart = Math.abs(skew.millis());
        if (apart - skew.uncertainty() > bound) {
            int side = skew.millis() > 0 ? 1 : -1;
            if (clockApart != side) {
                clockApart = side;
                LOG.log(System.Logger.Level.WARNING, clockApartMessage(client.where(), skew.millis(), timeout));
            }
        } else if (clockApart != 0 && apart + skew.uncertainty() <= bound) {
            clockApart = 0;
            LOG.log(System.Logger.Level.INFO, "the clock of Redis at " + client.where() + " agrees with this host's "
                    + "again (" + skew.millis() + " ms apart, within " + bound + " ms): batches' deadlines work again");
        }
    }

    /** What a clock of Redis {@code skewMillis} ms ahead of this host's (behind when negative) does. */
    static String clockApartMessage(String where, long skewMillis, java.time.Duration timeout) {
        long apart = Math.abs(skewMillis);
        long allowed = timeout.toMillis() + RedisBatchClient.DEADLINE_SLACK_MILLIS;
        String start = "the clock of Redis at " + where + " is now " + apart + " ms " + (skewMillis > 0 ? "ahead of"
                : "behind") + " this host's (build() allows " + RedisBatchClient.DEADLINE_SLACK_MILLIS / 2 + " ms): "
                + "each batch carries a deadline on this host's clock, its timeout (" + timeout.toMillis() + " ms) + "
                + RedisBatchClient.DEADLINE_SLACK_MILLIS + " ms after it is sent, so that Redis does not apply a "
                + "batch the Guard gave up on. ";
        String end = " Synchronise the clocks of this host and of Redis's host (NTP); this is said again when they "
                + "agree.";
        if (skewMillis > 0) {
            return start + (apart >= allowed
                    ? "Redis now takes every batch for late and applies none (VEIL_LATE: the Guard applies the "
                            + "policy's on_state_unavailable to every request)."
                    : "Redis now takes a batch that reaches it more than " + (allowed - apart) + " ms after it was "
                            + "sent for late and applies none of it (VEIL_LATE: the request gets the policy's "
                            + "on_state_unavailable).") + end;
        }
        return start + "Redis now still applies a batch that reaches it up to " + (allowed + apart) + " ms after it "
                + "was sent: after a stall of Redis, the batches of requests the Guard refused may still take quota, "
                + "rate tokens and detector counts." + end;
    }

    /**
     * What the periodic check read. A {@code maxmemory-policy} that evicts (with a {@code maxmemory}
     * set, and {@link Builder#allowEviction} not given) makes every batch fail with
     * {@link StateUnavailableException} (the Guard then applies {@code on_state_unavailable}) until
     * Redis is set back; evicted keys since the last check are an error in the log either way (some
     * may have been Veil's). Each change is logged once. Fields that cannot be read (Redis
     * unreachable, an ACL user without {@code INFO}) change nothing.
     */
    synchronized void serverChecked(java.util.Map<String, String> info) {
        String policy = info.get("maxmemory_policy");
        String limit = info.get("maxmemory");
        if (policy != null && limit != null && !(policy + " " + limit).equals(evictionSettings)) {
            evictionSettings = policy + " " + limit;
            boolean evicts = !policy.equals("noeviction") && !"0".equals(limit) && !allowEviction;
            if (evicts) {
                refusal = "Redis at " + client.where() + " evicts keys since this store was built (maxmemory-policy "
                        + policy + ", maxmemory " + limit + "): under memory pressure it drops Veil's quotas, blocks "
                        + "and privacy budgets, which then start again from zero, so this store refuses every batch "
                        + "(the Guard applies the policy's on_state_unavailable) until Redis is set back: "
                        + "CONFIG SET maxmemory-policy noeviction (and in redis.conf), or build the store with "
                        + "allowEviction(true) to accept the risk";
                LOG.log(System.Logger.Level.ERROR, refusal);
            } else {
                if (refusal != null) {
                    refusal = null;
                    LOG.log(System.Logger.Level.INFO, "Redis at " + client.where() + " no longer evicts keys "
                            + "(maxmemory-policy " + policy + ", maxmemory " + limit + "): batches go to it again");
                }
                if (!policy.equals("noeviction") && "0".equals(limit) && !allowEviction) {
                    LOG.log(System.Logger.Level.WARNING, "Redis at " + client.where() + " has no maxmemory, so it "
                            + "does not evict now, but its maxmemory-policy " + policy + " would evict Veil's quotas, "
                            + "blocks and privacy budgets as soon as a limit is set; set maxmemory-policy noeviction");
                }
            }
        }
        long evicted = evictedKeys(info);
        if (evicted >= 0) {
            if (evictedKeys >= 0 && evicted > evictedKeys) {
                LOG.log(System.Logger.Level.ERROR, "Redis at " + client.where() + " evicted " + (evicted - evictedKeys)
                        + " key(s) since it was last checked (evicted_keys " + evicted + ", maxmemory-policy now "
                        + policy + "): any of them may have been Veil's quotas, rate limits, blocks, privacy budgets "
                        + "or detector windows of namespace '" + namespace + "', which then start again from empty. "
                        + "Size Redis for the state and set maxmemory-policy noeviction (veil-redis README)");
            }
            evictedKeys = evicted;
        }
    }

    /** {@code evicted_keys} of an {@code INFO}, or -1. */
    private static long evictedKeys(java.util.Map<String, String> info) {
        try {
            String v = info.get("evicted_keys");
            return v == null ? -1 : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static byte[] newGeneration() {
        byte[] token = new byte[16];
        new java.security.SecureRandom().nextBytes(token);
        return java.util.HexFormat.of().formatHex(token).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /**
     * Redis lost Veil's state since this store last wrote to it: says so (once per loss, as an error:
     * quotas, blocks, privacy budgets and detector windows start again from empty) and takes up the
     * generation Redis has now (a new one unless another replica set it first).
     *
     * @param sent the generation the failed batch carried
     * @throws StateUnavailableException when the new generation cannot be set
     */
    private void renewGeneration(Epoch sent, RedisBatchClient.GenerationLost lost) {
        synchronized (this) {
            if (epoch != sent) {
                return; // another thread of this store renewed it (and said so) since that batch was sent
            }
            epoch = new Epoch(client.generation(encoder.generationKey(), newGeneration(), false));
            LOG.log(System.Logger.Level.ERROR, "Redis at " + client.where() + " lost Veil's state for namespace '"
                    + namespace + "' (restarted without persistence, flushed, or evicted): the quotas, rate limits, "
                    + "blocks, privacy budgets and detector windows kept there start again from empty. Run Redis with "
                    + "persistence and maxmemory-policy noeviction (veil-redis README). (" + lost.getMessage() + ")");
        }
    }

    /** Starts a store for a Redis URI. */
    public static Builder builder(RedisURI uri) {
        return new Builder(Objects.requireNonNull(uri, "uri"));
    }

    /**
     * Starts a store for a Redis URL, e.g. {@code redis://localhost:6379},
     * {@code rediss://:password@host:6380/2} or {@code redis-socket:///run/redis.sock}.
     *
     * @throws IllegalArgumentException when the URL is not a Redis URL
     */
    public static Builder builder(String url) {
        Objects.requireNonNull(url, "url");
        RedisURI uri;
        try {
            uri = RedisURI.create(url);
        } catch (RuntimeException e) {
            // Lettuce's message quotes the URL, password included ("Illegal character in authority at
            // index 8: redis://user:PASSWORD@ho st:1"): it is quoted here without it
            throw new IllegalArgumentException("not a Redis URL: '" + RedisBatchClient.printable(redact(url))
                    + "' (expected redis://host:port, rediss://host:port or redis-socket:///path): "
                    + RedisBatchClient.printable(withoutCredentials(String.valueOf(e.getMessage()), url)));
        }
        return new Builder(uri);
    }

    @Override
    public String name() {
        return "redis";
    }

    /** The key prefix of this store. */
    public String namespace() {
        return namespace;
    }

    /**
     * Runs the batch in one round trip and waits for it.
     *
     * @throws StateUnavailableException when Redis cannot be reached, did not answer within the
     *     timeout or answered with an error
     * @throws IllegalStateException after {@link #close}
     */
    @Override
    public Object[] execute(StateOp... ops) {
        ensureOpen();
        if (ops.length == 0) {
            return new Object[0];
        }
        refuseWhileEvicting();
        Sent sent = encode(nextToken(), ops);
        Object reply;
        try {
            reply = client.execute(sent.encoded().keys(), sent.encoded().args());
        } catch (RedisBatchClient.Full full) {
            return blockedWhileFull(ops, sent.epoch().generation, full);
        } catch (RedisBatchClient.GenerationLost lost) {
            renewGeneration(sent.epoch(), lost); // says so; the batch then runs on the state Redis has now, empty
            sent = encode(sent.token(), ops); // the same token: the first did not run
            try {
                reply = client.execute(sent.encoded().keys(), sent.encoded().args());
            } catch (RedisBatchClient.Full full) {
                return blockedWhileFull(ops, sent.epoch().generation, full);
            } catch (RedisBatchClient.GenerationLost again) {
                throw new StateUnavailableException("Redis at " + client.where() + " lost Veil's state generation "
                        + "again while this batch was sent: " + again.getMessage(), again);
            }
        }
        ReplyDecoder.Reply r = decoded(ops, reply);
        marked(sent, r);
        return r.results();
    }

    /**
     * A batch Redis refused as full, which starts with a {@link StateOp.BlockedUntil}: a caller
     * blocked in Redis stays blocked (the batch's answer is then the block, as when Redis runs it),
     * read by a script that writes nothing and so runs while Redis is full; a caller throttled there
     * is rate limited when the batch's next op is its {@link StateOp.Acquire} (the answer is then
     * {@code THROTTLED}, every later op's null, as a Guard reads none of them for a refused
     * request): its throttle's tokens cannot be taken while Redis refuses writes, so it gets none
     * rather than the unthrottled answers {@code on_state_unavailable} gives; any other caller gets
     * the refusal ({@code on_state_unavailable} decides). Otherwise anyone with a key could lift a
     * block or a throttle by filling Redis with distinct queries (a review: under {@code degrade} the
     * blocked caller got degraded answers).
     */
    private Object[] blockedWhileFull(StateOp[] ops, byte[] sent, RedisBatchClient.Full full) {
        if (!(ops[0] instanceof StateOp.BlockedUntil b)) {
            throw full.refusal();
        }
        long until;
        try {
            until = client.blockedUntilReadOnly(encoder.generationKey(), sent, encoder.coolDownKey(b.caller()),
                    b.nowMillis());
        } catch (StateUnavailableException unread) {
            full.refusal().addSuppressed(unread);
            throw full.refusal();
        }
        Object[] out = new Object[ops.length];
        if (until == RedisBatchClient.THROTTLED && ops.length > 1 && ops[1] instanceof StateOp.Acquire a
                && a.caller().equals(b.caller())) {
            out[0] = 0L;
            out[1] = StateOp.Permit.THROTTLED;
            return out;
        }
        if (until <= b.nowMillis()) {
            throw full.refusal();
        }
        out[0] = until;
        return out;
    }

    /**
     * Sends the batch in one round trip without waiting. A failure after sending is counted
     * ({@link #failedSubmits()}) and logged.
     *
     * @throws StateUnavailableException when the connection is down at the time of the call
     *     (immediately, without blocking)
     */
    @Override
    public void submit(StateOp... ops) {
        ensureOpen();
        if (ops.length == 0) {
            return;
        }
        refuseWhileEvicting();
        Sent sent = encode(nextToken(), ops);
        // its answer is read for its number alone (marked): a loss of submitted batches is said too
        client.submit(sent.encoded().keys(), sent.encoded().args(), reply -> marked(sent, ReplyDecoder.header(reply)));
    }

    /** Always -1: the bytes Redis holds for one namespace are not known without scanning it. */
    @Override
    public long bytesUsed() {
        return -1;
    }

    /** Batches given to {@link #submit} that Redis did not apply (since this store was built). */
    public long failedSubmits() {
        return client.failedSubmits();
    }

    /** Whether the connection to Redis is up now (Lettuce reconnects in the background). */
    public boolean connected() {
        return client.connected();
    }

    /** Closes the connection. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        client.close();
    }

    @Override
    public String toString() {
        return "RedisStateStore[" + client.where() + ", namespace=" + namespace + "]";
    }

    /** Throws while Redis was last found to evict keys (without {@link Builder#allowEviction}). */
    private void refuseWhileEvicting() {
        String r = refusal;
        if (r != null) {
            throw new StateUnavailableException(r);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this RedisStateStore (" + client.where() + ") is closed");
        }
    }

    /**
     * {@code url} with its user and password, everything from after the scheme's {@code :} and a
     * {@code //} to the last {@code @}, as {@code ***}: a password may hold a raw {@code @} or
     * {@code /}, a malformed URL may lack the {@code //}, and more hidden is safe.
     */
    private static String redact(String url) {
        int[] c = credentials(url);
        return c == null ? url : url.substring(0, c[0]) + "***" + url.substring(c[1]);
    }

    /** Where {@link #redact} hides: [start, end) of the user and password, or null when there is no {@code @}. */
    private static int[] credentials(String url) {
        int at = url.lastIndexOf('@');
        if (at < 0) {
            return null;
        }
        int colon = url.indexOf(':');
        int start = colon >= 0 && colon < at ? colon + 1 : 0;
        if (url.startsWith("//", start) && start + 2 <= at) {
            start += 2;
        }
        return new int[] {start, at};
    }

    /** {@code text} with {@code url}, and its user and password wherever else they appear, {@link #redact}ed. */
    static String withoutCredentials(String text, String url) {
        String out = text.replace(url, redact(url));
        int[] c = credentials(url);
        if (c != null && c[1] > c[0]) {
            out = out.replace(url.substring(c[0], c[1]), "***");
        }
        return out;
    }

    /** Builds a {@link RedisStateStore}; every setting has a default. */
    public static final class Builder {
        /** Default key prefix. */
        public static final String DEFAULT_NAMESPACE = "veil:";
        /** Default time to wait for a batch. */
        public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(200);
        /** Default time to wait for a connection. */
        public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
        /** Default bound on callers spending privacy budget per period (as the Guard's maxCallers). */
        public static final int DEFAULT_MAX_LEDGER_CALLERS = 100_000;
        /** Default bound on the queries one caller's fingerprint index remembers. */
        public static final int DEFAULT_MAX_CALLER_INDEX_QUERIES = 1_000;
        /** Default bound on the queries a shared fingerprint index remembers. */
        public static final int DEFAULT_MAX_SHARED_INDEX_QUERIES = 100_000;
        /** Most queries one fingerprint index may be set to remember (query numbers stay exact in Lua). */
        public static final int MAX_INDEX_QUERIES = 100_000_000;
        private static final Duration MAX_TIMEOUT = Duration.ofMinutes(1);
        /**
         * How often a store reads Redis's {@code maxmemory-policy}, {@code maxmemory} and
         * {@code evicted_keys} again after {@link #build} (one {@code INFO}, not on a request's path).
         */
        public static final Duration SERVER_CHECK_INTERVAL = Duration.ofSeconds(10);

        private final RedisURI uri;
        private String namespace = DEFAULT_NAMESPACE;
        /** Whether {@link #namespace} was called (without it, {@link #build} logs a warning). */
        private boolean namespaceGiven;
        private Duration timeout = DEFAULT_TIMEOUT;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Clock clock = Clock.systemUTC();
        private int maxLedgerCallers = DEFAULT_MAX_LEDGER_CALLERS;
        private int maxCallerIndexQueries = DEFAULT_MAX_CALLER_INDEX_QUERIES;
        private int maxSharedIndexQueries = DEFAULT_MAX_SHARED_INDEX_QUERIES;
        private boolean allowEviction;
        private Duration serverCheckInterval = SERVER_CHECK_INTERVAL;
        private java.util.function.LongSupplier hostClock = System::currentTimeMillis;
        private javax.net.ssl.KeyManagerFactory clientKeys;
        private javax.net.ssl.TrustManagerFactory trusted;

        private Builder(RedisURI uri) {
            this.uri = uri;
        }

        /**
         * Prefix of every key (default {@value #DEFAULT_NAMESPACE}). Guards that must act as one use
         * the same namespace; give each model (each service) its own: Guards on one namespace share
         * every caller's rate limits, quotas, blocks, privacy budgets and detector histories. A store
         * built without a namespace logs a warning saying so. With Redis Cluster put a hash tag in it,
         * e.g. {@code veil:{fashion}:}, so that a batch's keys share one slot.
         *
         * <p>A key is the namespace, a kind ({@code b:}, {@code f:}, {@code l:}, {@code p:},
         * {@code r:}, {@code w:}) and a name (a caller's, a detector's), so two namespaces must never
         * be such that one's keys can be the other's: a namespace ends with {@code :} and has none of
         * those kinds as a part between two {@code :} ({@code veil:r:} is refused: its keys would be
         * the rate keys of callers {@code r:...} of {@code veil:}, its state generation the rate key of
         * caller {@code r:gen}). Then no two namespaces that are accepted share a key.
         *
         * @throws IllegalArgumentException when blank, longer than 200 characters, holding
         *     whitespace or control characters, not ending with {@code :}, or holding a part
         *     {@code :b:}, {@code :f:}, {@code :l:}, {@code :p:}, {@code :r:} or {@code :w:}
         */
        public Builder namespace(String ns) {
            Objects.requireNonNull(ns, "namespace");
            if (ns.isEmpty() || ns.length() > 200) {
                throw new IllegalArgumentException("namespace must have 1 to 200 characters, e.g. 'veil:{fashion}:',"
                        + " was " + ns.length());
            }
            for (int i = 0; i < ns.length(); i++) {
                char c = ns.charAt(i);
                if (Character.isWhitespace(c) || Character.isISOControl(c)) {
                    throw new IllegalArgumentException("namespace must not hold whitespace or control characters,"
                            + " was '" + ns.replaceAll("\\p{Cntrl}", "?") + "'");
                }
            }
            if (!ns.endsWith(":")) {
                throw new IllegalArgumentException("namespace must end with ':', e.g. 'veil:{fashion}:' (so that it is "
                        + "never the start of another namespace's keys), was '" + ns + "'");
            }
            for (int i = ns.indexOf(':'); i >= 0 && i + 2 < ns.length(); i = ns.indexOf(':', i + 1)) {
                char kind = ns.charAt(i + 1);
                if (ns.charAt(i + 2) == ':' && KEY_KINDS.indexOf(kind) >= 0) {
                    throw new IllegalArgumentException("namespace must not have '" + kind + "' as a part between two "
                            + "':' (b, f, l, p, r and w are kinds of Veil's keys): its keys would be keys of the "
                            + "namespace '" + ns.substring(0, i + 1) + "' too; give that part a longer name, was '" + ns
                            + "'");
                }
            }
            this.namespace = ns;
            this.namespaceGiven = true;
            return this;
        }

        /**
         * The first letters of the kinds of keys after the namespace (BatchEncoder): {@code b:},
         * {@code f:}, {@code l:}, {@code p:} ({@code p:g}, {@code p:c:}), {@code r:}, {@code w:}.
         * (The state generation, {@code gen}, cannot be the start of another namespace's keys: every
         * key after a namespace begins with one of these or is {@code gen} itself.)
         */
        private static final String KEY_KINDS = "bflprw";

        /**
         * How long {@link RedisStateStore#execute} waits for Redis (default 200 ms) before it throws
         * {@link StateUnavailableException}.
         *
         * @throws IllegalArgumentException unless {@code 0 < timeout <= 1 min}
         */
        public Builder timeout(Duration t) {
            this.timeout = checkDuration("timeout", t);
            return this;
        }

        /**
         * How long {@link #build} and reconnections wait to connect (default 2 s).
         *
         * @throws IllegalArgumentException unless {@code 0 < timeout <= 1 min}
         */
        public Builder connectTimeout(Duration t) {
            this.connectTimeout = checkDuration("connectTimeout", t);
            return this;
        }

        /**
         * Mutual TLS: the client certificate a {@code rediss://} connection presents to a server
         * that asks for one ({@code tls-auth-clients yes}, Redis's default with TLS on), from PEM
         * files as a client's side of {@code redis.conf} would name them ({@code tls-cert-file},
         * {@code tls-key-file}). The files are read and checked now; a renewed certificate takes
         * a new store.
         *
         * @param certificateChain PEM certificates ({@code -----BEGIN CERTIFICATE-----}): the client's
         *     first, then any intermediate CA certificates the server needs to chain it to its
         *     {@code tls-ca-cert-file}
         * @param privateKey the PEM private key of the first certificate, unencrypted PKCS#8
         *     ({@code -----BEGIN PRIVATE KEY-----}; protect the file by its permissions, as Redis's
         *     own key file): a PKCS#1 or SEC 1 key ({@code BEGIN RSA PRIVATE KEY}, {@code BEGIN EC
         *     PRIVATE KEY}) or an encrypted one is refused with the {@code openssl} command that
         *     converts it
         * @throws IllegalArgumentException naming the file and what is wrong: missing, unreadable,
         *     no certificate, a certificate not valid now, a key in another form, or a key that is
         *     not the certificate's
         */
        public Builder clientCertificate(java.nio.file.Path certificateChain, java.nio.file.Path privateKey) {
            Objects.requireNonNull(certificateChain, "certificateChain");
            Objects.requireNonNull(privateKey, "privateKey");
            this.clientKeys = dev.veil.redis.internal.TlsFiles.keyManager(certificateChain, privateKey);
            return this;
        }

        /**
         * The CA certificates a {@code rediss://} server's certificate must chain to, instead of the
         * JVM's trust store (the default): a PEM file as {@code redis.conf}'s
         * {@code tls-ca-cert-file}, for a Redis whose certificate a private CA issued. The server's
         * name is checked against its certificate either way. Read and checked now.
         *
         * @param caCertificates PEM certificates ({@code -----BEGIN CERTIFICATE-----}) of the CAs to trust
         * @throws IllegalArgumentException naming the file and what is wrong: missing, unreadable, or
         *     no certificate
         */
        public Builder trustedCertificates(java.nio.file.Path caCertificates) {
            Objects.requireNonNull(caCertificates, "caCertificates");
            this.trusted = dev.veil.redis.internal.TlsFiles.trustManager(caCertificates);
            return this;
        }

        /**
         * The clock for {@link StateOp.Block} and {@link StateOp.Throttle}, which carry no time of
         * their own: give it the Guard's clock if the Guard has one (default: the system UTC clock).
         */
        public Builder clock(Clock c) {
            this.clock = Objects.requireNonNull(c, "clock");
            return this;
        }

        /**
         * How many callers may spend privacy budget per period (default 100,000, like the Guard's
         * {@code maxCallers}); a new caller beyond it is refused ({@code TOO_MANY_CALLERS}) until
         * the next period rather than let an unbounded ledger grow.
         *
         * @throws IllegalArgumentException if {@code n < 1}
         */
        public Builder maxLedgerCallers(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxLedgerCallers must be >= 1, was " + n);
            }
            this.maxLedgerCallers = n;
            return this;
        }

        /**
         * Whether {@link #build} accepts a Redis whose {@code maxmemory-policy} evicts keys (default
         * {@code false}: it refuses one, and a store that finds Redis evicting later refuses every
         * batch until it no longer does). An evicting Redis under memory pressure drops quotas,
         * blocks and privacy budgets, which then start again from zero: limits fail open. Accept it
         * only for a Redis sized so that it never reaches {@code maxmemory}; keys it evicts are
         * still logged as an error.
         */
        public Builder allowEviction(boolean allow) {
            this.allowEviction = allow;
            return this;
        }

        /**
         * For tests: this host's real clock (default {@code System::currentTimeMillis}), which
         * batches' deadlines are on and Redis's clock is compared with (not {@link #clock}, the
         * Guard's time for blocks and throttles).
         */
        Builder hostClock(java.util.function.LongSupplier c) {
            this.hostClock = Objects.requireNonNull(c, "hostClock");
            return this;
        }

        /** For tests: how often the built store checks Redis's eviction settings and clock again. */
        Builder serverCheckInterval(Duration interval) {
            this.serverCheckInterval = Objects.requireNonNull(interval, "interval");
            return this;
        }

        /**
         * Bounds on the fingerprint indexes ({@code near_duplicate}'s) in Redis, in queries: an index
         * remembers its last {@code perCaller} (one caller's) or {@code shared} (everybody's) queries
         * and forgets older ones, so that neither one caller's distinct queries nor everybody's
         * together grow Redis without bound. A remembered query takes about 0.65 KB of Redis in a
         * caller's index and 0.8 KB in the shared one with {@code near_duplicate}'s defaults (50
         * hashes; {@code RedisStateBytesTest} measures both indexes together), so the defaults, 1,000
         * and 100,000, come to about 0.65 MB per caller active within {@code ttl_seconds} and 80 MB
         * per shared index. An index keeps its query numbers modulo a power of two fixed when it is
         * made, at least 4 times its bound: a store whose bound is more than a quarter of an existing
         * index's (a caller's raised from 1,000 past 1,024, the shared one's from 100,000 past
         * 131,072) starts that index afresh, its earlier queries forgotten. The in-memory store
         * bounds the same indexes by bytes ({@code Guard.Builder.stateMemory}), so that {@code veil
         * monitor replay} in memory forgets at other points than a Redis with these bounds on long
         * traces.
         *
         * @param perCaller the most queries one caller's index remembers, 1 to {@value #MAX_INDEX_QUERIES}
         * @param shared the most queries an index of everybody's queries remembers, 1 to
         *     {@value #MAX_INDEX_QUERIES}
         * @throws IllegalArgumentException outside those bounds
         */
        public Builder fingerprintIndexQueries(int perCaller, int shared) {
            for (int v : new int[] {perCaller, shared}) {
                if (v < 1 || v > MAX_INDEX_QUERIES) {
                    throw new IllegalArgumentException("fingerprint index bounds must be 1 to " + MAX_INDEX_QUERIES
                            + " queries, was " + v);
                }
            }
            this.maxCallerIndexQueries = perCaller;
            this.maxSharedIndexQueries = shared;
            return this;
        }

        /**
         * Connects, loads the batch script, checks Redis's {@code maxmemory-policy} (which the
         * store checks again every {@link #SERVER_CHECK_INTERVAL}, see {@link RedisStateStore}) and
         * that the connection's ACL user may run every command of a batch (without changing anything).
         *
         * @throws StateUnavailableException when Redis cannot be reached (the message names host and
         *     port, and what went wrong: credentials, database number, TLS), when the ACL user may not
         *     run a command the store needs (the message names it and the list: module README, "ACL
         *     users"), when it evicts keys and
         *     {@link #allowEviction} was not given, or when its clock differs from this host's by more
         *     than 250 ms (a batch carries a deadline on this host's clock: see the module's README)
         * @throws IllegalArgumentException when {@link #clientCertificate} or
         *     {@link #trustedCertificates} was given for a URL without TLS ({@code redis://}, not
         *     {@code rediss://}), where they would be silently unused
         */
        public RedisStateStore build() {
            if ((clientKeys != null || trusted != null) && !uri.isSsl()) {
                throw new IllegalArgumentException("clientCertificate and trustedCertificates are for TLS, but the "
                        + "Redis URL is not a TLS one (redis:// or redis-socket://): use rediss://host:port (the "
                        + "server's tls-port), or leave them out");
            }
            return new RedisStateStore(this);
        }

        private static Duration checkDuration(String what, Duration t) {
            Objects.requireNonNull(t, what);
            if (t.isNegative() || t.isZero() || t.compareTo(MAX_TIMEOUT) > 0) {
                throw new IllegalArgumentException(what + " must be > 0 and <= 1 minute, was " + t);
            }
            return t;
        }
    }
}
