package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.Value;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Graph builtins as OPA's {@code topdown/reachable.go}: {@code graph.reachable(graph, initial)} (the
 * nodes reachable from the initial ones, each in the graph) and {@code graph.reachable_paths} (every
 * maximal path, a path ending where a node has no edges, is not in the graph, or meets a node already
 * visited from the same initial edge). A
 * graph is an object from node to an array or set of neighbours.
 */
public final class Graphs {
    /** Every builtin of this topic. */
    public static final List<Builtin> ALL = List.of(
            Builtin.of("graph.reachable", 2, (a, c) -> reachable("graph.reachable", a)),
            Builtin.of("graph.reachable_paths", 2, (a, c) -> reachablePaths("graph.reachable_paths", a)));

    private Graphs() {
    }

    private static List<Value> vertices(Value v) {
        if (v instanceof ArrayValue a) {
            return a.asList();
        }
        if (v instanceof SetValue s) {
            return s.elements();
        }
        return List.of();
    }

    private static List<Value> initial(String name, Value v) {
        if (!(v instanceof ArrayValue) && !(v instanceof SetValue)) {
            throw RegoTypeError.operand(2, v, "{array, set}").withBuiltin(name);
        }
        return vertices(v);
    }

    private static Value reachable(String name, Value[] a) {
        ObjectValue graph = Operands.object(name, a[0], 1);
        Deque<Value> queue = new ArrayDeque<>(initial(name, a[1]));
        SetValue.Builder reached = SetValue.builder();
        while (!queue.isEmpty()) {
            Value node = queue.poll();
            Value edges = graph.get(node);
            if (edges != null && !reached.contains(node)) {
                for (Value n : vertices(edges)) {
                    if (!reached.contains(n)) {
                        queue.add(n);
                    }
                }
                reached.add(node);
            }
        }
        return reached.build();
    }

    private static Value reachablePaths(String name, Value[] a) {
        ObjectValue graph = Operands.object(name, a[0], 1);
        SetValue.Builder result = SetValue.builder();
        for (Value node : initial(name, a[1])) {
            Value edges = graph.get(node);
            if (edges == null) {
                continue;
            }
            List<Value> next = vertices(edges);
            if (next.isEmpty()) {
                result.add(ArrayValue.of(node));
                continue;
            }
            for (Value n : next) {
                List<Value> path = new ArrayList<>();
                path.add(node);
                Set<Value> seen = new HashSet<>();
                seen.add(node);
                paths(graph, n, path, seen, result);
            }
        }
        return result.build();
    }

    private static void paths(ObjectValue graph, Value root, List<Value> path, Set<Value> reached,
            SetValue.Builder out) {
        Value edges = graph.get(root);
        if (edges == null) {
            out.add(ArrayValue.of(path));
            return;
        }
        List<Value> here = new ArrayList<>(path);
        here.add(root);
        List<Value> next = vertices(edges);
        if (next.isEmpty()) {
            out.add(ArrayValue.of(here));
            return;
        }
        // one visited set for the whole walk from an initial edge, as the OPA release the conformance
        // cases were generated with: a node seen on a sibling branch ends the path (reachable_paths/cycle_1022_3)
        reached.add(root);
        for (Value n : next) {
            if (reached.contains(n)) {
                out.add(ArrayValue.of(here));
            } else {
                paths(graph, n, here, reached, out);
            }
        }
    }
}
