package dev.veil.internal.guard;

import dev.veil.internal.state.MemoryStateStore;
import dev.veil.internal.text.ControlChars;
import dev.veil.spi.GuardSettings.OnStateUnavailable;
import dev.veil.spi.StateOp;
import dev.veil.spi.StateStore;
import dev.veil.spi.StateUnavailableException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The Guard's state store plus, for {@code on_state_unavailable: local}, a local in-memory store
 * created the first time the shared one cannot be reached. Local state is a deliberate, logged
 * choice of the policy, never a silent fallback: with {@code deny} or {@code degrade} the
 * {@link StateUnavailableException} reaches the Guard.
 *
 * <p>What local state must not lose when the shared store returns:
 * <ul>
 *   <li>blocks and throttles set on local state are written to the shared store before its first
 *       batch after the outage (a caller blocked during the outage stays blocked), by a background
 *       thread that tries every {@value #RESTORE_RETRY_MILLIS} ms while some are held back (so that an
 *       idle replica does not keep them from the others), or when the Guard closes (logged, naming
 *       them, if the store is still unreachable then);</li>
 *   <li>privacy budget is never spent on local state: a {@link StateOp.Charge} during an outage
 *       fails as under {@code deny}, so the Guard treats the budget as spent; spending recorded in
 *       one replica's memory would be forgotten when the shared ledger returns.</li>
 * </ul>
 * Rate limits, quotas and detector windows count this replica's requests alone during the outage,
 * and those counts are not added to the shared ones afterwards.
 */
final class GuardState implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.veil.Guard");

    private final StateStore primary;
    private final Supplier<StateStore> localFactory;
    private final Clock clock;
    private volatile StateStore local;
    private volatile boolean primaryDown;
    /** Cool-downs set on local state, for the shared store: per caller, a block and a throttle as the stores merge them. */
    private final ConcurrentHashMap<String, StateOp> heldBack = new ConcurrentHashMap<>();
    /**
     * Writes the held-back cool-downs to the shared store once it is back, also when no request
     * comes (an idle replica would keep them from the others until its next request); runs only
     * while some are held back.
     */
    private Thread restorer;
    private boolean closed;

    /** How long the restorer waits between tries (the Redis client reconnects at most 1 s apart). */
    static final long RESTORE_RETRY_MILLIS = 1000;

    GuardState(StateStore primary, Supplier<StateStore> localFactory, Clock clock) {
        this.primary = primary;
        this.localFactory = localFactory;
        this.clock = clock;
    }

    /** The store the Guard was built with (or its default in-memory one). */
    StateStore primary() {
        return primary;
    }

    /**
     * Whether the store that answered a batch found the caller blocked only because its table of
     * blocked and throttled callers overflowed (the in-memory store's fail-closed state; see
     * {@link MemoryStateStore}), not by a block of the caller's own.
     *
     * @param servedLocally whether local state answered the batch
     */
    boolean blockedByOverflow(String caller, boolean servedLocally) {
        StateStore s = servedLocally ? local : primary;
        return s instanceof MemoryStateStore m && m.blockedOnlyByOverflow(caller);
    }

    Object[] execute(OnStateUnavailable mode, StateOp... ops) {
        return execute(mode, null, ops);
    }

    /**
     * Runs a batch on the shared store or, under {@code local} while it cannot be reached, on local
     * state.
     *
     * @param servedLocally when not null, its first element is set to whether local state answered
     */
    Object[] execute(OnStateUnavailable mode, boolean[] servedLocally, StateOp... ops) {
        if (mode == OnStateUnavailable.LOCAL && primaryDown && chargesBudget(ops)) {
            // A charge is never made on local state, and while local state is in use the shared
            // store just failed this request's batch: do not wait for it a second time.
            throw new StateUnavailableException("state store '" + primary.name() + "' is unavailable (local state "
                    + "in use); privacy budget is not spent on local state");
        }
        try {
            if (!heldBack.isEmpty()) {
                restoreBeforeBatch(ops);
            }
            Object[] r = primary.execute(ops);
            if (primaryDown) {
                primaryDown = false;
                if (switchLogged(true)) {
                    LOG.log(System.Logger.Level.INFO, ControlChars.escaped("state store '" + primary.name()
                            + "' is reachable again" + unlogged()));
                }
            }
            return r;
        } catch (StateUnavailableException e) {
            if (mode != OnStateUnavailable.LOCAL || chargesBudget(ops)) {
                throw e;
            }
            if (!primaryDown) {
                primaryDown = true;
                if (switchLogged(false)) {
                    LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("state store '" + primary.name()
                            + "' unavailable; using local state as the policy says (on_state_unavailable: local)"
                            + unlogged()), e);
                }
            }
            Object[] r = local().execute(ops);
            if (holdBack(ops)) {
                startRestorer();
            }
            if (servedLocally != null) {
                servedLocally[0] = true;
            }
            return r;
        }
    }

    /**
     * Switches between the shared store and local state are logged at most once a minute each way
     * (a Redis that is full answers blocked and throttled callers and refuses the others, so requests
     * would switch back and forth, a warning with a stack trace each time: a review, 2 December
     * 2026); the next line logged says how many were not.
     */
    static final long SWITCH_LOG_NANOS = 60_000_000_000L;
    private final long[] lastSwitchLog = {Long.MIN_VALUE, Long.MIN_VALUE}; // [to local, back], System.nanoTime
    private long unloggedSwitches;

    /** Whether this switch ({@code back}: to the shared store) is logged; counts it otherwise. */
    private synchronized boolean switchLogged(boolean back) {
        long now = System.nanoTime();
        int i = back ? 1 : 0;
        if (lastSwitchLog[i] != Long.MIN_VALUE && now - lastSwitchLog[i] < SWITCH_LOG_NANOS) {
            unloggedSwitches++;
            return false;
        }
        lastSwitchLog[i] = now;
        return true;
    }

    /** The switches not logged since the last line, as the end of the next (empty: none). */
    private synchronized String unlogged() {
        long n = unloggedSwitches;
        unloggedSwitches = 0;
        return n == 0 ? "" : " (" + n + " switch(es) between the shared store and local state since the last such "
                + "line were not logged: at most one line a minute each way)";
    }

    /**
     * Writes the held-back cool-downs before a batch. When the store answers with a refusal
     * ({@link StateUnavailableException#answered}: it is reachable), the batch is still sent if its
     * caller has none held back: a store that refuses writes may still answer a batch without one (a
     * full Redis reads a caller's block or throttle), where local state knows neither. Before, one
     * cool-down held back sent every caller to local state for as long as Redis was full, a caller
     * throttled or blocked in Redis included (a review, 2 December 2026). A store that did not answer
     * is not waited for a second time, and a caller with one held back never reaches the shared store
     * before it is written.
     */
    private void restoreBeforeBatch(StateOp[] ops) {
        try {
            restoreHeldBack();
        } catch (StateUnavailableException e) {
            if (!e.answered() || !(ops.length > 0 && ops[0] instanceof StateOp.BlockedUntil b)
                    || heldBack.containsKey(blockKey(b.caller())) || heldBack.containsKey(throttleKey(b.caller()))) {
                throw e;
            }
        }
    }

    /** The key of a caller's held-back block in {@link #heldBack}. */
    private static String blockKey(String caller) {
        return "b:" + caller;
    }

    /** The key of a caller's held-back throttle in {@link #heldBack}. */
    private static String throttleKey(String caller) {
        return "t:" + caller;
    }

    private static boolean chargesBudget(StateOp[] ops) {
        for (StateOp op : ops) {
            if (op instanceof StateOp.Charge) {
                return true;
            }
        }
        return false;
    }

    /**
     * Keeps the cool-downs of a batch run on local state, the latest per caller and kind.
     *
     * @return whether the batch held one
     */
    private boolean holdBack(StateOp[] ops) {
        boolean any = false;
        for (StateOp op : ops) {
            if (op instanceof StateOp.Block b) {
                any = true;
                heldBack.merge(blockKey(b.caller()), b, (old, nu) -> until(old) >= until(nu) ? old : nu);
            } else if (op instanceof StateOp.Throttle t) {
                any = true;
                // as the stores merge two throttles: the lower rate until the later end
                heldBack.merge(throttleKey(t.caller()), t, (old, nu) -> {
                    StateOp.Throttle o = (StateOp.Throttle) old;
                    StateOp.Throttle n = (StateOp.Throttle) nu;
                    return new StateOp.Throttle(n.caller(), Math.min(o.perSecond(), n.perSecond()),
                            Math.max(o.untilMillis(), n.untilMillis()));
                });
            }
        }
        return any;
    }

    /** Starts the restorer unless it runs (or the state is closed). */
    private synchronized void startRestorer() {
        if (restorer != null || closed) {
            return;
        }
        Thread t = new Thread(this::restoreInBackground, "veil-state-restore");
        t.setDaemon(true);
        restorer = t;
        t.start();
    }

    /**
     * Tries to write the held-back cool-downs every {@link #RESTORE_RETRY_MILLIS} until none is left;
     * a request that reaches the shared store first writes them itself (the stores merge a cool-down
     * written twice into one).
     */
    private void restoreInBackground() {
        while (true) {
            try {
                Thread.sleep(RESTORE_RETRY_MILLIS);
            } catch (InterruptedException e) {
                break; // closing
            }
            synchronized (this) {
                if (closed) {
                    break;
                }
                if (heldBack.isEmpty()) {
                    restorer = null; // a cool-down held back from now on starts a new one
                    return;
                }
            }
            try {
                restoreHeldBack();
            } catch (RuntimeException e) {
                // still unreachable: the next try, a request, or close() writes them (close() names those it cannot)
            }
        }
        synchronized (this) {
            restorer = null;
        }
    }

    private static long until(StateOp op) {
        return op instanceof StateOp.Block b ? b.untilMillis() : ((StateOp.Throttle) op).untilMillis();
    }

    /**
     * Writes the cool-downs set on local state to the shared store, those still running; throws
     * {@link StateUnavailableException} (and keeps them) when it still cannot be reached.
     */
    private void restoreHeldBack() {
        long now = clock.millis();
        Map<String, StateOp> batch = new HashMap<>(heldBack);
        List<StateOp> running = new ArrayList<>();
        for (StateOp op : batch.values()) {
            if (until(op) > now) {
                running.add(op);
            }
        }
        if (!running.isEmpty()) {
            primary.execute(running.toArray(StateOp[]::new));
            LOG.log(System.Logger.Level.INFO, ControlChars.escaped(running.size() + " block(s) and throttle(s) set on local state during the "
                    + "outage were written to state store '" + primary.name() + "'"));
        }
        batch.forEach(heldBack::remove); // only those written: a newer one set meanwhile stays
    }

    /**
     * Sends the ops without waiting for them.
     *
     * @throws StateUnavailableException when the store refuses them right now and {@code mode} is not
     *     {@code LOCAL} (with {@code LOCAL}, local state takes them). A failure after they were sent
     *     is the store's to count; the next {@link #execute} reports the outage.
     */
    void submit(OnStateUnavailable mode, StateOp... ops) {
        if (mode == OnStateUnavailable.LOCAL && primaryDown) {
            // This request was decided on local state: what its detectors remember goes there too
            // (a stalled shared store would take it, and time it out, while local state stayed blind).
            local().submit(ops);
            return;
        }
        try {
            primary.submit(ops);
        } catch (StateUnavailableException e) {
            if (mode != OnStateUnavailable.LOCAL) {
                throw e;
            }
            local().submit(ops);
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

    /**
     * Closes the stores, first writing the cool-downs still held back to the shared store: a replica
     * that closes before its next request would otherwise take them along. When the shared store still
     * cannot be reached, says which were not written (the other replicas do not enforce them).
     */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = restorer;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(RESTORE_RETRY_MILLIS); // a try under way ends with the store's timeout; close() tries again below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            if (!heldBack.isEmpty()) {
                try {
                    restoreHeldBack();
                } catch (RuntimeException e) {
                    long now = clock.millis();
                    List<String> lost = new ArrayList<>();
                    for (StateOp op : heldBack.values()) {
                        if (until(op) > now) {
                            lost.add((op instanceof StateOp.Block b ? "block of " + b.caller()
                                    : "throttle of " + ((StateOp.Throttle) op).caller()) + " until "
                                    + java.time.Instant.ofEpochMilli(until(op)));
                        }
                    }
                    if (!lost.isEmpty()) {
                        java.util.Collections.sort(lost);
                        LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("state store '" + primary.name()
                                + "' is still unreachable as the Guard closes: " + lost.size() + " block(s) and "
                                + "throttle(s) set on local state during the outage were not written to it, so other "
                                + "replicas do not enforce them: " + String.join(", ", lost) + " (" + e.getMessage()
                                + ")"));
                    }
                }
            }
            primary.close();
        } finally {
            StateStore l = local;
            if (l != null) {
                l.close();
            }
        }
    }
}
