package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.Calls.json;
import static dev.veil.rego.internal.builtins.Calls.typeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

class GraphTest {

    @Test
    void reachable() {
        assertThat(json("graph.reachable", "{\"a\":[\"b\"],\"b\":[\"c\"],\"c\":[\"a\"]}", "[\"a\"]"))
                .isEqualTo("[\"a\",\"b\",\"c\"]");
        assertThat(json("graph.reachable", "{\"a\":[\"b\"],\"b\":[\"x\"]}", "[\"a\"]")).isEqualTo("[\"a\",\"b\"]");
        assertThat(json("graph.reachable", "{}", "[\"a\"]")).isEqualTo("[]");
        typeError("graph.reachable: operand 1 must be object but got array", "graph.reachable", "[]", "[]");
        typeError("graph.reachable: operand 2 must be {array, set} but got string", "graph.reachable", "{}",
                "\"a\"");
    }

    @Test
    void reachablePaths() {
        assertThat(json("graph.reachable_paths", "{\"a\":[\"b\",\"c\"],\"b\":[],\"c\":[\"a\"]}", "[\"a\"]"))
                .isEqualTo("[[\"a\",\"b\"],[\"a\",\"c\"]]");
        assertThat(json("graph.reachable_paths", "{\"a\":[]}", "[\"a\",\"z\"]")).isEqualTo("[[\"a\"]]");
        typeError("graph.reachable_paths: operand 2 must be {array, set} but got number", "graph.reachable_paths",
                "{}", "1");
    }

    @Test
    void reachableIsClosedUnderEdges() {
        qt().forAll(lists().of(integers().between(0, 6)).ofSizeBetween(0, 14)).checkAssert(pairs -> {
            ObjectValue.Builder g = ObjectValue.builder();
            for (int v = 0; v < 7; v++) {
                SetValue.Builder edges = SetValue.builder();
                for (int i = 0; i + 1 < pairs.size(); i += 2) {
                    if (pairs.get(i) == v) {
                        edges.add(NumberValue.of(pairs.get(i + 1)));
                    }
                }
                g.put(NumberValue.of(v), edges.build());
            }
            ObjectValue graph = g.build();
            SetValue reached = (SetValue) Calls.call("graph.reachable", graph, ArrayValue.of(NumberValue.ZERO));
            assertThat(reached.contains(NumberValue.ZERO)).isTrue();
            for (Value v : reached.elements()) {
                for (Value n : ((SetValue) graph.get(v)).elements()) {
                    assertThat(reached.contains(n)).as("%s -> %s in %s", v, n, graph).isTrue();
                }
            }
        });
    }

    @Test
    void lookupIpAddrOfALiteralIsItself() {
        assertThat(json("net.lookup_ip_addr", "\"10.0.0.0\"")).isEqualTo("[\"10.0.0.0\"]");
        assertThat(json("net.lookup_ip_addr", "\"::\"")).isEqualTo("[\"::\"]");
        assertThat(json("net.lookup_ip_addr", "\"localhost\"")).isIn(List.of("[\"127.0.0.1\"]",
                "[\"127.0.0.1\",\"::1\"]", "[\"::1\"]"));
        Calls.builtinError("net.lookup_ip_addr: lookup : no such host", "net.lookup_ip_addr", "\"\"");
        typeError("net.lookup_ip_addr: operand 1 must be string but got number", "net.lookup_ip_addr", "1");
    }
}
