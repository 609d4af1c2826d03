package dev.veil.internal.monitor;

import dev.veil.Signal;
import dev.veil.internal.state.PackedEntries;
import dev.veil.spi.Query;
import dev.veil.spi.StateOp;
import java.security.SecureRandom;
import java.util.List;

/**
 * A detector that reads one bounded list of the caller's earlier answers: {@link #plan} reads it,
 * {@link #evaluate(Query, List)} computes the signal from it, and the subclass's {@code record}
 * appends this query's entry under {@link #key}. Shared by {@code boundary}, {@code class_focus}
 * and {@code confidence_climb}.
 *
 * <p><b>Resent queries</b> (for {@code boundary} and {@code class_focus}): a client that retries a
 * request sends the same input again and gets the same answer, which, remembered twice, would
 * count twice in the caller's shares. So each entry ends with a 4-byte tag of the query's input
 * (a {@link CopyHash} of its values), and an answer whose input has the tag of an entry still in
 * the caller's history is not remembered again. The hash is keyed by a random key drawn when the
 * detector is made, which never leaves the process: an attacker cannot make distinct probes pass as
 * repeats (a probe not remembered would not count), and two inputs share a tag by a chance of about
 * 2^-32. A Guard in another process (sharing the state through Redis) draws its own key, so a retry
 * that reaches another replica is remembered again, as before; nothing else depends on the key.
 */
abstract class AnswerHistoryDetector implements StatefulDetector {
    private static final SecureRandom KEYS = new SecureRandom();
    /** Bytes of the input's tag at the end of each entry, when {@link #copies} is set. */
    static final int TAG_BYTES = 4;

    private final String name;
    private final String keyPrefix;
    /** The size of one history entry, the input's tag included where there is one. */
    private final int entryBytes;
    /** The keyed hash by which a resent input is recognised; {@code null}: every answer is remembered. */
    private final CopyHash copies;

    /**
     * @param name the detector's name in the policy
     * @param kind the state key's prefix, e.g. {@code boundary}
     * @param entryBytes the size of one history entry, the input's tag included where there is one
     * @param repeatsOnce whether an answer to an input still in the history is not remembered again
     *     (entries then end with the input's {@value #TAG_BYTES}-byte tag)
     */
    AnswerHistoryDetector(String name, String kind, int entryBytes, boolean repeatsOnce) {
        this.name = name;
        this.keyPrefix = kind + ":" + name + ":";
        this.entryBytes = entryBytes;
        this.copies = repeatsOnce ? new CopyHash(KEYS.nextLong()) : null;
    }

    /** The input's tag and, once evaluated, whether the history holds it: the context of one query. */
    static final class Repeat {
        final int tag;
        boolean seen;

        Repeat(int tag) {
            this.tag = tag;
        }
    }

    @Override
    public final String name() {
        return name;
    }

    /** The caller's history list. */
    final String key(Query q) {
        return keyPrefix + dev.veil.internal.state.StateKeys.of(q.caller());
    }

    @Override
    public final Object plan(Query q, List<StateOp> ops) {
        ops.add(new StateOp.ListRead(key(q)));
        if (copies == null) {
            return null;
        }
        long h = copies.of(q.features().vector());
        return new Repeat((int) (h ^ (h >>> 32)));
    }

    @Override
    public final Signal evaluate(Query q, Object context, Object[] results, int from) {
        @SuppressWarnings("unchecked")
        List<byte[]> history = (List<byte[]>) results[from];
        if (context instanceof Repeat r) {
            int stride = entryBytes;
            PackedEntries packed = PackedEntries.of(history, stride); // the store's own array: no copy
            byte[] data = packed.array();
            for (int i = 0, at = packed.offset() + stride - TAG_BYTES; i < packed.size(); i++, at += stride) {
                if (AnswerSketch.getInt(data, at) == r.tag) {
                    r.seen = true;
                    break;
                }
            }
        }
        return evaluate(q, history);
    }

    /** One history entry per remembered query. */
    @Override
    public final long bytesPerQuery() {
        return entryBytes;
    }

    /**
     * The entry to remember for this query, {@code value} (the subclass's first 4 bytes) followed by
     * the input's tag, or {@code null} when the history already holds the same input (a retry). For
     * a detector made with {@code repeatsOnce}: {@code context} is what its {@link #plan} returned.
     */
    static byte[] entry(Object context, int value) {
        Repeat r = (Repeat) context;
        if (r.seen) {
            return null;
        }
        byte[] e = new byte[4 + TAG_BYTES];
        AnswerSketch.putInt(e, 0, value);
        AnswerSketch.putInt(e, 4, r.tag);
        return e;
    }

    /** The signal for {@code q} given the caller's earlier entries, oldest first. */
    abstract Signal evaluate(Query q, List<byte[]> history);
}
