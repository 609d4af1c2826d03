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
 * {@code graph.reachable} and {@code graph.reachable_paths} as OPA's {@code topdown/reachable.go}: the graph
 * is an object from vertex to an array or set of neighbours; vertices missing from it are never reached.
 */
public final class Graph {
    private Graph() {
    }

    public static final List<Builtin> ALL = List.of(
            Builtin.of("graph.reachable", 2, Graph::reachable),
            Builtin.of("graph.reachable_paths", 2, Graph::reachablePaths));

    private static List<Value> vertices(Value collection) {
        if (collection instanceof ArrayValue a) {
            return a.asList();
        }
        if (collection instanceof SetValue s) {
            return s.elements();
        }
        return List.of();
    }

    private static ObjectValue graph(String name, Value v) {
        if (v instanceof ObjectValue o) {
            return o;
        }
        throw Operands.typeError(name, 1, v, "object");
    }

    private static List<Value> initial(String name, Value v) {
        if (v instanceof ArrayValue || v instanceof SetValue) {
            return vertices(v);
        }
        throw Operands.typeError(name, 2, v, "{array, set}");
    }

    private static Value reachable(Value[] a, BuiltinContext ctx) {
        ObjectValue graph = graph("graph.reachable", a[0]);
        Deque<Value> queue = new ArrayDeque<>(initial("graph.reachable", a[1]));
        SetValue.Builder reached = SetValue.builder();
        while (!queue.isEmpty()) {
            Value node = queue.poll();
            Value edges = graph.get(node);
            if (edges != null) {
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

    private static Value reachablePaths(Value[] a, BuiltinContext ctx) {
        ObjectValue graph = graph("graph.reachable_paths", a[0]);
        SetValue.Builder out = SetValue.builder();
        for (Value node : initial("graph.reachable_paths", a[1])) {
            Value edges = graph.get(node);
            if (edges == null) {
                continue;
            }
            List<Value> ns = vertices(edges);
            if (ns.isEmpty()) {
                out.add(ArrayValue.of(node));
                continue;
            }
            for (Value n : ns) {
                Set<Value> reached = new HashSet<>();
                reached.add(node);
                paths(graph, n, new ArrayList<>(List.of(node)), out, reached);
            }
        }
        return out.build();
    }

    private static void paths(ObjectValue graph, Value root, List<Value> path, SetValue.Builder out, Set<Value> reached) {
        Value edges = graph.get(root);
        if (edges == null) {
            out.add(ArrayValue.of(path));
            return;
        }
        path.add(root);
        List<Value> ns = vertices(edges);
        if (ns.isEmpty()) {
            out.add(ArrayValue.of(path));
            return;
        }
        // one reached set shared by the whole walk from an initial neighbour, as the OPA version the
        // conformance cases were made with: a vertex reached on one branch ends the paths of later branches
        reached.add(root);
        for (Value n : ns) {
            if (reached.contains(n)) {
                out.add(ArrayValue.of(path));
            } else {
                paths(graph, n, new ArrayList<>(path), out, reached);
            }
        }
    }
}
