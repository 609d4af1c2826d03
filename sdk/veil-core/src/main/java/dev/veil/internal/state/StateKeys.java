package dev.veil.internal.state;

import dev.veil.Caller;

/**
 * The key under which a caller's state is kept: rate buckets and quotas, blocks and throttles,
 * privacy budgets, and the built-in detectors' per-caller histories.
 *
 * <p>A caller is its id within its tenant: two tenants' callers of the same id (an API key
 * {@code svc-batch} of tenant acme, a token whose subject is {@code svc-batch} in tenant globex)
 * must not share a quota, nor block each other. The key is the id alone for a caller without a
 * tenant (the common single-tenant case), and
 * {@code t<length of tenant>:<tenant>:<id>} for one with a tenant. The mapping is one to one: an id
 * without a tenant that looks like that form ({@code t<digits>:...}) is written
 * {@code t0::<id>}.
 */
public final class StateKeys {
    private StateKeys() {}

    /**
     * The prefix of the list that marks a caller's privacy budget spent for the period
     * ({@link dev.veil.spi.StateOp.ListAppend} and {@link dev.veil.spi.StateOp.ListRead} of this
     * prefix and the caller's key). The mark protects: the in-memory store keeps these lists apart
     * from the detectors' and never forgets one to make room ({@link MemoryStateStore}).
     */
    public static final String BUDGET_SPENT = "budget-spent:";

    /**
     * The prefix of the keys of state kept per input, not per caller: {@code knn_global}'s counters
     * (one per occupied cell of each table, with the distinct inputs it counted). Anyone can make as many of
     * them as they send distinct inputs, so the in-memory store keeps them in a share of its memory
     * cap of their own: a flood of distinct inputs evicts only such counters, never a caller's or a
     * tenant's window ({@link MemoryStateStore}).
     */
    public static final String PER_INPUT = "kg:";

    /** The caller's state key. */
    public static String of(Caller c) {
        return of(c.id(), c.tenant());
    }

    /** The state key of the caller {@code id} of {@code tenant} ({@code ""}: none). */
    public static String of(String id, String tenant) {
        if (tenant.isEmpty()) {
            return looksTenanted(id) ? "t0::" + id : id;
        }
        return "t" + tenant.length() + ':' + tenant + ':' + id;
    }

    private static boolean looksTenanted(String id) {
        if (id.length() < 3 || id.charAt(0) != 't') {
            return false;
        }
        int i = 1;
        while (i < id.length() && id.charAt(i) >= '0' && id.charAt(i) <= '9') {
            i++;
        }
        return i > 1 && i < id.length() && id.charAt(i) == ':';
    }
}
