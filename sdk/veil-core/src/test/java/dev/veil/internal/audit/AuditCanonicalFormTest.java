package dev.veil.internal.audit;

import static dev.veil.internal.audit.AuditFixtures.join;
import static dev.veil.internal.audit.AuditFixtures.lines;
import static dev.veil.internal.audit.AuditFixtures.verify;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.AuditVerification;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The verifier checks a line's bytes, not a re-parse of them: an edit that leaves every value the same
 * (another encoding, spacing, key order, escapes, number spellings, a byte order mark, CRLF) fails,
 * because the writer writes exactly one form.
 */
class AuditCanonicalFormTest {
    /** Two records, so that an edit of the first also shows the chain goes on from the right line. */
    private static List<String> log() {
        return lines(AuditFixtures.log(List.of(AuditFixtures.fullRelease("d1"), AuditFixtures.denial("d2"))));
    }

    private static AuditVerification verifyWithFirstLine(UnaryOperator<String> edit) {
        List<String> lines = log();
        String edited = edit.apply(lines.get(0));
        assertThat(edited).as("the edit applies").isNotEqualTo(lines.get(0));
        return verify(join(List.of(edited, lines.get(1))));
    }

    private static void assertBrokenAtLine1(AuditVerification v) {
        assertThat(v.ok()).as(v.message()).isFalse();
        assertThat(v.firstBrokenLine()).isEqualTo(1);
        assertThat(v.records()).isZero();
    }

    @Test
    void shouldVerifyTheUneditedLog() {
        AuditVerification v = verify(join(log()));

        assertThat(v.ok()).as(v.message()).isTrue();
        assertThat(v.records()).isEqualTo(2);
    }

    @Test
    void shouldRejectAddedWhitespace() {
        AuditVerification v = verifyWithFirstLine(l -> l.replace("\"alerts\":", "\"alerts\": "));

        assertBrokenAtLine1(v);
        assertThat(v.message()).contains("(decision d1) is not in canonical form (from byte 10 on");
    }

    @Test
    void shouldRejectLeadingAndTrailingWhitespace() {
        assertBrokenAtLine1(verifyWithFirstLine(l -> " " + l));
        assertBrokenAtLine1(verifyWithFirstLine(l -> l + " "));
        assertBrokenAtLine1(verifyWithFirstLine(l -> l + "\t"));
    }

    @Test
    void shouldRejectReorderedKeys() {
        // "bundles" moved in front of "alerts"
        AuditVerification v = verifyWithFirstLine(l -> {
            int a = l.indexOf("\"alerts\":");
            int b = l.indexOf(",\"bundles\":");
            int c = l.indexOf(",\"caller\":");
            return "{" + l.substring(b + 1, c) + "," + l.substring(a, b) + l.substring(c);
        });

        assertBrokenAtLine1(v);
        assertThat(v.message()).contains("is not in canonical form");
    }

    @Test
    void shouldRejectAnEscapedLetter() {
        AuditVerification v = verify(join(lines(AuditFixtures.log(List.of(AuditFixtures.denial("d1"))))
                .stream().map(l -> l.replace("\"anonymous\"", "\"\\u0061nonymous\"")).toList()));

        assertBrokenAtLine1(v);
        assertThat(v.message()).contains("is not in canonical form");
    }

    @Test
    void shouldRejectAnotherSpellingOfTheSameNumber() {
        assertBrokenAtLine1(verifyWithFirstLine(l -> l.replace("\"top_score\":0.9", "\"top_score\":9E-1")));
        assertBrokenAtLine1(verifyWithFirstLine(l -> l.replace("\"top_score\":0.9", "\"top_score\":0.90")));
        assertBrokenAtLine1(verifyWithFirstLine(
                l -> l.replace("\"top_score\":0.9", "\"top_score\":0.900000000000000000001")));
        assertBrokenAtLine1(verifyWithFirstLine(l -> l.replace("\"latency_ns\":1834", "\"latency_ns\":1834.0")));
    }

    @Test
    void shouldRejectAByteOrderMark() {
        AuditVerification v = verifyWithFirstLine(l -> "\uFEFF" + l);

        assertBrokenAtLine1(v);
        assertThat(v.message()).contains("is not in canonical form (from byte 0 on");
    }

    @Test
    void shouldRejectCrlfLineEndings() {
        List<String> lines = log();
        byte[] crlf = (lines.get(0) + "\r\n" + lines.get(1) + "\r\n").getBytes(StandardCharsets.UTF_8);

        AuditVerification v = verify(crlf);

        assertBrokenAtLine1(v);
        assertThat(v.message()).contains("ends with a carriage return").contains("converted in transit");
    }

    @Test
    void shouldRejectTheLogReEncodedInUtf16OrUtf32() {
        String text = String.join("\n", log()) + "\n";
        for (String cs : List.of("UTF-16BE", "UTF-16LE", "UTF-16", "UTF-32BE", "UTF-32LE")) {
            AuditVerification v = verify(text.getBytes(Charset.forName(cs)));

            assertThat(v.ok()).as(cs + ": " + v.message()).isFalse();
            assertThat(v.firstBrokenLine()).as(cs).isEqualTo(1);
        }
    }

    @Test
    void shouldRejectBytesThatAreNotUtf8() {
        // "alice" with its 'a' as an overlong two-byte form, and a Latin-1 'é'
        List<String> lines = log();
        byte[] good = lines.get(0).getBytes(StandardCharsets.UTF_8);
        String s = new String(good, StandardCharsets.ISO_8859_1);
        int at = s.indexOf("\"alice\"") + 1;
        byte[] overlong = (s.substring(0, at) + "\u00c1\u00a1" + s.substring(at + 1)).getBytes(StandardCharsets.ISO_8859_1);
        byte[] latin1 = (s.substring(0, at) + "\u00e9" + s.substring(at + 1) + "\n").getBytes(StandardCharsets.ISO_8859_1);

        AuditVerification v = verify(concat(overlong, "\n".getBytes(StandardCharsets.US_ASCII)));
        AuditVerification w = verify(latin1);

        assertBrokenAtLine1(v);
        assertThat(v.message()).contains("is not valid UTF-8 (at byte " + at + ")");
        assertBrokenAtLine1(w);
        assertThat(w.message()).contains("is not valid UTF-8 (at byte " + at + ")");
    }

    @Test
    void shouldFindTheFirstByteThatIsNotWellFormedUtf8() {
        assertThat(AuditVerifier.firstInvalidUtf8(bytes(), 0)).isEqualTo(-1);
        assertThat(AuditVerifier.firstInvalidUtf8(utf8("a\u00e9\u20ac\uD83D\uDE00\uFFFD\u0000"), 14)).isEqualTo(-1);
        assertThat(invalidAt(0x61, 0x80)).isEqualTo(1); // a lone continuation byte
        assertThat(invalidAt(0xc0, 0xaf)).isZero(); // overlong '/'
        assertThat(invalidAt(0xe0, 0x80, 0xaf)).isZero(); // overlong three-byte form
        assertThat(invalidAt(0xed, 0xa0, 0x80)).isZero(); // an encoded surrogate (CESU-8)
        assertThat(invalidAt(0xf4, 0x90, 0x80, 0x80)).isZero(); // above U+10FFFF
        assertThat(invalidAt(0xf0, 0x80, 0x80, 0x80)).isZero(); // overlong four-byte form
        assertThat(invalidAt(0x61, 0xe2, 0x82)).isEqualTo(1); // cut short
        assertThat(invalidAt(0xe2, 0x82, 0x41)).isZero(); // a continuation byte missing
        assertThat(invalidAt(0xff)).isZero();
    }

    private static int invalidAt(int... b) {
        byte[] x = bytes(b);
        return AuditVerifier.firstInvalidUtf8(x, x.length);
    }

    private static byte[] bytes(int... b) {
        byte[] x = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            x[i] = (byte) b[i];
        }
        return x;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
