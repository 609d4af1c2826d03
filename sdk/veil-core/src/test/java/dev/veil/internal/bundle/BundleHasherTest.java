package dev.veil.internal.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.strings;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class BundleHasherTest {
    private static String canonical(String path, String content) {
        return new String(BundleHasher.canonicalBytes(path, content.getBytes(StandardCharsets.UTF_8)),
                StandardCharsets.UTF_8);
    }

    @Test
    void shouldSortKeysAndKeepNumberLiteralsAsOpaDoes() {
        String doc = "{\"key2\": {\"c\": 123.45678911111111111111111111111111111111111111111111111, \"b\": 1,"
                + " \"a\": 0}, \"key1\": [\"element1\", \"element2\"], \"e\": 1e2, \"f\": 1.0}";
        assertThat(canonical("data.json", doc)).isEqualTo("{\"e\":1e2,\"f\":1.0,\"key1\":[\"element1\",\"element2\"],"
                + "\"key2\":{\"a\":0,\"b\":1,\"c\":123.45678911111111111111111111111111111111111111111111111}}");
    }

    @Test
    void shouldEscapeStringsAsGoDoesWithoutHtmlEscaping() {
        String doc = "{\"s\": \"<foo></foo> & \\\"q\\\" \\\\ \\n\\r\\t\\b\\f \\u0001 \\u2028\\u2029 \\u00e9"
                + " \\ud83d\\ude00\"}";
        assertThat(canonical("a/data.json", doc)).isEqualTo("{\"s\":\"<foo></foo> & \\\"q\\\" \\\\ \\n\\r\\t\\b\\f"
                + " \\u0001 \\u2028\\u2029 \u00e9 \ud83d\ude00\"}");
        // as Go: a lone surrogate becomes U+FFFD (the loader refuses such strings, see DocumentParser)
        StringBuilder lone = new StringBuilder();
        BundleHasher.writeString("a\ud800b", lone);
        assertThat(lone.toString()).isEqualTo("\"a\ufffdb\"");
    }

    @Test
    void shouldSortKeysByCodePointLikeGo() {
        // U+FF21 sorts before U+1F600 by code point, after it by UTF-16 unit.
        String doc = "{\"\ud83d\ude00\": 1, \"\uff21\": 2, \"a\": 3}";
        assertThat(canonical(".manifest", doc)).isEqualTo("{\"a\":3,\"\uff21\":2,\"\ud83d\ude00\":1}");
    }

    @Test
    void shouldWriteYamlNumbersAsGoWritesFloat64AndInt64() {
        // (b: yes and a key n are load errors: go-yaml, so OPA's hash, reads them as true and "false")
        String yaml = "i: 12\nf: 1.5\nw: 100.0\ntiny: 0.0000001\nhuge: 1.0e+21\nneg: -2.5e-8\nz: -0.0\nb: true\n"
                + "nul: ~\n";
        assertThat(canonical("x/data.yaml", yaml)).isEqualTo(
                "{\"b\":true,\"f\":1.5,\"huge\":1e+21,\"i\":12,\"neg\":-2.5e-8,\"nul\":null,\"tiny\":1e-7,\"w\":100,"
                        + "\"z\":-0}");
    }

    /** goFloat must always produce a JSON number that denotes the same double. */
    @Test
    void shouldWriteEveryFiniteDoubleAsAJsonNumberOfTheSameValue() {
        qt().withExamples(2000).forAll(doubles().any()).assuming(Double::isFinite).checkAssert(d -> {
            String s = BundleHasher.goFloat(d);
            assertThat(s).matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?(e[+-][0-9]+)?");
            assertThat(Double.parseDouble(s)).isEqualTo(d);
        });
    }

    /** Whatever the string, the canonical form is valid JSON that reads back as the same string. */
    @Test
    void shouldEscapeEveryStringReversibly() {
        // lone surrogates moved out of the surrogate block (an assumption rejecting them gave up now and
        // then: about half of all 20-character strings hold one)
        qt().withExamples(500).forAll(strings().basicMultilingualPlaneAlphabet().ofLengthBetween(0, 20)
                .map(s -> {
                    char[] cs = s.toCharArray();
                    for (int i = 0; i < cs.length; i++) {
                        cs[i] = Character.isSurrogate(cs[i]) ? (char) (cs[i] - 0x1000) : cs[i];
                    }
                    return new String(cs);
                }))
                .checkAssert(s -> {
                    StringBuilder sb = new StringBuilder();
                    BundleHasher.writeString(s, sb);
                    Object back = DocumentParser.parse(sb.toString().getBytes(StandardCharsets.UTF_8),
                            DocumentParser.Format.JSON, "x").value();
                    assertThat(back).isEqualTo(s);
                });
    }

    @Test
    void shouldHashOtherFilesOverRawBytes() throws Exception {
        byte[] bytes = "{\"b\": 1, \"a\": 2}".getBytes(StandardCharsets.UTF_8);
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        assertThat(BundleHasher.hash("config.json", bytes, "SHA-256")).isEqualTo(expected);
        assertThat(BundleHasher.hash("data.yml", bytes, "SHA-256")).isEqualTo(expected);
        assertThat(BundleHasher.hash("data.json", bytes, "SHA-256")).isNotEqualTo(expected);
    }

    @Test
    void shouldRefuseWeakHashAlgorithms() {
        assertThat(BundleHasher.jcaName("MD5")).isNull();
        assertThat(BundleHasher.jcaName("SHA-1")).isNull();
        assertThat(BundleHasher.jcaName("SHA-512-256")).isEqualTo("SHA-512/256");
    }
}
