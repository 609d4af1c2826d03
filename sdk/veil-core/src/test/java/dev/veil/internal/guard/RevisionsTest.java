package dev.veil.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

class RevisionsTest {
    @Test
    void ordersDatesCountersAndVersionsAsPeopleDo() {
        List<String> ordered = List.of("", "2026-11-30.1", "2026-11-30.2", "2026-11-30.10", "2026-12-01.1", "r7",
                "r07", "v9", "v10", "v10a", "v10b");
        for (int i = 0; i < ordered.size(); i++) {
            for (int j = 0; j < ordered.size(); j++) {
                assertThat(Integer.signum(Revisions.compare(ordered.get(i), ordered.get(j))))
                        .as("%s vs %s", ordered.get(i), ordered.get(j)).isEqualTo(Integer.compare(i, j));
            }
        }
    }

    @Test
    void onlyDatesAndVersionsHaveAnOrder() {
        for (String r : List.of("2026-11-30", "2026-11-30.2", "20261130-1", "3", "v1.4.10", "v10", "123456")) {
            assertThat(Revisions.ordered(r)).as(r).isTrue();
        }
        for (String r : List.of("", "f1d2d2f9", "0beec7b5", "12345678", "r7", "2026-13-01", "release", "v1.x")) {
            assertThat(Revisions.ordered(r)).as(r).isFalse();
        }
    }

    private static Gen<String> revisions() {
        Gen<String> piece = integers().between(0, 6).map(i -> List.of("0", "1", "9", "10", "a", ".", "007").get(i));
        return piece.zip(piece, piece, (a, b, c) -> a + b + c);
    }

    /** A total order: antisymmetric, transitive, and 0 only for equal strings (so no two revisions tie). */
    @Test
    void isATotalOrder() {
        qt().withExamples(5_000).forAll(revisions(), revisions(), revisions()).check((a, b, c) -> {
            int ab = Integer.signum(Revisions.compare(a, b));
            int ba = Integer.signum(Revisions.compare(b, a));
            boolean antisymmetric = ab == -ba && (ab == 0) == a.equals(b);
            List<String> three = new ArrayList<>(List.of(a, b, c));
            three.sort(Revisions::compare);
            boolean transitive = Revisions.compare(three.get(0), three.get(2)) <= 0;
            return antisymmetric && transitive;
        });
    }
}
