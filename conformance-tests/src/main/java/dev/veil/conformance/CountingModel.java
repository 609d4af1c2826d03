package dev.veil.conformance;

import dev.veil.Model;
import dev.veil.Prediction;
import java.util.concurrent.atomic.AtomicInteger;

/** Wraps a model so that a {@link GuardContract} sees every call the Guard makes to it. Thread-safe. */
final class CountingModel<I> {
    private final AtomicInteger calls = new AtomicInteger();
    private volatile Prediction last;
    private final Model<I> model;

    CountingModel(Model<I> real) {
        this.model = Model.of(real.info(), input -> {
            calls.incrementAndGet();
            Prediction p = real.predictFunction().predict(input);
            last = p;
            return p;
        }, real.featureView());
    }

    /** The model to hand to the Guard. */
    Model<I> model() {
        return model;
    }

    /** Calls so far. */
    int calls() {
        return calls.get();
    }

    /** The prediction of the latest call, or {@code null}. Meaningful only when one thread asks. */
    Prediction last() {
        return last;
    }
}
