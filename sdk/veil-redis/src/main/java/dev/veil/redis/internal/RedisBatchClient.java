package dev.veil.redis.internal;

import dev.veil.VeilException;
import dev.veil.spi.StateUnavailableException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One Lettuce connection that runs {@code batch.lua}: a batch is ONE {@code EVALSHA} (one request,
 * one reply: one round trip), waited for with a timeout. A Redis that lost the script (restart,
 * {@code SCRIPT FLUSH}) answers NOSCRIPT; the batch is then sent once more with {@code EVAL},
 * which caches the script again.
 *
 * <p>While disconnected, commands are rejected at once (Lettuce {@code REJECT_COMMANDS}) instead
 * of queued, so an outage is reported in microseconds, not after the timeout; Lettuce reconnects
 * in the background (10 ms, doubling, at most 1 s apart).
 *
 * <p>Thread-safe: Lettuce connections are.
 */
public final class RedisBatchClient implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.veil.redis");
    /** Bound on commands waiting for a reply, so that submit never grows memory without limit. */
    private static final int REQUEST_QUEUE = 65_536;
    /** How many times {@link #connect} tries when Lettuce loses the server's handshake reply. */
    static final int HANDSHAKE_ATTEMPTS = 4;

    private final String where;
    /** Whether the URL asks for TLS ({@code rediss://}). */
    private final boolean tlsUrl;
    /** What an error reply that an ACL refused gets appended: the commands and keys a store needs. */
    private final String aclAdvice;
    private final Duration timeout;
    /** This host's real clock (ms since the epoch), which batches' deadlines are on; a test's may differ. */
    private final java.util.function.LongSupplier hostClock;
    /** What the checks when the store is built wait: a busy host's first commands can take longer. */
    private final Duration setupTimeout;
    private final ClientResources resources;
    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final RedisAsyncCommands<byte[], byte[]> commands;
    private final BatchScript script = BatchScript.get();
    private final AtomicLong failedSubmits = new AtomicLong();
    private final AtomicBoolean submitFailing = new AtomicBoolean();

    /**
     * Connects and loads the script.
     *
     * @param namespace the store's key prefix (named in the advice of an ACL refusal)
     * @param hostClock this host's real clock in ms since the epoch ({@code System::currentTimeMillis}
     *     but in tests): batches' deadlines are on it, and Redis's clock is compared with it
     * @param clientKeys the client certificate a {@code rediss://} connection presents (mutual TLS),
     *     or null for none
     * @param trusted the CAs a {@code rediss://} server's certificate must chain to, or null for the
     *     JVM's trust store
     * @throws StateUnavailableException when Redis cannot be reached or refuses the script
     */
    public RedisBatchClient(RedisURI uri, String namespace, Duration timeout, Duration connectTimeout,
            java.util.function.LongSupplier hostClock, javax.net.ssl.KeyManagerFactory clientKeys,
            javax.net.ssl.TrustManagerFactory trusted) {
        this.where = describe(uri);
        this.tlsUrl = uri.isSsl();
        this.aclAdvice = aclAdvice(namespace);
        this.hostClock = hostClock;
        this.timeout = timeout;
        this.setupTimeout = timeout.compareTo(connectTimeout) >= 0 ? timeout : connectTimeout;
        this.resources = ClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        // The URI's timeout bounds the connection's handshake (HELLO, AUTH, SELECT): by default a
        // minute, which a Redis that accepts connections but does not answer would make build() wait.
        RedisClient c = RedisClient.create(resources, withTimeout(uri, connectTimeout));
        c.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(REQUEST_QUEUE)
                .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout).build())
                // Lettuce's own TLS handshake timeout (10 s) would otherwise outlast connectTimeout
                .sslOptions(sslOptions(connectTimeout, clientKeys, trusted))
                .timeoutOptions(TimeoutOptions.enabled(timeout.plus(connectTimeout)))
                .build());
        this.client = c;
        StatefulRedisConnection<byte[], byte[]> conn;
        try {
            conn = connect(c);
        } catch (RuntimeException e) {
            shutdown();
            throw new StateUnavailableException("cannot connect to Redis at " + where + ": " + connectProblem(e, tlsUrl), e);
        }
        this.connection = conn;
        this.commands = conn.async();
        try {
            String sha = loadScript(connectTimeout);
            if (!script.sha1().equals(sha)) {
                throw new StateUnavailableException("Redis at " + where + " named the batch script " + sha
                        + " but its SHA-1 is " + script.sha1());
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Lettuce's words for a command failed because the connection was closed before or while it was sent. */
    static final java.util.Set<String> CLOSED_UNDERNEATH = java.util.Set.of(
            "Currently not connected. Commands are rejected.", "Connection disconnected");

    /**
     * SCRIPT LOAD, the first command on the new connection. Lettuce 7.7 can hand out a connection
     * that it closes right after the handshake: when the server's handshake reply arrives as the
     * handshake's timeout (connectTimeout) fires, its RedisHandshakeHandler reports the handshake
     * successful and the timeout then closes the channel. The first command then fails at once
     * ({@link #CLOSED_UNDERNEATH}) although Redis is fine, and Lettuce reconnects by itself (10 ms
     * later). SCRIPT LOAD changes nothing but Redis's script cache, so it is sent again once the
     * connection is open again, for at most twice {@code connectTimeout} (a reconnection's handshake
     * may itself take {@code connectTimeout}); a server that closes every new connection is then
     * reported as such.
     */
    private String loadScript(Duration connectTimeout) {
        Duration bound = connectTimeout.multipliedBy(2);
        long deadline = System.nanoTime() + bound.toNanos();
        for (int attempt = 1; ; attempt++) {
            try {
                return await(commands.scriptLoad(script.source()), "SCRIPT LOAD", setupTimeout);
            } catch (StateUnavailableException e) {
                String closed = closedUnderneath(e);
                if (closed == null) {
                    throw e;
                }
                LOG.log(System.Logger.Level.DEBUG, "the connection to Redis at " + where + " closed right after it "
                        + "was opened (SCRIPT LOAD attempt " + attempt + ": " + closed + "); waiting for Lettuce to "
                        + "reconnect");
                // at least one pause: the channel may not have told the connection it is closed yet
                do {
                    if (System.nanoTime() - deadline >= 0) {
                        throw new StateUnavailableException("Redis at " + where + " closed the connection right after "
                                + "it was opened, and again each time it was reopened within "
                                + bound.toMillis() + " ms (SCRIPT LOAD: " + closed + "); check that nothing "
                                + "between this host and Redis closes new connections, or raise "
                                + "RedisStateStore.builder(...).connectTimeout if Redis is slow", e);
                    }
                    pause(5);
                } while (!connection.isOpen());
            }
        }
    }

    /** Lettuce's message if {@code e} was caused by the connection closing under a command, else null. */
    static String closedUnderneath(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof io.lettuce.core.RedisException && !(c instanceof RedisCommandExecutionException)
                    && CLOSED_UNDERNEATH.contains(c.getMessage())) {
                return c.getMessage();
            }
        }
        return null;
    }

    private void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VeilException("interrupted while waiting for the connection to Redis at " + where + " to be "
                    + "opened again", e);
        }
    }

    /**
     * Connects, trying again while the failure is one that Lettuce made up itself: when the server
     * refuses the handshake (WRONGPASS, an out-of-range database), Lettuce 7.7 closes the channel,
     * and that close can race the server's reply, so that about 1 connect in 100 under load reports
     * "Connection closed prematurely" or "RedisHandshakeHandler not registered" instead of what the
     * server said. A server that really closes every connection fails each attempt in a moment.
     */
    static StatefulRedisConnection<byte[], byte[]> connect(RedisClient client) {
        for (int attempt = 1; ; attempt++) {
            try {
                return client.connect(ByteArrayCodec.INSTANCE);
            } catch (RuntimeException e) {
                if (attempt >= HANDSHAKE_ATTEMPTS || !lostTheServersReply(e)) {
                    throw e;
                }
                LOG.log(System.Logger.Level.DEBUG, "connect attempt " + attempt + " lost the server's reply ("
                        + connectProblem(e, false) + "); trying again");
            }
        }
    }

    /**
     * A store's TLS options: its handshake timeout, and the client certificate and trusted CAs when
     * given (null: none, and the JVM's trust store); the CLI's own connections use them too.
     */
    public static SslOptions sslOptions(Duration handshake, javax.net.ssl.KeyManagerFactory clientKeys,
            javax.net.ssl.TrustManagerFactory trusted) {
        SslOptions.Builder b = SslOptions.builder().handshakeTimeout(handshake);
        if (clientKeys != null) {
            b.keyManager(clientKeys);
        }
        if (trusted != null) {
            b.trustManager(trusted);
        }
        return b.build();
    }

    /** Whether {@code e} is Lettuce's own word for a handshake whose reply it lost, not the server's. */
    static boolean lostTheServersReply(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = c.getMessage();
            if (m != null && (m.equals("Connection closed prematurely")
                    || m.contains("RedisHandshakeHandler not registered"))) {
                return true;
            }
        }
        return false;
    }

    /** A copy of {@code uri} whose timeout is {@code timeout}; sentinels and the master id included. */
    static RedisURI withTimeout(RedisURI uri, Duration timeout) {
        RedisURI.Builder b = RedisURI.builder(uri).withTimeout(timeout);
        if (!uri.getSentinels().isEmpty()) {
            // RedisURI.builder(RedisURI) copies neither (Lettuce 7.7), and a sentinel URI has no host
            for (RedisURI sentinel : uri.getSentinels()) {
                b.withSentinel(sentinel);
            }
            b.withSentinelMasterId(uri.getSentinelMasterId());
        }
        RedisURI copy = b.build();
        if (!copy.getSentinels().equals(uri.getSentinels()) || !java.util.Objects.equals(copy.getHost(), uri.getHost())
                || copy.getPort() != uri.getPort() || copy.getDatabase() != uri.getDatabase()
                || !java.util.Objects.equals(copy.getSentinelMasterId(), uri.getSentinelMasterId())) {
            throw new IllegalStateException("could not copy the Redis URI " + describe(uri) + " with a timeout");
        }
        return copy;
    }

    /**
     * Runs one batch and waits for its reply.
     *
     * @throws StateUnavailableException when Redis cannot be reached, does not answer within the
     *     timeout, or answers with an error
     */
    public Object execute(byte[][] keys, byte[][] args) {
        // The deadline after which Redis drops the batch unrun: by then this call has given up on it
        // and the Guard has refused (or locally answered) the request, so the batch must not charge
        // it in Redis too (a stalled Redis runs what it had received when it wakes up).
        args[1] = Long.toString(hostClock.getAsLong() + timeout.toMillis() + DEADLINE_SLACK_MILLIS)
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        long start = System.nanoTime();
        try {
            return await(dispatch(() -> commands.evalsha(script.sha1(), ScriptOutputType.MULTI, keys, args)),
                    "the state batch");
        } catch (StateUnavailableException e) {
            throw full(e);
        } catch (NoScript e) {
            LOG.log(System.Logger.Level.INFO, "Redis at " + where + " lost the batch script (restart or SCRIPT "
                    + "FLUSH); sending it again");
            try {
                // within the same timeout: a request waits for Redis at most once
                long left = Math.max(1, timeout.toNanos() - (System.nanoTime() - start));
                return await(dispatch(() -> commands.eval(script.source(), ScriptOutputType.MULTI, keys, args)),
                        "the state batch", left, timeout);
            } catch (StateUnavailableException full) {
                throw full(full);
            } catch (NoScript impossible) {
                throw new StateUnavailableException("Redis at " + where + " answered NOSCRIPT to EVAL", impossible);
            }
        }
    }

    /** {@link Full} when Redis refused the batch as full (OOM), else {@code e} itself. */
    private static RuntimeException full(StateUnavailableException e) {
        return e.getCause() instanceof RedisCommandExecutionException c && message(c).startsWith("OOM") ? new Full(e)
                : e;
    }

    private <T> RedisFuture<T> dispatch(java.util.function.Supplier<RedisFuture<T>> send) {
        try {
            return send.get();
        } catch (RuntimeException e) {
            throw new StateUnavailableException("Redis at " + where + " is unavailable: " + message(e), e);
        }
    }

    /**
     * Sends one batch without waiting. A failure later on is counted ({@link #failedSubmits()}) and
     * logged once until a submit succeeds again.
     *
     * @param onReply takes the batch's reply when it comes, on Lettuce's thread (it must not block;
     *     what it throws is logged)
     * @throws StateUnavailableException when the connection is down right now (so that a Guard with
     *     {@code on_state_unavailable: local} records the ops locally)
     */
    public void submit(byte[][] keys, byte[][] args, java.util.function.Consumer<Object> onReply) {
        if (!connection.isOpen()) {
            failedSubmits.incrementAndGet();
            throw new StateUnavailableException("Redis at " + where + " is not connected; the ops were not sent");
        }
        CompletableFuture<Object> f;
        try {
            f = commands.<Object>evalsha(script.sha1(), ScriptOutputType.MULTI, keys, args).toCompletableFuture();
        } catch (RuntimeException e) {
            submitFailed(e);
            throw new StateUnavailableException("Redis at " + where + " refused the ops: " + message(e), e);
        }
        f.whenComplete((r, e) -> {
            if (e == null) {
                submitFailing.set(false);
                replied(onReply, r);
            } else if (unwrap(e) instanceof RedisNoScriptException) {
                try {
                    commands.eval(script.source(), ScriptOutputType.MULTI, keys, args).whenComplete((r2, e2) -> {
                        if (e2 != null) {
                            submitFailed(e2);
                        } else {
                            replied(onReply, r2);
                        }
                    });
                } catch (RuntimeException e3) {
                    submitFailed(e3);
                }
            } else {
                submitFailed(e);
            }
        });
    }

    /** Hands a submitted batch's reply on, on Lettuce's thread: a failure there is logged, not thrown into Netty. */
    private void replied(java.util.function.Consumer<Object> onReply, Object reply) {
        try {
            onReply.accept(reply);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "the reply of ops submitted to Redis at " + where + " could not be "
                    + "read: " + message(e), e);
        }
    }

    private void submitFailed(Throwable e) {
        failedSubmits.incrementAndGet();
        if (submitFailing.compareAndSet(false, true)) {
            // "may not have been applied": a submit that timed out against a stalled Redis runs when it wakes
            LOG.log(System.Logger.Level.WARNING, "ops submitted to Redis at " + where + " may not have been applied: "
                    + message(unwrap(e)) + " (counted in failedSubmits; logged again after the next success)");
        }
    }

    /** Submitted batches that failed (since this client was created). */
    public long failedSubmits() {
        return failedSubmits.get();
    }

    /** Whether the connection is up now. */
    public boolean connected() {
        return connection.isOpen();
    }

    /** {@code host:port} (never the password). */
    public String where() {
        return where;
    }

    private <T> T await(RedisFuture<T> f, String what) {
        return await(f, what, timeout);
    }

    private <T> T await(RedisFuture<T> f, String what, Duration wait) {
        return await(f, what, wait.toNanos(), wait);
    }

    /** Waits {@code waitNanos}, what is left of {@code wait}, which a timeout's message names. */
    private <T> T await(RedisFuture<T> f, String what, long waitNanos, Duration wait) {
        try {
            return f.get(waitNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            f.cancel(false);
            throw new StateUnavailableException("Redis at " + where + " did not answer " + what + " within "
                    + wait.toMillis() + " ms (raise RedisStateStore.builder(...)." + (wait == timeout ? "timeout"
                    : "timeout or connectTimeout") + " if Redis is slow)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(false);
            // Not an outage: Redis may be fine. A StateUnavailableException would send the request to
            // on_state_unavailable (local state, where its quota starts afresh) and log an outage; this
            // one makes the Guard deny it (internal_error) whatever that setting says.
            throw new VeilException("interrupted while waiting for Redis at " + where + " (" + what + "); the "
                    + "request is not evaluated", e);
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e);
            if (cause instanceof RedisNoScriptException) {
                throw new NoScript();
            }
            if (cause instanceof RedisCommandExecutionException) {
                String m = message(cause);
                if (m.startsWith(GenerationLost.CODE)) {
                    throw new GenerationLost("Redis at " + where + " refused " + what + ": " + m, cause);
                }
                throw new StateUnavailableException("Redis at " + where + " refused " + what + ": " + m
                        + (refusedByAcl(m) ? "; " + aclAdvice : m.startsWith("OOM") ? "; " + OOM_ADVICE : ""), cause,
                        true); // Redis answered: it is reachable (StateUnavailableException#answered)
            }
            throw new StateUnavailableException("Redis at " + where + " is unavailable: " + message(cause), cause);
        } catch (RuntimeException e) {
            throw new StateUnavailableException("Redis at " + where + " is unavailable: " + message(e), e);
        }
    }

    /**
     * A batch refused because Redis is full ({@code OOM}: {@code maxmemory} reached under
     * {@code noeviction}). Nothing of it was applied.
     */
    public static final class Full extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Full(StateUnavailableException refusal) {
            super(refusal.getMessage(), refusal);
        }

        /** The refusal, as the Guard is to see it. */
        public StateUnavailableException refusal() {
            return (StateUnavailableException) getCause();
        }
    }

    /**
     * Reads, without writing, when the caller whose cool-down hash is {@code KEYS[2]} is blocked
     * until (its {@code bu} when later than {@code ARGV[2]}, the batch's "now"), else
     * {@link #THROTTLED} when it is throttled then (its {@code tu} later), else 0; -1 when the state
     * generation ({@code KEYS[1]}) is not {@code ARGV[1]}. {@code no-writes} lets it run while Redis
     * is full and refuses every batch ({@code batch.lua}'s shebang asks for that refusal).
     */
    static final String BLOCK_READ_SCRIPT = """
            #!lua flags=no-writes
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
            local cd = redis.call('HMGET', KEYS[2], 'bu', 'tu')
            if cd[1] and tonumber(cd[1]) > tonumber(ARGV[2]) then return tonumber(cd[1]) end
            if cd[2] and tonumber(cd[2]) > tonumber(ARGV[2]) then return -2 end
            return 0
            """;

    /** {@link #blockedUntilReadOnly}'s answer for a caller throttled, not blocked. */
    public static final long THROTTLED = -2;

    /**
     * Until when a caller is blocked, read without writing (for a batch Redis refused as full: a
     * blocked caller stays blocked while Redis is full); {@link #THROTTLED} when it is throttled and
     * not blocked; 0 when neither.
     *
     * @throws StateUnavailableException when Redis cannot answer, or its state generation is not
     *     {@code generation}
     */
    public long blockedUntilReadOnly(byte[] generationKey, byte[] generation, byte[] coolDownKey, long nowMillis) {
        Long r = await(dispatch(() -> commands.<Long>eval(BLOCK_READ_SCRIPT, ScriptOutputType.INTEGER,
                new byte[][] {generationKey, coolDownKey}, generation,
                Long.toString(nowMillis).getBytes(java.nio.charset.StandardCharsets.US_ASCII))), "the block check");
        if (r == null || r < 0 && r != THROTTLED) {
            throw new StateUnavailableException("Redis at " + where + " does not hold the state generation this store "
                    + "expects; the block check was not read");
        }
        return r;
    }

    /**
     * The batch found another state generation in Redis than the store expects, or none: Redis lost
     * Veil's state since (restarted empty, flushed, evicted). Nothing of the batch was applied.
     * {@code RedisStateStore} turns it into a {@link StateUnavailableException} after saying so.
     */
    public static final class GenerationLost extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final String CODE = "VEIL_LOST";

        GenerationLost(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Every command a store sends ({@code EVALSHA}, {@code EVAL}, {@code SCRIPT LOAD}, {@code TIME})
     * or runs in its scripts ({@code batch.lua}, {@link #GENERATION_SCRIPT}), in ACL syntax: what the
     * ACL user of a store needs, on the keys of its namespace. The module README's ACL line lists
     * exactly these ({@code AclUserTest} holds the three together). {@code INFO} is optional.
     */
    public static final java.util.List<String> ACL_COMMANDS = java.util.List.of("evalsha", "eval", "script|load",
            "time", "get", "set", "hmget", "hset", "hgetall", "hdel", "del", "lrange", "rpush", "ltrim", "pexpire",
            "pttl", "persist");

    /** What to do about an ACL refusal: the commands and the key pattern a store's user needs. */
    public static String aclAdvice(String namespace) {
        StringBuilder cmds = new StringBuilder();
        for (String c : ACL_COMMANDS) {
            cmds.append(" +").append(c);
        }
        return "the connection's ACL user may not run a command, or use a key, that a Veil store needs: it needs "
                + "these commands on the keys of the namespace (ACL SETUSER <user> ~" + globEscape(namespace) + "*"
                + cmds + "; INFO is optional: veil-redis README, \"ACL users\")";
    }

    /** {@code s} with Redis's glob characters escaped, for a key pattern. */
    static String globEscape(String s) {
        return s.replaceAll("([\\\\*?\\[\\]])", "\\\\$1");
    }

    /**
     * Whether an error reply is an ACL's refusal: a command Redis refused itself ({@code NOPERM}) or
     * one a script ran (Redis 7.0: "The user executing the script can't ...", 7.2 and later: "ACL
     * failure in script").
     */
    public static boolean refusedByAcl(String message) {
        return message.contains("NOPERM") || message.contains("The user executing the script can't")
                || message.contains("ACL failure") || message.contains("no permissions");
    }

    /**
     * Tries, in one script run that changes nothing, each command {@code batch.lua} runs that
     * {@link #generation} did not ({@link #ACL_COMMANDS} but the client's own): those that create
     * a key on the state generation (a string, so that they answer WRONGTYPE, or SET NX), the others
     * on a key that does not exist ({@code KEYS[2]}; checked first with GET). Returns, per refused
     * command, its name and Redis's error; a key at {@code KEYS[2]} is an error reply.
     */
    static final String ACL_CHECK_SCRIPT = """
            local refused = {}
            local function try(name, ...)
              local r = redis.pcall(...)
              if type(r) == 'table' and r.err and string.sub(r.err, 1, 9) ~= 'WRONGTYPE' then
                refused[#refused + 1] = name
                refused[#refused + 1] = r.err
              end
              return r
            end
            try('hset', 'HSET', KEYS[1], 'veil-acl-check', '1')
            try('rpush', 'RPUSH', KEYS[1], 'veil-acl-check')
            try('set', 'SET', KEYS[1], 'veil-acl-check', 'NX')
            try('time', 'TIME')
            local there = try('get', 'GET', KEYS[2])
            if there then
              if type(there) == 'table' and there.err then return refused end
              return redis.error_reply('VEIL_ACL_CHECK the key ' .. KEYS[2] .. ' exists')
            end
            try('hmget', 'HMGET', KEYS[2], 'veil-acl-check')
            try('hgetall', 'HGETALL', KEYS[2])
            try('hdel', 'HDEL', KEYS[2], 'veil-acl-check')
            try('lrange', 'LRANGE', KEYS[2], 0, -1)
            try('ltrim', 'LTRIM', KEYS[2], 0, -1)
            try('pexpire', 'PEXPIRE', KEYS[2], 1000)
            try('pttl', 'PTTL', KEYS[2])
            try('persist', 'PERSIST', KEYS[2])
            try('del', 'DEL', KEYS[2])
            return refused
            """;

    /**
     * The commands of {@code batch.lua} that Redis refuses this connection's ACL user, tried without
     * changing anything ({@link #ACL_CHECK_SCRIPT}): empty when it may run them all.
     *
     * @param generationKey the namespace's state generation, which must hold a string
     * @param absentKey a key of the namespace that no store writes
     * @return per refused command, its name in ACL syntax and Redis's error
     * @throws StateUnavailableException when Redis cannot be reached, refuses the check itself, or
     *     holds a key at {@code absentKey}
     */
    public java.util.Map<String, String> refusedCommands(byte[] generationKey, byte[] absentKey) {
        java.util.List<Object> r = await(commands.<java.util.List<Object>>eval(ACL_CHECK_SCRIPT, ScriptOutputType.MULTI,
                new byte[][] {generationKey, absentKey}), "the check of the ACL user's commands", setupTimeout);
        java.util.Map<String, String> refused = new java.util.LinkedHashMap<>();
        for (int i = 0; i + 1 < r.size(); i += 2) {
            refused.put(text(r.get(i)), text(r.get(i + 1)));
        }
        return refused;
    }

    private static String text(Object o) {
        return o instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : String.valueOf(o);
    }

    /**
     * Sets the state generation unless there is one, and returns the one there. A command the ACL
     * user may not run is named (Redis's own message for a script does not).
     */
    private static final String GENERATION_SCRIPT = """
            for _, c in ipairs({{'SET', KEYS[1], ARGV[1], 'NX'}, {'GET', KEYS[1]}}) do
              local r = redis.pcall(unpack(c))
              if type(r) == 'table' and r.err then return redis.error_reply(c[1] .. ': ' .. r.err) end
              if c[1] == 'GET' then return r end
            end
            """;

    /**
     * The namespace's state generation: {@code token} when none was set (written without a time to
     * live), else the one there.
     *
     * @throws StateUnavailableException when Redis cannot be reached or refuses
     */
    public byte[] generation(byte[] key, byte[] token, boolean atBuild) {
        byte[] g = await(commands.<byte[]>eval(GENERATION_SCRIPT, ScriptOutputType.VALUE, new byte[][] {key}, token),
                "the state generation", atBuild ? setupTimeout : timeout);
        if (g == null) {
            throw new StateUnavailableException("Redis at " + where + " did not keep the state generation it was "
                    + "just given");
        }
        return g;
    }

    /** NOSCRIPT: Redis does not have the script (any more). Never leaves this class. */
    private static final class NoScript extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NoScript() {
            super("NOSCRIPT", null, false, false);
        }
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof ExecutionException || t instanceof java.util.concurrent.CompletionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /**
     * How long past this client's own wait a batch may reach Redis and still run: room for the
     * difference between this host's clock and Redis's ({@link #clockSkewMillis} is checked against
     * half of it when the store is built).
     */
    public static final long DEADLINE_SLACK_MILLIS = 500;

    /**
     * Redis's clock ({@code TIME}) minus this host's, in ms: of three round trips, the quickest (the
     * local time taken halfway), so that a reply left unread for a while (a pause of this JVM or of a
     * busy host) is not taken for a skew.
     */
    public long clockSkewMillis() {
        long best = Long.MAX_VALUE;
        long skew = 0;
        for (int i = 0; i < 3; i++) {
            long before = hostClock.getAsLong();
            java.util.List<byte[]> t = await(commands.time(), "TIME", setupTimeout);
            long after = hostClock.getAsLong();
            if (after - before < best) {
                best = after - before;
                skew = skewMillis(before, after, t);
            }
        }
        return skew;
    }

    /**
     * Redis's clock minus this host's, measured once ({@code TIME}): {@code millis}, within
     * {@code uncertainty} ms (half the round trip, the local time being taken halfway).
     */
    public record Skew(long millis, long uncertainty) {}

    /**
     * As {@link #clockSkewMillis()}, in one round trip and without waiting (for the periodic check,
     * on the client's own threads). Completes exceptionally when {@code TIME} fails.
     */
    public CompletionStage<Skew> clockSkewLater() {
        try {
            long before = hostClock.getAsLong();
            return commands.time().thenApply(t -> {
                long after = hostClock.getAsLong();
                return new Skew(skewMillis(before, after, t), (after - before + 1) / 2);
            });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Redis's clock minus this host's, in ms, from a {@code TIME} reply (seconds, microseconds)
     * received between {@code beforeMillis} and {@code afterMillis} on this host's clock: Redis's
     * time is taken to be that of the midpoint.
     */
    public static long skewMillis(long beforeMillis, long afterMillis, java.util.List<byte[]> time) {
        long redisMillis = Long.parseLong(new String(time.get(0), java.nio.charset.StandardCharsets.US_ASCII)) * 1000
                + Long.parseLong(new String(time.get(1), java.nio.charset.StandardCharsets.US_ASCII)) / 1000;
        return redisMillis - (beforeMillis + (afterMillis - beforeMillis) / 2);
    }

    /**
     * The fields of the server's {@code INFO memory} ({@code maxmemory_policy}, {@code maxmemory})
     * and {@code INFO stats} ({@code evicted_keys}), each section asked for on its own, so that an
     * ACL user allowed only {@code INFO memory} ({@code +info|memory}) still has its eviction policy
     * read; a section that cannot be read (an ACL user without it) adds nothing.
     */
    public java.util.Map<String, String> serverInfo() {
        java.util.Map<String, String> fields = new java.util.HashMap<>();
        for (String section : new String[] {"memory", "stats"}) {
            try {
                fields.putAll(parseInfo(await(commands.info(section), "INFO " + section, setupTimeout)));
            } catch (RuntimeException e) {
                // not permitted or not reachable: the caller treats the missing fields as unknown
            }
        }
        return fields;
    }

    /**
     * As {@link #serverInfo()} without waiting: {@code INFO memory} and {@code INFO stats} on the
     * shared connection. The stage completes exceptionally when {@code INFO memory} fails (Redis
     * unreachable, refused, or the connection's command timeout); a failed {@code INFO stats} only
     * leaves its fields out.
     */
    public java.util.concurrent.CompletionStage<java.util.Map<String, String>> serverInfoLater() {
        try {
            CompletionStage<java.util.Map<String, String>> stats = commands.info("stats")
                    .thenApply(RedisBatchClient::parseInfo)
                    .exceptionally(e -> java.util.Map.of());
            return commands.info("memory").thenApply(RedisBatchClient::parseInfo)
                    .thenCombine(stats, (memory, s) -> {
                        java.util.Map<String, String> fields = new java.util.HashMap<>(s);
                        fields.putAll(memory);
                        return fields;
                    });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static java.util.Map<String, String> parseInfo(String info) {
        java.util.Map<String, String> fields = new java.util.HashMap<>();
        for (String line : info.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return fields;
    }

    /**
     * Runs {@code task} every {@code interval} (the first time one interval from now) on this
     * client's own computation threads (Lettuce's event executors: no thread of its own) until
     * {@link #close}. The task must not block; one that throws is logged and runs again next time.
     */
    public void every(Duration interval, Runnable task) {
        long ms = Math.max(1, interval.toMillis());
        java.util.concurrent.ScheduledExecutorService executors = resources.eventExecutorGroup();
        executors.scheduleWithFixedDelay(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "a periodic check of Redis at " + where + " failed", e);
            }
        }, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** What to do when Redis is full: it refuses writes under noeviction, the policy Veil needs. */
    static final String OOM_ADVICE = "Redis is full (maxmemory reached, and noeviction, as Veil needs, refuses writes "
            + "instead of evicting): raise maxmemory or free memory in it (Veil's keys expire with their time to live, "
            + "so what they take follows the traffic)";

    /**
     * What went wrong while connecting, from the innermost cause: Lettuce wraps every failure in
     * "Unable to connect", which alone sends an operator looking for a stopped server when the
     * password, the database number or the TLS set-up is wrong.
     */
    static String connectProblem(Throwable e, boolean tlsUrl) {
        if (lostTheServersReply(e)) {
            // Lettuce's two words for it differ by a race; "RedisHandshakeHandler" would also read as TLS below
            return message(e) + " (cause: the server closed the connection during the handshake); check that the "
                    + "URL names a redis-server, and rediss:// if that port expects TLS";
        }
        Throwable root = e;
        for (Throwable c = e; c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                root = c;
            }
        }
        String cause = message(root);
        String all = cause.toUpperCase(java.util.Locale.ROOT);
        String hint;
        if (all.contains("WRONGPASS") || all.contains("NOPERM") || all.contains("INVALID PASSWORD")
                || all.contains("AUTH")) { // AUTH: NOAUTH and "AUTH failed" alike
            hint = "Redis refused the credentials; check the user and password in the URL "
                    + "(redis://user:password@host:port, or redis://:password@host:port)";
        } else if (all.contains("DB INDEX")) {
            hint = "the database number in the URL (redis://host:port/N) does not exist on this server";
        } else if (all.contains("CERTIFICATE_REQUIRED")) {
            hint = "TLS failed: the server asks for a client certificate (redis.conf tls-auth-clients yes, its default), "
                    + "and this store presents none: give it one that a CA of the server's tls-ca-cert-file issued, "
                    + "RedisStateStore.Builder.clientCertificate(chain.pem, key.pem), or set tls-auth-clients no (or "
                    + "optional) and authenticate with a user and password (veil-redis README, TLS)";
        } else if (all.contains("NO NAME MATCHING") || all.contains("NO SUBJECT ALTERNATIVE")) {
            hint = "TLS failed: the server's certificate does not name the host of the URL; connect by a name (or "
                    + "IP address) its certificate holds, or have it issued for this one";
        } else if (REFUSED_CLIENT_CERTIFICATE.matcher(all).find()) {
            // an alert the server sent about the certificate this store presented
            hint = "TLS failed: the server refused the client certificate; it must be issued by a CA of the server's "
                    + "tls-ca-cert-file (or chain to one through the intermediate certificates given with it), and be "
                    + "valid now";
        } else if (tls(e) || all.contains("PKIX") || all.contains("SSL") || all.contains("HANDSHAKE")
                || all.contains("CERTIFICATE")) {
            hint = "TLS failed; check rediss:// against a TLS port and that this store trusts the server's certificate "
                    + "(a private CA: RedisStateStore.Builder.trustedCertificates(ca.pem), or the JVM's "
                    + "-Djavax.net.ssl.trustStore=...)";
        } else if (tlsUrl && all.contains("TIMED OUT")) {
            hint = "check the URL, that redis-server is running, and that this port speaks TLS (rediss://): a "
                    + "plain-text port does not answer a TLS handshake";
        } else {
            hint = "check the URL and that redis-server is running";
        }
        return message(e) + (root == e ? "" : " (cause: " + cause + ")") + "; " + hint;
    }

    /**
     * The TLS alerts a server sends about the client's certificate (RFC 8446, 6.2), as the JDK words
     * them ("Received fatal alert: unknown_ca"), upper-cased.
     */
    private static final java.util.regex.Pattern REFUSED_CLIENT_CERTIFICATE = java.util.regex.Pattern.compile(
            "RECEIVED FATAL ALERT: (UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|CERTIFICATE_EXPIRED"
                    + "|CERTIFICATE_REVOKED|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)");

    /** Whether a TLS failure is anywhere in the chain (the innermost message may not say so). */
    private static boolean tls(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            // GeneralSecurityException: a certificate's (CertificateException) or its path's (CertPathBuilderException)
            if (c instanceof javax.net.ssl.SSLException || c instanceof java.security.GeneralSecurityException) {
                return true;
            }
        }
        return false;
    }

    /**
     * An exception's message for Veil's own messages and log lines, {@link #printable}: Redis's and
     * Lettuce's text (a server's error reply, a URL) is quoted there, and a line break in it would
     * forge a log line of the reader's choosing.
     */
    static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : printable(m);
    }

    /**
     * {@code s} with each UTF-16 unit that breaks, hides or reorders text written as a JSON-style
     * escape ({@code \\u000a}, {@code \\u202e}): control characters (C0, DEL, C1), the line and
     * paragraph separators U+2028 and U+2029, format characters (bidi controls, zero-width
     * characters) and surrogates; {@code s} itself when it holds none. The core escapes the same
     * characters in what it prints (it also escapes a few that render as nothing, and leaves a
     * visible character outside the BMP as it is, which a server's message does not need).
     */
    public static String printable(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int type = Character.getType(c);
            boolean hide = Character.isISOControl(c) || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR || type == Character.FORMAT || Character.isSurrogate(c);
            if (hide && sb == null) {
                sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (hide) {
                sb.append(String.format("\\u%04x", (int) c));
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? s : sb.toString();
    }

    private static String describe(RedisURI uri) {
        if (uri.getSocket() != null) {
            return "unix:" + uri.getSocket();
        }
        return uri.getHost() + ":" + uri.getPort() + (uri.getDatabase() != 0 ? "/" + uri.getDatabase() : "");
    }

    @Override
    public void close() {
        try {
            if (connection != null) {
                connection.close();
            }
        } finally {
            shutdown();
        }
    }

    private void shutdown() {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
