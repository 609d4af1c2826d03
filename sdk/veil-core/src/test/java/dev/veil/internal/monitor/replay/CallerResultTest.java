package dev.veil.internal.monitor.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CallerResultTest {
    /**
     * A trace's caller id with U+202E, DEL, a C1 control or a zero-width space was written raw into
     * the replay's JSON line, which 'veil monitor replay' prints on the terminal. Escaped, it is the
     * same JSON value.
     */
    @Test
    void shouldEscapeCharactersThatHideOrReorderTextAndStayTheSameJsonValue() throws Exception {
        String caller = "al\u202eice\u007f\u0085\u200b\u2028\n\"\ud800";
        String tenant = "t\u2066x";
        String line = new CallerResult(caller, tenant, 3, null, Map.of("knn\u200d", 2L)).toJson();
        assertThat(line).isEqualTo("{\"caller\": \"al\\u202eice\\u007f\\u0085\\u200b\\u2028\\n\\\"\\ud800\","
                + " \"queries\": 3, \"first_alarm\": null, \"detectors\": {\"knn\\u200d\": 2}, \"tenant\": \"t\\u2066x\"}");
        @SuppressWarnings("unchecked")
        Map<String, Object> read = new ObjectMapper().readValue(line, Map.class);
        assertThat(read.get("caller")).isEqualTo(caller);
        assertThat(read.get("tenant")).isEqualTo(tenant);
        assertThat(new CallerResult("\ud83d\ude00", "", 1, 1L, Map.of()).toJson()).startsWith("{\"caller\": \"\ud83d\ude00\"");
    }
}
