package dev.veil.cli;

import dev.veil.internal.guard.DefaultGuard;
import dev.veil.internal.monitor.replay.MonitorReplay;
import dev.veil.internal.monitor.replay.TraceClock;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.redis.RedisStateStore;
import dev.veil.redis.internal.RedisBatchClient;
import dev.veil.redis.internal.TlsFiles;
import dev.veil.spi.StateOp;
import dev.veil.spi.StateStore;
import dev.veil.spi.StateUnavailableException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/** The state stores a replay runs against: in memory, or Redis in a fresh namespace that is deleted afterwards. */
final class ReplayStores {
    /** How long a replay waits for one Redis batch: a replay is not latency-bound. */
    static final Duration REDIS_TIMEOUT = Duration.ofSeconds(10);

    private ReplayStores() {}

    /** A fresh in-memory store, as the Guard creates its default one, on the trace's clock (times to live too). */
    static StateStore memory(TraceClock clock) {
        return memory(clock, MonitorReplay.DEFAULT_MAX_CALLERS);
    }

    /**
     * As {@link #memory(TraceClock)}, holding rate-limit, quota and cool-down state for at most
     * {@code maxCallers} callers at once (as {@code Guard.Builder.maxCallers}).
     */
    static StateStore memory(TraceClock clock, int maxCallers) {
        return MemoryStateStore.onClockTime(STATE_BYTES, clock, maxCallers);
    }

    /** The in-memory replay store's memory cap: a default Guard's. */
    static final long STATE_BYTES = DefaultGuard.DEFAULT_STATE_BYTES;

    /** What {@code store}, one of {@link #memory}'s, forgot to make room ({@link MemoryStateStore#evictedForRoom}). */
    static long evictedForRoom(StateStore store) {
        return store instanceof MemoryStateStore m ? m.evictedForRoom() : 0;
    }

    /**
     * The TLS files of a {@code rediss://} connection ({@code --redis-ca}, {@code --redis-cert},
     * {@code --redis-key}), each null when not given; read and checked when a store is built.
     */
    record Tls(Path ca, Path cert, Path key) {
        /** Reads the files into the JDK's key and trust managers: null for those not given. */
        KeyManagerFactory keyManager() {
            return cert == null ? null : read("--redis-cert", () -> TlsFiles.keyManager(cert, key));
        }

        TrustManagerFactory trustManager() {
            return ca == null ? null : read("--redis-ca", () -> TlsFiles.trustManager(ca));
        }

        private static <T> T read(String option, java.util.function.Supplier<T> files) {
            try {
                return files.get();
            } catch (IllegalArgumentException e) {
                throw new CliException(option + ": " + e.getMessage(), e);
            }
        }
    }

    /** A Redis store in a namespace of its own; {@link #close} deletes every key in it. */
    static final class Redis implements AutoCloseable {
        private final String url;
        private final String namespace;
        private final RedisStateStore store;
        private final KeyManagerFactory clientKeys;
        private final TrustManagerFactory trusted;

        Redis(String url, Tls tls, TraceClock clock) {
            this.url = url;
            this.clientKeys = tls.keyManager();
            this.trusted = tls.trustManager();
            byte[] id = new byte[12];
            new SecureRandom().nextBytes(id);
            this.namespace = "veil:replay:" + HexFormat.of().formatHex(id) + ":";
            RedisStateStore.Builder b;
            try {
                b = RedisStateStore.builder(url);
            } catch (IllegalArgumentException e) {
                throw new CliException("--redis: " + e.getMessage(), e);
            }
            if (tls.cert() != null) {
                b.clientCertificate(tls.cert(), tls.key()); // read twice: the store keeps its own managers
            }
            if (tls.ca() != null) {
                b.trustedCertificates(tls.ca());
            }
            try {
                this.store = b.namespace(namespace).clock(clock).timeout(REDIS_TIMEOUT).build();
            } catch (StateUnavailableException e) {
                // the store's hints name its builder's settings; here they are options
                throw new CliException("--redis: " + e.getMessage()
                        .replace("RedisStateStore.Builder.clientCertificate(chain.pem, key.pem)", "--redis-cert FILE "
                                + "--redis-key FILE")
                        .replace("RedisStateStore.Builder.trustedCertificates(ca.pem)", "--redis-ca FILE"), e);
            }
        }

        StateStore store() {
            return store;
        }

        String namespace() {
            return namespace;
        }

        /**
         * Waits until Redis has applied every batch submitted so far (a batch sent after them on the
         * same connection is answered after them) and checks that none was lost.
         */
        void settle() {
            store.execute(new StateOp.ListRead("replay-settle"));
            if (store.failedSubmits() > 0) {
                throw new CliException("--redis: " + store.failedSubmits() + " batch(es) of recorded answers were not "
                        + "applied by Redis; the replay is incomplete, run it again");
            }
        }

        /**
         * Closes the store and deletes the namespace's keys, after waiting for batches still on their
         * way (a replay that failed half-way may have sent some), so that none lands after the deletion.
         */
        @Override
        public void close() {
            try {
                store.execute(new StateOp.ListRead("replay-settle"));
            } catch (RuntimeException ignored) {
                // Redis is gone or the store is broken: delete what can be deleted
            }
            try {
                store.close();
            } finally {
                deleteNamespace();
            }
        }

        private void deleteNamespace() {
            RedisClient client = RedisClient.create(RedisURI.create(url));
            // the store's own TLS set-up, for the connection that deletes
            client.setOptions(ClientOptions.builder().sslOptions(RedisBatchClient.sslOptions(
                    RedisStateStore.Builder.DEFAULT_CONNECT_TIMEOUT, clientKeys, trusted)).build());
            try (StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE)) {
                RedisCommands<byte[], byte[]> cmd = c.sync();
                ScanArgs match = ScanArgs.Builder.matches(namespace + "*").limit(1000);
                ScanCursor cursor = ScanCursor.INITIAL;
                KeyScanCursor<byte[]> page;
                do {
                    page = cmd.scan(cursor, match);
                    if (!page.getKeys().isEmpty()) {
                        cmd.del(page.getKeys().toArray(byte[][]::new));
                    }
                    cursor = page;
                } while (!page.isFinished());
            } catch (RuntimeException e) {
                throw new CliException("--redis: the replay's keys (" + namespace + "*) could not be deleted: "
                        + e.getMessage(), e);
            } finally {
                client.shutdown(0, 2, TimeUnit.SECONDS);
            }
        }
    }
}
