package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The audit record's {@code timestamp} (RFC 3339, UTC, nine fraction digits): the serialiser writes
 * the years 1970 to 9999 by hand and must give exactly what the documented formatter gives, for
 * every instant, the edges of that range included.
 */
class TimestampFormatTest {
    private static final DateTimeFormatter DOCUMENTED = new DateTimeFormatterBuilder()
            .appendPattern("uuuu-MM-dd'T'HH:mm:ss")
            .appendFraction(ChronoField.NANO_OF_SECOND, 9, 9, true)
            .appendLiteral('Z')
            .toFormatter(Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    @Test
    void shouldFormatEveryInstantAsTheDocumentedFormatterDoes() {
        long max = Instant.parse("+12000-01-01T00:00:00Z").getEpochSecond();
        long min = Instant.parse("-3000-01-01T00:00:00Z").getEpochSecond();
        qt().withExamples(20_000).forAll(longs().between(min, max), integers().between(0, 999_999_999))
                .checkAssert((s, n) -> {
                    Instant t = Instant.ofEpochSecond(s, n);
                    assertThat(AuditSerializer.formatTimestamp(t)).isEqualTo(DOCUMENTED.format(t));
                });
    }

    @Test
    void shouldFormatTheEdgesOfTheHandWrittenRange() {
        for (String edge : new String[] {"1969-12-31T23:59:59.999999999Z", "1970-01-01T00:00:00Z",
            "2000-02-29T12:34:56.000000001Z", "9999-12-31T23:59:59.999999999Z", "+10000-01-01T00:00:00Z"}) {
            Instant t = Instant.parse(edge);
            assertThat(AuditSerializer.formatTimestamp(t)).as(edge).isEqualTo(DOCUMENTED.format(t));
        }
        assertThat(AuditSerializer.formatTimestamp(Instant.parse("2026-11-29T10:19:14.5Z")))
                .isEqualTo("2026-11-29T10:19:14.500000000Z");
    }
}
