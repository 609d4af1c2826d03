package dev.veil.spi;

import java.util.Objects;

/**
 * Answer to the {@code logging} question: how the audit record treats each sensitive field.
 *
 * @param rule id of the deciding rule, or {@code default}
 * @param input the request's features; {@code mask} when not given: a digest of features with few
 *     possible values (tabular data) is reversed by hashing every candidate, so digesting is a choice a
 *     policy makes explicitly ({@code input: digest}), for inputs of high entropy such as images
 * @param output the released prediction
 * @param raw the raw prediction summary (top label, top score, margin, entropy)
 * @param caller the caller's attributes (id and roles are always kept)
 */
public record LoggingDecision(String rule, FieldMode input, FieldMode output, FieldMode raw, FieldMode caller) {
    public LoggingDecision {
        Objects.requireNonNull(rule, "rule");
        input = input == null ? FieldMode.MASK : input;
        output = output == null ? FieldMode.KEEP : output;
        raw = raw == null ? FieldMode.MASK : raw;
        caller = caller == null ? FieldMode.KEEP : caller;
    }

    /** Mask inputs, keep outputs, drop the raw summary, keep caller attributes. */
    public static final LoggingDecision DEFAULT =
            new LoggingDecision("default", FieldMode.MASK, FieldMode.KEEP, FieldMode.MASK, FieldMode.KEEP);
}
