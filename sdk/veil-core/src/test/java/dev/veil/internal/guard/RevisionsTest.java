package dev.veil.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

class RevisionsTest {
    private static int sign(String a, String b) {
        Integer c = Revisions.compare(a, b);
        assertThat(c).as("%s vs %s has an order", a, b).isNotNull();
        return Integer.signum(c);
    }

    @Test
    void ordersDatesCountersAndVersionsAsPeopleDo() {
        List<List<String>> older = List.of( // each pair: the first is older
                List.of("2026-11-30.8", "2026-11-30.10"), List.of("2026-11-30", "2026-11-30.1"),
                List.of("2026-11-30.10", "2026-12-01.1"), List.of("20261130-1", "2026-12-05"),
                List.of("2026-11-30_2", "2026-11-30.10"), List.of("v1.0", "2.0"), List.of("v9", "v10"),
                List.of("v1.4.9-hotfix", "v1.4.10"), List.of("1.4.10-rc1", "1.4.10"),
                List.of("release-2026-11-30.8", "release-2026-11-30.10"), List.of("2026113001", "2026-12-05"),
                List.of("202611300915", "2026-12-05"), List.of("2026-12-05", "202612050900"),
                List.of("2026-01-01T00:00Z", "2026-11-30T12:00Z"), List.of("1.4.10-beta", "1.4.10"),
                // only a revision's first number is read as a date: later long runs are plain numbers
                List.of("1.0.9999999", "1.0.10000105"), List.of("3.30000", "3.20261130"));
        for (List<String> p : older) {
            assertThat(sign(p.get(0), p.get(1))).as("%s before %s", p.get(0), p.get(1)).isNegative();
            assertThat(sign(p.get(1), p.get(0))).isPositive();
        }
        assertThat(sign("v1.4.10", "1.4.10")).isZero();
        assertThat(sign("20261130", "2026-11-30")).isZero();
        assertThat(sign("1.4.10+build.7", "1.4.10")).as("build metadata has no order").isZero();
    }

    /**
     * A later run of digits that starts like a date is a number, but two such runs of different
     * lengths have no order: {@code 1.0.202611301530} (30 November, 15:30) is not newer than
     * {@code 1.0.20261201} (1 December), whatever the numbers say.
     */
    @Test
    void laterDateLikeRunsOfDifferentLengthsHaveNoOrder() {
        assertThat(Revisions.compare("1.0.202611301530", "1.0.20261201")).isNull();
        assertThat(Revisions.compare("1.0.20261201", "1.0.202611301530")).isNull();
        assertThat(sign("1.0.20261130", "1.0.20261201")).isNegative();
        assertThat(sign("1.0.9999999", "1.0.10000105")).isNegative();
    }

    @Test
    void commitIdsWordsAndMixedSchemesHaveNoOrder() {
        for (String r : List.of("f1d2d2f9", "0beec7b5", "deadbeef", "release", "")) {
            assertThat(Revisions.ordered(r)).as(r).isFalse();
        }
        assertThat(Revisions.compare("f1d2d2f9", "0beec7b5")).isNull();
        assertThat(Revisions.compare("release-5", "2026-11-30.2")).isNull(); // a word against a number
        assertThat(Revisions.compare("1.4.9-hotfix", "1.4.9")).as("a word that is not a pre-release").isNull();
        assertThat(Revisions.compare("2026-11-30-hotfix", "2026-11-30")).isNull();
        for (String digitsOnly : List.of("1234567", "8041234", "1732924800")) { // commit ids, epoch seconds
            assertThat(Revisions.ordered(digitsOnly)).as(digitsOnly).isFalse();
        }
        assertThat(Revisions.ordered("123456")).as("a short number is a counter").isTrue();
    }

    private static Gen<String> revisions() {
        Gen<String> piece = integers().between(0, 7).map(i -> List.of("0", "1", "9", "10", "rc", ".", "-", "007")
                .get(i));
        return piece.zip(piece, piece, (a, b, c) -> "1" + a + b + c);
    }

    /** Where revisions are ordered, the order is antisymmetric and transitive. */
    @Test
    void isAnOrderWhereItIsDefined() {
        qt().withExamples(5_000).forAll(revisions(), revisions(), revisions()).check((a, b, c) -> {
            Integer ab = Revisions.compare(a, b);
            Integer ba = Revisions.compare(b, a);
            if (ab == null) {
                return ba == null;
            }
            if (Integer.signum(ab) != -Integer.signum(ba)) {
                return false;
            }
            Integer bc = Revisions.compare(b, c);
            Integer ac = Revisions.compare(a, c);
            if (bc == null || ac == null) {
                return true;
            }
            return !(ab <= 0 && bc <= 0) || ac <= 0;
        });
    }
}
