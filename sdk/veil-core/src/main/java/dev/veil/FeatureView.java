package dev.veil;

/**
 * Derives the numeric {@link Features} that validation and monitoring read from a model input.
 *
 * @param <I> the model's input type
 */
@FunctionalInterface
public interface FeatureView<I> {
    Features features(I input);
}
