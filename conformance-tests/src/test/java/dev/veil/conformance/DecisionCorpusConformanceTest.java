package dev.veil.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The decision corpus in {@code src/test/resources/corpus}, asked of the YAML reference engine. Cases marked
 * {@code divergence} are where the engine and docs/policy-reference.md disagree: they run as expected failures.
 */
class DecisionCorpusConformanceTest {
    private static final DecisionCorpus CORPUS = DecisionCorpus.classpath("corpus");

    @TestFactory
    Stream<DynamicNode> corpus() {
        return CORPUS.tests();
    }

    @Test
    void theCorpusIsLargeEnoughToMeanSomething() {
        assertThat(CORPUS.size()).isGreaterThanOrEqualTo(40);
    }
}
