package dev.veil.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class DecisionIdsTest {
    @Test
    void shouldFormatLikeUuidToString() {
        qt().withExamples(5_000).forAll(longs().all(), longs().all())
                .checkAssert((hi, lo) -> assertThat(DecisionIds.format(hi, lo)).isEqualTo(new UUID(hi, lo).toString()));
    }

    @Test
    void shouldIssueDistinctVersion4Ids() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = DecisionIds.next();
            UUID u = UUID.fromString(id);
            assertThat(u.version()).isEqualTo(4);
            assertThat(u.variant()).isEqualTo(2);
            assertThat(u.toString()).isEqualTo(id);
            assertThat(seen.add(id)).as("duplicate id %s", id).isTrue();
        }
    }
}
