package dev.veil.internal.access;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ValidityTest {
    private static final long SKEW = 30_000;

    @Test
    void validFromNbfMinusSkewUntilExpPlusSkewExclusive() {
        assertThat(Validity.at(70_000 - 1, 100_000, 200_000, SKEW)).isEqualTo(Validity.NOT_YET_VALID);
        assertThat(Validity.at(70_000, 100_000, 200_000, SKEW)).isEqualTo(Validity.VALID);
        assertThat(Validity.at(230_000 - 1, 100_000, 200_000, SKEW)).isEqualTo(Validity.VALID);
        assertThat(Validity.at(230_000, 100_000, 200_000, SKEW)).isEqualTo(Validity.EXPIRED);
    }

    /**
     * A window whose exp is not after its nbf is valid at no time, whatever the skew: before, nbf
     * 100 s and exp 50 s with 30 s of skew was valid from 70 s to 80 s.
     */
    @Test
    void aWindowWhoseExpIsNotAfterItsNbfIsNeverValid() {
        for (long now : new long[] {0, 70_000, 75_000, 80_000 - 1, 130_000, 200_000, Long.MAX_VALUE - SKEW}) {
            assertThat(Validity.at(now, 100_000, 50_000, SKEW)).as("at %s", now).isEqualTo(Validity.NEVER_VALID);
            assertThat(Validity.at(now, 200_000, 100_000, SKEW)).isEqualTo(Validity.NEVER_VALID);
            assertThat(Validity.at(now, 100_000, 100_000, SKEW)).isEqualTo(Validity.NEVER_VALID);
        }
        assertThat(Validity.at(100_000, 100_000, 100_001, 0)).isEqualTo(Validity.VALID); // one millisecond long
    }

    @Test
    void aMissingEndIsOpen() {
        assertThat(Validity.at(Long.MAX_VALUE - SKEW, Validity.NO_NOT_BEFORE, Validity.NO_EXPIRY, SKEW))
                .isEqualTo(Validity.VALID);
        assertThat(Validity.at(Long.MIN_VALUE + SKEW, Validity.NO_NOT_BEFORE, Validity.NO_EXPIRY, SKEW))
                .isEqualTo(Validity.VALID);
        assertThat(Validity.at(0, Validity.NO_NOT_BEFORE, 0, 0)).isEqualTo(Validity.EXPIRED);
        assertThat(Validity.at(0, 1, Validity.NO_EXPIRY, 0)).isEqualTo(Validity.NOT_YET_VALID);
    }
}
