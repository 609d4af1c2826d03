package dev.veil;

/**
 * The predict function a team already has. It may throw; the Guard turns any exception into a
 * denial with reason {@link ReasonCode#MODEL_ERROR} and never releases a partial answer.
 *
 * @param <I> the model's input type
 */
@FunctionalInterface
public interface PredictFunction<I> {
    Prediction predict(I input) throws Exception;
}
