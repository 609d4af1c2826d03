package dev.veil.internal.guard;

import dev.veil.spi.GuardSettings.OnStateUnavailable;
import dev.veil.spi.StateOp;
import dev.veil.spi.StateStore;
import dev.veil.spi.StateUnavailableException;
import java.util.function.Supplier;

/**
 * The Guard's state store plus, for {@code on_state_unavailable: local}, a local in-memory store
 * created the first time the shared one cannot be reached. Local state is a deliberate, logged
 * choice of the policy, never a silent fallback: with {@code deny} or {@code degrade} the
 * {@link StateUnavailableException} reaches the Guard.
 */
final class GuardState implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.veil.Guard");

    private final StateStore primary;
    private final Supplier<StateStore> localFactory;
    private volatile StateStore local;
    private volatile boolean primaryDown;

    GuardState(StateStore primary, Supplier<StateStore> localFactory) {
        this.primary = primary;
        this.localFactory = localFactory;
    }

    /** The store the Guard was built with (or its default in-memory one). */
    StateStore primary() {
        return primary;
    }

    Object[] execute(OnStateUnavailable mode, StateOp... ops) {
        try {
            Object[] r = primary.execute(ops);
            if (primaryDown) {
                primaryDown = false;
                LOG.log(System.Logger.Level.INFO, "state store '" + primary.name() + "' is reachable again");
            }
            return r;
        } catch (StateUnavailableException e) {
            if (mode != OnStateUnavailable.LOCAL) {
                throw e;
            }
            if (!primaryDown) {
                primaryDown = true;
                LOG.log(System.Logger.Level.WARNING, "state store '" + primary.name() + "' unavailable; using local "
                        + "state as the policy says (on_state_unavailable: local)", e);
            }
            return local().execute(ops);
        }
    }

    void submit(OnStateUnavailable mode, StateOp... ops) {
        try {
            primary.submit(ops);
        } catch (StateUnavailableException e) {
            if (mode == OnStateUnavailable.LOCAL) {
                local().submit(ops);
            }
            // Otherwise: history that could not be stored; the next execute reports the outage.
        }
    }

    private StateStore local() {
        StateStore l = local;
        if (l == null) {
            synchronized (this) {
                if (local == null) {
                    local = localFactory.get();
                }
                l = local;
            }
        }
        return l;
    }

    @Override
    public void close() {
        try {
            primary.close();
        } finally {
            StateStore l = local;
            if (l != null) {
                l.close();
            }
        }
    }
}
