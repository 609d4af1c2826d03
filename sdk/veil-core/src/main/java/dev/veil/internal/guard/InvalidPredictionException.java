package dev.veil.internal.guard;

/**
 * What {@link dev.veil.Prediction}'s factories throw for an answer they cannot build (no label, or
 * as many scores as labels): an {@link IllegalArgumentException} whose message Veil wrote and which
 * quotes no input and no score, only counts. So the Guard logs it when a predict function lets it
 * out, where it leaves other exceptions' messages out (they may quote the input).
 */
public final class InvalidPredictionException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidPredictionException(String message) {
        super(message);
    }
}
