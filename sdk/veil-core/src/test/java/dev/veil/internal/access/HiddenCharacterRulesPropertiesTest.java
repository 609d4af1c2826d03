package dev.veil.internal.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.veil.internal.text.ControlChars;
import dev.veil.internal.validation.FeatureNames;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The three checks that wrote out the characters that hide or reorder text ({@link ApiKeyStore#nameProblem},
 * {@link Sanitize}, {@link FeatureNames#printable}) now share {@link ControlChars}. Against the rules
 * they had before, written out here as they were: nothing refused or replaced before is let through now.
 */
class HiddenCharacterRulesPropertiesTest {
    private static final List<String> C0_DEL_C1 = List.of("\u0000", "\t", "\n", "\r", "\u001b", "\u001f", "\u007f",
            "\u0080", "\u0085", "\u009b", "\u009f");
    private static final List<String> SEPARATORS = List.of("\u2028", "\u2029");
    private static final List<String> BIDI = List.of("\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c",
            "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069");
    private static final List<String> FORMAT = List.of("\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
            "\ufff9", "\u180e");
    private static final List<String> LONE_SURROGATES = List.of("\ud800", "\udbff", "\udc00", "\udfff");
    /** Format characters outside the BMP: the tag characters. */
    private static final List<String> FORMAT_PAIRS = List.of(new String(Character.toChars(0xE0001)),
            new String(Character.toChars(0xE0041)), new String(Character.toChars(0x1D173)));
    private static final List<String> VISIBLE = List.of("a", "Z", "0", "_", "-", "'", "\\", "\"", " ", "\u00a0",
            "\u2003", "\u00e9", "e\u0301", "\u4e2d", "\u05e9", "\ud83d\ude00", "\u0130");

    private static Gen<String> strings(List<List<String>> classes) {
        List<String> pool = new ArrayList<>();
        classes.forEach(pool::addAll);
        return lists().of(Generate.pick(pool)).ofSizeBetween(0, 14).map(parts -> String.join("", parts));
    }

    private static final Gen<String> BMP = strings(List.of(C0_DEL_C1, SEPARATORS, BIDI, FORMAT, LONE_SURROGATES,
            VISIBLE.subList(0, VISIBLE.size() - 2), List.of("\u0130")));
    private static final Gen<String> ALL = strings(List.of(C0_DEL_C1, SEPARATORS, BIDI, FORMAT, LONE_SURROGATES,
            FORMAT_PAIRS, VISIBLE));

    @Test
    void nameProblemRefusesExactlyWhatItRefusedBefore() {
        qt().withExamples(3000).forAll(ALL).checkAssert(s ->
                assertThat(ApiKeyStore.nameProblem(s) != null).as("'%s'", ControlChars.escaped(s))
                        .isEqualTo(oldNameRefused(s)));
    }

    @Test
    void contractFeatureNamesAreRefusedExactlyAsBefore() {
        qt().withExamples(3000).forAll(ALL).checkAssert(s ->
                assertThat(FeatureNames.contractNameProblem(s) != null).as("'%s'", ControlChars.escaped(s))
                        .isEqualTo(oldBlank(s) || oldNameRefused(s)));
    }

    @Test
    void sanitizeReplacesEveryCharacterItReplacedBefore() {
        for (int c = 0; c <= 0xFFFF; c++) {
            // replaced as before, and also what renders as nothing (ControlChars.invisible: Hangul fillers...)
            assertThat(Sanitize.unsafe((char) c)).as("U+%04X", c)
                    .isEqualTo(oldUnsafe((char) c) || ControlChars.invisible(c));
        }
        qt().withExamples(2000).forAll(ALL).checkAssert(s -> {
            String out = Sanitize.text(s);
            assertThat(out).isEqualTo(oldSanitize(s));
            assertThat(ControlChars.hiddenIndexIn(out)).isEqualTo(-1);
        });
    }

    @Test
    void printableFeatureNamesEscapeWhatTheyEscapedBeforeAndFormatPairsToo() {
        // BMP only (no pair, which the old rule cut between its halves or left raw): the same text as before
        qt().withExamples(3000).forAll(BMP).assuming(s -> s.codePoints().noneMatch(Character::isSupplementaryCodePoint))
                .checkAssert(s ->
                assertThat(FeatureNames.printable(s)).isEqualTo(oldPrintable(s)));
        // with pairs: nothing that hides text is left, whatever the cut
        qt().withExamples(3000).forAll(ALL.map(s -> s + s + s + s)).checkAssert(s -> {
            String out = FeatureNames.printable(s);
            assertThat(ControlChars.hiddenIndexIn(out)).as("'%s' -> '%s'", ControlChars.escaped(s),
                    ControlChars.escaped(out)).isEqualTo(-1);
        });
    }

    @Test
    void escapedLeavesNothingThatHidesTextAndIsAsBeforeForWhatItEscapedBefore() {
        qt().withExamples(3000).forAll(ALL).checkAssert(s ->
                assertThat(ControlChars.hiddenIndexIn(ControlChars.escaped(s))).isEqualTo(-1));
        qt().withExamples(2000).forAll(strings(List.of(C0_DEL_C1, SEPARATORS, VISIBLE))).checkAssert(s ->
                assertThat(ControlChars.escaped(s)).isEqualTo(oldEscaped(s)));
    }

    /** What renders as nothing is escaped when printed, but names accept it as before. */
    @Test
    void invisibleCharactersAreReplacedInMessagesButNamesAcceptThemAsBefore() {
        for (int cp : new int[] {0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0xFE0F, 0xE0100}) {
            String name = "al" + new String(Character.toChars(cp)) + "ice";
            assertThat(ApiKeyStore.nameProblem(name)).as("U+%04X", cp).isNull();
            assertThat(oldNameRefused(name)).isFalse();
            assertThat(Sanitize.text(name)).as("U+%04X", cp).isEqualTo(cp > 0xFFFF ? "al??ice" : "al?ice");
        }
    }

    // ---- the rules as they were (commit before this test) ----

    /** ApiKeyStore.nameProblem: surrounding space, lone surrogate, ISO control, Cf, Zl, Zp (by code point). */
    private static boolean oldNameRefused(String value) {
        if (!value.isEmpty() && (oldSpace(value.charAt(0)) || oldSpace(value.charAt(value.length() - 1)))) {
            return true;
        }
        int n = value.length();
        for (int i = 0; i < n; ) {
            char c = value.charAt(i);
            int cp;
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(value.charAt(i + 1))) {
                cp = Character.toCodePoint(c, value.charAt(i + 1));
            } else if (Character.isSurrogate(c)) {
                return true;
            } else {
                cp = c;
            }
            int type = Character.getType(cp);
            if (Character.isISOControl(cp) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR) {
                return true;
            }
            i += Character.charCount(cp);
        }
        return false;
    }

    private static boolean oldSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    /** Names.isBlank. */
    private static boolean oldBlank(String s) {
        return s.chars().allMatch(c -> oldSpace((char) c));
    }

    /** Sanitize.unsafe: ISO control, any surrogate, Zl, Zp, Cf (by UTF-16 unit). */
    private static boolean oldUnsafe(char c) {
        if (Character.isISOControl(c) || Character.isSurrogate(c)) {
            return true;
        }
        int type = Character.getType(c);
        return type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR || type == Character.FORMAT;
    }

    private static String oldSanitize(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(s.length(), Sanitize.MAX); i++) {
            b.append(oldUnsafe(s.charAt(i)) ? '?' : s.charAt(i));
        }
        return s.length() > Sanitize.MAX ? b + "..." : b.toString();
    }

    /** The old ControlChars.isControl: C0, DEL, C1, U+2028, U+2029. */
    private static boolean oldControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
    }

    private static String oldEscaped(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(oldControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return b.toString();
    }

    /** FeatureNames.printable as it was. */
    private static String oldPrintable(String name) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        for (; i < name.length() && b.length() < 64; i++) {
            char c = name.charAt(i);
            if (Character.getType(c) == Character.FORMAT || Character.isSurrogate(c)
                    && !(Character.isHighSurrogate(c) && i + 1 < name.length()
                            && Character.isLowSurrogate(name.charAt(i + 1)))
                    && !(Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(name.charAt(i - 1)))) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(oldControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return i < name.length() ? b + "..." : b.toString();
    }
}
