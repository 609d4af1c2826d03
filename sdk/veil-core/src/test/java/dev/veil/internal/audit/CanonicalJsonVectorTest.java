package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * {@link CanonicalJson#appendVector} writes the bytes the canonical generator writes: a feature
 * digest computed either way is the same digest.
 */
class CanonicalJsonVectorTest {

    private static String viaGenerator(double[] v) {
        ByteSink out = new ByteSink(16);
        try (JsonGenerator g = CanonicalJson.FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartArray();
            for (double d : v) {
                CanonicalJson.writeDouble(g, d);
            }
            g.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static String direct(double[] v) {
        ByteSink out = new ByteSink(16);
        CanonicalJson.appendVector(out, v);
        return out.toString();
    }

    /** Doubles of every kind the fast paths distinguish, and arbitrary bit patterns. */
    private static Gen<Double> anyDouble() {
        Gen<Double> whole = longs().between(-20_000_000L, 20_000_000L).map(l -> (double) l);
        Gen<Double> pixels = integers().between(0, 255).map(k -> k / 255.0);
        Gen<Double> bits = longs().all().map(Double::longBitsToDouble); // NaNs, infinities, subnormals too
        Gen<Double> special = integers().between(0, 9).map(i -> new double[] {0.0, -0.0, Double.NaN,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e7, -1e7, 9_999_999.0, 1e-3, Double.MIN_VALUE}[i]);
        return whole.mix(pixels, 25).mix(bits, 40).mix(special, 20).mix(doubles().any(), 20);
    }

    @Test
    void shouldWriteTheSameBytesAsTheGeneratorForAnyVector() {
        qt().withExamples(2000)
                .forAll(lists().of(anyDouble()).ofSizeBetween(0, 40))
                .checkAssert(list -> {
                    double[] v = list.stream().mapToDouble(Double::doubleValue).toArray();
                    assertThat(direct(v)).isEqualTo(viaGenerator(v));
                });
    }

    @Test
    void shouldWriteZerosWholeNumbersAndNonFiniteValuesCanonically() {
        double[] v = {0.0, -0.0, 1.0, -3.0, 9_999_999.0, 1e7, 0.5, Double.NaN, Double.NEGATIVE_INFINITY};
        assertThat(direct(v)).isEqualTo(
                "[0.0,-0.0,1.0,-3.0,9999999.0,1.0E7,0.5,\"NaN\",\"-Infinity\"]");
        assertThat(direct(v)).isEqualTo(viaGenerator(v));
        assertThat(direct(new double[0])).isEqualTo("[]");
    }

    @Test
    void shouldWriteLongsAsLongToStringDoes() {
        qt().forAll(longs().all()).checkAssert(l -> {
            ByteSink out = new ByteSink(1);
            out.writeLong(l);
            assertThat(new String(out.toByteArray(), StandardCharsets.US_ASCII)).isEqualTo(Long.toString(l));
        });
        for (long l : List.of(0L, -1L, 9L, 10L, -10L, 999_999_999_999_999_999L, Long.MAX_VALUE, Long.MIN_VALUE)) {
            ByteSink out = new ByteSink(1);
            out.writeLong(l);
            assertThat(out.toString()).isEqualTo(Long.toString(l));
        }
    }
}
