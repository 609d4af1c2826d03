package dev.veil.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.spi.PrivacyUnits;
import org.junit.jupiter.api.Test;

/**
 * A spent mark ends when the ledger's period ends ({@link PrivacyUnits#periodEnd}), in millis: the
 * mark must not outlive the spending it stands for, nor end before it.
 */
class SpentMarkEndTest {
    @Test
    void endsWhenTheLedgersPeriodEnds() {
        qt().withExamples(20_000).forAll(longs().all(), longs().between(0, Long.MAX_VALUE)).checkAssert((now, length) -> {
            long ledger = PrivacyUnits.periodEnd(Math.floorDiv(now, 1000L), length);
            long mark = DefaultGuard.spentMarkEnd(now, length);
            if (ledger > Long.MAX_VALUE / 1000) {
                assertThat(mark).isEqualTo(Long.MAX_VALUE);
            } else {
                assertThat(mark).isEqualTo(ledger * 1000);
            }
        });
    }

    @Test
    void beforeTheEpochAPeriodTooLongForMillisStillEndsAtTheEpochAsTheLedgersDoes() {
        long length = Long.MAX_VALUE / 1000 + 1; // its end in millis is beyond a long, its end in seconds is not
        assertThat(PrivacyUnits.periodEnd(-1, length)).isZero();
        // Was Long.MAX_VALUE: the mark outlived the ledger's period, which renews at the epoch.
        assertThat(DefaultGuard.spentMarkEnd(-1, length)).isZero();
        assertThat(DefaultGuard.spentMarkEnd(0, length)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void theLastMillisecondOfADayBelongsToIt() {
        long midnight = 1_774_742_400_000L; // 2026-03-29T00:00:00Z
        assertThat(DefaultGuard.spentMarkEnd(midnight - 1, 86_400)).isEqualTo(midnight);
        assertThat(DefaultGuard.spentMarkEnd(midnight, 86_400)).isEqualTo(midnight + 86_400_000L);
        assertThat(DefaultGuard.spentMarkEnd(midnight, 0)).isEqualTo(Long.MAX_VALUE);
        assertThat(DefaultGuard.spentMarkEnd(midnight, 9_300_000_000_000_000L)).isEqualTo(Long.MAX_VALUE);
    }
}
