package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.Features;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * After one very large record, both file writers' batch buffers shrink back to their normal 64 KiB
 * once a batch of normal records is written, instead of keeping their peak size for the life of the
 * writer (the serialiser's own buffers are {@link ByteSink}s too: {@link ByteSinkTest}).
 */
@Timeout(60)
class AuditBufferShrinkTest {
    private static final int NORMAL = 64 * 1024;

    /** A record of about 1.3 MB: 100,000 features kept in the log. */
    private static AuditRecord large(String id) {
        double[] x = new double[100_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 100) + 0.123456789;
        }
        return AuditFixtures.fullReleaseBuilder(id).features(Features.of(x)).build();
    }

    @Test
    void theDurableWritersBufferShrinksBackAfterALargeRecord() {
        DurableAuditWriter w = new DurableAuditWriter(Sink.of(new ByteArrayOutputStream(), "mem"),
                AuditSerializer.ZERO_HASH, Duration.ofSeconds(30));
        try {
            assertThat(w.bufferCapacity()).isEqualTo(NORMAL);
            w.append(large("big"));
            assertThat(w.bufferCapacity()).as("grown by the large record").isGreaterThan(NORMAL);
            // each its own batch (a durable append waits for its batch), enough in a row to shrink
            for (int i = 0; i <= ByteSink.SHRINK_AFTER_USES; i++) {
                w.append(AuditFixtures.fullRelease("n" + i));
            }
        } finally {
            w.close();
        }
        assertThat(w.stats().recordsWritten()).isEqualTo(ByteSink.SHRINK_AFTER_USES + 2);
        assertThat(w.bufferCapacity()).isEqualTo(NORMAL);
    }

    @Test
    void theAsynchronousWritersBufferShrinksBackAfterALargeRecord() throws InterruptedException {
        AsyncAuditWriter w = new AsyncAuditWriter(Sink.of(new ByteArrayOutputStream(), "mem"),
                AuditSerializer.ZERO_HASH, 16, Duration.ofSeconds(30));
        try {
            w.append(large("big"));
            awaitWritten(() -> w.stats().recordsWritten(), 1); // a batch of its own
            for (int i = 0; i <= ByteSink.SHRINK_AFTER_USES; i++) { // each a batch of its own
                w.append(AuditFixtures.fullRelease("n" + i));
                awaitWritten(() -> w.stats().recordsWritten(), i + 2);
            }
        } finally {
            w.close(); // the writer thread has ended: its buffer can be read
        }
        assertThat(w.bufferCapacity()).isEqualTo(NORMAL);
    }

    private static void awaitWritten(LongSupplier written, long n) throws InterruptedException {
        while (written.getAsLong() < n) {
            Thread.sleep(1);
        }
    }
}
