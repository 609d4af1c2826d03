package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AuditLogConfigTest {
    private static final Path FILE = Path.of("audit.jsonl");

    @Test
    void shouldDefaultToAsyncWithTheDocumentedQueue() {
        AuditLog log = AuditLog.jsonLines(FILE);

        assertThat(log.file()).isEqualTo(FILE);
        assertThat(log.mode()).isEqualTo(AuditLog.Mode.ASYNC);
        assertThat(log.queueCapacity()).isEqualTo(AuditLog.DEFAULT_QUEUE_CAPACITY);
        assertThat(log.maxWait()).isEqualTo(AuditLog.DEFAULT_MAX_WAIT);
        assertThat(log).hasToString("AuditLog[audit.jsonl, async, queueCapacity=8192, maxWait=PT0.1S]");
    }

    @Test
    void shouldReturnModifiedCopiesAndLeaveTheOriginalAlone() {
        AuditLog base = AuditLog.jsonLines(FILE);
        AuditLog async = base.async(16, Duration.ofMillis(5));
        AuditLog durable = base.durable();

        assertThat(base.mode()).isEqualTo(AuditLog.Mode.ASYNC);
        assertThat(base.queueCapacity()).isEqualTo(8192);
        assertThat(async.queueCapacity()).isEqualTo(16);
        assertThat(async.maxWait()).isEqualTo(Duration.ofMillis(5));
        assertThat(durable.mode()).isEqualTo(AuditLog.Mode.DURABLE);
        assertThat(durable.queueCapacity()).isZero();
        assertThat(durable.maxWait()).isEqualTo(AuditLog.MAX_MAX_WAIT);
        assertThat(durable).hasToString("AuditLog[audit.jsonl, durable, maxWait=PT1M]");
        assertThat(durable.async(16, Duration.ofMillis(5))).isEqualTo(async).hasSameHashCodeAs(async);
        assertThat(async).isNotEqualTo(durable);
    }

    @Test
    void shouldRejectAQueueCapacityBelowOne() {
        assertThatThrownBy(() -> AuditLog.jsonLines(FILE).async(0, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("queueCapacity must be >= 1, was 0");
    }

    @Test
    void shouldRejectANegativeMaxWait() {
        assertThatThrownBy(() -> AuditLog.jsonLines(FILE).async(1, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxWait must be >= 0, was PT-1S");
    }

    @Test
    void shouldRejectAMaxWaitAboveOneMinute() {
        assertThatThrownBy(() -> AuditLog.jsonLines(FILE).async(1, Duration.ofMinutes(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxWait must be <= PT1M, was PT2M");
    }

    @Test
    void shouldRejectNulls() {
        assertThatThrownBy(() -> AuditLog.jsonLines(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("file");
        assertThatThrownBy(() -> AuditLog.jsonLines(FILE).async(1, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("maxWait");
        assertThatThrownBy(() -> AuditLog.verify(null)).isInstanceOf(NullPointerException.class).hasMessage("file");
    }

    @Test
    void shouldRejectAnInconsistentVerification() {
        assertThatThrownBy(() -> new AuditVerification(true, 1, 3, "", "ok", AuditSerializer.ZERO_HASH))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("firstBrokenLine must be 0 exactly when ok, was 3 with ok=true");
        assertThatThrownBy(() -> new AuditVerification(false, -1, 1, "", "x", AuditSerializer.ZERO_HASH))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("records must be >= 0, was -1");
        assertThatThrownBy(() -> new AuditVerification(false, 0, -2, "", "x", AuditSerializer.ZERO_HASH))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("firstBrokenLine must be >= 0, was -2");
    }
}
