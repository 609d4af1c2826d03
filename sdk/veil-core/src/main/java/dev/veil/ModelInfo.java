package dev.veil;

import java.time.Instant;
import java.util.Objects;

/**
 * Identity and age of a model. The {@code model} policy section compares {@link #trainedAt()} with
 * the current time to enforce a maximum model age ("frequent retraining").
 *
 * @param name the model's name, e.g. {@code fashion-classifier}
 * @param version the model's version, e.g. {@code 2026-11-01.3}
 * @param trainedAt when its training data was fixed: a date from {@code 0001-01-01T00:00:00Z} to
 *     {@code 9999-12-31T23:59:59.999999999Z} (the years 1 to 9999), else
 *     {@link IllegalArgumentException}; not a placeholder such as {@link Instant#MIN}, from which no
 *     age can be measured (a Guard also refuses a date more than a day after its clock's time)
 */
public record ModelInfo(String name, String version, Instant trainedAt) {
    private static final Instant EARLIEST_TRAINED_AT = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST_TRAINED_AT = Instant.parse("9999-12-31T23:59:59.999999999Z");
    private static final String SET_TRAINED_AT = "set ModelInfo.trainedAt to when the model's training data was "
            + "fixed, a date from " + EARLIEST_TRAINED_AT + " to " + LATEST_TRAINED_AT + " (the policy's "
            + "max_age_days is measured from it)";

    public ModelInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        if (name.isBlank()) {
            throw new IllegalArgumentException("model name must not be blank");
        }
        if (version.isBlank()) {
            throw new IllegalArgumentException("model version must not be blank");
        }
        if (trainedAt == null) {
            throw new NullPointerException("model " + name + "@" + version + " has no training date (trainedAt is "
                    + "null): " + SET_TRAINED_AT);
        }
        if (trainedAt.isBefore(EARLIEST_TRAINED_AT) || trainedAt.isAfter(LATEST_TRAINED_AT)) {
            // Instant.MIN or MAX as "unknown": the model's age would overflow at every request
            throw new IllegalArgumentException("model " + name + "@" + version + " was trained at " + trainedAt
                    + ", which is not a real training date: " + SET_TRAINED_AT);
        }
    }

    public static ModelInfo of(String name, String version, Instant trainedAt) {
        return new ModelInfo(name, version, trainedAt);
    }
}
