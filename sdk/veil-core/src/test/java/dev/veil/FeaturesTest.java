package dev.veil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link Features#named(Map)} takes any numbers, as a JSON decoder gives them, and names what is not one. */
class FeaturesTest {

    @Test
    void anyNumberIsReadAsADoubleInTheOrderOfTheNames() {
        Map<String, Number> decoded = new HashMap<>();
        decoded.put("loan_amount", 250_000L);
        decoded.put("income", 60_000);
        decoded.put("age", 41.5);
        decoded.put("rate", new BigDecimal("0.035"));
        decoded.put("co_income", null); // left out

        Features f = Features.named(decoded);

        assertThat(f.names()).containsExactly("age", "income", "loan_amount", "rate");
        assertThat(f.vector()).containsExactly(41.5, 60_000, 250_000, 0.035);
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void aValueThatIsNotANumberIsNamedWithItsTypeNotItsValue() {
        Map raw = new HashMap<>(Map.of("income", "60000", "age", 41));
        Map<String, Double> cast = (Map<String, Double>) raw; // as an unchecked cast of a decoded map

        assertThatThrownBy(() -> Features.named(cast))
                .isInstanceOf(dev.veil.internal.validation.NotANumberException.class) // which the Guard's log quotes
                .hasMessage("feature 'income' is a java.lang.String, not a number");
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void aFeatureNameInTheMessageCannotForgeALogLine() {
        Map raw = new HashMap<>(Map.of("age\nSEVERE: FORGED LINE " + "x".repeat(100), "41"));

        assertThatThrownBy(() -> Features.named((Map<String, Double>) raw))
                .hasMessageStartingWith("feature 'age\\u000aSEVERE: FORGED LINE xxx")
                .hasMessageContaining("...' is a java.lang.String, not a number")
                .message().doesNotContain("\n");
    }

    @Test
    void aModelOverDecodedJsonNeedsNoCast() {
        Model<Map<String, Number>> model = Model.of(ModelInfo.of("m", "1", java.time.Instant.EPOCH),
                x -> Prediction.classification(List.of("a", "b"), new double[] {0.5, 0.5}), Features::named);
        assertThat(model.featureView().features(Map.of("x", 1)).vector()).containsExactly(1.0);
    }
}
