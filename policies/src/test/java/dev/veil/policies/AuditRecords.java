package dev.veil.policies;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads an audit log the Guard wrote (after it was closed) as JSON trees, one per record. */
final class AuditRecords {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AuditRecords() {}

    static List<JsonNode> read(Path file) {
        List<JsonNode> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                out.add(JSON.readTree(line));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the audit log " + file, e);
        }
        return out;
    }

    /** The record of one decision. */
    static JsonNode byDecision(List<JsonNode> records, String decisionId) {
        for (JsonNode r : records) {
            if (r.path("decision_id").asText().equals(decisionId)) {
                return r;
            }
        }
        throw new AssertionError("no audit record for decision " + decisionId + " among " + records.size());
    }
}
