package dev.veil.conformance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An audit log read back as JSON lines, only through the fields docs/policy-reference.md and the
 * design guide promise: {@code decision_id} and {@code result} ({@code allowed}, {@code reasons[].code}).
 */
final class AuditTrail {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /** One record. */
    record Entry(int line, String decisionId, boolean allowed, String firstReasonCode) {}

    private AuditTrail() {}

    /**
     * Reads every line of an audit file.
     *
     * @throws AssertionError when a line is not a JSON object with a decision id and a result
     */
    static List<Entry> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the audit file " + file, e);
        }
        List<Entry> out = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty()) {
                throw new AssertionError("audit line " + (i + 1) + " is empty; every line must be one record");
            }
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new AssertionError("audit line " + (i + 1) + " is not JSON: " + e.getOriginalMessage(), e);
            }
            JsonNode id = n.get("decision_id");
            JsonNode result = n.get("result");
            if (id == null || !id.isTextual() || result == null || !result.path("allowed").isBoolean()) {
                throw new AssertionError("audit line " + (i + 1) + " has no decision_id or result.allowed");
            }
            JsonNode reasons = result.path("reasons");
            String code = reasons.isArray() && !reasons.isEmpty() ? reasons.get(0).path("code").asText(null) : null;
            out.add(new Entry(i + 1, id.asText(), result.get("allowed").asBoolean(), code));
        }
        return out;
    }
}
