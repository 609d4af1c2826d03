package dev.veil.internal.monitor.replay;

import dev.veil.internal.text.ControlChars;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a replay found for one caller.
 *
 * @param caller the caller's id
 * @param tenant the caller's tenant ({@code ""} when the trace names none): callers of one id in
 *     two tenants are two callers
 * @param queries the trace lines of this caller
 * @param firstAlarm the 0-based index, among this caller's queries, of the first query for which a
 *     monitoring rule fired (any action), or {@code null} when none did
 * @param detectors for every configured detector, in the policy's order, the index of the first
 *     query for which a rule fired that needed that detector's signal (every signal of a YAML rule's
 *     {@code when.signals}; the action's signal for another engine's rule), or {@code null}
 */
public record CallerResult(String caller, String tenant, long queries, Long firstAlarm,
        Map<String, Long> detectors) {
    public CallerResult {
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(tenant, "tenant");
        detectors = Collections.unmodifiableMap(new LinkedHashMap<>(detectors));
    }

    /** Whether any rule fired for this caller. */
    public boolean flagged() {
        return firstAlarm != null;
    }

    /**
     * The result as one JSON line, exactly
     * {@code {"caller": "...", "queries": N, "first_alarm": I or null, "detectors": {"<name>": I or null, ...}}},
     * with {@code , "tenant": "..."} after the detectors when the caller has a tenant: the replay
     * contract's keys come first and in its order, for harnesses that read the line as that format.
     */
    public String toJson() {
        StringBuilder b = new StringBuilder(64 + 24 * detectors.size());
        b.append("{\"caller\": ");
        quote(b, caller);
        b.append(", \"queries\": ").append(queries);
        b.append(", \"first_alarm\": ").append(firstAlarm == null ? "null" : firstAlarm.toString());
        b.append(", \"detectors\": {");
        boolean first = true;
        for (Map.Entry<String, Long> e : detectors.entrySet()) {
            if (!first) {
                b.append(", ");
            }
            first = false;
            quote(b, e.getKey());
            b.append(": ").append(e.getValue() == null ? "null" : e.getValue().toString());
        }
        b.append('}');
        if (!tenant.isEmpty()) {
            b.append(", \"tenant\": ");
            quote(b, tenant);
        }
        return b.append('}').toString();
    }

    /**
     * A JSON string: quotes, backslashes and the characters that hide or reorder text
     * ({@link ControlChars}: control characters, U+2028/U+2029, format characters such as U+202E,
     * unpaired surrogates) escaped, everything else as is.
     */
    static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    // every character that hides or reorders text (ControlChars: controls, DEL and
                    // C1, U+2028/9, format characters such as U+202E, lone surrogates), as \\uXXXX:
                    // the same JSON value, and a line that prints as its own text on a terminal
                    ControlChars.appendAt(b, s, i);
                }
            }
        }
        b.append('"');
    }
}
