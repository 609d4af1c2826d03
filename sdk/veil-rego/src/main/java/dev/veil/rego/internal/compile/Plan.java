package dev.veil.rego.internal.compile;

import dev.veil.rego.internal.ast.Location;
import dev.veil.rego.internal.builtins.Builtin;
import dev.veil.rego.internal.value.Value;
import java.util.List;

/**
 * The compiled form of policies and queries that the evaluator runs: terms with variables resolved
 * to slot indexes of a frame array, bodies in safe evaluation order, rules grouped per path in a
 * {@link RuleNode} tree. Everything here is immutable after compilation and shared by all threads.
 */
public final class Plan {
    private Plan() {
    }

    /** A compiled term. */
    public abstract static sealed class T
            permits Const, Local, Root, Ref, Arr, Obj, SetT, ArrC, SetC, ObjC, CallT, Tmpl {
        public final Location loc;

        T(Location loc) {
            this.loc = loc;
        }
    }

    /** A constant (scalars and ground composites). */
    public static final class Const extends T {
        public final Value value;

        public Const(Location loc, Value value) {
            super(loc);
            this.value = value;
        }
    }

    /** A local variable: a slot of the frame. */
    public static final class Local extends T {
        public final int slot;
        public final String name;

        public Local(Location loc, int slot, String name) {
            super(loc);
            this.slot = slot;
            this.name = name;
        }

        /** True for wildcards and compiler-generated variables. */
        public boolean generated() {
            return name.startsWith("$") || name.startsWith("__");
        }
    }

    /** {@code data} or {@code input}. */
    public static final class Root extends T {
        public final boolean input;

        public Root(Location loc, boolean input) {
            super(loc);
            this.input = input;
        }
    }

    /** {@code head[path0][path1]...}. */
    public static final class Ref extends T {
        public final T head;
        public final T[] path;
        /** For refs into data: how many leading path terms are constants. */
        public final int groundPrefix;
        /** The keys when every path term is a constant, for {@code ObjectValue.getPath}; null otherwise. */
        public final Value[] keys;
        /**
         * For a ref into data whose keys are all constants, the evaluator's memo of where the keys lead in
         * the rule tree (a pure function of the compiled tree and the base data, which never change); set on
         * first use, null until then.
         */
        public volatile Object resolved;

        public Ref(Location loc, T head, T[] path) {
            super(loc);
            this.head = head;
            this.path = path;
            int g = 0;
            while (g < path.length && path[g] instanceof Const) {
                g++;
            }
            this.groundPrefix = g;
            Value[] ks = null;
            if (g == path.length && g > 0) {
                ks = new Value[g];
                for (int i = 0; i < g; i++) {
                    ks[i] = ((Const) path[i]).value;
                }
            }
            this.keys = ks;
        }
    }

    /** An array literal with non-constant elements. */
    public static final class Arr extends T {
        public final T[] elems;

        public Arr(Location loc, T[] elems) {
            super(loc);
            this.elems = elems;
        }
    }

    /** An object literal with non-constant parts. */
    public static final class Obj extends T {
        public final T[] keys;
        public final T[] values;

        public Obj(Location loc, T[] keys, T[] values) {
            super(loc);
            this.keys = keys;
            this.values = values;
        }
    }

    /**
     * The values of two object patterns with the same constant keys, paired by key ({@code [0]} from
     * {@code x}, {@code [1]} from {@code y}), or null when their keys are not the same constants.
     */
    public static T[][] objPairs(Obj x, Obj y) {
        T[][] out = new T[2][x.keys.length];
        for (int i = 0; i < x.keys.length; i++) {
            if (!(x.keys[i] instanceof Const kx)) {
                return null;
            }
            int found = -1;
            for (int j = 0; j < y.keys.length; j++) {
                if (y.keys[j] instanceof Const ky && ky.value.equals(kx.value)) {
                    found = j;
                    break;
                }
            }
            if (found < 0) {
                return null;
            }
            out[0][i] = x.values[i];
            out[1][i] = y.values[found];
        }
        return out;
    }

    /** A set literal with non-constant elements. */
    public static final class SetT extends T {
        public final T[] elems;

        public SetT(Location loc, T[] elems) {
            super(loc);
            this.elems = elems;
        }
    }

    /** {@code [head | body]}. */
    public static final class ArrC extends T {
        public final T head;
        public final Body body;

        public ArrC(Location loc, T head, Body body) {
            super(loc);
            this.head = head;
            this.body = body;
        }
    }

    /** {@code {head | body}}. */
    public static final class SetC extends T {
        public final T head;
        public final Body body;

        public SetC(Location loc, T head, Body body) {
            super(loc);
            this.head = head;
            this.body = body;
        }
    }

    /** {@code {key: value | body}}. */
    public static final class ObjC extends T {
        public final T key;
        public final T value;
        public final Body body;

        public ObjC(Location loc, T key, T value, Body body) {
            super(loc);
            this.key = key;
            this.value = value;
            this.body = body;
        }
    }

    /** A string template {@code $"...{expr}..."}: literal parts and embedded terms, alternating. */
    public static final class Tmpl extends T {
        public final String[] parts;
        public final T[] terms;

        public Tmpl(Location loc, String[] parts, T[] terms) {
            super(loc);
            this.parts = parts;
            this.terms = terms;
        }
    }

    /** A call of a builtin or a user function, used as a term (one output). */
    public static final class CallT extends T {
        /** Builtin name or the function's full path ({@code data.a.f}), the key {@code with} replaces. */
        public final String name;
        /** The builtin, or null for a user function. */
        public final Builtin builtin;
        /** The user function's node, or null for a builtin. */
        public final RuleNode function;
        public final T[] args;
        /** The order to evaluate the arguments in: references first (they may bind variables). */
        public final int[] order;
        /**
         * For the total comparisons the evaluator decides inline: {@link #EQUAL}, {@link #NEQ},
         * {@link #MEMBER}; 0 for any other call.
         */
        public final int op;

        /** {@code x == y}. */
        public static final int EQUAL = 1;
        /** {@code x != y}. */
        public static final int NEQ = 2;
        /** {@code x in xs}. */
        public static final int MEMBER = 3;

        public CallT(Location loc, String name, Builtin builtin, RuleNode function, T[] args) {
            super(loc);
            this.name = name;
            this.builtin = builtin;
            this.function = function;
            this.args = args;
            this.op = builtin == null || args.length != 2 ? 0 : switch (name) {
                case "equal" -> EQUAL;
                case "neq" -> NEQ;
                case "internal.member_2" -> MEMBER;
                default -> 0;
            };
            this.order = new int[args.length];
            int j = 0;
            for (int i = 0; i < args.length; i++) {
                if (args[i] instanceof Ref) {
                    order[j++] = i;
                }
            }
            for (int i = 0; i < args.length; i++) {
                if (!(args[i] instanceof Ref)) {
                    order[j++] = i;
                }
            }
        }
    }

    /** What an expression does. */
    public enum Kind { TERM, CALL, UNIFY, SOME_IN, EVERY, NOP }

    /** One body expression. */
    public static final class Expr {
        public final Location loc;
        public final Kind kind;
        public final boolean negated;
        public final With[] withs;
        /** TERM: the term; CALL: the call; UNIFY: left side; SOME_IN/EVERY: the value pattern. */
        public final T a;
        /** CALL: the output or null; UNIFY: right side; SOME_IN/EVERY: the key pattern or null. */
        public final T b;
        /** SOME_IN/EVERY: the collection. */
        public final T c;
        /** EVERY: the body. */
        public final Body body;
        /** True for {@code :=} (UNIFY). */
        public final boolean assign;
        /** Text of the expression, for errors. */
        public final String text;
        /**
         * A comparison of {@code input} at constant keys with a constant, which the evaluator decides in a few
         * steps ({@code input.caller.tenant == "x"}, {@code "x" in input.caller.roles},
         * {@code input.caller.attributes.region in {"eu", "uk"}}): one of {@link #TEST_EQUAL}, {@link #TEST_NEQ},
         * {@link #TEST_MEMBER}; 0 for any other expression. Set only for expressions without {@code with}
         * whose call has no output term; {@code negated} still applies.
         */
        public final int test;
        /** For a {@link #test}: the keys below {@code input}. */
        public final Value[] testKeys;
        /** For a {@link #test}: the constant. */
        public final Value testConstant;
        /** For a {@link #test}: whether the input's value is the call's first argument. */
        public final boolean testInputFirst;

        /** {@code input... == c} or {@code c == input...} (also {@code =} between them). */
        public static final int TEST_EQUAL = 1;
        /** {@code input... != c} or {@code c != input...}. */
        public static final int TEST_NEQ = 2;
        /** {@code c in input...} or {@code input... in c}. */
        public static final int TEST_MEMBER = 3;

        public Expr(Location loc, Kind kind, boolean negated, With[] withs, T a, T b, T c, Body body,
                    boolean assign, String text) {
            this.loc = loc;
            this.kind = kind;
            this.negated = negated;
            this.withs = withs;
            this.a = a;
            this.b = b;
            this.c = c;
            this.body = body;
            this.assign = assign;
            this.text = text;
            T x = null;
            T y = null;
            int op = 0;
            if (withs.length == 0 && kind == Kind.CALL && b == null && a instanceof CallT call && call.op != 0) {
                x = call.args[0];
                y = call.args[1];
                op = call.op == CallT.EQUAL ? TEST_EQUAL : call.op == CallT.NEQ ? TEST_NEQ : TEST_MEMBER;
            } else if (withs.length == 0 && kind == Kind.UNIFY) {
                x = a;
                y = b;
                op = TEST_EQUAL;
            }
            boolean inputFirst = inputRef(x) != null && y instanceof Const;
            boolean inputSecond = x instanceof Const && inputRef(y) != null;
            if (op != 0 && (inputFirst || inputSecond)) {
                this.test = op;
                this.testKeys = inputRef(inputFirst ? x : y);
                this.testConstant = ((Const) (inputFirst ? y : x)).value;
                this.testInputFirst = inputFirst;
            } else {
                this.test = 0;
                this.testKeys = null;
                this.testConstant = null;
                this.testInputFirst = false;
            }
        }

        /** The keys of {@code input.k1.k2...} with constant keys, or null for any other term. */
        private static Value[] inputRef(T t) {
            return t instanceof Ref r && r.head instanceof Root root && root.input ? r.keys : null;
        }
    }

    /** {@code with target as value}. */
    public static final class With {
        /** INPUT or DATA path replacement, or FUNCTION replacement. */
        public enum Target { INPUT, DATA, FUNCTION }

        public final Target target;
        public final Value[] path;
        /** For FUNCTION: the replaced builtin name or function path. */
        public final String function;
        /** The replacement value (a Const null placeholder when a function is replaced by a function). */
        public final T value;
        /**
         * For a function replaced by another function: the replacement's name, and either the builtin
         * or the user function's node; all null when the replacement is a value.
         */
        public final String replacementFunction;
        public final Builtin replacementBuiltin;
        public final RuleNode replacementNode;

        public With(Target target, Value[] path, String function, T value, String replacementFunction,
                    Builtin replacementBuiltin, RuleNode replacementNode) {
            this.target = target;
            this.path = path;
            this.function = function;
            this.value = value;
            this.replacementFunction = replacementFunction;
            this.replacementBuiltin = replacementBuiltin;
            this.replacementNode = replacementNode;
        }
    }

    /** A conjunction in evaluation order. */
    public static final class Body {
        public final Expr[] exprs;
        /** The slots this body (with its nested closures) owns: {@code [lo, hi)}; others are captured. */
        public final int lo;
        public final int hi;

        public Body(Expr[] exprs, int lo, int hi) {
            this.exprs = exprs;
            this.lo = lo;
            this.hi = hi;
        }

        public Body(List<Expr> exprs, int lo, int hi) {
            this(exprs.toArray(new Expr[0]), lo, hi);
        }
    }

    /** A compiled rule (one definition; an {@code else} branch is its own Rule linked from the first). */
    public static final class Rule {
        public enum Kind { COMPLETE, SET, OBJECT, FUNCTION }

        public final Kind kind;
        public final boolean isDefault;
        public final Location loc;
        /** Function parameters (patterns), or null. */
        public final T[] args;
        /** Head terms after the node's path (object keys, set's parent keys); empty for COMPLETE. */
        public final T[] keys;
        /** The value (COMPLETE, OBJECT, FUNCTION) or the element (SET). */
        public final T value;
        public final Body body;
        public final int slots;
        public Rule elseRule;
        /**
         * Index key: the constant a function's first argument must equal, or the constant that
         * {@link #indexRef} must equal for the body to hold; null when the rule is not indexed.
         */
        public final Value indexConst;
        /** For complete/partial rules: the ground reference ({@code input.role}) compared to indexConst. */
        public final Ref indexRef;
        /**
         * The value of a rule whose value term neither reads {@code input} nor binds anything from the body
         * ({@code {"release": object.union(top3, {"top_k": 0})}}), computed once after compilation, or null.
         * Valid only when no {@code with} replaces data or functions; set once, before the plan is shared.
         */
        public Value folded;
        /** The value when the value term is a constant ({@code value} of a {@link Const}), or null. */
        public final Value constant;

        public Rule(Kind kind, boolean isDefault, Location loc, T[] args, T[] keys, T value, Body body, int slots,
                    Value indexConst, Ref indexRef) {
            this.constant = value instanceof Const c ? c.value : null;
            this.kind = kind;
            this.isDefault = isDefault;
            this.loc = loc;
            this.args = args;
            this.keys = keys;
            this.value = value;
            this.body = body;
            this.slots = slots;
            this.indexConst = indexConst;
            this.indexRef = indexRef;
        }
    }

    /** A compiled query: a body and the names of the variables to report, by slot. */
    public static final class Query {
        public final Body body;
        public final int slots;
        public final String[] names;
        public final int[] outSlots;

        public Query(Body body, int slots, String[] names, int[] outSlots) {
            this.body = body;
            this.slots = slots;
            this.names = names;
            this.outSlots = outSlots;
        }
    }
}
