package dev.veil.redis.internal;

import dev.veil.spi.StateOp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads the reply of {@code batch.lua}: one element per op, typed as {@link StateOp} documents. */
public final class ReplyDecoder {
    private static final StateOp.Permit[] PERMITS = StateOp.Permit.values();
    private static final StateOp.Budget[] BUDGETS = StateOp.Budget.values();

    private ReplyDecoder() {}

    /**
     * A batch's reply, decoded.
     *
     * @param number the batch's number: the namespace's count of batches after it (batch.lua)
     * @param lost whether Redis no longer held the sender's mark: it lost writes it had acknowledged
     * @param results one per op, {@code null} for those after a block that ended the batch
     */
    public record Reply(long number, boolean lost, Object[] results) {}

    /** The batch's number and whether Redis lost the sender's mark, of any op's reply; the results are not read. */
    public static Reply header(Object reply) {
        if (!(reply instanceof List<?> list) || list.size() < 2 || !(list.get(0) instanceof Long number) || number < 1
                || !(list.get(1) instanceof Long lost) || lost != 0 && lost != 1) {
            throw mismatch(new StateOp[0], reply);
        }
        return new Reply(number, lost == 1, null);
    }

    /**
     * Decodes a reply: the batch's number, whether Redis lost the sender's mark (batch.lua), then one
     * result per op. A reply with fewer results than
     * the batch has ops is one that a {@link StateOp.BlockedUntil} ended (its caller blocked): the ops
     * after it were not run, and their results are {@code null}.
     *
     * @throws IllegalStateException when the reply does not have the shape the ops need (a script
     *     of another version answered)
     */
    public static Reply decode(StateOp[] ops, Object reply) {
        Reply head = header(reply);
        List<?> list = (List<?>) reply;
        int n = list.size() - 2;
        if (n > ops.length || n == 0 && ops.length > 0) {
            throw mismatch(ops, reply);
        }
        Object[] out = new Object[ops.length];
        for (int i = 0; i < n; i++) {
            out[i] = decode(ops[i], list.get(i + 2));
        }
        int last = n - 1;
        if (n < ops.length && !(ops[last] instanceof StateOp.BlockedUntil b && (Long) out[last] > b.nowMillis())) {
            throw mismatch(ops, reply); // only a block ends a batch early
        }
        return new Reply(head.number(), head.lost(), out);
    }

    private static IllegalStateException mismatch(StateOp[] ops, Object reply) {
        return new IllegalStateException("the batch script answered " + describe(reply) + " for " + ops.length
                + " operations (the batch's number, 0 or 1, and a result per operation expected); is another "
                + "version of veil-redis using this Redis with the same script?");
    }

    private static Object decode(StateOp op, Object r) {
        if (op instanceof StateOp.BlockedUntil || op instanceof StateOp.CountInWindow
                || op instanceof StateOp.CountNewInWindow) {
            return asLong(r);
        } else if (op instanceof StateOp.Block || op instanceof StateOp.Throttle) {
            return null;
        } else if (op instanceof StateOp.Acquire) {
            return PERMITS[(int) asLong(r)];
        } else if (op instanceof StateOp.Charge) {
            return BUDGETS[(int) asLong(r)];
        } else if (op instanceof StateOp.ListRead || op instanceof StateOp.ListAppend) {
            List<?> l = asList(r);
            List<byte[]> entries = new ArrayList<>(l.size());
            for (Object e : l) {
                entries.add((byte[]) e);
            }
            return entries;
        } else if (op instanceof StateOp.Fingerprint) {
            List<?> l = asList(r);
            int shared = (int) asLong(l.get(1));
            return shared == 0 ? StateOp.FingerprintMatch.NONE
                    : new StateOp.FingerprintMatch(new String((byte[]) l.get(0), StandardCharsets.UTF_8), shared);
        }
        throw new IllegalArgumentException("unsupported state operation " + op.getClass().getSimpleName());
    }

    private static long asLong(Object r) {
        if (r instanceof Long l) {
            return l;
        }
        throw new IllegalStateException("the batch script answered " + describe(r) + " where a number was expected");
    }

    private static List<?> asList(Object r) {
        if (r instanceof List<?> l) {
            return l;
        }
        throw new IllegalStateException("the batch script answered " + describe(r) + " where a list was expected");
    }

    private static String describe(Object r) {
        return r == null ? "nothing" : r instanceof List<?> l ? "a list of " + l.size() : r.getClass().getSimpleName();
    }
}
