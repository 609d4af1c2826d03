package dev.veil.rego.internal.parse;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.rego.internal.ast.Module;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes the parser: whatever the input, it either parses or raises {@link RegoParseException}
 * (with a position inside the input), never another exception, never a hang.
 *
 * <p>In a normal build this runs the regression corpus in
 * {@code src/test/resources/dev/veil/rego/internal/parse/ParserFuzzTestInputs/parse/} (Jazzer's
 * convention). To fuzz: {@code JAZZER_FUZZ=1 mvn -pl sdk/veil-rego -am test -Dtest=ParserFuzzTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Djacoco.skip=true -Djazzer.hooks=true}; new crashing inputs
 * are written to that directory and become regression cases.
 */
class ParserFuzzTest {
    private static final long MAX_MILLIS = 5_000;

    /**
     * Bytes are read as UTF-8, or, when the first byte is 0x01, the rest as UTF-16 so that unpaired
     * surrogates (which UTF-8 decoding never produces) reach the lexer too.
     */
    @FuzzTest(maxDuration = "2m")
    void parse(byte[] input) {
        String src = input.length > 0 && input[0] == 1
                ? StandardCharsets.UTF_16BE.decode(ByteBuffer.wrap(input, 1, input.length - 1)).toString()
                : new String(input, StandardCharsets.UTF_8);
        long start = System.nanoTime();
        try {
            Module m = Parser.parseModule("fuzz.rego", src);
            assertThat(m.toString()).isNotNull();
        } catch (RegoParseException e) {
            assertThat(e.errors()).isNotEmpty().allSatisfy(err -> {
                assertThat(err.code()).isEqualTo("rego_parse_error");
                assertThat(err.line()).isBetween(1, (int) src.chars().filter(c -> c == '\n').count() + 1);
                assertThat(err.column()).isPositive();
            });
        }
        try {
            Parser.parseQuery(src);
        } catch (RegoParseException e) {
            assertThat(e.code()).isEqualTo("rego_parse_error");
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(millis).as("parse time for %d characters", src.length()).isLessThan(MAX_MILLIS);
    }
}
