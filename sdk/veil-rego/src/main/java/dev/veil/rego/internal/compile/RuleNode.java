package dev.veil.rego.internal.compile;

import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One path of the virtual document tree ({@code data.a.b}): the rules defined exactly at this path
 * and the child paths. Built by the {@link Compiler}, then read-only.
 */
public final class RuleNode {
    public final List<Value> path;
    public final String name;
    /** Children by key, sorted. */
    public final Map<Value, RuleNode> children = new TreeMap<>();
    /** The same children in a hash map, for {@link #childAt(Value)} (the tree map compares keys by code point). */
    private Map<Value, RuleNode> lookup;
    /** Complete rules (not default), each possibly with an else chain. */
    public final List<Plan.Rule> complete = new ArrayList<>();
    /** The default rule or null. */
    public Plan.Rule defaultRule;
    /** Partial set and object rules (rules with key terms). */
    public final List<Plan.Rule> partial = new ArrayList<>();
    /** The default function ({@code default f(_) := v}) or null. */
    public Plan.Rule defaultFunction;
    /** Function definitions. */
    public final List<Plan.Rule> functions = new ArrayList<>();
    /** Arity of the functions, -1 when none. */
    public int arity = -1;
    /** Set while placing rules, before they are compiled. */
    boolean pendingRules;
    boolean pendingFunction;
    int declaredArity = -1;

    /** Index of the complete/partial rules: the reference compared, by constant; null when not indexed. */
    public Plan.Ref indexRef;
    public Map<Value, List<Plan.Rule>> indexed = Collections.emptyMap();
    public List<Plan.Rule> unindexed = Collections.emptyList();
    /** Index of the functions by their constant first argument; null when not indexed. */
    public Map<Value, List<Plan.Rule>> fnIndexed;
    public List<Plan.Rule> fnUnindexed = Collections.emptyList();

    RuleNode(List<Value> path) {
        this.path = List.copyOf(path);
        StringBuilder b = new StringBuilder("data");
        for (Value v : path) {
            if (v instanceof StringValue s && dev.veil.rego.internal.ast.Ref.isIdentifier(s.value())) {
                b.append('.').append(s.value());
            } else {
                b.append('[').append(v).append(']');
            }
        }
        this.name = b.toString();
    }

    /** True when rules (not functions) are defined at this path. */
    public boolean hasRules() {
        return !complete.isEmpty() || defaultRule != null || !partial.isEmpty();
    }

    public boolean isFunction() {
        return !functions.isEmpty() || defaultFunction != null;
    }

    /** True when only partial set rules without extra keys are defined here. */
    public boolean isPartialSet() {
        if (partial.isEmpty() || !complete.isEmpty()) {
            return false;
        }
        for (Plan.Rule r : partial) {
            if (r.kind != Plan.Rule.Kind.SET || r.keys.length != 0) {
                return false;
            }
        }
        return true;
    }

    RuleNode child(Value key) {
        return children.computeIfAbsent(key, k -> {
            List<Value> p = new ArrayList<>(path);
            p.add(k);
            return new RuleNode(p);
        });
    }

    /** Finds the node at {@code path} below this one, or null. */
    public RuleNode find(List<Value> rel) {
        RuleNode n = this;
        for (Value v : rel) {
            n = n.children.get(v);
            if (n == null) {
                return null;
            }
        }
        return n;
    }

    boolean isFunctionLike() {
        return pendingFunction;
    }

    boolean hasPending() {
        return pendingRules || pendingFunction;
    }

    /** True when this node or a node below has rules or functions (as placed, before compilation). */
    public boolean anyPending() {
        if (hasPending()) {
            return true;
        }
        for (RuleNode c : children.values()) {
            if (c.anyPending()) {
                return true;
            }
        }
        return false;
    }

    /** True when this node or a node below has rules or functions. */
    public boolean anyRules() {
        if (hasRules() || isFunction()) {
            return true;
        }
        for (RuleNode c : children.values()) {
            if (c.anyRules()) {
                return true;
            }
        }
        return false;
    }

    /** The child at {@code key}, or null. */
    public RuleNode childAt(Value key) {
        Map<Value, RuleNode> m = lookup;
        return m != null ? m.get(key) : children.get(key);
    }

    void buildIndex() {
        lookup = children.isEmpty() ? Collections.emptyMap() : new HashMap<>(children);
        List<Plan.Rule> all = new ArrayList<>(complete);
        all.addAll(partial);
        Map<String, Integer> refCounts = new HashMap<>();
        Map<String, Plan.Ref> refs = new HashMap<>();
        for (Plan.Rule r : all) {
            if (r.indexRef != null) {
                String k = Compiler.refKey(r.indexRef);
                refCounts.merge(k, 1, Integer::sum);
                refs.put(k, r.indexRef);
            }
        }
        String best = null;
        for (Map.Entry<String, Integer> e : refCounts.entrySet()) {
            if (e.getValue() >= 2 && (best == null || e.getValue() > refCounts.get(best))) {
                best = e.getKey();
            }
        }
        if (best != null) {
            indexRef = refs.get(best);
            Map<Value, List<Plan.Rule>> m = new HashMap<>();
            List<Plan.Rule> rest = new ArrayList<>();
            for (Plan.Rule r : all) {
                if (r.indexRef != null && Compiler.refKey(r.indexRef).equals(best)) {
                    m.computeIfAbsent(r.indexConst, k -> new ArrayList<>()).add(r);
                } else {
                    rest.add(r);
                }
            }
            indexed = m;
            unindexed = rest;
        }
        int constFirst = 0;
        for (Plan.Rule f : functions) {
            if (f.indexConst != null) {
                constFirst++;
            }
        }
        if (constFirst >= 2) {
            Map<Value, List<Plan.Rule>> m = new HashMap<>();
            List<Plan.Rule> rest = new ArrayList<>();
            for (Plan.Rule f : functions) {
                if (f.indexConst != null) {
                    m.computeIfAbsent(f.indexConst, k -> new ArrayList<>()).add(f);
                } else {
                    rest.add(f);
                }
            }
            fnIndexed = m;
            fnUnindexed = rest;
        }
        for (RuleNode c : children.values()) {
            c.buildIndex();
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
