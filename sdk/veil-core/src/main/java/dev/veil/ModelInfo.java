package dev.veil;

import java.time.Instant;
import java.util.Objects;

/**
 * Identity and age of a model. The {@code model} policy section compares {@link #trainedAt()} with
 * the current time to enforce a maximum model age ("frequent retraining").
 *
 * @param name the model's name, e.g. {@code fashion-classifier}
 * @param version the model's version, e.g. {@code 2026-11-01.3}
 * @param trainedAt when its training data was fixed
 */
public record ModelInfo(String name, String version, Instant trainedAt) {
    public ModelInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(trainedAt, "trainedAt");
        if (name.isBlank()) {
            throw new IllegalArgumentException("model name must not be blank");
        }
        if (version.isBlank()) {
            throw new IllegalArgumentException("model version must not be blank");
        }
    }

    public static ModelInfo of(String name, String version, Instant trainedAt) {
        return new ModelInfo(name, version, trainedAt);
    }
}
