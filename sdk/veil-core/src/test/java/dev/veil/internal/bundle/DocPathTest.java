package dev.veil.internal.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DocPathTest {
    /** A data key with U+202E printed raw in a load error reversed the rest of the message on screen. */
    @Test
    void shouldEscapeKeysThatHideOrReorderText() {
        assertThat(DocPath.render(List.of("keys", 2, "a\u202eb"))).isEqualTo("keys[2][\"a\\u202eb\"]");
        assertThat(DocPath.render(List.of("x\u200by"))).isEqualTo("[\"x\\u200by\"]");
        assertThat(DocPath.render(List.of("a\nb", "c\"d"))).isEqualTo("[\"a\\u000ab\"][\"c\\u0022d\"]");
        assertThat(DocPath.render(List.of("roles"))).isEqualTo("roles");
    }
}
