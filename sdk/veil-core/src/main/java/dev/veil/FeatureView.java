package dev.veil;

/**
 * Derives the numeric {@link Features} that validation and monitoring read from a model input. A
 * feature view that throws gets the request denied with {@code invalid_input}; one that throws
 * {@link InterruptedException} (it waited, and the thread was interrupted) with
 * {@code internal_error}, and the Guard sets the thread's interrupt flag again before
 * {@code predict} returns.
 *
 * @param <I> the model's input type
 */
@FunctionalInterface
public interface FeatureView<I> {
    Features features(I input);
}
