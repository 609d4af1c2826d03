package dev.veil.internal.monitor.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes the trace reader of {@code veil monitor replay} and {@code veil calibrate}, which read
 * traffic captured elsewhere: whatever the bytes, every line either gives a query or the read stops
 * with {@link TraceFormatException} naming that line and the problem; never another exception. A
 * query read has a non-empty caller, finite features and, when present, finite non-negative scores.
 *
 * <p>A normal build runs the regression corpus in
 * {@code src/test/resources/dev/veil/internal/monitor/replay/TraceFuzzTestInputs/trace/}. To fuzz:
 * {@code JAZZER_FUZZ=1 mvn -pl sdk/veil-core test -Dtest=TraceFuzzTest -Djacoco.skip=true
 * -Djazzer.hooks=true}; a failing input is written to that directory and becomes a regression case.
 */
class TraceFuzzTest {
    @FuzzTest(maxDuration = "2m")
    void trace(byte[] input) {
        List<TraceQuery> read = new ArrayList<>();
        long newlines = 0;
        for (byte b : input) {
            if (b == '\n') {
                newlines++;
            }
        }
        try {
            TraceReader.forEach(new ByteArrayInputStream(input), "fuzz.jsonl", read::add);
        } catch (TraceFormatException e) {
            assertThat(e.line()).isBetween(1L, newlines + 1L);
            assertThat(e.getMessage()).startsWith("fuzz.jsonl:").isNotBlank();
        }
        for (TraceQuery q : read) {
            assertThat(q.caller()).isNotEmpty();
            for (double v : q.features()) {
                assertThat(v).isFinite();
            }
            if (q.scores() != null) {
                for (double v : q.scores()) {
                    assertThat(v).isFinite().isNotNegative();
                }
            }
        }
    }
}
