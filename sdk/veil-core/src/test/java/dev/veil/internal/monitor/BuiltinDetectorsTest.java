package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class BuiltinDetectorsTest {
    @Test
    void shouldKnowTheSimilarityDetectors() {
        assertThat(BuiltinDetectors.TYPES).contains("rate", "near_duplicate", "knn", "knn_global");
        assertThat(BuiltinDetectors.create("near_duplicate", Map.of())).isInstanceOf(NearDuplicateDetector.class);
        assertThat(BuiltinDetectors.create("knn", Map.of())).isInstanceOf(KnnDetector.class);
        assertThat(BuiltinDetectors.create("knn_global", Map.of())).isInstanceOf(KnnGlobalDetector.class);
    }

    @Test
    void shouldRunTwoOfATypeUnderOtherNames() {
        StatefulDetector own = BuiltinDetectors.create("own_near_duplicates", Map.of("type", "near_duplicate",
                "index", "caller"));
        assertThat(own.name()).isEqualTo("own_near_duplicates");
        assertThat(((NearDuplicateDetector) own).config().index()).isEqualTo(NearDuplicateDetector.Index.CALLER);
        StatefulDetector wide = BuiltinDetectors.create("wide_knn", Map.of("type", "knn", "k", 10));
        assertThat(((KnnDetector) wide).config().k()).isEqualTo(10);
        assertThat(BuiltinDetectors.typeOf("wide_knn", Map.of("type", "knn"))).isEqualTo("knn");
        assertThat(BuiltinDetectors.typeOf("knn_global", Map.of())).isEqualTo("knn_global");
        assertThat(BuiltinDetectors.typeOf("my_detector", Map.of())).isNull();
    }

    @Test
    void shouldRefuseAnUnknownTypeOrABadConfiguration() {
        assertThatThrownBy(() -> BuiltinDetectors.typeOf("x", Map.of("type", "blacklight")))
                .hasMessage("type 'blacklight' is not a built-in detector (built-in: [boundary, class_focus, "
                        + "confidence_climb, extraction, knn, knn_global, near_duplicate, rate])");
        assertThatThrownBy(() -> BuiltinDetectors.validate("knn", Map.of("k", 0)))
                .hasMessage("k must be in [1, history (100)], was 0");
        assertThatCode(() -> BuiltinDetectors.validate("near_duplicate", Map.of("type", "knn")))
                .as("a name that is a type may say another type").doesNotThrowAnyException();
        assertThat(BuiltinDetectors.create("near_duplicate", Map.of("type", "knn"))).isInstanceOf(KnnDetector.class);
    }
}
