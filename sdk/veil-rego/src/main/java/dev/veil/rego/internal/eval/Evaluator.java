package dev.veil.rego.internal.eval;

import dev.veil.rego.internal.ast.Location;
import dev.veil.rego.internal.builtins.Builtin;
import dev.veil.rego.internal.builtins.BuiltinContext;
import dev.veil.rego.internal.builtins.BuiltinError;
import dev.veil.rego.internal.builtins.BuiltinFailure;
import dev.veil.rego.internal.builtins.Core;
import dev.veil.rego.internal.builtins.RegoTypeError;
import dev.veil.rego.internal.compile.Plan;
import dev.veil.rego.internal.compile.RuleNode;
import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Top-down evaluation with backtracking, in continuation-passing style over compiled plans, with a
 * continuation-free path for expressions whose terms have one value each. One instance per evaluation
 * (not thread-safe, cheap to create); the compiled {@link RuleNode} tree is shared: it is never written
 * after {@link #fold}, except {@link Plan.Ref#resolved}, a volatile memo of a pure function of the tree.
 */
public final class Evaluator implements BuiltinContext {
    /** Continuation after an expression; returns false to stop the enumeration. */
    @FunctionalInterface
    interface K {
        boolean run();
    }

    /** Continuation receiving a value; returns false to stop the enumeration. */
    @FunctionalInterface
    interface VK {
        boolean accept(Value v);
    }

    private static final Value UNDEFINED = StringValue.of("\u0000undefined");
    private static final int MAX_DEPTH = 5_000;
    /**
     * Values one evaluation may build in comprehensions and number ranges, the two ways a few bytes
     * of policy make arbitrarily many new values: beyond it the evaluation fails rather than
     * exhausting the heap of the process it runs in before its time limit is reached.
     */
    public static final long MAX_BUILT = 2_000_000;

    /** {@code nowNanos} for an evaluation whose clock is read on first use ({@code time.now_ns} and the like). */
    public static final long NOW_ON_FIRST_USE = Long.MIN_VALUE;

    /** A frame for rules without variables: never written. */
    private static final Value[] NO_SLOTS = new Value[0];
    /** Stops an enumeration at its first solution. */
    private static final K STOP = () -> false;
    /** What {@link #direct} returns for a term that needs the general evaluation. */
    private static final Value NOT_DIRECT = StringValue.of("\u0000not direct");

    /** What every evaluation of one compiled policy shares: the rule tree, the base data, where print writes. */
    public static final class Setup {
        final RuleNode root;
        final ObjectValue data;
        final PrintStream printOut;

        /** @param printOut where {@code print} writes, or null to drop its output */
        public Setup(RuleNode root, ObjectValue data, PrintStream printOut) {
            this.root = root;
            this.data = data == null ? ObjectValue.EMPTY : data;
            this.printOut = printOut;
        }
    }

    /** What few evaluations need, created on first use: the clock, the deadline, the builtins' cache. */
    private static final class Extras {
        long now = NOW_ON_FIRST_USE;
        long deadline;
        Map<String, Object> builtinCache;
        /** Applied to the input a {@code with} sets, or null (see {@link #completeInputs}). */
        java.util.function.UnaryOperator<Value> inputCompleter;
    }

    /** The replacements of the innermost {@code with}: function mocks and data overlays. */
    private record Scope(Map<String, Object> mocks, List<Value[]> withPaths, List<Value> withValues) {
    }

    private final Setup setup;
    /** Null until the clock, the builtins' cache or a deadline is needed. */
    private Extras extras;
    private final boolean strict;
    /** Set when a builtin read the clock, randomness or the per-evaluation cache, or printed. */
    private boolean impure;

    private Value input;
    /** The first node value or function result of this evaluation (most evaluations need one at most). */
    private Object cacheKey;
    private Value cacheValue;
    /** Further node values and function results of this evaluation, created on first use. */
    private HashMap<Object, Value> moreCached;
    /** Set when the evaluation read {@code input} or printed, for constant folding. */
    private boolean inputRead;
    /** Null outside {@code with} (see {@link #mocks}, {@link #withPaths}, {@link #withValues}). */
    private Scope scope;
    /** Rule and function nesting, at most {@link #MAX_DEPTH} (a short keeps the evaluator small). */
    private short depth;
    /**
     * Steps since the deadline and the thread's interrupt flag were last checked, below 1024; a
     * builtin's answer counts as many steps as it holds values, so that a loop of few steps over
     * costly builtins is stopped at the limit too.
     */
    private int ticks;
    /** Values built in comprehensions, number ranges and partial rules so far, at most {@link #MAX_BUILT}. */
    private long built;
    /**
     * While folding a constant at load ({@link #fold}): when the fold's time for builtins' work is up
     * ({@link #FOLD_WORK_NANOS}), read after a builtin's answer or values built instead of the rule's
     * few milliseconds, so that a constant made by one costly builtin (a range of 900,000 numbers) is
     * still folded; 0 when not folding.
     */
    private long foldDeadline;

    /**
     * A new evaluation.
     *
     * @param input    the input document, or null when undefined
     * @param deadline {@link System#nanoTime()} after which evaluation fails, or 0 for none
     */
    public Evaluator(RuleNode root, ObjectValue data, Value input, boolean strict, PrintStream printOut,
                     long nowNanos, long deadline) {
        this(new Setup(root, data, printOut), input, strict, nowNanos, deadline);
    }

    /**
     * A new evaluation of a policy's {@link Setup}, which any number of evaluations may share.
     *
     * @param input    the input document, or null when undefined
     * @param deadline {@link System#nanoTime()} after which evaluation fails, or 0 for none
     */
    public Evaluator(Setup setup, Value input, boolean strict, long nowNanos, long deadline) {
        this.setup = setup;
        this.input = input;
        this.strict = strict;
        if (nowNanos != NOW_ON_FIRST_USE || deadline != 0) {
            Extras x = extras();
            x.now = nowNanos;
            x.deadline = deadline;
        }
    }

    /**
     * Makes every input a {@code with} sets go through {@code completer} first (veil test: the input
     * a Guard gives a policy, with its defaults filled in and unknown keys refused). The
     * completer's {@link IllegalArgumentException} is an {@code eval_type_error} of the {@code with}.
     */
    public void completeInputs(java.util.function.UnaryOperator<Value> completer) {
        extras().inputCompleter = completer;
    }

    private Extras extras() {
        Extras x = extras;
        if (x == null) {
            x = new Extras();
            extras = x;
        }
        return x;
    }

    private Map<String, Object> mocks() {
        Scope s = scope;
        return s == null ? null : s.mocks();
    }

    private List<Value[]> withPaths() {
        Scope s = scope;
        return s == null ? null : s.withPaths();
    }

    private List<Value> withValues() {
        Scope s = scope;
        return s == null ? null : s.withValues();
    }

    /** A scope of these replacements, or null for none. */
    private static Scope scope(Map<String, Object> mocks, List<Value[]> withPaths, List<Value> withValues) {
        return mocks == null && withPaths == null ? null : new Scope(mocks, withPaths, withValues);
    }

    /** The builtins' view of this evaluation: the evaluator itself. */
    private BuiltinContext bctx() {
        return this;
    }

    /** The evaluation's clock, read on first use; marks the evaluation impure (see {@link #fold}). */
    @Override
    public long nowNanos() {
        impure = true;
        Extras x = extras();
        if (x.now == NOW_ON_FIRST_USE) {
            java.time.Instant t = java.time.Instant.now();
            x.now = t.getEpochSecond() * 1_000_000_000L + t.getNano();
        }
        return x.now;
    }

    @Override
    public boolean strict() {
        return strict;
    }

    @Override
    public java.util.Random random() {
        impure = true;
        return java.util.concurrent.ThreadLocalRandom.current();
    }

    /** The builtins' per-evaluation cache, created on first use. */
    @Override
    public Map<String, Object> cache() {
        impure = true;
        Extras x = extras();
        if (x.builtinCache == null) {
            x.builtinCache = new HashMap<>();
        }
        return x.builtinCache;
    }

    // ------------------------------------------------------------------ entry points

    /** Runs a query; every result as a map from variable name to value. */
    public List<Map<String, Value>> query(Plan.Query q) {
        List<Map<String, Value>> out = new ArrayList<>();
        Value[] f = new Value[q.slots];
        evalBody(q.body, 0, f, () -> {
            Map<String, Value> m = new LinkedHashMap<>();
            for (int i = 0; i < q.names.length; i++) {
                Value v = f[q.outSlots[i]];
                if (v != null) {
                    m.put(q.names[i], v);
                }
            }
            out.add(m);
            return true;
        });
        return out;
    }

    /** A reference to {@code data.<path>} for {@link #document(Plan.Ref)}; build once, use for every call. */
    public static Plan.Ref documentRef(List<Value> path) {
        Plan.T[] p = new Plan.T[path.size()];
        for (int i = 0; i < p.length; i++) {
            p[i] = new Plan.Const(Location.NONE, path.get(i));
        }
        return new Plan.Ref(Location.NONE, new Plan.Root(Location.NONE, false), p);
    }

    /** The value of the document a {@link #documentRef} names, or null when undefined. */
    public Value document(Plan.Ref ref) {
        if (withPaths() == null && ref.head instanceof Plan.Root r && !r.input && ref.groundPrefix == ref.path.length) {
            // A rule's document: straight to its node, unless base data shadows it.
            Resolved res = resolve(ref);
            RuleNode node = res.node;
            if (node != null && res.depth == ref.path.length) {
                Value cached = cached(node);
                if (cached != null) {
                    return cached == UNDEFINED ? null : cached;
                }
                return computeNode(node); // asked once: not worth a cache entry
            }
        }
        Value[] result = new Value[1];
        evalTerm(ref, new Value[0], v -> {
            result[0] = v;
            return false;
        });
        return result[0];
    }

    // ------------------------------------------------------------------ constant folding

    /** Longest time one rule value may take to fold, and all of a policy's folding, in nanoseconds. */
    private static final long FOLD_ONE_NANOS = 5_000_000L;
    private static final long FOLD_ALL_NANOS = 100_000_000L;
    /**
     * Longest time one rule value may take to fold when its time goes into builtins' answers and
     * values built (one range of 900,000 numbers takes tens of milliseconds on a cold JVM).
     */
    private static final long FOLD_WORK_NANOS = 1_000_000_000L;

    /**
     * Computes once the values of complete rules whose value term does not depend on the body or on the
     * input ({@link Plan.Rule#folded}): the value is evaluated against the base data alone and kept when
     * it is one value, computed without reading {@code input}, the clock, randomness or {@code print},
     * and without errors. Call once after compilation, before the tree is shared.
     */
    public static void fold(RuleNode root, ObjectValue data) {
        long budget = System.nanoTime() + FOLD_ALL_NANOS;
        foldNode(root, root, data, budget);
    }

    private static void foldNode(RuleNode root, RuleNode node, ObjectValue data, long budget) {
        List<Plan.Rule> rules = new ArrayList<>(node.complete);
        if (node.defaultRule != null) {
            rules.add(node.defaultRule);
        }
        for (Plan.Rule first : rules) {
            for (Plan.Rule r = first; r != null; r = r.elseRule) {
                if (r.kind == Plan.Rule.Kind.COMPLETE && !(r.value instanceof Plan.Const) && closed(r.value)) {
                    if (System.nanoTime() > budget) {
                        return;
                    }
                    Evaluator ev = new Evaluator(root, data, null, true, null, NOW_ON_FIRST_USE,
                            System.nanoTime() + FOLD_ONE_NANOS);
                    ev.foldDeadline = System.nanoTime() + FOLD_WORK_NANOS;
                    r.folded = ev.foldTerm(r);
                }
            }
        }
        for (RuleNode c : node.children.values()) {
            foldNode(root, c, data, budget);
        }
    }

    /** True when a term has no variables (and no comprehension, which has its own). */
    private static boolean closed(Plan.T t) {
        if (t instanceof Plan.Const || t instanceof Plan.Root) {
            return true;
        }
        if (t instanceof Plan.Ref r) {
            return closed(r.head) && allClosed(r.path);
        }
        if (t instanceof Plan.Arr a) {
            return allClosed(a.elems);
        }
        if (t instanceof Plan.SetT st) {
            return allClosed(st.elems);
        }
        if (t instanceof Plan.Obj o) {
            return allClosed(o.keys) && allClosed(o.values);
        }
        if (t instanceof Plan.CallT c) {
            return !Core.PRINT.equals(c.name) && allClosed(c.args);
        }
        return false;
    }

    private static boolean allClosed(Plan.T[] ts) {
        for (Plan.T t : ts) {
            if (!closed(t)) {
                return false;
            }
        }
        return true;
    }

    /** Fails the evaluation when its time is up or its thread was interrupted; resets the step count. */
    private void checkCancelled(Location loc) {
        ticks = 0;
        Extras x = extras;
        if (x != null && x.deadline != 0 && System.nanoTime() > x.deadline) {
            throw new EvalError("eval_cancel_error", "timeout", loc);
        }
        if (Thread.currentThread().isInterrupted()) { // the flag stays set for the caller
            throw new EvalError("eval_cancel_error", "interrupted", loc);
        }
    }

    /**
     * {@link #checkCancelled} after a builtin's answer or a value built; while folding, against the
     * whole folding's time ({@link #foldDeadline}).
     */
    private void checkCancelledAfterWork(Location loc) {
        if (foldDeadline == 0) {
            checkCancelled(loc);
        } else {
            ticks = 0;
            if (System.nanoTime() > foldDeadline) {
                throw new EvalError("eval_cancel_error", "timeout", loc);
            }
        }
    }

    /** Counts a builtin's answer as steps: as many as the values it holds (a collection's size). */
    private void stepsOf(Value v, Location loc) {
        int n = v instanceof ArrayValue a ? a.size() : v instanceof SetValue s ? s.size()
                : v instanceof ObjectValue o ? o.size() : v instanceof StringValue str ? str.value().length() >> 4 : 0;
        if (n > 0 && (ticks += n) >= 1024) {
            checkCancelledAfterWork(loc);
        }
    }

    /** Counts {@code n} values built (a comprehension's element, a range's numbers) against {@link #MAX_BUILT}. */
    private void build(long n, Location loc) {
        built += n;
        if (built > MAX_BUILT) {
            throw new EvalError("eval_cancel_error", "the evaluation built more than " + MAX_BUILT + " values in "
                    + "comprehensions, number ranges and partial rules, the limit of one evaluation (against exhausting"
                    + " the memory of the process it runs in): loop over fewer values", loc);
        }
        if ((ticks += (int) Math.min(n, 1024)) >= 1024) {
            checkCancelledAfterWork(loc);
        }
    }

    private Value foldTerm(Plan.Rule r) {
        List<Value> out = new ArrayList<>(1);
        try {
            evalTerm(r.value, new Value[r.slots], v -> {
                out.add(v);
                return true;
            });
        } catch (RuntimeException | StackOverflowError e) {
            return null; // left to every evaluation, which reports the error where it happens
        }
        return out.size() == 1 && !inputRead && !impure ? out.get(0) : null;
    }

    // ------------------------------------------------------------------ bodies and expressions

    boolean evalBody(Plan.Body b, int i, Value[] f, K k) {
        while (true) {
            if (i == b.exprs.length) {
                // (the solutions of a body that ends in an iteration, some j in r, count as steps where
                // they build a value: a comprehension's element, a partial rule's member)
                return k.run();
            }
            Plan.Expr e = b.exprs[i];
            if (++ticks >= 1024) {
                checkCancelled(e.loc);
            }
            int t = test(e, f);
            if (t == 0) {
                return true;
            }
            if (t < 0) {
                break;
            }
            i++; // a test that held: on to the next expression, no continuation needed
        }
        Plan.Expr e = b.exprs[i];
        if (i + 1 == b.exprs.length) {
            return evalExpr(e, f, k);
        }
        int next = i + 1;
        return evalExpr(e, f, () -> evalBody(b, next, f, k));
    }

    /**
     * An expression that binds nothing and whose terms have one value each, decided without
     * continuations ({@code input.caller.tenant == "x"}, {@code "x" in input.caller.roles},
     * {@code not input.degraded}): 1 when it holds, 0 when it does not, -1 when it needs the general
     * evaluation.
     */
    private int test(Plan.Expr e, Value[] f) {
        if (e.test != 0 && mocks() == null) {
            return inputTest(e);
        }
        if (e.withs.length > 0) {
            return -1;
        }
        int found;
        switch (e.kind) {
            case TERM: {
                Value v = direct(e.a, f);
                if (v == NOT_DIRECT) {
                    return -1;
                }
                found = v != null && !v.equals(BooleanValue.FALSE) ? 1 : 0;
                break;
            }
            case CALL: {
                Value out = null;
                if (e.b != null) {
                    out = quick(e.b, f);
                    if (out == null) {
                        return -1;
                    }
                }
                Value v = direct(e.a, f);
                if (v == NOT_DIRECT) {
                    return -1;
                }
                found = v != null && (out != null ? out.equals(v) : !v.equals(BooleanValue.FALSE)) ? 1 : 0;
                break;
            }
            case UNIFY: {
                if (unboundPattern(e.a, f) || unboundPattern(e.b, f)) {
                    return -1;
                }
                Value a = direct(e.a, f);
                if (a == NOT_DIRECT) {
                    return -1;
                }
                Value b = direct(e.b, f);
                if (b == NOT_DIRECT) {
                    return -1;
                }
                found = a != null && b != null && a.equals(b) ? 1 : 0;
                break;
            }
            case NOP:
                found = 1;
                break;
            default:
                return -1;
        }
        return e.negated ? 1 - found : found;
    }

    /**
     * A {@link Plan.Expr#test}: {@code input} at constant keys compared with a constant, as {@link #direct}
     * decides the call (undefined when the input has nothing at those keys); 1 when it holds, 0 otherwise.
     */
    private int inputTest(Plan.Expr e) {
        Value v = inputAt(e.testKeys);
        boolean found;
        if (v == null) {
            found = false;
        } else {
            Value c = e.testConstant;
            Value x = e.testInputFirst ? v : c;
            Value y = e.testInputFirst ? c : v;
            found = switch (e.test) {
                case Plan.Expr.TEST_EQUAL -> x.equals(y);
                case Plan.Expr.TEST_NEQ -> !x.equals(y);
                default -> Core.member(x, y);
            };
        }
        return found != e.negated ? 1 : 0;
    }

    /** {@code input} at constant keys, or null when undefined. */
    private Value inputAt(Value[] keys) {
        inputRead = true;
        Value v = input;
        if (v instanceof ObjectValue o) {
            Value p = o.getPath(keys, 0);
            if (p != ObjectValue.UNRESOLVED) {
                return p;
            }
        }
        for (int i = 0; i < keys.length && v != null; i++) {
            v = index(v, keys[i]);
        }
        return v;
    }

    /**
     * Where the constant keys of a reference into data lead: the first node with rules on the way when no
     * base data shadows it, and how many keys reach it; {@code node} null otherwise.
     */
    private record Resolved(RuleNode node, int depth) {
    }

    private static final Resolved UNRESOLVED = new Resolved(null, -1);

    private Resolved resolve(Plan.Ref ref) {
        Object memo = ref.resolved;
        if (memo instanceof Resolved r) {
            return r;
        }
        Resolved r = UNRESOLVED;
        RuleNode node = setup.root;
        Value base = setup.data;
        for (int i = 0; i < ref.path.length && node != null; i++) {
            Value key = ((Plan.Const) ref.path[i]).value;
            node = node.childAt(key);
            base = base == null ? null : dataIndex(base, key);
            if (node != null && node.hasRules()) {
                if (base == null) {
                    r = new Resolved(node, i + 1);
                }
                break;
            }
            if (node != null && node.isFunction()) {
                break;
            }
        }
        ref.resolved = r;
        return r;
    }

    /** A reference into {@code data} whose keys are all constants: at most one value, or null. */
    private Value directData(Plan.Ref ref) {
        Plan.T[] path = ref.path;
        if (withPaths() != null) {
            return first(new Plan.Ref(Location.NONE, DATA, path), NO_SLOTS);
        }
        Resolved res = resolve(ref);
        if (res.node != null) {
            Value v = nodeValue(res.node);
            for (int i = res.depth; i < path.length && v != null; i++) {
                v = index(v, ((Plan.Const) path[i]).value);
            }
            return v;
        }
        RuleNode node = setup.root;
        Value base = setup.data;
        int i = 0;
        while (true) {
            if (node == null) {
                for (; i < path.length && base != null; i++) {
                    base = dataIndex(base, ((Plan.Const) path[i]).value);
                }
                return base;
            }
            if (node.hasRules()) {
                // Base data shadows rules at the same path, as in OPA.
                Value v = base != null ? base : nodeValue(node);
                for (; i < path.length && v != null; i++) {
                    v = index(v, ((Plan.Const) path[i]).value);
                }
                return v;
            }
            if (node.isFunction()) {
                return null;
            }
            if (i == path.length) {
                return materialize(node, base, node.path);
            }
            Value key = ((Plan.Const) path[i]).value;
            node = node.childAt(key);
            base = dataIndex(base, key);
            i++;
        }
    }

    private static final Plan.Root DATA = new Plan.Root(Location.NONE, false);

    /**
     * The one value of a term that has at most one, without continuations: constants, bound variables,
     * references whose keys are all known, calls of builtins and functions on such terms. Null when the
     * term is undefined; {@link #NOT_DIRECT} when it needs {@link #evalTerm}.
     */
    private Value direct(Plan.T t, Value[] f) {
        if (t instanceof Plan.Const c) {
            return c.value;
        }
        if (t instanceof Plan.Local l) {
            Value v = f[l.slot];
            return v == null ? NOT_DIRECT : v;
        }
        if (t instanceof Plan.Ref r) {
            return directRef(r, f);
        }
        if (t instanceof Plan.CallT c) {
            return directCall(c, f);
        }
        return NOT_DIRECT;
    }

    /** {@link #direct} of a reference. */
    private Value directRef(Plan.Ref r, Value[] f) {
        Value v;
        if (r.head instanceof Plan.Root root0) {
            if (!root0.input) {
                return r.groundPrefix == r.path.length ? directData(r) : NOT_DIRECT;
            }
            inputRead = true;
            v = input;
            if (r.keys != null && v instanceof ObjectValue o) {
                Value p = o.getPath(r.keys, 0);
                if (p != ObjectValue.UNRESOLVED) {
                    return p;
                }
            }
        } else if (r.head instanceof Plan.Local l) {
            v = f[l.slot];
            if (v == null) {
                return NOT_DIRECT;
            }
        } else {
            return NOT_DIRECT;
        }
        Plan.T[] path = r.path;
        for (int i = 0; i < path.length && v != null; i++) {
            Value key = quick(path[i], f);
            if (key == null) {
                return NOT_DIRECT;
            }
            v = index(v, key);
        }
        return v;
    }

    /** {@link #direct} of a call. */
    private Value directCall(Plan.CallT c, Value[] f) {
        if (mocks() != null || c.builtin != null && (c.builtin.relation() || Core.PRINT.equals(c.name))) {
            return NOT_DIRECT;
        }
        if (c.op != 0) {
            // ==, != and in: total on any values, decided here without an argument array
            // (in the general evaluation's order, stopping at the first undefined argument)
            Value first = direct(c.args[c.order[0]], f);
            if (first == NOT_DIRECT || first == null) {
                return first;
            }
            Value second = direct(c.args[c.order[1]], f);
            if (second == NOT_DIRECT || second == null) {
                return second;
            }
            Value x = c.order[0] == 0 ? first : second;
            Value y = c.order[0] == 0 ? second : first;
            boolean b = switch (c.op) {
                case Plan.CallT.EQUAL -> x.equals(y);
                case Plan.CallT.NEQ -> !x.equals(y);
                default -> Core.member(x, y);
            };
            return BooleanValue.of(b);
        }
        Value[] args = new Value[c.args.length];
        for (int j = 0; j < args.length; j++) {
            int i = c.order[j];
            Value v = direct(c.args[i], f);
            if (v == NOT_DIRECT || v == null) {
                return v; // as the general evaluation, which stops at the first undefined argument
            }
            args[i] = v;
        }
        if (c.builtin != null) {
            return callFunctionBuiltin(c.builtin, c, args);
        }
        return callFunction(c.function, args, c.loc);
    }

    private boolean evalExpr(Plan.Expr e, Value[] f, K k) {
        if (e.withs.length > 0) {
            return evalWith(e, f, k);
        }
        if (e.negated) {
            boolean[] found = {false};
            evalPositive(e, f, () -> {
                found[0] = true;
                return false;
            });
            return found[0] || k.run();
        }
        return evalPositive(e, f, k);
    }

    private boolean evalPositive(Plan.Expr e, Value[] f, K k) {
        switch (e.kind) {
            case TERM:
                return evalTerm(e.a, f, v -> v == BooleanValue.FALSE || k.run());
            case CALL: {
                Plan.CallT c = (Plan.CallT) e.a;
                if (e.b != null) {
                    Value v = direct(c, f);
                    if (v != NOT_DIRECT) {
                        return v == null || unifyValue(e.b, v, f, k);
                    }
                }
                if (e.b == null) {
                    return evalCall(c, f, v -> v.equals(BooleanValue.FALSE) || k.run());
                }
                return evalCall(c, f, v -> unifyValue(e.b, v, f, k));
            }
            case UNIFY: {
                if (e.a instanceof Plan.Local l && f[l.slot] == null) {
                    Value v = direct(e.b, f);
                    if (v != NOT_DIRECT) {
                        return v == null || unifyValue(e.a, v, f, k);
                    }
                } else if (e.b instanceof Plan.Local l && f[l.slot] == null) {
                    Value v = direct(e.a, f);
                    if (v != NOT_DIRECT) {
                        return v == null || unifyValue(e.b, v, f, k);
                    }
                }
                return unify(e.a, e.b, f, k);
            }
            case SOME_IN:
                return evalTerm(e.c, f, coll -> iterate(coll, (key, val) ->
                        e.b == null ? unifyValue(e.a, val, f, k)
                                : unifyValue(e.b, key, f, () -> unifyValue(e.a, val, f, k))));
            case EVERY:
                return evalTerm(e.c, f, coll -> {
                    if (coll.isScalar()) {
                        return true;
                    }
                    boolean[] all = {true};
                    iterate(coll, (key, val) -> {
                        boolean[] ok = {false};
                        K inner = () -> evalBody(e.body, 0, f, () -> {
                            ok[0] = true;
                            return false;
                        });
                        if (e.b == null) {
                            unifyValue(e.a, val, f, inner);
                        } else {
                            unifyValue(e.b, key, f, () -> unifyValue(e.a, val, f, inner));
                        }
                        if (!ok[0]) {
                            all[0] = false;
                            return false;
                        }
                        return true;
                    });
                    return !all[0] || k.run();
                });
            case NOP:
            default:
                return k.run();
        }
    }

    @FunctionalInterface
    private interface KV {
        boolean accept(Value key, Value value);
    }

    /** Every (key, value) of a collection; nothing for scalars. */
    private static boolean iterate(Value coll, KV kv) {
        if (coll instanceof ArrayValue a) {
            for (int i = 0; i < a.size(); i++) {
                if (!kv.accept(NumberValue.of(i), a.get(i))) {
                    return false;
                }
            }
        } else if (coll instanceof ObjectValue o) {
            for (Value key : o.keys()) {
                if (!kv.accept(key, o.get(key))) {
                    return false;
                }
            }
        } else if (coll instanceof SetValue s) {
            for (Value x : s.elements()) {
                if (!kv.accept(x, x)) {
                    return false;
                }
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ with

    private boolean evalWith(Plan.Expr e, Value[] f, K k) {
        Value[] vals = new Value[e.withs.length];
        for (int i = 0; i < vals.length; i++) {
            Plan.With w = e.withs[i];
            if (w.target == Plan.With.Target.FUNCTION && w.replacementFunction != null) {
                continue;
            }
            Value v = first(w.value, f);
            if (v == null) {
                return true;
            }
            vals[i] = v;
        }
        Value savedInput = input;
        CacheState savedCache = new CacheState(cacheKey, cacheValue, moreCached);
        Scope savedScope = scope;
        Value newInput = input;
        Map<String, Object> newMocks = mocks() == null ? new HashMap<>() : new HashMap<>(mocks());
        List<Value[]> newPaths = withPaths() == null ? new ArrayList<>() : new ArrayList<>(withPaths());
        List<Value> newValues = withValues() == null ? new ArrayList<>() : new ArrayList<>(withValues());
        for (int i = 0; i < vals.length; i++) {
            Plan.With w = e.withs[i];
            switch (w.target) {
                case INPUT -> newInput = upsert(newInput, w.path, 0, vals[i]);
                case DATA -> {
                    newPaths.add(w.path);
                    newValues.add(vals[i]);
                }
                default -> newMocks.put(w.function, w.replacementFunction != null ? w : vals[i]);
            }
        }
        if (extras != null && extras.inputCompleter != null && newInput != input) {
            try {
                newInput = extras.inputCompleter.apply(newInput);
            } catch (IllegalArgumentException bad) {
                throw new EvalError("eval_type_error", "with input: " + bad.getMessage(), e.loc);
            }
        }
        Value fInput = newInput;
        Scope newScope = scope(newMocks.isEmpty() ? null : newMocks, newPaths.isEmpty() ? null : newPaths,
                newValues.isEmpty() ? null : newValues);
        Runnable apply = () -> {
            input = fInput;
            clearCache();
            scope = newScope;
        };
        Runnable restore = () -> {
            input = savedInput;
            restoreCache(savedCache);
            scope = savedScope;
        };
        apply.run();
        try {
            K after = () -> {
                restore.run();
                try {
                    return k.run();
                } finally {
                    apply.run();
                }
            };
            Plan.Expr plain = e;
            if (e.negated) {
                boolean[] found = {false};
                evalPositive(plain, f, () -> {
                    found[0] = true;
                    return false;
                });
                return found[0] || after.run();
            }
            return evalPositive(plain, f, after);
        } finally {
            restore.run();
        }
    }

    /** {@code base} with {@code value} at {@code path} (objects created as needed). */
    private static Value upsert(Value base, Value[] path, int i, Value value) {
        if (i == path.length) {
            return value;
        }
        ObjectValue.Builder b = ObjectValue.builder();
        Value child = null;
        if (base instanceof ObjectValue o) {
            for (Value key : o.keys()) {
                b.put(key, o.get(key));
            }
            child = o.get(path[i]);
        }
        b.put(path[i], upsert(child, path, i + 1, value));
        return b.build();
    }

    /** The first value of a term, or null when undefined. */
    private Value first(Plan.T t, Value[] f) {
        Value q = quick(t, f);
        if (q != null) {
            return q;
        }
        Value[] r = new Value[1];
        evalTerm(t, f, v -> {
            r[0] = v;
            return false;
        });
        return r[0];
    }

    // ------------------------------------------------------------------ terms

    private static Value quick(Plan.T t, Value[] f) {
        if (t instanceof Plan.Const c) {
            return c.value;
        }
        if (t instanceof Plan.Local l) {
            return f[l.slot];
        }
        return null;
    }

    boolean evalTerm(Plan.T t, Value[] f, VK k) {
        if (t instanceof Plan.Const c) {
            return k.accept(c.value);
        }
        if (t instanceof Plan.Local l) {
            Value v = f[l.slot];
            if (v == null) {
                throw new EvalError("eval_internal_error", "var " + l.name + " is unbound", l.loc);
            }
            return k.accept(v);
        }
        if (t instanceof Plan.Ref r) {
            return evalRef(r, f, k);
        }
        if (t instanceof Plan.Root r) {
            if (r.input) {
                inputRead = true;
                return input == null || k.accept(input);
            }
            Value v = materialize(setup.root, setup.data, new ArrayList<>());
            return v == null || k.accept(v);
        }
        if (t instanceof Plan.CallT c) {
            return evalCall(c, f, k);
        }
        if (t instanceof Plan.Arr a) {
            Value[] out = new Value[a.elems.length];
            return evalTerms(a.elems, 0, out, f, () -> k.accept(ArrayValue.wrap(out.clone())));
        }
        if (t instanceof Plan.SetT s) {
            Value[] out = new Value[s.elems.length];
            return evalTerms(s.elems, 0, out, f, () -> k.accept(SetValue.of(out)));
        }
        if (t instanceof Plan.Obj o) {
            Value[] ks = new Value[o.keys.length];
            Value[] vs = new Value[o.values.length];
            return evalTerms(o.keys, 0, ks, f, () -> evalTerms(o.values, 0, vs, f, () -> {
                ObjectValue.Builder b = ObjectValue.builder();
                for (int i = 0; i < ks.length; i++) {
                    Value prev = b.put(ks[i], vs[i]);
                    if (prev != null && !prev.equals(vs[i])) {
                        throw new EvalError("eval_conflict_error", "object keys must be unique", o.loc);
                    }
                }
                return k.accept(b.build());
            }));
        }
        if (t instanceof Plan.ArrC c) {
            List<Value> out = new ArrayList<>();
            evalBody(c.body, 0, f, () -> evalTerm(c.head, f, v -> {
                build(1, c.loc);
                out.add(v);
                return true;
            }));
            return k.accept(ArrayValue.of(out));
        }
        if (t instanceof Plan.SetC c) {
            SetValue.Builder out = SetValue.builder();
            evalBody(c.body, 0, f, () -> evalTerm(c.head, f, v -> {
                build(1, c.loc);
                out.add(v);
                return true;
            }));
            return k.accept(out.build());
        }
        if (t instanceof Plan.ObjC c) {
            ObjectValue.Builder out = ObjectValue.builder();
            evalBody(c.body, 0, f, () -> evalTerm(c.key, f, kv -> evalTerm(c.value, f, vv -> {
                build(1, c.loc);
                Value prev = out.put(kv, vv);
                if (prev != null && !prev.equals(vv)) {
                    throw new EvalError("eval_conflict_error", "object keys must be unique", c.loc);
                }
                return true;
            })));
            return k.accept(out.build());
        }
        if (t instanceof Plan.Tmpl tm) {
            return evalTemplate(tm, f, k);
        }
        throw new IllegalStateException("unknown term " + t);
    }

    private boolean evalTemplate(Plan.Tmpl tm, Value[] f, VK k) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < tm.parts.length; i++) {
            b.append(tm.parts[i]);
            if (i < tm.terms.length) {
                Value[] got = new Value[1];
                evalTerm(tm.terms[i], f, v -> {
                    got[0] = v;
                    return false;
                });
                if (got[0] instanceof SetValue s && !s.isEmpty()) {
                    Value v = s.elements().get(0);
                    b.append(v instanceof StringValue str ? str.value() : v.toString());
                } else if (got[0] instanceof SetValue) {
                    b.append("<undefined>");
                } else if (got[0] != null) {
                    b.append(got[0]);
                }
            }
        }
        return k.accept(StringValue.of(b.toString()));
    }

    private boolean evalTerms(Plan.T[] ts, int i, Value[] out, Value[] f, K k) {
        while (i < ts.length) {
            Value q = quick(ts[i], f);
            if (q == null) {
                break;
            }
            out[i++] = q;
        }
        if (i == ts.length) {
            return k.run();
        }
        int at = i;
        return evalTerm(ts[at], f, v -> {
            out[at] = v;
            return evalTerms(ts, at + 1, out, f, k);
        });
    }

    // ------------------------------------------------------------------ unification

    private static boolean unboundPattern(Plan.T t, Value[] f) {
        if (t instanceof Plan.Local l) {
            return f[l.slot] == null;
        }
        if (t instanceof Plan.Arr a) {
            for (Plan.T x : a.elems) {
                if (unboundPattern(x, f)) {
                    return true;
                }
            }
            return false;
        }
        if (t instanceof Plan.Obj o) {
            for (Plan.T x : o.values) {
                if (unboundPattern(x, f)) {
                    return true;
                }
            }
        }
        return false;
    }

    boolean unify(Plan.T a, Plan.T b, Value[] f, K k) {
        Value va = quick(a, f);
        Value vb = quick(b, f);
        if (va != null && vb != null) {
            return !va.equals(vb) || k.run();
        }
        if (a instanceof Plan.Arr x && b instanceof Plan.Arr y) {
            if (x.elems.length != y.elems.length) {
                return true;
            }
            return unifyPairs(x.elems, y.elems, 0, f, k);
        }
        if (a instanceof Plan.Obj x && b instanceof Plan.Obj y && (unboundPattern(a, f) || unboundPattern(b, f))) {
            if (x.keys.length != y.keys.length) {
                return true;
            }
            Plan.T[][] pairs = Plan.objPairs(x, y);
            if (pairs != null) {
                return unifyPairs(pairs[0], pairs[1], 0, f, k);
            }
        }
        if (unboundPattern(a, f)) {
            if (vb != null) {
                return unifyValue(a, vb, f, k);
            }
            return evalTerm(b, f, v -> unifyValue(a, v, f, k));
        }
        if (unboundPattern(b, f)) {
            if (va != null) {
                return unifyValue(b, va, f, k);
            }
            return evalTerm(a, f, v -> unifyValue(b, v, f, k));
        }
        return evalTerm(a, f, x -> evalTerm(b, f, y -> !x.equals(y) || k.run()));
    }

    private boolean unifyPairs(Plan.T[] xs, Plan.T[] ys, int i, Value[] f, K k) {
        if (i == xs.length) {
            return k.run();
        }
        if (unboundPattern(xs[i], f) && unboundPattern(ys[i], f)) {
            // Try the others first; they may bind what this pair needs.
            for (int j = i + 1; j < xs.length; j++) {
                if (!(unboundPattern(xs[j], f) && unboundPattern(ys[j], f))) {
                    Plan.T[] x2 = xs.clone();
                    Plan.T[] y2 = ys.clone();
                    x2[i] = xs[j];
                    x2[j] = xs[i];
                    y2[i] = ys[j];
                    y2[j] = ys[i];
                    return unifyPairs(x2, y2, i, f, k);
                }
            }
        }
        return unify(xs[i], ys[i], f, () -> unifyPairs(xs, ys, i + 1, f, k));
    }

    boolean unifyValue(Plan.T p, Value v, Value[] f, K k) {
        if (p instanceof Plan.Local l) {
            Value cur = f[l.slot];
            if (cur == null) {
                f[l.slot] = v;
                try {
                    return k.run();
                } finally {
                    f[l.slot] = null;
                }
            }
            return !cur.equals(v) || k.run();
        }
        if (p instanceof Plan.Const c) {
            return !c.value.equals(v) || k.run();
        }
        if (p instanceof Plan.Arr a) {
            if (!(v instanceof ArrayValue av) || av.size() != a.elems.length) {
                return true;
            }
            return unifyElems(a.elems, av, 0, f, k);
        }
        if (p instanceof Plan.Obj o) {
            if (!(v instanceof ObjectValue ov) || ov.size() != o.keys.length) {
                return true;
            }
            Value[] ks = new Value[o.keys.length];
            return evalTerms(o.keys, 0, ks, f, () -> unifyObj(o, ks, ov, 0, f, k));
        }
        return evalTerm(p, f, x -> !x.equals(v) || k.run());
    }

    private boolean unifyElems(Plan.T[] ps, ArrayValue av, int i, Value[] f, K k) {
        if (i == ps.length) {
            return k.run();
        }
        return unifyValue(ps[i], av.get(i), f, () -> unifyElems(ps, av, i + 1, f, k));
    }

    private boolean unifyObj(Plan.Obj o, Value[] ks, ObjectValue ov, int i, Value[] f, K k) {
        if (i == ks.length) {
            return k.run();
        }
        Value v = ov.get(ks[i]);
        if (v == null) {
            return true;
        }
        return unifyValue(o.values[i], v, f, () -> unifyObj(o, ks, ov, i + 1, f, k));
    }

    // ------------------------------------------------------------------ references

    private boolean evalRef(Plan.Ref r, Value[] f, VK k) {
        if (r.head instanceof Plan.Root root0) {
            if (root0.input) {
                inputRead = true;
                if (r.keys != null && input instanceof ObjectValue o) {
                    Value p = o.getPath(r.keys, 0);
                    if (p != ObjectValue.UNRESOLVED) {
                        return p == null || k.accept(p);
                    }
                }
                return input == null || walk(input, r.path, 0, f, k);
            }
            return evalData(r.path, 0, setup.root, setup.data, new Value[r.path.length], f, k);
        }
        return evalTerm(r.head, f, hv -> walk(hv, r.path, 0, f, k));
    }

    /** {@code v[key]}, or null. */
    private static Value index(Value v, Value key) {
        if (v instanceof ObjectValue o) {
            return o.get(key);
        }
        if (v instanceof ArrayValue a) {
            if (key instanceof NumberValue n && n.isInt()) {
                long i;
                try {
                    i = n.longValueExact();
                } catch (ArithmeticException e) {
                    return null;
                }
                return i >= 0 && i < a.size() ? a.get((int) i) : null;
            }
            return null;
        }
        if (v instanceof SetValue s) {
            return s.contains(key) ? key : null;
        }
        return null;
    }

    /** Indexing base data: object keys are strings there, so a number key also finds its text. */
    private static Value dataIndex(Value base, Value key) {
        Value v = index(base, key);
        if (v == null && base instanceof ObjectValue o && key instanceof NumberValue n) {
            v = o.get(StringValue.of(n.toString()));
        }
        return v;
    }

    private boolean walk(Value v, Plan.T[] path, int i, Value[] f, VK k) {
        return walk(v, path, i, f, k, false);
    }

    private boolean walk(Value v, Plan.T[] path, int i, Value[] f, VK k, boolean baseData) {
        while (true) {
            if (i == path.length) {
                return k.accept(v);
            }
            Value key = quick(path[i], f);
            if (key == null) {
                break;
            }
            v = baseData ? dataIndex(v, key) : index(v, key);
            if (v == null) {
                return true;
            }
            i++;
        }
        Plan.T p = path[i];
        int next = i + 1;
        Value cur = v;
        if (unboundPattern(p, f)) {
            return iterate(cur, (key, val) -> unifyValue(p, key, f, () -> walk(val, path, next, f, k)));
        }
        return evalTerm(p, f, key -> {
            Value c = index(cur, key);
            return c == null || walk(c, path, next, f, k);
        });
    }

    private boolean evalData(Plan.T[] path, int i, RuleNode node, Value base, Value[] pfx, Value[] f, VK k) {
        if (withPaths() != null) {
            boolean under = false;
            for (int w = 0; w < withPaths().size(); w++) {
                Value[] wp = withPaths().get(w);
                if (wp.length == i && prefixEquals(wp, pfx, i)) {
                    return walk(withValues().get(w), path, i, f, k);
                }
                if (wp.length > i && prefixEquals(wp, pfx, i)) {
                    under = true;
                }
            }
            if (under && (node == null || (i == path.length || quick(path[i], f) == null) && !node.hasRules())) {
                List<Value> prefix = new ArrayList<>(java.util.Arrays.asList(pfx).subList(0, i));
                Value v = node == null ? applyOverlays(base, prefix) : materialize(node, base, prefix);
                return v == null || walk(v, path, i, f, k);
            }
        }
        if (node == null) {
            return base == null || walk(base, path, i, f, k, true);
        }
        if (node.hasRules()) {
            // Base data shadows rules at the same path, as in OPA.
            Value v = base != null ? base : nodeValue(node);
            if (withPaths() != null) {
                v = applyOverlays(v, node.path);
            }
            return v == null || walk(v, path, i, f, k);
        }
        if (node.isFunction()) {
            return true;
        }
        if (i == path.length) {
            Value v = materialize(node, base, node.path);
            return v == null || k.accept(v);
        }
        Plan.T p = path[i];
        Value key = quick(p, f);
        if (key != null) {
            pfx[i] = key;
            return evalData(path, i + 1, node.childAt(key), dataIndex(base, key), pfx, f, k);
        }
        if (unboundPattern(p, f)) {
            TreeSet<Value> keys = new TreeSet<>(node.children.keySet());
            if (base instanceof ObjectValue o) {
                keys.addAll(o.keys());
            }
            for (Value kk : keys) {
                pfx[i] = kk;
                boolean go = unifyValue(p, kk, f,
                        () -> evalData(path, i + 1, node.childAt(kk), index(base, kk), pfx, f, k));
                if (!go) {
                    return false;
                }
            }
            return true;
        }
        return evalTerm(p, f, kv -> {
            pfx[i] = kv;
            return evalData(path, i + 1, node.childAt(kv), dataIndex(base, kv), pfx, f, k);
        });
    }

    private static boolean prefixEquals(Value[] wp, Value[] pfx, int n) {
        for (int j = 0; j < n && j < wp.length; j++) {
            if (!wp[j].equals(pfx[j])) {
                return false;
            }
        }
        return true;
    }

    private Value applyOverlays(Value v, List<Value> at) {
        for (int w = 0; w < withPaths().size(); w++) {
            Value[] wp = withPaths().get(w);
            if (wp.length > at.size()) {
                boolean match = true;
                for (int j = 0; j < at.size(); j++) {
                    if (!wp[j].equals(at.get(j))) {
                        match = false;
                        break;
                    }
                }
                if (match) {
                    Value[] rest = java.util.Arrays.copyOfRange(wp, at.size(), wp.length);
                    v = upsert(v, rest, 0, withValues().get(w));
                }
            }
        }
        return v;
    }

    /** The whole document at a node without rules: base data merged with the children's values. */
    private Value materialize(RuleNode node, Value base, List<Value> at) {
        if (node == null) {
            return base;
        }
        if (node.hasRules()) {
            Value v = nodeValue(node);
            return withPaths() != null ? applyOverlays(v, at) : v;
        }
        if (node.isFunction()) {
            return null;
        }
        ObjectValue.Builder b = ObjectValue.builder();
        if (base instanceof ObjectValue o) {
            for (Value key : o.keys()) {
                b.put(key, o.get(key));
            }
        } else if (base != null && node.children.isEmpty()) {
            return base;
        }
        for (Map.Entry<Value, RuleNode> e : node.children.entrySet()) {
            List<Value> sub = new ArrayList<>(at);
            sub.add(e.getKey());
            Value baseChild = index(base, e.getKey());
            Value cv = baseChild != null && e.getValue().hasRules() ? baseChild
                    : materialize(e.getValue(), baseChild, sub);
            if (cv != null) {
                b.put(e.getKey(), cv);
            }
        }
        Value v = b.build();
        return withPaths() != null ? applyOverlays(v, at) : v;
    }

    // ------------------------------------------------------------------ rules

    private Value nodeValue(RuleNode node) {
        Value cached = cached(node);
        if (cached != null) {
            return cached == UNDEFINED ? null : cached;
        }
        if (++depth > MAX_DEPTH) {
            throw new EvalError("eval_recursion_error", "evaluation too deep at " + node.name, null);
        }
        try {
            Value v = computeNode(node);
            putCached(node, v == null ? UNDEFINED : v);
            return v;
        } finally {
            depth--;
        }
    }

    /** The cached node value or function result for key, or null when not computed yet. */
    private Value cached(Object key) {
        Object k = cacheKey;
        if (k == key || k != null && k.equals(key)) {
            return cacheValue;
        }
        return moreCached == null ? null : moreCached.get(key);
    }

    private void putCached(Object key, Value v) {
        Object k = cacheKey;
        if (k == null || k == key || k.equals(key)) {
            cacheKey = key;
            cacheValue = v;
        } else {
            if (moreCached == null) {
                moreCached = new HashMap<>();
            }
            moreCached.put(key, v);
        }
    }

    /** The node values and function results of one scope, put aside while a {@code with} or a mock runs. */
    private record CacheState(Object key, Value value, HashMap<Object, Value> more) {
    }

    /** Puts this scope's cached values aside and starts an empty cache; {@link #restoreCache} brings them back. */
    private CacheState takeCache() {
        CacheState saved = new CacheState(cacheKey, cacheValue, moreCached);
        clearCache();
        return saved;
    }

    private void clearCache() {
        cacheKey = null;
        cacheValue = null;
        moreCached = null;
    }

    private void restoreCache(CacheState saved) {
        cacheKey = saved.key();
        cacheValue = saved.value();
        moreCached = saved.more();
    }

    private List<Plan.Rule> candidates(RuleNode node) {
        if (node.indexRef == null) {
            if (node.partial.isEmpty()) {
                return node.complete;
            }
            if (node.complete.isEmpty()) {
                return node.partial;
            }
            List<Plan.Rule> all = new ArrayList<>(node.complete);
            all.addAll(node.partial);
            return all;
        }
        inputRead = true;
        Value v = input instanceof ObjectValue o && node.indexRef.keys != null ? o.getPath(node.indexRef.keys, 0)
                : ObjectValue.UNRESOLVED;
        if (v == ObjectValue.UNRESOLVED) {
            v = input;
            for (Plan.T t : node.indexRef.path) {
                if (v == null) {
                    break;
                }
                v = index(v, ((Plan.Const) t).value);
            }
        }
        List<Plan.Rule> hit = v == null ? null : node.indexed.get(v);
        if (hit == null) {
            return node.unindexed;
        }
        if (node.unindexed.isEmpty()) {
            return hit;
        }
        List<Plan.Rule> all = new ArrayList<>(hit);
        all.addAll(node.unindexed);
        return all;
    }

    private Value computeNode(RuleNode node) {
        List<Plan.Rule> rules = candidates(node);
        if (!node.complete.isEmpty() || node.defaultRule != null) {
            Value result = null;
            for (int i = 0, n = rules.size(); i < n; i++) {
                Plan.Rule r = rules.get(i);
                Value v = evalChain(r, node);
                if (v != null) {
                    if (result != null && !result.equals(v)) {
                        throw new EvalError("eval_conflict_error",
                                "complete rules must not produce multiple outputs", r.loc);
                    }
                    result = v;
                }
            }
            if (result == null && node.defaultRule != null) {
                result = evalChain(node.defaultRule, node);
            }
            return result;
        }
        return computePartial(node, rules);
    }

    /** The value of a node of partial rules (sets and objects) and of a node with children. */
    private Value computePartial(RuleNode node, List<Plan.Rule> rules) {
        Tree tree = new Tree();
        boolean set = node.isPartialSet();
        SetValue.Builder sb = set ? SetValue.builder() : null;
        for (Plan.Rule r : rules) {
            for (Plan.Rule cur = r; cur != null; cur = cur.elseRule) {
                Value[] f = new Value[cur.slots];
                Plan.Rule rule = cur;
                evalBody(cur.body, 0, f, () -> {
                    Value[] ks = new Value[rule.keys.length];
                    return evalTerms(rule.keys, 0, ks, f, () -> evalTerm(rule.value, f, v -> {
                        build(1, rule.loc);
                        if (set) {
                            sb.add(v);
                        } else {
                            tree.put(ks, v, rule.kind == Plan.Rule.Kind.SET, rule.loc);
                        }
                        return true;
                    }));
                });
            }
        }
        if (set) {
            return sb.build();
        }
        for (Map.Entry<Value, RuleNode> e : node.children.entrySet()) {
            Value cv = materialize(e.getValue(), null, e.getValue().path);
            if (cv != null && !(cv instanceof ObjectValue o && o.isEmpty())) {
                tree.merge(e.getKey(), cv);
            }
        }
        return tree.build();
    }

    /** Nested objects built from partial rules; leaves are values or sets. */
    private static final class Tree {
        final Map<Value, Object> map = new LinkedHashMap<>();

        @SuppressWarnings("unchecked")
        void put(Value[] keys, Value v, boolean setLeaf, Location loc) {
            Tree t = this;
            int n = setLeaf ? keys.length : keys.length - 1;
            for (int i = 0; i < n; i++) {
                Object o = t.map.get(keys[i]);
                if (o == null) {
                    Tree c = new Tree();
                    t.map.put(keys[i], c);
                    t = c;
                } else if (o instanceof Tree c) {
                    t = c;
                } else {
                    throw new EvalError("eval_conflict_error", "object keys must be unique", loc);
                }
            }
            if (setLeaf) {
                Object o = t.map.get(SET_MARK);
                if (o == null && !t.map.isEmpty()) {
                    throw new EvalError("eval_conflict_error", "object keys must be unique", loc);
                }
                if (o == null) {
                    o = SetValue.builder();
                    t.map.put(SET_MARK, o);
                }
                ((SetValue.Builder) o).add(v);
                return;
            }
            Value last = keys[keys.length - 1];
            Object prev = t.map.get(last);
            if (prev != null && !(prev instanceof Value pv && pv.equals(v))) {
                throw new EvalError("eval_conflict_error", "object keys must be unique", loc);
            }
            t.map.put(last, v);
        }

        /** Merges a child document into this tree (objects merged key by key, sets united). */
        void merge(Value key, Value v) {
            Object prev = map.get(key);
            if (prev == null) {
                map.put(key, v);
                return;
            }
            if (prev instanceof Tree t && v instanceof ObjectValue o) {
                for (Value k2 : o.keys()) {
                    t.merge(k2, o.get(k2));
                }
                return;
            }
            if (prev instanceof Tree t && v instanceof SetValue sv && t.map.containsKey(SET_MARK)) {
                for (Value x : sv.elements()) {
                    ((SetValue.Builder) t.map.get(SET_MARK)).add(x);
                }
                return;
            }
            if (prev instanceof Value pv && pv.equals(v)) {
                return;
            }
            throw new EvalError("eval_conflict_error", "object keys must be unique", null);
        }

        Value build() {
            Object s = map.get(SET_MARK);
            if (s != null) {
                return ((SetValue.Builder) s).build();
            }
            ObjectValue.Builder b = ObjectValue.builder();
            for (Map.Entry<Value, Object> e : map.entrySet()) {
                b.put(e.getKey(), e.getValue() instanceof Tree t ? t.build() : (Value) e.getValue());
            }
            return b.build();
        }
    }

    private static final Value SET_MARK = StringValue.of("\u0000set");

    /** The value of one complete rule with its else chain, or null. */
    private Value evalChain(Plan.Rule r, RuleNode node) {
        for (Plan.Rule cur = r; cur != null; cur = cur.elseRule) {
            Value constant = cur.constant;
            if (constant == null && scope == null) {
                constant = cur.folded;
            }
            if (constant != null) {
                // One value whatever the body binds: the first solution of the body decides.
                Value[] f = cur.slots == 0 ? NO_SLOTS : new Value[cur.slots];
                if (!evalBody(cur.body, 0, f, STOP)) {
                    return constant;
                }
                continue;
            }
            Value[] f = new Value[cur.slots];
            Value[] result = new Value[1];
            Plan.Rule rule = cur;
            evalBody(cur.body, 0, f, () -> evalTerm(rule.value, f, v -> {
                if (result[0] != null && !result[0].equals(v)) {
                    throw new EvalError("eval_conflict_error", "complete rules must not produce multiple outputs",
                            rule.loc);
                }
                result[0] = v;
                return true;
            }));
            if (result[0] != null) {
                return result[0];
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ calls

    private boolean evalCall(Plan.CallT c, Value[] f, VK k) {
        Object mock = mocks() == null ? null : mocks().get(c.name);
        if (mock == null && Core.PRINT.equals(c.name) && c.builtin != null) {
            return print(c, f, k);
        }
        Value[] args = new Value[c.args.length];
        return evalArgs(c, 0, args, f, () -> {
            if (mock instanceof Value mv) {
                return k.accept(mv);
            }
            if (mock instanceof Plan.With w) {
                if (w.replacementBuiltin != null) {
                    return callBuiltin(w.replacementBuiltin, c, args, k);
                }
                // A replacement function runs without any mocks (it may call the original).
                Scope saved = scope;
                CacheState savedCache = takeCache();
                scope = scope(null, saved.withPaths(), saved.withValues());
                Value v;
                try {
                    v = callFunction(w.replacementNode, args.clone(), c.loc);
                } finally {
                    scope = saved;
                    restoreCache(savedCache);
                }
                return v == null || k.accept(v);
            }
            if (c.builtin != null) {
                return callBuiltin(c.builtin, c, args, k);
            }
            Value v = callFunction(c.function, args.clone(), c.loc);
            return v == null || k.accept(v);
        });
    }

    private boolean evalArgs(Plan.CallT c, int j, Value[] out, Value[] f, K k) {
        while (j < c.order.length) {
            int i = c.order[j];
            Value q = quick(c.args[i], f);
            if (q == null) {
                break;
            }
            out[i] = q;
            j++;
        }
        if (j == c.order.length) {
            return k.run();
        }
        int at = j;
        int i = c.order[j];
        return evalTerm(c.args[i], f, v -> {
            out[i] = v;
            return evalArgs(c, at + 1, out, f, k);
        });
    }

    private boolean print(Plan.CallT c, Value[] f, VK k) {
        impure = true;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < c.args.length; i++) {
            List<Value> vals = new ArrayList<>();
            evalTerm(c.args[i], f, v -> {
                vals.add(v);
                return true;
            });
            if (i > 0) {
                b.append(' ');
            }
            if (vals.isEmpty()) {
                b.append("<undefined>");
            } else {
                Value v = vals.get(0);
                b.append(v instanceof StringValue s ? s.value() : v.toString());
            }
        }
        if (setup.printOut != null) {
            setup.printOut.println(b);
        }
        return k.accept(BooleanValue.TRUE);
    }

    /** Carries an exception thrown by the continuation through a builtin relation's iteration. */
    private static final class Passthrough extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Passthrough(RuntimeException cause) {
            super(null, cause, false, false);
        }
    }

    private boolean callBuiltin(Builtin b, Plan.CallT c, Value[] args, VK k) {
        Value v;
        try {
            if (b.relation()) {
                boolean[] go = {true};
                b.asRelation().iterate(args.clone(), bctx(), out -> {
                    try {
                        go[0] = k.accept(out);
                    } catch (RuntimeException e) {
                        throw new Passthrough(e);
                    }
                    return go[0];
                });
                return go[0];
            }
            v = b.fn().call(args.clone(), bctx());
        } catch (Passthrough p) {
            throw (RuntimeException) p.getCause();
        } catch (RegoTypeError | BuiltinError e) {
            // As OPA: builtin errors, operand type errors included, make the call undefined unless strict.
            if (strict) {
                BuiltinFailure x = e.withBuiltin(b.name());
                throw new EvalError(x.code(), x.getMessage(), c.loc);
            }
            return true;
        } catch (EvalError e) {
            throw e;
        } catch (RuntimeException e) {
            // Any other failure inside a builtin counts as a builtin error: undefined unless strict.
            if (strict) {
                throw new EvalError(BuiltinError.CODE, b.name() + ": " + e.getMessage(), c.loc);
            }
            return true;
        }
        if (v == null) {
            return true;
        }
        counted(b, v, c.loc);
        return k.accept(v);
    }

    /** A builtin's answer counted as steps, and a number range's as values built. */
    private void counted(Builtin b, Value v, Location loc) {
        if (v instanceof ArrayValue a && b.name().startsWith("numbers.range")) {
            build(a.size(), loc);
        }
        stepsOf(v, loc);
    }

    /**
     * A builtin function (not a relation) called on arguments the caller owns; null when the call is
     * undefined (including a builtin error when not strict).
     */
    private Value callFunctionBuiltin(Builtin b, Plan.CallT c, Value[] args) {
        Value v;
        try {
            v = b.fn().call(args, bctx());
        } catch (RegoTypeError | BuiltinError e) {
            if (strict) {
                BuiltinFailure x = e.withBuiltin(b.name());
                throw new EvalError(x.code(), x.getMessage(), c.loc);
            }
            return null;
        } catch (EvalError e) {
            throw e;
        } catch (RuntimeException e) {
            if (strict) {
                throw new EvalError(BuiltinError.CODE, b.name() + ": " + e.getMessage(), c.loc);
            }
            return null;
        }
        if (v != null) {
            counted(b, v, c.loc);
        }
        return v;
    }

    /** Key of a cached function result: the function and its arguments. */
    private record Call(RuleNode node, List<Value> args) {
    }

    /** Calls a user function, at most once per distinct arguments per evaluation (as OPA caches them). */
    private Value callFunction(RuleNode node, Value[] args, Location loc) {
        Call key = new Call(node, java.util.Arrays.asList(args));
        Value cached = cached(key);
        if (cached != null) {
            return cached == UNDEFINED ? null : cached;
        }
        Value v = callFunctionUncached(node, args, loc);
        putCached(key, v == null ? UNDEFINED : v);
        return v;
    }

    private Value callFunctionUncached(RuleNode node, Value[] args, Location loc) {
        if (++depth > MAX_DEPTH) {
            throw new EvalError("eval_recursion_error", "evaluation too deep in " + node.name, loc);
        }
        try {
            List<Plan.Rule> rules = node.functions;
            if (node.fnIndexed != null && args.length > 0) {
                List<Plan.Rule> hit = node.fnIndexed.get(args[0]);
                if (hit == null) {
                    rules = node.fnUnindexed;
                } else if (!node.fnUnindexed.isEmpty()) {
                    rules = new ArrayList<>(hit);
                    rules.addAll(node.fnUnindexed);
                } else {
                    rules = hit;
                }
            }
            Value result = null;
            for (Plan.Rule r : rules) {
                Value v = callChain(r, args);
                if (v != null) {
                    if (result != null && !result.equals(v)) {
                        throw new EvalError("eval_conflict_error",
                                "functions must not produce multiple outputs for same inputs", r.loc);
                    }
                    result = v;
                }
            }
            if (result == null && node.defaultFunction != null) {
                result = callChain(node.defaultFunction, args);
            }
            return result;
        } finally {
            depth--;
        }
    }

    private Value callChain(Plan.Rule r, Value[] args) {
        for (Plan.Rule cur = r; cur != null; cur = cur.elseRule) {
            Value[] f = new Value[cur.slots];
            Value[] result = new Value[1];
            Plan.Rule rule = cur;
            unifyArgs(rule.args, args, 0, f, () -> evalBody(rule.body, 0, f, () -> evalTerm(rule.value, f, v -> {
                if (result[0] != null && !result[0].equals(v)) {
                    throw new EvalError("eval_conflict_error",
                            "functions must not produce multiple outputs for same inputs", rule.loc);
                }
                result[0] = v;
                return true;
            })));
            if (result[0] != null) {
                return result[0];
            }
        }
        return null;
    }

    private boolean unifyArgs(Plan.T[] ps, Value[] args, int i, Value[] f, K k) {
        if (i == ps.length) {
            return k.run();
        }
        return unifyValue(ps[i], args[i], f, () -> unifyArgs(ps, args, i + 1, f, k));
    }
}
