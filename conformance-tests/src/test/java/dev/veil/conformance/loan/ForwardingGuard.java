package dev.veil.conformance.loan;

import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Request;
import dev.veil.Response;

/** A Guard that forwards to a real one; the broken Guards of {@link GuardContractCatchesViolationsTest} override it. */
class ForwardingGuard<I> implements Guard<I> {
    final Guard<I> delegate;

    ForwardingGuard(Guard<I> delegate) {
        this.delegate = delegate;
    }

    @Override
    public Response predict(Request<I> request) {
        return delegate.predict(request);
    }

    @Override
    public void reload(PolicyBundle bundle) {
        delegate.reload(bundle);
    }

    @Override
    public void swapModel(Model<I> model) {
        delegate.swapModel(model);
    }

    @Override
    public PolicyBundle policy() {
        return delegate.policy();
    }

    @Override
    public ModelInfo model() {
        return delegate.model();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
