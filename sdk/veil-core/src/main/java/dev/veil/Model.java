package dev.veil;

import java.util.Objects;

/**
 * A model as the Guard wraps it: its identity, its predict function and the feature view of its
 * input. Immutable; {@link Guard#swapModel(Model)} replaces one atomically.
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
