package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.B.call;
import static dev.veil.rego.internal.builtins.B.j;
import static dev.veil.rego.internal.builtins.B.json;
import static dev.veil.rego.internal.builtins.B.s;
import static dev.veil.rego.internal.builtins.B.set;
import static dev.veil.rego.internal.builtins.B.typeError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.rego.internal.value.Value;
import org.junit.jupiter.api.Test;

class GraphsTest {
    private static final Value GRAPH = j("{\"a\": [\"b\"], \"b\": [\"c\", \"a\"], \"c\": [], \"d\": [\"x\"]}");

    @Test
    void reachableFollowsEdgesAndSkipsNodesNotInTheGraph() {
        assertThat(call("graph.reachable", GRAPH, j("[\"a\"]"))).isEqualTo(set(s("a"), s("b"), s("c")));
        assertThat(call("graph.reachable", GRAPH, set(s("d")))).isEqualTo(set(s("d")));
        assertThat(call("graph.reachable", GRAPH, j("[\"zz\"]"))).isEqualTo(set());
        typeError("graph.reachable", "graph.reachable: operand 1 must be object but got array", j("[]"), j("[]"));
        typeError("graph.reachable", "graph.reachable: operand 2 must be {array, set} but got string", GRAPH,
                s("a"));
    }

    @Test
    void reachablePathsEndAtLeavesMissingNodesAndCycles() {
        assertThat(json(call("graph.reachable_paths", GRAPH, j("[\"a\"]"))))
                .isEqualTo("[[\"a\",\"b\"],[\"a\",\"b\",\"c\"]]");
        assertThat(json(call("graph.reachable_paths", GRAPH, j("[\"d\", \"c\"]"))))
                .isEqualTo("[[\"c\"],[\"d\"]]");
        typeError("graph.reachable_paths", "graph.reachable_paths: operand 2 must be {array, set} but got number",
                GRAPH, B.n("1"));
    }
}
