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
        assertThat(Validity.at(200_000, 200_000, 200_000, 0)).isEqualTo(Validity.EXPIRED);
        assertThat(Validity.at(199_999, 200_000, 200_000, 0)).isEqualTo(Validity.NOT_YET_VALID);
    }

    @Test
    void expBeforeNbfIsNotYetValidThenExpired() {
        assertThat(Validity.at(0, 200_000, 100_000, SKEW)).isEqualTo(Validity.NOT_YET_VALID);
        assertThat(Validity.at(130_000 - 1, 200_000, 100_000, SKEW)).isEqualTo(Validity.NOT_YET_VALID);
        assertThat(Validity.at(130_000, 200_000, 100_000, SKEW)).isEqualTo(Validity.EXPIRED);
        assertThat(Validity.at(200_000, 200_000, 100_000, SKEW)).isEqualTo(Validity.EXPIRED);
    }

    /**
     * The tolerance widens both ends, so a window inverted by less than twice the skew is valid for
     * the rest: nbf 100 s and exp 50 s with 30 s of skew is valid from 70 s to 80 s (as before the
     * three checks shared this comparison).
     */
    @Test
    void aWindowInvertedByLessThanTwiceTheSkewIsValidBetweenItsWidenedEnds() {
        assertThat(Validity.at(70_000 - 1, 100_000, 50_000, SKEW)).isEqualTo(Validity.NOT_YET_VALID);
        assertThat(Validity.at(70_000, 100_000, 50_000, SKEW)).isEqualTo(Validity.VALID);
        assertThat(Validity.at(80_000 - 1, 100_000, 50_000, SKEW)).isEqualTo(Validity.VALID);
        assertThat(Validity.at(80_000, 100_000, 50_000, SKEW)).isEqualTo(Validity.EXPIRED);
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
