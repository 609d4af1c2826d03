package dev.veil.internal.audit;

import static dev.veil.internal.audit.AuditFixtures.join;
import static dev.veil.internal.audit.AuditFixtures.lines;
import static dev.veil.internal.audit.AuditFixtures.logs;
import static dev.veil.internal.audit.AuditFixtures.parse;
import static dev.veil.internal.audit.AuditFixtures.verify;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.veil.AuditVerification;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Invariant: an untouched log verifies, and every edit of a value, removal of a line (but the
 * last), insertion, swap of two lines, or cut inside a line makes verification fail exactly at the
 * first line that no longer matches.
 */
class AuditChainPropertiesTest {
    private static final int EXAMPLES = 150;

    @Test
    void shouldVerifyEveryUntouchedLog() {
        qt().withExamples(EXAMPLES).forAll(logs()).checkAssert(records -> {
            byte[] log = AuditFixtures.log(records);
            List<String> lines = lines(log);

            AuditVerification v = verify(log);

            assertThat(v.ok()).as(v.message()).isTrue();
            assertThat(v.records()).isEqualTo(records.size());
            assertThat(v.firstBrokenLine()).isZero();
            assertThat(v.firstBrokenDecisionId()).isEmpty();
            assertThat(v.message()).isEqualTo("ok " + records.size() + " records");
            assertThat(v.lastHash()).isEqualTo(parse(lines.get(lines.size() - 1)).get("hash").asText());
        });
    }

    @Test
    void shouldFailAtTheEditedLineWhenAnyValueIsChanged() {
        qt().withExamples(EXAMPLES).forAll(logs(), integers().allPositive(), integers().allPositive())
                .checkAssert((records, lineSeed, leafSeed) -> {
                    List<String> lines = lines(AuditFixtures.log(records));
                    int k = lineSeed % lines.size();
                    ObjectNode tree = (ObjectNode) parse(lines.get(k));
                    List<Consumer<Void>> edits = new ArrayList<>();
                    collectEdits(tree, edits);
                    edits.get(leafSeed % edits.size()).accept(null);
                    String edited = tree.toString();
                    assertThat(edited).isNotEqualTo(lines.get(k));
                    lines.set(k, edited);

                    AuditVerification v = verify(join(lines));

                    assertThat(v.ok()).isFalse();
                    assertThat(v.firstBrokenLine()).as(v.message()).isEqualTo(k + 1);
                    assertThat(v.records()).isEqualTo(k);
                });
    }

    @Test
    void shouldFailAtTheNextLineWhenALineIsRemoved() {
        qt().withExamples(EXAMPLES).forAll(logs(), integers().allPositive())
                .assuming((records, seed) -> records.size() >= 2)
                .checkAssert((records, seed) -> {
                    List<String> lines = lines(AuditFixtures.log(records));
                    int k = seed % (lines.size() - 1); // any line but the last
                    String removedNext = parse(lines.get(k + 1)).get("decision_id").asText();
                    lines.remove(k);

                    AuditVerification v = verify(join(lines));

                    assertThat(v.ok()).isFalse();
                    assertThat(v.firstBrokenLine()).isEqualTo(k + 1);
                    assertThat(v.firstBrokenDecisionId()).isEqualTo(removedNext);
                    assertThat(v.message()).contains("breaks the chain");
                });
    }

    @Test
    void shouldFailAtTheFirstSwappedLine() {
        qt().withExamples(EXAMPLES).forAll(logs(), integers().allPositive(), integers().allPositive())
                .assuming((records, a, b) -> records.size() >= 2 && a % records.size() != b % records.size())
                .checkAssert((records, a, b) -> {
                    List<String> lines = lines(AuditFixtures.log(records));
                    int i = Math.min(a % lines.size(), b % lines.size());
                    int j = Math.max(a % lines.size(), b % lines.size());
                    String li = lines.get(i);
                    lines.set(i, lines.get(j));
                    lines.set(j, li);

                    AuditVerification v = verify(join(lines));

                    assertThat(v.ok()).isFalse();
                    assertThat(v.firstBrokenLine()).isEqualTo(i + 1);
                });
    }

    @Test
    void shouldFailAtTheInsertedLineOrRightAfterAnExactDuplicate() {
        qt().withExamples(EXAMPLES).forAll(logs(), integers().allPositive(), integers().allPositive())
                .checkAssert((records, copySeed, atSeed) -> {
                    List<String> lines = lines(AuditFixtures.log(records));
                    int a = copySeed % lines.size();       // line copied
                    int p = atSeed % (lines.size() + 1);   // inserted before index p
                    lines.add(p, lines.get(a));

                    AuditVerification v = verify(join(lines));

                    assertThat(v.ok()).isFalse();
                    // A copy put back right before its original is intact itself; the original then breaks.
                    assertThat(v.firstBrokenLine()).isEqualTo(a == p ? p + 2 : p + 1);
                });
    }

    @Test
    void shouldFailAtTheLineWhereTheFileWasCut() {
        qt().withExamples(EXAMPLES).forAll(logs(), integers().allPositive()).checkAssert((records, seed) -> {
            byte[] log = AuditFixtures.log(records);
            // cut points strictly inside the file that do not fall on a line boundary
            List<Integer> cuts = new ArrayList<>();
            for (int t = 1; t < log.length; t++) {
                if (log[t - 1] != '\n') {
                    cuts.add(t);
                }
            }
            int t = cuts.get(seed % cuts.size());
            long line = 1;
            for (int i = 0; i < t; i++) {
                if (log[i] == '\n') {
                    line++;
                }
            }

            AuditVerification v = verify(Arrays.copyOf(log, t));

            assertThat(v.ok()).isFalse();
            assertThat(v.firstBrokenLine()).isEqualTo(line);
            assertThat(v.message()).contains("truncated");
        });
    }

    @Test
    void shouldReportTheLastIntactHashSoThatCuttingWholeRecordsOffTheEndCanBeNoticed() {
        // A chain cannot show that whole records were cut off its end; lastHash lets an operator compare
        // with a copy kept elsewhere.
        byte[] log = AuditFixtures.log(List.of(AuditFixtures.denial("a"), AuditFixtures.denial("b")));
        List<String> lines = lines(log);

        AuditVerification whole = verify(log);
        AuditVerification cut = verify(join(lines.subList(0, 1)));

        assertThat(cut.ok()).isTrue();
        assertThat(cut.lastHash()).isNotEqualTo(whole.lastHash())
                .isEqualTo(parse(lines.get(0)).get("hash").asText());
    }

    @Test
    void shouldReportAnEmptyLineAsBroken() {
        List<String> lines = lines(AuditFixtures.log(List.of(AuditFixtures.denial("a"), AuditFixtures.denial("b"))));
        lines.add(1, "");

        AuditVerification v = verify(join(lines));

        assertThat(v.firstBrokenLine()).isEqualTo(2);
        assertThat(v.message()).isEqualTo("line 2 is empty: not an audit record");
    }

    @Test
    void shouldReportALineThatIsNotJson() {
        AuditVerification v = verify("hello\n".getBytes(StandardCharsets.UTF_8));

        assertThat(v.firstBrokenLine()).isEqualTo(1);
        assertThat(v.message()).startsWith("line 1 is not valid JSON");
    }

    @Test
    void shouldReportALineThatIsNotAnObject() {
        AuditVerification v = verify("[1,2]\n".getBytes(StandardCharsets.UTF_8));

        assertThat(v.message()).isEqualTo("line 1 is not a JSON object: not an audit record");
    }

    @Test
    void shouldRejectDuplicateKeysEvenWhenTheLastOneCarriesTheRealValue() {
        String line = lines(AuditFixtures.log(List.of(AuditFixtures.denial("a")))).get(0);
        String forged = "{\"result\":{\"allowed\":true}," + line.substring(1);

        AuditVerification v = verify((forged + "\n").getBytes(StandardCharsets.UTF_8));

        assertThat(v.ok()).isFalse();
        assertThat(v.message()).contains("line 1").contains("is not valid JSON").contains("Duplicate field");
    }

    @Test
    void shouldRejectTrailingContentAfterTheRecord() {
        String line = lines(AuditFixtures.log(List.of(AuditFixtures.denial("a")))).get(0);

        AuditVerification v = verify((line + " {\"x\":1}\n").getBytes(StandardCharsets.UTF_8));

        assertThat(v.ok()).isFalse();
        assertThat(v.message()).contains("is not valid JSON");
    }

    @Test
    void shouldReportAMissingOrMalformedHash() {
        ObjectNode tree = (ObjectNode) parse(lines(AuditFixtures.log(List.of(AuditFixtures.denial("a")))).get(0));
        tree.put("hash", "ABC");

        AuditVerification v = verify((tree + "\n").getBytes(StandardCharsets.UTF_8));

        assertThat(v.message()).isEqualTo("line 1 (decision a) has no valid hash (64 lowercase hex digits)");
        assertThat(v.firstBrokenDecisionId()).isEqualTo("a");
    }

    @Test
    void shouldReportAMissingPrevHash() {
        ObjectNode tree = (ObjectNode) parse(lines(AuditFixtures.log(List.of(AuditFixtures.denial("a")))).get(0));
        tree.remove("prev_hash");

        AuditVerification v = verify((tree + "\n").getBytes(StandardCharsets.UTF_8));

        assertThat(v.message()).isEqualTo("line 1 (decision a) has no valid prev_hash (64 lowercase hex digits)");
    }

    @Test
    void shouldSayWhenTheFirstRecordDoesNotStartTheChain() {
        List<String> lines = lines(AuditFixtures.log(List.of(AuditFixtures.denial("a"), AuditFixtures.denial("b"))));

        AuditVerification v = verify(join(lines.subList(1, 2)));

        assertThat(v.message()).isEqualTo("line 1 (decision b) breaks the chain: the first record must have a"
                + " prev_hash of 64 zeros (records before it were removed)");
    }

    @Test
    void shouldVerifyAnEmptyLogAsOkWithNoRecords() {
        AuditVerification v = verify(new byte[0]);

        assertThat(v.ok()).isTrue();
        assertThat(v.records()).isZero();
        assertThat(v.lastHash()).isEqualTo(AuditSerializer.ZERO_HASH);
        assertThat(v.message()).isEqualTo("ok 0 records");
    }

    /** Collects one edit per leaf value (strings, numbers, booleans), each of which changes the value. */
    private static void collectEdits(JsonNode node, List<Consumer<Void>> edits) {
        if (node.isObject()) {
            ObjectNode o = (ObjectNode) node;
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                JsonNode child = o.get(name);
                if (child.isContainerNode()) {
                    collectEdits(child, edits);
                } else {
                    edits.add(x -> o.set(name, changed(child)));
                }
            }
        } else if (node.isArray()) {
            ArrayNode a = (ArrayNode) node;
            for (int i = 0; i < a.size(); i++) {
                JsonNode child = a.get(i);
                int index = i;
                if (child.isContainerNode()) {
                    collectEdits(child, edits);
                } else {
                    edits.add(x -> a.set(index, changed(child)));
                }
            }
        }
    }

    private static JsonNode changed(JsonNode v) {
        if (v.isTextual()) {
            return TextNode.valueOf(v.textValue() + "x");
        }
        if (v.isBoolean()) {
            return BooleanNode.valueOf(!v.booleanValue());
        }
        if (v.isIntegralNumber()) {
            return LongNode.valueOf(v.asLong() == 1 ? 2 : 1);
        }
        if (v.isNumber()) {
            return DoubleNode.valueOf(v.doubleValue() == 1.0 ? 2.0 : 1.0);
        }
        return TextNode.valueOf("x");
    }
}
