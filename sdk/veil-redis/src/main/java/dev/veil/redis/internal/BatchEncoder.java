package dev.veil.redis.internal;

import dev.veil.spi.GuardSettings.PrivacyBudget;
import dev.veil.spi.PrivacyUnits;
import dev.veil.spi.RateLimit;
import dev.veil.spi.StateOp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a batch of {@link StateOp}s into the KEYS and ARGV of one call of {@code batch.lua}. The
 * Lua script reads them back in the same order; both change together.
 *
 * <p>Key layout under the namespace {@code ns} (see the module README):
 * <pre>
 *   ns gen                 string the state generation every batch checks (no time to live)
 *   ns gen:count           string the namespace's count of batches, each batch's number (no time
 *                                 to live; batch.lua)
 *   ns gen:marks           hash   the token of each of the latest 1,024 batches, by number modulo
 *                                 1,024 (no time to live): a sender's mark checked against it
 *   ns b:&lt;caller&gt;          hash   block and throttle of a caller (BlockedUntil, Block, Throttle, Acquire)
 *   ns r:&lt;caller&gt;          hash   rate bucket and daily quota of a caller (Acquire)
 *   ns p:g                 hash   global privacy ledger and current period (Charge)
 *   ns p:c:&lt;caller&gt;        hash   a caller's privacy ledger (Charge)
 *   ns w:&lt;key&gt;             hash   sliding-window counter, 12 slots (CountInWindow), and the members
 *                                 it remembers with their times (CountNewInWindow)
 *   ns l:&lt;key&gt;             list   bounded list (ListRead, ListAppend)
 *   ns f:&lt;index&gt;:m       string a fingerprint index's query count, bucket level, split and sweep
 *                                 cursor, most hashes, numbers' modulus and epoch (Fingerprint;
 *                                 batch.lua, ops.F)
 *   ns f:&lt;index&gt;:q&lt;epoch&gt;.&lt;n&gt;  hash  queries 64n to 64n + 63 of the index: member and deadline
 *   ns f:&lt;index&gt;:h&lt;epoch&gt;.&lt;n&gt;  hash  bucket n of the index: hash (low 32 bits) -&gt; numbers
 *                                 of its queries (the first modulo the index's modulus)
 * </pre>
 *
 * <p>Numbers that the in-memory store computes with Bucket4j and {@code PrivacyLedger} are computed
 * here by the same code ({@link RateLimit#refillNanos}, {@link PrivacyUnits}: refill periods, privacy
 * units and period ends), so both stores round identically.
 */
public final class BatchEncoder {
    private static final long LIMB = 1_000_000_000L;

    private final byte[] namespace;
    private final int maxLedgerCallers;
    private final long maxCallerIndexQueries;
    private final long maxSharedIndexQueries;

    /**
     * An encoder.
     *
     * @param namespace prefix of every key, e.g. {@code veil:{fashion}:}
     * @param maxLedgerCallers how many callers may spend privacy budget per period (the in-memory
     *     ledger's bound; beyond it a new caller's charge is refused with TOO_MANY_CALLERS)
     * @param maxCallerIndexQueries the most queries one caller's fingerprint index remembers
     *     ({@link StateOp.Fingerprint#perCaller})
     * @param maxSharedIndexQueries the most queries any other fingerprint index remembers
     */
    public BatchEncoder(String namespace, int maxLedgerCallers, long maxCallerIndexQueries,
            long maxSharedIndexQueries) {
        this.namespace = namespace.getBytes(StandardCharsets.UTF_8);
        this.maxLedgerCallers = maxLedgerCallers;
        this.maxCallerIndexQueries = maxCallerIndexQueries;
        this.maxSharedIndexQueries = maxSharedIndexQueries;
    }

    /** The key of the namespace's state generation (no time to live; see batch.lua). */
    public byte[] generationKey() {
        return key("", "gen");
    }

    /** The key of the namespace's count of batches, which numbers each batch (no time to live; see batch.lua). */
    public byte[] countKey() {
        return key("", "gen:count");
    }

    /** The key of the tokens of the namespace's latest batches, by number (no time to live; see batch.lua). */
    public byte[] marksKey() {
        return key("", "gen:marks");
    }

    /**
     * The latest batch a store saw answered: its number and token (see batch.lua), or
     * {@link #NO_MARK}.
     */
    public record Mark(long number, byte[] token) {}

    /** A store's mark before any batch of it was answered. */
    public static final Mark NO_MARK = new Mark(0, new byte[0]);

    /** The key of a caller's blocks and throttles ({@code ns b:<caller>}). */
    public byte[] coolDownKey(String caller) {
        return key("b:", caller);
    }

    /**
     * A key of the namespace that no store writes, which {@code build()} names when it tries the ACL
     * user's commands without changing anything (RedisBatchClient.refusedCommands). It cannot be
     * another namespace's key: after a namespace, another's keys go on with a kind or {@code gen}.
     */
    public byte[] aclCheckKey() {
        return key("", "gen:acl-check");
    }

    /** ARGV[2] of a batch that Redis must run whenever it arrives ({@code submit}). */
    static final byte[] NO_DEADLINE = {'0'};

    /** The KEYS and ARGV of one script call. */
    public record Encoded(byte[][] keys, byte[][] args) {}

    /**
     * Encodes a batch.
     *
     * @param clockNow the store clock's time, for {@link StateOp.Block} and {@link StateOp.Throttle}
     * @param generation the state generation the batch expects to find in Redis
     * @param mark the latest batch of the sender that was answered, which Redis checks it still holds
     * @param token this batch's token, which Redis keeps for its number
     * @throws IllegalArgumentException for an operation this encoder does not know (limits and throttles
     *     too slow to count cannot be made: their constructors refuse them, for both stores)
     */
    public Encoded encode(long clockNow, byte[] generation, Mark mark, byte[] token, StateOp... ops) {
        List<byte[]> keys = new ArrayList<>(ops.length * 2 + 3);
        List<byte[]> args = new ArrayList<>(ops.length * 6 + 6);
        keys.add(generationKey());
        keys.add(countKey());
        keys.add(marksKey());
        args.add(num(clockNow));
        args.add(NO_DEADLINE); // RedisBatchClient.execute sets the deadline when it sends the batch
        args.add(generation);
        args.add(num(mark.number()));
        args.add(mark.token());
        args.add(token);
        for (StateOp op : ops) {
            if (op instanceof StateOp.BlockedUntil b) {
                keys.add(key("b:", b.caller()));
                args.add(code('U'));
                args.add(num(b.nowMillis()));
            } else if (op instanceof StateOp.Block b) {
                keys.add(key("b:", b.caller()));
                args.add(code('B'));
                args.add(num(b.untilMillis()));
            } else if (op instanceof StateOp.Throttle t) {
                long cap = RateLimit.defaultBurst(t.perSecond());
                keys.add(key("b:", t.caller()));
                args.add(code('T'));
                args.add(ascii(Double.toString(t.perSecond())));
                args.add(num(cap));
                args.add(num(RateLimit.refillNanos(cap, t.perSecond()))); // >= 1: the op refused a slower rate
                args.add(num(t.untilMillis()));
            } else if (op instanceof StateOp.Acquire a) {
                keys.add(key("r:", a.caller()));
                keys.add(key("b:", a.caller()));
                args.add(code('A'));
                args.add(num(a.nowMillis()));
                RateLimit l = a.limit();
                if (l == null) {
                    args.add(new byte[0]);
                    args.add(num(0));
                    args.add(num(0));
                    args.add(num(0));
                } else {
                    long period = RateLimit.refillNanos(l.burst(), l.perSecond()); // >= 1: RateLimit refused a slower one
                    args.add(ascii(Double.toString(l.perSecond()) + "/" + l.burst()));
                    args.add(num(l.burst()));
                    args.add(num(period));
                    args.add(num(Math.floorDiv(period + 999_999, 1_000_000)));
                }
                args.add(num(a.dailyQuota()));
            } else if (op instanceof StateOp.Charge c) {
                encodeCharge(c, keys, args);
            } else if (op instanceof StateOp.CountInWindow w) {
                keys.add(key("w:", w.key()));
                args.add(code('W'));
                args.add(num(w.nowMillis()));
                args.add(num(w.windowMillis()));
            } else if (op instanceof StateOp.CountNewInWindow w) {
                keys.add(key("w:", w.key()));
                args.add(code('N'));
                args.add(ascii(String.format("%016x", w.member())));
                args.add(num(w.nowMillis()));
                args.add(num(w.windowMillis()));
                args.add(num(w.maxMembers()));
            } else if (op instanceof StateOp.ListRead r) {
                keys.add(key("l:", r.key()));
                args.add(code('R'));
            } else if (op instanceof StateOp.ListAppend a) {
                keys.add(key("l:", a.key()));
                args.add(code('L'));
                args.add(a.value());
                args.add(num(a.maxLength()));
                args.add(num(a.ttlMillis()));
            } else if (op instanceof StateOp.Fingerprint f) {
                args.add(code('F'));
                args.add(f.member().getBytes(StandardCharsets.UTF_8));
                args.add(num(f.hashes().length));
                args.add(num(f.maxMembersPerHash()));
                args.add(num(f.ttlMillis()));
                args.add(num(f.perCaller() ? maxCallerIndexQueries : maxSharedIndexQueries));
                keys.add(key("f:" + f.index() + ':', "m"));
                for (long h : f.hashes()) {
                    args.add(low32(h));
                }
            } else {
                throw new IllegalArgumentException("unsupported state operation " + op.getClass().getSimpleName());
            }
        }
        return new Encoded(keys.toArray(byte[][]::new), args.toArray(byte[][]::new));
    }

    private void encodeCharge(StateOp.Charge c, List<byte[]> keys, List<byte[]> args) {
        PrivacyBudget b = c.budget();
        long eps = PrivacyUnits.epsilonCharge(c.epsilon());
        long del = PrivacyUnits.deltaCharge(c.delta());
        long callerBudget = PrivacyUnits.epsilonBudget(b.perCallerEpsilon());
        long globalBudget = PrivacyUnits.epsilonBudget(b.globalEpsilon());
        long deltaBudget = PrivacyUnits.deltaBudget(b.perCallerDelta());
        long globalDeltaBudget = PrivacyUnits.deltaBudget(b.globalDelta());
        long second = Math.floorDiv(c.nowMillis(), 1000L);
        long end = PrivacyUnits.periodEnd(second, b.periodSeconds());
        keys.add(key("p:", "g"));
        keys.add(key("p:c:", c.caller()));
        args.add(code('C'));
        args.add(num(second));
        args.add(end == PrivacyUnits.NEVER ? new byte[0] : num(end));
        for (long v : new long[] {eps, del, callerBudget, globalBudget, deltaBudget, globalDeltaBudget}) {
            args.add(num(v / LIMB));
            args.add(num(v % LIMB));
        }
        args.add(num(b.globalEpsilon() > 0 ? 1 : 0));
        args.add(num(maxLedgerCallers));
        args.add(num(c.nowMillis()));
    }

    private byte[] key(String kind, String name) {
        byte[] k = kind.getBytes(StandardCharsets.UTF_8);
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[namespace.length + k.length + n.length];
        System.arraycopy(namespace, 0, out, 0, namespace.length);
        System.arraycopy(k, 0, out, namespace.length, k.length);
        System.arraycopy(n, 0, out, namespace.length + k.length, n.length);
        return out;
    }

    /**
     * A fingerprint hash as Redis keeps it: its low 32 bits, big-endian (4 bytes, which a listpack
     * keeps in 6; the low 48 bits it kept until December 2026 took 8: 2 bytes less for each of the
     * 100 entries a query adds with {@code near_duplicate}'s defaults). Two hashes that differ only above count as one;
     * {@code near_duplicate}'s hashes are uniform in their low bits (it keeps the largest, so their
     * high bits are alike), so two of them meet that way with a chance of 2^-32: a new query's hash
     * meets one of the 5 million entries of a full shared index (100,000 queries) about once in 860
     * (one query of 50 hashes in 17), which adds one shared hash with an unrelated earlier query,
     * where an alarm needs 20 or more, or, in a field that already holds its most members, pushes
     * one of the other hash's out (the in-memory store compares all 64 bits).
     */
    private static byte[] low32(long v) {
        byte[] b = new byte[4];
        for (int i = 3; i >= 0; i--) {
            b[i] = (byte) v;
            v >>>= 8;
        }
        return b;
    }

    private static byte[] code(char c) {
        return new byte[] {(byte) c};
    }

    private static byte[] num(long v) {
        return ascii(Long.toString(v));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
