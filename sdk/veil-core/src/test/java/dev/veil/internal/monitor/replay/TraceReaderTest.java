package dev.veil.internal.monitor.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class TraceReaderTest {
    private static List<TraceQuery> read(String text) {
        TraceReader r = new TraceReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "t.jsonl");
        List<TraceQuery> out = new ArrayList<>();
        TraceQuery q;
        while ((q = r.next()) != null) {
            out.add(q);
        }
        return out;
    }

    @Test
    void readsEveryFieldAndSkipsBlankLines() {
        List<TraceQuery> qs = read("""
                {"caller": "alice", "ts_ms": 1700000000000, "features": [0, 0.5, -1e-3, 2], "scores": [0.9, 0.1]}

                   \t
                {"ts_ms": 5, "features": [1], "caller": "bob", "tenant": "acme", "roles": ["a", "b"], "scores": null,\
                 "attributes": {"tier": "gold", "region": "eu"}}
                """);
        assertThat(qs).hasSize(2);
        TraceQuery a = qs.get(0);
        assertThat(a.line()).isEqualTo(1);
        assertThat(a.caller()).isEqualTo("alice");
        assertThat(a.timeMillis()).isEqualTo(1_700_000_000_000L);
        assertThat(a.features()).containsExactly(0, 0.5, -1e-3, 2);
        assertThat(a.scores()).containsExactly(0.9, 0.1);
        assertThat(a.tenant()).isEmpty();
        assertThat(a.roles()).isEmpty();
        assertThat(a.attributes()).isEmpty();
        TraceQuery b = qs.get(1);
        assertThat(b.line()).isEqualTo(4);
        assertThat(b.scores()).isNull();
        assertThat(b.tenant()).isEqualTo("acme");
        assertThat(b.roles()).containsExactly("a", "b");
        assertThat(b.attributes()).containsExactlyInAnyOrderEntriesOf(Map.of("tier", "gold", "region", "eu"));
    }

    @Test
    void aLineLongerThanTheLimitIsAnErrorNamingItNotAnExhaustedHeap() {
        // one query of a valid line, then a line one byte over the limit that never ends
        java.io.InputStream endless = new java.io.InputStream() {
            private final byte[] first = "{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1]}\n"
                    .getBytes(StandardCharsets.UTF_8);
            private long at;

            @Override
            public int read() {
                return at < first.length ? first[(int) at++] : at++ < first.length + TraceReader.MAX_LINE_BYTES + 1L
                        ? ' ' : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int n = 0;
                int c;
                while (n < len && (c = read()) >= 0) {
                    b[off + n++] = (byte) c;
                }
                return n == 0 ? -1 : n;
            }
        };
        TraceReader r = new TraceReader(endless, "t.jsonl");
        assertThat(r.next().caller()).isEqualTo("a");
        assertThatThrownBy(r::next).isInstanceOf(TraceFormatException.class).hasMessage("t.jsonl:2: the line is "
                + "longer than 16777216 bytes (16 MiB): a trace line is one query (is this a JSON lines file?)");
    }

    @Test
    void readsNamedFeaturesInTheOrderOfTheirNamesWithNullAsAbsent() {
        List<TraceQuery> qs = read("""
                {"caller": "a", "ts_ms": 1, "features": {"income": 45000, "age": 31, "co_income": null, "ratio": 0.25}}
                {"caller": "a", "ts_ms": 2, "features": [1, 2]}
                {"caller": "a", "ts_ms": 3, "features": {"ratio": 0.25, "income": 45000, "age": 31}}
                """);
        TraceQuery named = qs.get(0);
        // as Features.named(Map) lays them out: in name order (the line's own order would let key order
        // move values), and an absent (null) feature holds no place, as a left-out key does not
        assertThat(named.names()).containsExactly("age", "income", "ratio");
        assertThat(named.features()).containsExactly(31, 45000, 0.25);
        assertThat(named.absent() == null || named.absent().isEmpty()).isTrue();
        Map<String, Double> same = new java.util.HashMap<>();
        same.put("income", 45000.0);
        same.put("age", 31.0);
        same.put("co_income", null);
        same.put("ratio", 0.25);
        dev.veil.Features direct = dev.veil.Features.named(same);
        for (TraceQuery q : List.of(named, qs.get(2))) {
            assertThat(q.names()).isEqualTo(direct.names());
            assertThat(q.toFeatures().vector()).containsExactly(direct.vector());
        }
        TraceQuery plain = qs.get(1);
        assertThat(plain.names()).isEmpty();
        assertThat(plain.toFeatures().names()).isEmpty();
        assertThat(plain.toFeatures().vector()).containsExactly(1, 2);
    }

    @Test
    void emptyFeaturesAreAQueryOfNoFeaturesForTheBundleToRefuseAsAGuardWould() {
        List<TraceQuery> qs = read("""
                {"caller": "a", "ts_ms": 1, "features": []}
                {"caller": "a", "ts_ms": 2, "features": {}}
                {"caller": "a", "ts_ms": 3, "features": {"co_income": null}}
                """);
        assertThat(qs).hasSize(3).allSatisfy(q -> {
            assertThat(q.features()).isEmpty();
            assertThat(q.names()).isEmpty();
            assertThat(q.toFeatures().size()).isZero();
            assertThat(q.toFeatures().names()).isEmpty();
        });
    }

    @Test
    void readsMoreThanSixtyFourFeaturesAndABomAndCrLf() {
        StringBuilder f = new StringBuilder();
        for (int i = 0; i < 784; i++) {
            f.append(i == 0 ? "" : ",").append(i / 784.0);
        }
        String big = "{\"caller\": \"x\u00e9\u4e16\", \"ts_ms\": 0, \"features\": [" + f + "]}\r\n";
        // 40 lines of ~15 KB: lines cross the reader's 64 KB chunks
        List<TraceQuery> qs = read("\uFEFF" + big.repeat(40)
                + "{\"caller\": \"y\", \"ts_ms\": 9000000000000, \"features\": [1]}");
        assertThat(qs).hasSize(41);
        for (int i = 0; i < 40; i++) {
            assertThat(qs.get(i).caller()).isEqualTo("x\u00e9\u4e16");
            assertThat(qs.get(i).features()).hasSize(784);
            assertThat(qs.get(i).features()[783]).isEqualTo(783 / 784.0);
        }
        assertThat(qs.get(40).line()).isEqualTo(41);
        assertThat(qs.get(40).timeMillis()).isEqualTo(TraceReader.MAX_TS_MS);
    }

    private static final String NO_SUCH_CALLER = " (a Guard's key store and tokens refuse such a name, so no"
            + " request could carry it)";

    static Stream<Arguments> malformed() {
        return Stream.of(
            Arguments.of("[1, 2]",
                    "expected a JSON object {\"caller\": ..., \"ts_ms\": ..., \"features\": [...]}, found an array"),
            Arguments.of("{\"ts_ms\": 1, \"features\": [1]}",
                    "missing caller (a non-empty string)"),
            Arguments.of("{\"caller\": \"a\", \"features\": [1]}",
                    "missing ts_ms (milliseconds since the epoch)"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1}",
                    "missing features (an array of numbers, or an object of named features)"),
            Arguments.of("{\"caller\": \"\", \"ts_ms\": 1, \"features\": [1]}",
                    "caller must be a non-empty string, found the string \"\""),
            Arguments.of("{\"caller\": 7, \"ts_ms\": 1, \"features\": [1]}",
                    "caller must be a non-empty string, found the number 7"),
            Arguments.of("{\"caller\": null, \"ts_ms\": 1, \"features\": [1]}",
                    "caller must be a non-empty string, found null"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": \"1\", \"features\": [1]}",
                    "ts_ms must be an integer (milliseconds since the epoch), found the string \"1\""),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1.5, \"features\": [1]}",
                    "ts_ms must be an integer (milliseconds since the epoch), found the number 1.5"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": -1, \"features\": [1]}",
                    "ts_ms must be in [0, 9000000000000] (milliseconds since the epoch, up to the year 2255), was -1"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 9000000000001, \"features\": [1]}",
                    "ts_ms must be in [0, 9000000000000] (milliseconds since the epoch, up to the year 2255), was "
                            + "9000000000001"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 99999999999999999999, \"features\": [1]}",
                    "ts_ms must be in [0, 9000000000000] (milliseconds since the epoch, up to the year 2255), was "
                            + "99999999999999999999"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": 1}",
                    "features must be an array of numbers, found the number 1"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1, null]}",
                    "features[1] must be a number, found null"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1, [2]]}",
                    "features[1] must be a number, found an array"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": {\"\": 1}}",
                    "features: a feature name must not be empty"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": {\"age\": \"31\"}}",
                    "features.age must be a number or null (absent), found the string \"31\""),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": {\"age\": [31]}}",
                    "features.age must be a number or null (absent), found an array"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": {\"age\": 1e999}}",
                    "features.age is not a finite number: 1e999"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": {\"age\": NaN}}",
                    "features.age is not finite (NaN or Infinity): every number must be finite"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": {\"age\": 1, \"age\": 2}}",
                    "duplicate key 'age'"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1e999]}",
                    "features[0] is not a finite number: 1e999"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [NaN]}",
                    "features[0] is not finite (NaN or Infinity): every number must be finite"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1, 2, -Infinity]}",
                    "features[2] is not finite (NaN or Infinity): every number must be finite"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"scores\": [0.5, NaN]}",
                    "scores[1] is not finite (NaN or Infinity): every number must be finite"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"scores\": [0.5, -0.1]}",
                    "scores[1] must be >= 0 (the model's class scores, e.g. probabilities, not logits), was -0.1"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"scores\": []}",
                    "scores must hold at least one number, was []"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"scores\": {}}",
                    "scores must be an array of numbers, found an object"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"scores\": [-1e999]}",
                    "scores[0] is not a finite number: -1e999"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"tenant\": 3}",
                    "tenant must be a string, found the number 3"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"roles\": \"admin\"}",
                    "roles must be an array of strings, found the string \"admin\""),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"roles\": [1]}",
                    "roles[0] must be a string, found the number 1"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"score\": [1]}",
                    "unknown key 'score' (known: caller, ts_ms, features, scores, tenant, roles, attributes)"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"attributes\": [\"gold\"]}",
                    "attributes must be an object of strings, found an array"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"attributes\": {\"level\": 3}}",
                    "attributes.level must be a string (attributes are compared as strings), found the number 3"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"attributes\": {\"a\": \"x\", "
                    + "\"a\": \"y\"}}", "duplicate key 'a'"),
            Arguments.of("{\"caller\": \"a\", \"caller\": \"b\", \"ts_ms\": 1, \"features\": [1]}",
                    "duplicate key 'caller'"),
            // names no Guard's caller could have (the key store and tokens refuse them): with --redis, ids that
            // differ only in a lone surrogate would share state keys (UTF-8 writes it as '?')
            Arguments.of("{\"caller\": \"X\\ud800\", \"ts_ms\": 1, \"features\": [1]}",
                    "caller contains a lone UTF-16 surrogate (U+D800 at position 1, 'X?'), which is not text: remove"
                            + " it" + NO_SUCH_CALLER),
            Arguments.of("{\"caller\": \"al\\u0000ice\", \"ts_ms\": 1, \"features\": [1]}",
                    "caller contains a control character (U+0000 at position 2, 'al?ice'): remove it" + NO_SUCH_CALLER),
            Arguments.of("{\"caller\": \"al\u200bice\", \"ts_ms\": 1, \"features\": [1]}",
                    "caller contains an invisible format character (U+200B at position 2, 'al?ice'): it would be a"
                            + " name of its own that reads as another; remove it" + NO_SUCH_CALLER),
            Arguments.of("{\"caller\": \"alice \", \"ts_ms\": 1, \"features\": [1]}",
                    "caller has leading or trailing whitespace ('alice '); it is compared exactly, so it would not"
                            + " be 'alice': remove the whitespace" + NO_SUCH_CALLER),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"tenant\": \"ac\u2028me\"}",
                    "tenant contains a line or paragraph separator (U+2028 at position 2, 'ac?me'): remove it"
                            + NO_SUCH_CALLER),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"tenant\": \"\\udc00\"}",
                    "tenant contains a lone UTF-16 surrogate (U+DC00 at position 0, '?'), which is not text: remove"
                            + " it" + NO_SUCH_CALLER),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"roles\": [\"x\", \"ad\u202emin\"]}",
                    "roles[1] contains an invisible format character (U+202E at position 2, 'ad?min'): it would be a"
                            + " name of its own that reads as another; remove it" + NO_SUCH_CALLER),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"roles\": [\"\"]}",
                    "roles[0] is empty: a role is a non-empty string"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"attributes\": {\"note\": \"a\\tb\"}}",
                    "attributes.note contains a control character (U+0009 at position 1, 'a?b'): remove it"
                            + NO_SUCH_CALLER),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"attributes\": {\"region \": \"eu\"}}",
                    "attributes: attribute name has leading or trailing whitespace ('region '); it is compared"
                            + " exactly, so it would not be 'region': remove the whitespace" + NO_SUCH_CALLER),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1]} {}",
                    "found an object after the JSON object: one query per line"),
            Arguments.of("{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1]",
                    "invalid JSON at column 44: Unexpected end-of-input: expected close marker for Object "
                            + "(start marker at column 1); the line ends before its JSON object does: a trace holds "
                            + "one JSON object per line (JSON lines), not JSON spread over several lines"),
            Arguments.of("{\"caller\": \"a\", ts_ms: 1}",
                    "invalid JSON at column 17: Unexpected character ('t' (code 116)): was expecting "
                            + "double-quote to start field name"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("malformed")
    void aMalformedLineIsRefusedWithItsLineAndWhatIsWrong(String line, String problem) {
        String text = "{\"caller\": \"ok\", \"ts_ms\": 1, \"features\": [1]}\n\n" + line + "\n";
        assertThatThrownBy(() -> read(text)).isInstanceOfSatisfying(TraceFormatException.class, e -> {
            assertThat(e.line()).isEqualTo(3);
            assertThat(e.source()).isEqualTo("t.jsonl");
            assertThat(e.problem()).isEqualTo(problem);
            assertThat(e.getMessage()).isEqualTo("t.jsonl:3: " + problem);
        });
    }

    @Test
    void bytesThatAreNotUtf8AreRefusedWithTheirLine() throws Exception {
        byte[] bytes = "{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1]}\n{\"caller\": \"\u00e9\"}\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        TraceReader r = new TraceReader(new ByteArrayInputStream(bytes), "t.jsonl");
        assertThat(r.next()).isNotNull();
        assertThatThrownBy(r::next).isInstanceOf(TraceFormatException.class).hasMessage("t.jsonl:2: not UTF-8 text");
    }

    @Test
    void aCutLastLineCarriageReturnsAloneAndUtf16AreNamedAsSuch() {
        String ok = "{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1]}";
        assertThatThrownBy(() -> read(ok + "\n" + ok.substring(0, 30))).isInstanceOfSatisfying(
                TraceFormatException.class, e -> assertThat(e.getMessage()).startsWith("t.jsonl:2: invalid JSON")
                        .endsWith("; the file's last line ends before its JSON object does: the trace was cut short "
                                + "(a copy interrupted, a file still being written?)"));
        assertThatThrownBy(() -> read(ok + "\r" + ok + "\r")).isInstanceOfSatisfying(TraceFormatException.class,
                e -> assertThat(e.getMessage()).isEqualTo("t.jsonl:1: found an object after the JSON object: one "
                        + "query per line; the line holds a carriage return (\\r): lines must end with \\n or "
                        + "\\r\\n, not \\r alone"));
        String cutInANumber = "{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1.";
        assertThatThrownBy(() -> read(ok + "\n" + cutInANumber)).as("cut within a number: the parser names the number")
                .isInstanceOfSatisfying(TraceFormatException.class, e -> assertThat(e.getMessage())
                        .startsWith("t.jsonl:2: invalid JSON").endsWith("; it is the file's last line and has no line "
                                + "end: was the trace cut short (a copy interrupted, a file still being written)?"));
        assertThatThrownBy(() -> read(ok + "\n" + cutInANumber + "\n")).as("a line that ended is not cut short")
                .isInstanceOfSatisfying(TraceFormatException.class, e -> assertThat(e.getMessage())
                        .doesNotContain("cut short"));
        assertThatThrownBy(() -> read(ok + "\n{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1], \"x\": 1}"))
                .as("a well-formed last line without its end: its own problem only")
                .isInstanceOfSatisfying(TraceFormatException.class, e -> assertThat(e.getMessage())
                        .doesNotContain("cut short"));
        byte[] utf16 = ("\uFEFF" + ok + "\r\n").getBytes(StandardCharsets.UTF_16LE);
        assertThatThrownBy(() -> new TraceReader(new ByteArrayInputStream(utf16), "t.jsonl").next())
                .isInstanceOf(TraceFormatException.class).hasMessage("t.jsonl:1: not UTF-8 text (it looks like "
                        + "UTF-16, as some Windows tools write: convert the trace to UTF-8, e.g. iconv -f UTF-16 -t "
                        + "UTF-8)");
        byte[] noMark = (ok + "\n").getBytes(StandardCharsets.UTF_16LE); // its ASCII decodes as UTF-8, with NULs
        assertThatThrownBy(() -> new TraceReader(new ByteArrayInputStream(noMark), "t.jsonl").next())
                .isInstanceOf(TraceFormatException.class).hasMessageStartingWith("t.jsonl:1: invalid JSON")
                .hasMessageEndingWith(" (it looks like UTF-16, as some Windows tools write: convert the trace to "
                        + "UTF-8, e.g. iconv -f UTF-16 -t UTF-8)");
    }

    /** Only space and tab make a blank line: other white space (form feed, U+2028, U+3000) is no JSON, and said so. */
    @Test
    void linesOfOtherWhiteSpaceAreNotSkippedAsBlank() {
        String ok = "{\"caller\": \"a\", \"ts_ms\": 1, \"features\": [1]}";
        assertThat(read(ok + "\n \t \n\r\n" + ok + "\n")).hasSize(2);
        for (String space : List.of("\f", "\u000b", "\u001c", "\u2028", "\u3000")) {
            assertThatThrownBy(() -> read(ok + "\n" + space + "\n" + ok + "\n")).as("%04x", (int) space.charAt(0))
                    .isInstanceOfSatisfying(TraceFormatException.class, e -> assertThat(e.getMessage())
                            .startsWith("t.jsonl:2: "));
        }
    }

    /** A time in microseconds is refused with a hint at its unit; 2255 in milliseconds without one. */
    @Test
    void aTimeInMicrosecondsIsRefusedWithItsUnitNamed() {
        assertThatThrownBy(() -> read("{\"caller\": \"a\", \"ts_ms\": 1764547200000000, \"features\": [1]}"))
                .isInstanceOf(TraceFormatException.class).hasMessage("t.jsonl:1: ts_ms must be in [0, 9000000000000] "
                        + "(milliseconds since the epoch, up to the year 2255), was 1764547200000000; a time in "
                        + "microseconds or nanoseconds? divide it by 1000 or 1000000");
    }

    @Test
    void linesPastTheLargestIntKeepTheirNumbers() {
        // a reader of a part of a trace whose first line is 2^31 - 1: a trace can be that long
        TraceReader r = new TraceReader(new ByteArrayInputStream("""
                {"caller": "a", "ts_ms": 1, "features": [0.1]}
                {"caller": "b", "ts_ms": 2, "features": [0.2]}
                {"caller": "c", "ts_ms": 3}
                """.getBytes(StandardCharsets.UTF_8)), "t.jsonl", Integer.MAX_VALUE - 1L);
        assertThat(r.next().line()).isEqualTo(2_147_483_647L);
        assertThat(r.next().line()).isEqualTo(2_147_483_648L);
        assertThat(r.line()).isEqualTo(2_147_483_648L);
        assertThatThrownBy(r::next).isInstanceOfSatisfying(TraceFormatException.class, e -> {
            assertThat(e.line()).isEqualTo(2_147_483_649L);
            assertThat(e.getMessage()).startsWith("t.jsonl:2147483649: ");
        });
    }
}
