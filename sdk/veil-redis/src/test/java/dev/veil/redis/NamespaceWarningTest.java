package dev.veil.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
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

    private final List<String> warnings = Collections.synchronizedList(new ArrayList<>());
    private final Logger jul = Logger.getLogger(RedisStateStore.class.getName());
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel() == java.util.logging.Level.WARNING) {
                warnings.add(r.getMessage());
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeEach
    void listen() {
        jul.addHandler(handler);
    }

    @AfterEach
    void restore() {
        jul.removeHandler(handler);
    }

    @Test
    void aStoreWithoutANamespaceSaysThatItSharesOneAndAStoreWithOneDoesNot() {
        try (RedisStateStore s = RedisStateStore.builder(REDIS.url()).namespace("veil:{svc-a}:")
                .timeout(Duration.ofSeconds(2)).build()) {
            assertThat(s).isNotNull();
        }
        assertThat(warnings).noneMatch(w -> w.contains("default namespace"));
        try (RedisStateStore s = RedisStateStore.builder(REDIS.url()).timeout(Duration.ofSeconds(2)).build()) {
            assertThat(s).isNotNull();
        }
        assertThat(warnings).filteredOn(w -> w.contains("default namespace")).singleElement().asString()
                .startsWith("the state store for Redis at ")
                .contains("uses the default namespace 'veil:': every Guard on this Redis that leaves the namespace out "
                        + "shares its callers' rate limits, quotas, blocks, privacy budgets and detector histories")
                .endsWith("RedisStateStore.builder(url).namespace(\"veil:{my-model}:\")");
    }
}
