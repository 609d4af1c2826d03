package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.Features;
import dev.veil.spi.FieldMode;
import dev.veil.spi.LoggingDecision;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * A digested feature vector ({@code logging.input: digest}) is {@code sha256:} and the hex SHA-256 of
 * the values as big-endian IEEE-754 doubles, NaN canonical: exactly what
 * {@link DataOutputStream#writeDouble} writes, which is how anyone can recompute it.
 */
class VectorDigestTest {

    /** The documented definition, computed independently of the serialiser. */
    private static String expected(double[] v) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            for (double d : v) {
                out.writeDouble(d);
            }
            out.flush();
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String logged(double[] v) {
        MemoryAuditWriter w = AuditWriters.inMemory(1);
        w.append(AuditFixtures.fullReleaseBuilder("d")
                .features(Features.of(v))
                .logging(new LoggingDecision("r", FieldMode.DIGEST, FieldMode.KEEP, FieldMode.MASK, FieldMode.KEEP))
                .build());
        JsonNode j = AuditFixtures.parse(w.lines().get(0));
        assertThat(j.get("masked").toString()).contains("\"/input/features\"");
        return j.get("input").get("features").asText();
    }

    /** Doubles of every kind: zeros of both signs, NaNs with any payload, infinities, subnormals. */
    private static Gen<Double> anyDouble() {
        Gen<Double> pixels = integers().between(0, 255).map(k -> k / 255.0);
        Gen<Double> bits = longs().all().map(Double::longBitsToDouble);
        Gen<Double> special = integers().between(0, 6).map(i -> new double[] {0.0, -0.0, Double.NaN,
                Double.longBitsToDouble(0xfff0000000000001L), Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                Double.MIN_VALUE}[i]);
        return pixels.mix(bits, 40).mix(special, 20).mix(doubles().any(), 20);
    }

    @Test
    void shouldDigestAnyVectorAsTheSha256OfItsBigEndianDoubles() {
        qt().withExamples(500)
                .forAll(lists().of(anyDouble()).ofSizeBetween(1, 1100))
                .checkAssert(list -> {
                    double[] v = list.stream().mapToDouble(Double::doubleValue).toArray();
                    assertThat(logged(v)).isEqualTo(expected(v));
                });
    }

    @Test
    void shouldPinTheDigestOfAKnownVector() {
        // SHA-256 of 3ff0000000000000 bff0000000000000 7ff8000000000000 (1.0, -1.0, NaN).
        assertThat(logged(new double[] {1.0, -1.0, Double.NaN}))
                .isEqualTo(expected(new double[] {1.0, -1.0, Double.NaN}))
                .isEqualTo("sha256:" + sha256Hex("3ff0000000000000bff00000000000007ff8000000000000"));
    }

    @Test
    void shouldDigestEveryNanAlikeButTellBothZerosApart() {
        double otherNan = Double.longBitsToDouble(0x7ff0000000000abcL);
        assertThat(Double.isNaN(otherNan)).isTrue();
        assertThat(logged(new double[] {otherNan, 0.5})).isEqualTo(logged(new double[] {Double.NaN, 0.5}));
        assertThat(logged(new double[] {-0.0, 0.5})).isNotEqualTo(logged(new double[] {0.0, 0.5}));
    }

    private static String sha256Hex(String hexBytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(HexFormat.of().parseHex(hexBytes)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
