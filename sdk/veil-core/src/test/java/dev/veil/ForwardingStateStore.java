package dev.veil;

import dev.veil.spi.StateOp;
import dev.veil.spi.StateStore;

/** A state store that hands everything to another; tests override what they watch or change. */
public abstract class ForwardingStateStore implements StateStore {
    protected final StateStore inner;

    protected ForwardingStateStore(StateStore inner) {
        this.inner = inner;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public Object[] execute(StateOp... ops) {
        return inner.execute(ops);
    }

    @Override
    public void submit(StateOp... ops) {
        inner.submit(ops);
    }

    @Override
    public long bytesUsed() {
        return inner.bytesUsed();
    }

    @Override
    public void close() {
        inner.close();
    }
}
