package dev.veil.internal.text;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * A review found that {@link ControlChars#escaped} left U+202E (RIGHT-TO-LEFT OVERRIDE) as it was:
 * a bundle entry named "cod\u202Egnp.exe" printed as "codexe.png" in every message naming it. Every
 * character that hides or reorders text on a terminal or in a log viewer is escaped.
 */
class ControlCharsTest {

    @ParameterizedTest(name = "U+{0}")
    @ValueSource(strings = {
        // C0, DEL, C1
        "0000", "0007", "000A", "000D", "001B", "001F", "007F", "0080", "0085", "009B", "009F",
        // bidi controls
        "061C", "200E", "200F", "202A", "202B", "202C", "202D", "202E", "2066", "2067", "2068", "2069",
        // zero-width and other format characters (Cf)
        "00AD", "200B", "200C", "200D", "2060", "2061", "2064", "FEFF", "FFF9", "FFFB", "180E",
        // line and paragraph separators
        "2028", "2029",
        // lone surrogates
        "D800", "DBFF", "DC00", "DFFF"})
    void shouldEscapeEveryCharacterThatHidesOrReordersText(String hex) {
        char c = (char) Integer.parseInt(hex, 16);
        String s = "ab" + c + "cd";
        assertThat(ControlChars.escaped(s)).isEqualTo("ab\\u" + hex.toLowerCase() + "cd");
        assertThat(ControlChars.hiddenIndexIn(s)).isEqualTo(2);
    }

    @Test
    void shouldNameTheClassOfEachHiddenCharacter() {
        assertThat(ControlChars.hiddenAt("\u001b", 0)).isEqualTo(ControlChars.Hidden.CONTROL);
        assertThat(ControlChars.hiddenAt("\u0085", 0)).isEqualTo(ControlChars.Hidden.CONTROL);
        assertThat(ControlChars.hiddenAt("\u2028", 0)).isEqualTo(ControlChars.Hidden.SEPARATOR);
        assertThat(ControlChars.hiddenAt("\u202e", 0)).isEqualTo(ControlChars.Hidden.FORMAT);
        assertThat(ControlChars.hiddenAt("x\ud800", 1)).isEqualTo(ControlChars.Hidden.LONE_SURROGATE);
        assertThat(ControlChars.hiddenAt("\udc00x", 0)).isEqualTo(ControlChars.Hidden.LONE_SURROGATE);
        assertThat(ControlChars.hiddenAt("a b\u00a0", 1)).isNull();
    }

    @Test
    void shouldEscapeBothHalvesOfAFormatCharacterOutsideTheBmp() {
        // U+E0041, TAG LATIN CAPITAL LETTER A: invisible, and can carry hidden ASCII text
        String tag = new String(Character.toChars(0xE0041));
        assertThat(ControlChars.escaped("a" + tag + "b")).isEqualTo("a\\udb40\\udc41b");
        assertThat(ControlChars.hiddenAt(tag, 1)).isEqualTo(ControlChars.Hidden.FORMAT);
    }

    @Test
    void shouldLeaveVisibleTextAsItIs() {
        String visible = "caf\u00e9 \u00a0na\u0308ive \u4e2d\u6587 \u05e9\u05dc\u05d5\u05dd \ud83d\ude00 tab-free";
        assertThat(ControlChars.escaped(visible)).isSameAs(visible);
        assertThat(ControlChars.hiddenIndexIn(visible)).isEqualTo(-1);
    }

    @Test
    void shouldKeepRefusingInBundlesOnlyWhatBreaksALine() {
        // what EntryCollector and Manifest refuse is unchanged: controls and line separators
        assertThat(ControlChars.indexIn("a\nb")).isEqualTo(1);
        assertThat(ControlChars.indexIn("a\u2029b")).isEqualTo(1);
        assertThat(ControlChars.indexIn("a\u0085b")).isEqualTo(1);
        assertThat(ControlChars.indexIn("a\u202eb")).isEqualTo(-1);
    }

    /**
     * Characters that render as nothing but are letters, marks or a symbol, not format characters:
     * printed text escapes them (a name that holds one prints like the name without it), names do not
     * refuse them ({@link ControlChars#hidden} is null: what a bundle or key store accepts is unchanged).
     */
    @ParameterizedTest(name = "U+{0}")
    @ValueSource(strings = {"115F", "1160", "3164", "FFA0", "2800", "034F", "180B", "180D", "180F", "FE00", "FE0F"})
    void shouldEscapeWhatRendersAsNothingWithoutCallingItHidden(String hex) {
        char c = (char) Integer.parseInt(hex, 16);
        String s = "ab" + c + "cd";
        assertThat(ControlChars.escaped(s)).isEqualTo("ab\\u" + hex.toLowerCase() + "cd");
        StringBuilder sb = new StringBuilder();
        ControlChars.appendAt(sb, s, 2);
        assertThat(sb).hasToString("\\u" + hex.toLowerCase());
        assertThat(ControlChars.invisible(c)).isTrue();
        assertThat(ControlChars.hidden(c)).isNull();
        assertThat(ControlChars.hiddenIndexIn(s)).isEqualTo(-1);
    }

    @Test
    void shouldEscapeBothHalvesOfAVariationSelectorOutsideTheBmp() {
        for (int cp : new int[] {0xE0100, 0xE01EF}) {
            String vs = new String(Character.toChars(cp));
            String shown = String.format("\\u%04x\\u%04x", (int) vs.charAt(0), (int) vs.charAt(1));
            assertThat(ControlChars.escaped("a" + vs + "b" + vs)).isEqualTo("a" + shown + "b" + shown);
            assertThat(ControlChars.hidden(cp)).isNull();
        }
        assertThat(ControlChars.invisible(0xE00FF)).isFalse();
        assertThat(ControlChars.invisible(0xE01F0)).isFalse();
        assertThat(ControlChars.invisible(0x3163)).isFalse(); // HANGUL LETTER I: visible
        assertThat(ControlChars.invisible(0x2801)).isFalse(); // BRAILLE PATTERN DOTS-1: visible
    }
}
