package dev.veil.internal.monitor.answers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.internal.monitor.BoundaryDetector;
import dev.veil.internal.monitor.BuiltinDetectors;
import dev.veil.internal.monitor.ClassFocusDetector;
import dev.veil.internal.monitor.ConfidenceClimbDetector;
import dev.veil.internal.monitor.ExtractionDetector;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The answer detectors are built in: by name, or under any name with {@code type}, strictly configured. */
class BuiltinRegistrationTest {
    @Test
    void shouldRegisterTheFourTypes() {
        assertThat(BuiltinDetectors.TYPES).contains("confidence_climb", "class_focus", "boundary", "extraction");
        assertThat(BuiltinDetectors.create("confidence_climb", Map.of())).isInstanceOf(ConfidenceClimbDetector.class);
        assertThat(BuiltinDetectors.create("class_focus", Map.of())).isInstanceOf(ClassFocusDetector.class);
        assertThat(BuiltinDetectors.create("boundary", Map.of())).isInstanceOf(BoundaryDetector.class);
        assertThat(BuiltinDetectors.create("extraction", Map.of())).isInstanceOf(ExtractionDetector.class);
    }

    @Test
    void shouldBuildATypeUnderAnotherName() {
        var d = BuiltinDetectors.create("prada_strict", Map.of("type", "extraction", "delta", 0.95));
        assertThat(d).isInstanceOf(ExtractionDetector.class);
        assertThat(d.name()).isEqualTo("prada_strict");
        assertThat(((ExtractionDetector) d).config().levels().high()).isEqualTo(0.95);
        assertThat(BuiltinDetectors.typeOf("focus_alert", Map.of("type", "class_focus"))).isEqualTo("class_focus");
    }

    @Test
    void shouldValidateStrictly() {
        assertThatThrownBy(() -> BuiltinDetectors.validate("boundary", Map.of("margn", 0.2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("unknown key(s) [margn] for detector 'boundary'");
        assertThatThrownBy(() -> BuiltinDetectors.validate("x", Map.of("type", "confidence_climbing")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("type 'confidence_climbing' is not a built-in detector (built-in: [antithetic, "
                        + "boundary, class_focus, confidence_climb, extraction");
    }
}
