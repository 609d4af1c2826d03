package dev.veil;

import java.util.Objects;

/**
 * A model as the Guard wraps it: its identity, its predict function and the feature view of its
 * input. Immutable; {@link Guard#swapModel(Model)} replaces one atomically.
 *
 * <p>The predict function must return a {@link Prediction} whose scores array is its own for that
 * answer: one array reused across calls that run at once can have another request's answer
 * released to a caller ({@link Prediction}, "A fresh scores array per answer"). It is given the
 * request's own input ({@link Request#input()}), not what the Guard validated: the input must not
 * change until {@code predict} returns.
 *
 * @param <I> the model's input type
 */
public final class Model<I> {
    private final ModelInfo info;
    private final PredictFunction<I> predict;
    private final FeatureView<I> features;

    private Model(ModelInfo info, PredictFunction<I> predict, FeatureView<I> features) {
        this.info = Objects.requireNonNull(info, "info");
        this.predict = Objects.requireNonNull(predict, "predict");
        this.features = Objects.requireNonNull(features, "features");
    }

    public static <I> Model<I> of(ModelInfo info, PredictFunction<I> predict, FeatureView<I> features) {
        return new Model<>(info, predict, features);
    }

    /**
     * For models whose input already is a {@code double[]}. The model receives the caller's array and
     * may change it, so the Guard takes its own copy whenever something reads the values after the
     * model has had them (an audit log that keeps or digests the input, some detectors: see
     * {@link Features}, "Ownership"). When the service builds a fresh array per request and the model
     * does not write to its input, {@code Model.of(info, predict, Features::ofOwned)} saves the copy.
     *
     * <p>The Guard's copy protects what it records, not what the model reads: the model is given
     * the caller's array, not the copy that was validated, so the caller must not change the array
     * until {@code predict} returns (a pooled buffer handed back early would reach the model with
     * values nothing checked).
     */
    public static Model<double[]> ofVector(ModelInfo info, PredictFunction<double[]> predict) {
        return new Model<>(info, predict, Features::of);
    }

    public ModelInfo info() {
        return info;
    }

    public PredictFunction<I> predictFunction() {
        return predict;
    }

    public FeatureView<I> featureView() {
        return features;
    }

    @Override
    public String toString() {
        return "Model[" + info.name() + "@" + info.version() + "]";
    }
}
