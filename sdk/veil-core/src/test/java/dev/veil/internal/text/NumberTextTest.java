package dev.veil.internal.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

class NumberTextTest {
    private static final String CHARS = "0123456789.eE+-";

    @Test
    void examples() {
        assertThat(NumberText.underflows(0, "1e-400")).isTrue();
        assertThat(NumberText.underflows(-0.0, "-2.5E-999")).isTrue();
        assertThat(NumberText.underflows(0, "0.00001e-320")).isTrue();
        assertThat(NumberText.underflows(0, "0")).isFalse();
        assertThat(NumberText.underflows(0, "0.0e-400")).isFalse();
        assertThat(NumberText.underflows(0, "0e9")).isFalse();
        assertThat(NumberText.underflows(4.9e-324, "4.9e-324")).isFalse();
        assertThat(NumberText.underflows(1, "1")).isFalse();
    }

    /** The definition: a zero reading of a text with a non-zero digit before its exponent. */
    @Test
    void aZeroReadingUnderflowsExactlyWhenADigitBeforeTheExponentIsNotZero() {
        Gen<String> texts = lists().of(integers().between(0, CHARS.length() - 1)).ofSizeBetween(0, 12)
                .map(l -> l.stream().map(i -> String.valueOf(CHARS.charAt(i))).collect(Collectors.joining()));
        qt().forAll(texts).checkAssert(t -> {
            assertThat(NumberText.underflows(0, t)).as(t).isEqualTo(t.split("[eE]", 2)[0].matches(".*[1-9].*"));
            assertThat(NumberText.underflows(0.5, t)).as(t).isFalse();
        });
    }
}
