package dev.veil.rego.internal.compile;

import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Safety analysis over compiled expressions: which variables an expression needs bound before it
 * runs, which it binds, and whether it can run given the variables bound so far. This drives OPA's
 * reordering of body expressions so that generators come before their consumers.
 */
final class Analysis {
    private Analysis() {
    }

    /** Every slot mentioned in {@code t} (patterns included, closures' captured slots included). */
    static void slots(Plan.T t, BitSet out) {
        Set<Plan.Local> need = new LinkedHashSet<>();
        needLocals(t, need, true);
        for (Plan.Local l : need) {
            out.set(l.slot);
        }
    }

    /**
     * The locals {@code t} needs bound to be evaluated as a value. With {@code patternOk}, locals in
     * ref keys and in pattern positions count too (callers use this to list every local).
     */
    static void needLocals(Plan.T t, Set<Plan.Local> out, boolean all) {
        collect(t, out, all, false);
    }

    private static void collect(Plan.T t, Set<Plan.Local> out, boolean all, boolean refKey) {
        if (t == null) {
            return;
        }
        if (t instanceof Plan.Local l) {
            if (all || !refKey) {
                out.add(l);
            }
        } else if (t instanceof Plan.Ref r) {
            collect(r.head, out, all, false);
            for (Plan.T p : r.path) {
                collect(p, out, all, isPattern(p));
            }
        } else if (t instanceof Plan.Arr a) {
            for (Plan.T x : a.elems) {
                collect(x, out, all, refKey);
            }
        } else if (t instanceof Plan.SetT a) {
            for (Plan.T x : a.elems) {
                collect(x, out, all, false);
            }
        } else if (t instanceof Plan.Obj o) {
            for (int i = 0; i < o.keys.length; i++) {
                collect(o.keys[i], out, all, false);
                collect(o.values[i], out, all, refKey);
            }
        } else if (t instanceof Plan.CallT c) {
            if (all) {
                for (Plan.T x : c.args) {
                    collect(x, out, true, false);
                }
            } else {
                // Arguments that are references run first and may bind variables the others use.
                Set<Plan.Local> mine = new LinkedHashSet<>();
                Set<Plan.Local> outputs = new LinkedHashSet<>();
                for (Plan.T x : c.args) {
                    collect(x, mine, false, false);
                    if (x instanceof Plan.Ref) {
                        collect(x, outputs, true, false);
                    }
                }
                Set<Integer> outSlots = new java.util.HashSet<>();
                for (Plan.Local l : outputs) {
                    outSlots.add(l.slot);
                }
                for (Plan.Local l : mine) {
                    if (!outSlots.contains(l.slot)) {
                        out.add(l);
                    }
                }
            }
        } else if (t instanceof Plan.ArrC c) {
            captured(c.body, c.head, null, out);
        } else if (t instanceof Plan.SetC c) {
            captured(c.body, c.head, null, out);
        } else if (t instanceof Plan.ObjC c) {
            captured(c.body, c.key, c.value, out);
        } else if (t instanceof Plan.Tmpl tm) {
            for (Plan.T x : tm.terms) {
                collect(x, out, all, false);
            }
        }
    }

    private static boolean isPattern(Plan.T t) {
        return t instanceof Plan.Local || t instanceof Plan.Arr || t instanceof Plan.Obj;
    }

    /** Slots used inside a closure that belong to an enclosing scope. */
    static void captured(Plan.Body body, Plan.T a, Plan.T b, Set<Plan.Local> out) {
        Set<Plan.Local> inner = new LinkedHashSet<>();
        collect(a, inner, true, false);
        collect(b, inner, true, false);
        for (Plan.Expr e : body.exprs) {
            exprLocals(e, inner);
        }
        for (Plan.Local l : inner) {
            if (l.slot < body.lo || l.slot >= body.hi) {
                out.add(l);
            }
        }
    }

    /** Every local of an expression (all positions). */
    static void exprLocals(Plan.Expr e, Set<Plan.Local> out) {
        collect(e.a, out, true, false);
        collect(e.b, out, true, false);
        if (e.kind == Plan.Kind.EVERY) {
            collect(e.c, out, true, false);
            captured(e.body, null, null, out);
        } else {
            collect(e.c, out, true, false);
        }
        for (Plan.With w : e.withs) {
            collect(w.value, out, true, false);
        }
    }

    private static boolean allBound(Set<Plan.Local> ls, BitSet bound) {
        for (Plan.Local l : ls) {
            if (!bound.get(l.slot)) {
                return false;
            }
        }
        return true;
    }

    private static boolean evaluable(Plan.T t, BitSet bound) {
        Set<Plan.Local> need = new LinkedHashSet<>();
        collect(t, need, false, false);
        return allBound(need, bound);
    }

    /** A term that can take a value by unification: an unbound var or a composite of patterns. */
    private static boolean pattern(Plan.T t, BitSet bound) {
        if (t instanceof Plan.Local) {
            return true;
        }
        if (t instanceof Plan.Arr a) {
            for (Plan.T x : a.elems) {
                if (!evaluable(x, bound) && !pattern(x, bound)) {
                    return false;
                }
            }
            return true;
        }
        if (t instanceof Plan.Obj o) {
            for (int i = 0; i < o.keys.length; i++) {
                if (!evaluable(o.keys[i], bound) || !evaluable(o.values[i], bound) && !pattern(o.values[i], bound)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    private static boolean canUnify(Plan.T a, Plan.T b, BitSet bound) {
        if (a instanceof Plan.Obj x && b instanceof Plan.Obj y && x.keys.length == y.keys.length) {
            Plan.T[][] pairs = Plan.objPairs(x, y);
            if (pairs != null) {
                return canUnify(new Plan.Arr(x.loc, pairs[0]), new Plan.Arr(y.loc, pairs[1]), bound);
            }
        }
        if (a instanceof Plan.Arr x && b instanceof Plan.Arr y && x.elems.length == y.elems.length) {
            BitSet local = (BitSet) bound.clone();
            boolean progress = true;
            boolean[] done = new boolean[x.elems.length];
            int left = x.elems.length;
            while (progress && left > 0) {
                progress = false;
                for (int i = 0; i < done.length; i++) {
                    if (!done[i] && canUnify(x.elems[i], y.elems[i], local)) {
                        slots(x.elems[i], local);
                        slots(y.elems[i], local);
                        done[i] = true;
                        left--;
                        progress = true;
                    }
                }
            }
            return left == 0;
        }
        boolean ea = evaluable(a, bound);
        boolean eb = evaluable(b, bound);
        if (ea && eb) {
            return true;
        }
        if (ea && pattern(b, bound)) {
            return true;
        }
        return eb && pattern(a, bound);
    }

    /** True when the expression can run with {@code bound} bound. */
    static boolean safe(Plan.Expr e, BitSet bound) {
        for (Plan.With w : e.withs) {
            if (!evaluable(w.value, bound)) {
                return false;
            }
        }
        if (e.negated) {
            Set<Plan.Local> all = new LinkedHashSet<>();
            exprLocals(e, all);
            for (Plan.Local l : all) {
                if (!bound.get(l.slot) && !l.name.startsWith("$")) {
                    return false;
                }
            }
            return safePositive(e, bound);
        }
        return safePositive(e, bound);
    }

    private static boolean safePositive(Plan.Expr e, BitSet bound) {
        switch (e.kind) {
            case NOP:
                return true;
            case TERM:
                return evaluable(e.a, bound);
            case CALL:
                if (!evaluable(e.a, bound)) {
                    return false;
                }
                return e.b == null || evaluable(e.b, bound) || pattern(e.b, bound);
            case UNIFY:
                return canUnify(e.a, e.b, bound);
            case SOME_IN:
                if (!evaluable(e.c, bound)) {
                    return false;
                }
                return (e.b == null || evaluable(e.b, bound) || pattern(e.b, bound))
                        && (evaluable(e.a, bound) || pattern(e.a, bound));
            case EVERY: {
                if (!evaluable(e.c, bound)) {
                    return false;
                }
                Set<Plan.Local> cap = new LinkedHashSet<>();
                captured(e.body, null, null, cap);
                return allBound(cap, bound);
            }
            default:
                return false;
        }
    }

    /** Marks what the expression binds. */
    static void bind(Plan.Expr e, BitSet bound) {
        if (e.negated || e.kind == Plan.Kind.EVERY) {
            return;
        }
        Set<Plan.Local> all = new LinkedHashSet<>();
        collect(e.a, all, true, false);
        collect(e.b, all, true, false);
        collect(e.c, all, true, false);
        for (Plan.Local l : all) {
            bound.set(l.slot);
        }
    }

    /** The locals of an unsafe expression that are not bound. */
    static void unboundLocals(Plan.Expr e, BitSet bound, Set<Plan.Local> out) {
        Set<Plan.Local> all = new LinkedHashSet<>();
        if (e.negated) {
            exprLocals(e, all);
        } else if (e.kind == Plan.Kind.UNIFY) {
            collect(e.a, all, true, false);
            collect(e.b, all, true, false);
        } else if (e.kind == Plan.Kind.EVERY) {
            collect(e.c, all, false, false);
            captured(e.body, null, null, all);
        } else if (e.kind == Plan.Kind.SOME_IN) {
            collect(e.c, all, false, false);
        } else {
            collect(e.a, all, false, false);
            if (e.b != null && !pattern(e.b, bound)) {
                collect(e.b, all, false, false);
            }
        }
        for (Plan.Local l : all) {
            if (!bound.get(l.slot)) {
                out.add(l);
            }
        }
    }

    /** The slots bound after the body ran. */
    static BitSet boundAfter(Plan.Body body, BitSet initial) {
        BitSet b = (BitSet) initial.clone();
        for (Plan.Expr e : body.exprs) {
            bind(e, b);
        }
        return b;
    }
}
