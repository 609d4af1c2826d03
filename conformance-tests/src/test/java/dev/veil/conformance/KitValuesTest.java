package dev.veil.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** FeatureSpace and ReleaseLimits: what they hold, and every bad argument with its message. */
class KitValuesTest {

    @Test
    void aFeatureSpaceKeepsItsFeaturesInOrder() {
        FeatureSpace s = FeatureSpace.builder().feature("income", 0, 100).feature("age", 18, 18).build();
        assertThat(s.size()).isEqualTo(2);
        assertThat(s.names()).containsExactly("income", "age");
        assertThat(s.min(0)).isEqualTo(0);
        assertThat(s.max(0)).isEqualTo(100);
        assertThat(s.middle()).containsExactly(50.0, 18.0);
        assertThat(s).hasToString("FeatureSpace[income in [0.0, 100.0], age in [18.0, 18.0]]");
        FeatureSpace u = FeatureSpace.uniform(20, -1, 1);
        assertThat(u.size()).isEqualTo(20);
        assertThat(u.names().get(19)).isEqualTo("x19");
        assertThat(u.middle()).containsOnly(0.0);
    }

    @Test
    void badFeaturesAreRefused() {
        assertThatThrownBy(() -> FeatureSpace.builder().feature(" ", 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("a feature name must not be blank");
        assertThatThrownBy(() -> FeatureSpace.builder().feature("a", 0, 1).feature("a", 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("feature 'a' was already added");
        assertThatThrownBy(() -> FeatureSpace.builder().feature("a", 2, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("feature 'a' needs a finite range with min <= max, was [2.0, 1.0]");
        assertThatThrownBy(() -> FeatureSpace.builder().feature("a", Double.NaN, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("was [NaN, 1.0]");
        assertThatThrownBy(() -> FeatureSpace.builder().feature("a", 0, Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("was [0.0, Infinity]");
        assertThatThrownBy(() -> FeatureSpace.builder().build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("a feature space needs at least one feature");
        assertThatThrownBy(() -> FeatureSpace.uniform(0, 0, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a feature space needs at least one feature, size was 0");
    }

    @Test
    void aBuilderGrowsPastItsFirstCapacity() {
        FeatureSpace.Builder b = FeatureSpace.builder();
        for (int i = 0; i < 100; i++) {
            b.feature("f" + i, i, i + 1);
        }
        FeatureSpace s = b.build();
        assertThat(s.min(99)).isEqualTo(99);
        assertThat(s.max(99)).isEqualTo(100);
    }

    @Test
    void releaseLimitsHoldWhatTheySay() {
        ReleaseLimits l = ReleaseLimits.of(3, 0.05);
        assertThat(l.maxScores()).isEqualTo(3);
        assertThat(l.roundingStep()).isEqualTo(0.05);
        assertThat(l.labelMayChange()).isFalse();
        assertThat(l.allowingLabelChange().labelMayChange()).isTrue();
        assertThat(l.allowingLabelChange().maxScores()).isEqualTo(3);
        assertThat(ReleaseLimits.labelOnly().maxScores()).isZero();
        assertThat(l).hasToString("ReleaseLimits[maxScores=3, roundingStep=0.05]");
    }

    @Test
    void badReleaseLimitsAreRefused() {
        assertThatThrownBy(() -> ReleaseLimits.of(-1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxScores must be >= 0 (0 = label only), was -1");
        assertThatThrownBy(() -> ReleaseLimits.of(1, 2e15)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("roundingStep must be in [0, 1e15] (0 = no rounding), was 2.0E15");
        assertThatThrownBy(() -> ReleaseLimits.of(1, Double.NaN)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("roundingStep must be in [0, 1e15] (0 = no rounding), was NaN");
        ReleaseLimits.of(0, 1000); // a regression's step
    }
}
