package dev.veil;

/**
 * The predict function a team already has. It may throw; the Guard turns any exception into a
 * denial with reason {@link ReasonCode#MODEL_ERROR} and never releases a partial answer. An
 * {@link InterruptedException} (its own timeout's wait, interrupted) is denied the same way, and the
 * Guard sets the thread's interrupt flag again before {@code predict} returns. Return a
 * {@link Prediction} whose scores array is fresh for this answer (see {@link Prediction}).
 *
 * @param <I> the model's input type
 */
@FunctionalInterface
public interface PredictFunction<I> {
    Prediction predict(I input) throws Exception;
}
