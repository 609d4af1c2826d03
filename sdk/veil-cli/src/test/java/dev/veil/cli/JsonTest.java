package dev.veil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.veil.internal.text.ControlChars;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/** {@link Json#print} (for a terminal) and {@link Json#text} (for files). */
class JsonTest {
    private static Object parse(String json) throws Exception {
        return Json.MAPPER.readValue(json, Object.class);
    }

    /** Jackson escapes only characters below U+0020: U+202E, DEL, C1 controls and the others went to the terminal raw. */
    @Test
    void printEscapesWhatHidesOrReordersTextAndKeepsTheValue() throws Exception {
        String hostile = "\u001b[2J\u202eright\u009b1A\u0085\u007f\u2028\u200b\u3164 \ud83d\ude00 \udb40\udc01 \ud800|";
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("key\u202e", hostile);
        String printed = Json.print(doc);
        assertThat(printed).isEqualTo("{\n  \"key\\u202e\" : \"\\u001B[2J\\u202eright\\u009b1A\\u0085\\u007f\\u2028"
                + "\\u200b\\u3164 \ud83d\ude00 \\udb40\\udc01 \\ud800|\"\n}".replace("\n", System.lineSeparator()));
        assertThat(parse(printed)).isEqualTo(doc);
    }

    /** The files the CLI writes keep the bytes Jackson gives them (a key store, statistics, thresholds). */
    @Test
    void textIsJacksonsOwn() throws Exception {
        Map<String, Object> doc = Map.of("m", "a\u202eb\u009bc\u001b");
        assertThat(Json.text(doc)).isEqualTo(Json.MAPPER.writeValueAsString(doc)).contains("a\u202eb\u009bc\\u001B");
    }

    /**
     * Every printed character is visible or the indentation's line break, and the text parses back
     * to the value printed. Member names hold no surrogates here: Jackson's parser (2.23) refuses a
     * name whose escaped lone high surrogate is followed by another escape ("broken surrogate pair"),
     * although it reads the same in a string value, and the JSON is valid.
     */
    @Test
    void printedJsonHoldsNoHiddenCharacterOutsideItsIndentationAndParsesToTheSameValue() {
        qt().withExamples(2000).forAll(strings(7), strings(2)).checkAssert((v, k) -> {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put(k, v);
            doc.put("list", List.of(v, k));
            String printed = Json.print(doc);
            for (int i = 0; i < printed.length(); i++) {
                char c = printed.charAt(i);
                assertThat(c == '\n' || c == '\r' || !ControlChars.escapedAt(printed, i))
                        .as("%s at %d of %s", ControlChars.codePoint(c), i, ControlChars.escaped(printed)).isTrue();
            }
            try {
                assertThat(parse(printed)).as(ControlChars.escaped(printed)).isEqualTo(doc);
            } catch (Exception e) {
                throw new AssertionError(ControlChars.escaped(printed), e);
            }
        });
    }

    /**
     * Strings of up to 12 UTF-16 units from where it matters: ASCII, C1, the bidi and zero-width block,
     * a Hangul filler, plain BMP text and, with {@code kinds} 7, surrogates of both halves (pairs, lone
     * ones, the tag characters' high surrogate).
     */
    private static Gen<String> strings(int kinds) {
        Gen<Integer> unit = integers().between(0, kinds).zip(integers().between(0, 0xFFFF), (pick, any) -> switch (pick) {
            case 0 -> any % 0x80;
            case 1 -> 0x80 + any % 0x20;
            case 2 -> 0x2000 + any % 0x70;
            case 3 -> 0x3164;
            case 4 -> 0xD800 + any % 0x800;
            case 5 -> 0xDB40;
            case 6 -> 0xDC00 + any % 0x80;
            default -> Character.isSurrogate((char) (int) any) ? 'x' : any;
        });
        return lists().of(unit).ofSizeBetween(0, 12).map(us -> {
            StringBuilder sb = new StringBuilder();
            us.forEach(u -> sb.append((char) (int) u));
            return sb.toString();
        });
    }
}
