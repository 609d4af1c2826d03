package dev.veil.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/** Partial matching of decision documents. */
class DocumentMatchTest {

    /** JSON-like documents up to depth 3: mappings, lists, strings, integers, decimals, booleans and nulls. */
    private static Gen<Object> value(int depth) {
        Gen<Object> leaf = Generate.oneOf(
                integers().between(-5, 5).map(i -> (Object) i),
                integers().between(-5, 5).map(i -> (Object) (i / 4.0)),
                Generate.pick(List.<Object>of("a", "b", "allow", "")),
                Generate.booleans().map(b -> (Object) b),
                Generate.constant(() -> null));
        if (depth == 0) {
            return leaf;
        }
        Gen<Object> child = value(depth - 1);
        Gen<Object> list = integers().between(0, 3).flatMap(n -> rs -> {
            List<Object> l = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                l.add(child.generate(rs));
            }
            return l;
        });
        return Generate.oneOf(leaf, list, mapping(child));
    }

    private static Gen<Object> mapping(Gen<Object> child) {
        return integers().between(1, 4).flatMap(n -> rs -> {
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                m.put("k" + i, child.generate(rs));
            }
            return m;
        });
    }

    @Test
    void aDocumentMatchesItselfAndEveryPartOfItsMappings() {
        qt().withExamples(300).forAll(mapping(value(2))).checkAssert(doc -> {
            assertThat(DocumentMatch.mismatches(doc, doc)).isEmpty();
            Map<?, ?> m = (Map<?, ?>) doc;
            Map<Object, Object> part = new LinkedHashMap<>(m);
            part.remove(m.keySet().iterator().next());
            assertThat(DocumentMatch.mismatches(part, doc)).isEmpty();
        });
    }

    @Test
    void changingOneTopLevelValueIsExactlyOneMismatchAtItsKey() {
        qt().withExamples(300).forAll(mapping(value(2)), integers().between(0, 3)).checkAssert((doc, which) -> {
            Map<?, ?> m = (Map<?, ?>) doc;
            List<Object> keys = new ArrayList<>(m.keySet());
            Object key = keys.get(which % keys.size());
            Map<Object, Object> changed = new LinkedHashMap<>(m);
            changed.put(key, "something else");
            assertThat(DocumentMatch.mismatches(changed, doc)).singleElement().asString().startsWith(key + ": ");
        });
    }

    @Test
    void numbersCompareByValueWhateverTheirType() {
        assertThat(DocumentMatch.mismatches(Map.of("n", 2), Map.of("n", 2.0))).isEmpty();
        assertThat(DocumentMatch.mismatches(Map.of("n", 2L), Map.of("n", 2))).isEmpty();
        assertThat(DocumentMatch.mismatches(Map.of("n", 0.1), Map.of("n", 0.1))).isEmpty();
        assertThat(DocumentMatch.mismatches(Map.of("n", 1e-5), Map.of("n", 0.00001))).isEmpty();
        assertThat(DocumentMatch.mismatches(Map.of("n", 2), Map.of("n", 2.5)))
                .containsExactly("n: expected 2, was 2.5");
        assertThat(DocumentMatch.mismatches(Map.of("n", 2), Map.of("n", "2")))
                .containsExactly("n: expected 2, was '2'");
    }

    @Test
    void nullMatchesOnlyAPresentNull() {
        Map<String, Object> withNull = new LinkedHashMap<>();
        withNull.put("noise", null);
        assertThat(DocumentMatch.mismatches(withNull, withNull)).isEmpty();
        assertThat(DocumentMatch.mismatches(withNull, Map.of())).containsExactly(
                "noise: expected null, but the decision has no such field");
        assertThat(DocumentMatch.mismatches(withNull, Map.of("noise", Map.of("epsilon", 1))))
                .containsExactly("noise: expected null, was {epsilon: 1}");
    }

    @Test
    void listElementsArePartialMappingsInOrder() {
        Map<String, Object> got = Map.of("actions", List.of(Map.of("action", "alert", "rule", "a"),
                Map.of("action", "block", "rule", "b")));
        assertThat(DocumentMatch.mismatches(Map.of("actions", List.of(Map.of("rule", "a"), Map.of("rule", "b"))),
                got)).isEmpty();
        assertThat(DocumentMatch.mismatches(Map.of("actions", List.of(Map.of("rule", "b"), Map.of("rule", "a"))),
                got)).containsExactly("actions[0].rule: expected 'b', was 'a'",
                        "actions[1].rule: expected 'a', was 'b'");
    }
}
