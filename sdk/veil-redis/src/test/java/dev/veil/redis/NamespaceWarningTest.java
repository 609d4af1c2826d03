package dev.veil.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two services whose stores leave the namespace out share every caller's state (a review: a block
 * and a spent budget at one service held at the other, which had its own policy); nothing said so.
 * A store built without a namespace now logs a warning; one given a namespace does not.
 */
class NamespaceWarningTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private StoreLog log;

    @BeforeEach
    void listen() {
        log = StoreLog.start();
    }

    @AfterEach
    void restore() {
        log.close();
    }

    @Test
    void aStoreWithoutANamespaceSaysThatItSharesOneAndAStoreWithOneDoesNot() {
        try (RedisStateStore s = RedisStateStore.builder(REDIS.url()).namespace("veil:{svc-a}:")
                .timeout(Duration.ofSeconds(2)).build()) {
            assertThat(s).isNotNull();
        }
        assertThat(log.messages(Level.WARNING)).noneMatch(w -> w.contains("default namespace"));
        try (RedisStateStore s = RedisStateStore.builder(REDIS.url()).timeout(Duration.ofSeconds(2)).build()) {
            assertThat(s).isNotNull();
        }
        assertThat(log.messages(Level.WARNING)).filteredOn(w -> w.contains("default namespace")).singleElement()
                .asString()
                .startsWith("the state store for Redis at ")
                .contains("uses the default namespace 'veil:': every Guard on this Redis that leaves the namespace out "
                        + "shares its callers' rate limits, quotas, blocks, privacy budgets and detector histories")
                .endsWith("RedisStateStore.builder(url).namespace(\"veil:{my-model}:\")");
    }
}
