package dev.veil.rego.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InputShapeTest {
    /** The schema the docs publish, from the repository (the tests run in sdk/veil-rego). */
    private static final Path SCHEMA = Path.of("../../docs/policy-input.schema.json");

    @Test
    void theShapeIsThePublishedSchema() throws IOException {
        JsonNode schema = new ObjectMapper().readTree(Files.readString(SCHEMA));
        assertThat(InputShape.DOCUMENT).isEqualTo(shape(schema, "input"));
    }

    @Test
    void everyPathOfTheShapeIsDefinedAndEveryWrongStepIsNot() {
        List<List<Value>> defined = new ArrayList<>();
        paths(InputShape.DOCUMENT, new ArrayList<>(), defined);
        assertThat(defined).hasSizeGreaterThan(20);
        for (List<Value> p : defined) {
            assertThat(InputShape.undefined(p)).as("%s", p).isNull();
            List<Value> typo = new ArrayList<>(p);
            typo.add(StringValue.of("no_such_key"));
            InputShape at = at(typo.subList(0, p.size()));
            if (!(at instanceof InputShape.Open)) {
                assertThat(InputShape.undefined(typo)).as("%s", typo).isNotNull();
            }
        }
    }

    private static InputShape at(List<Value> path) {
        InputShape s = InputShape.DOCUMENT;
        for (Value v : path) {
            s = s instanceof InputShape.Closed c ? c.keys().get(((StringValue) v).value())
                    : s instanceof InputShape.Open o ? o.values() : ((InputShape.Items) s).item();
        }
        return s;
    }

    private static void paths(InputShape s, List<Value> prefix, List<List<Value>> out) {
        out.add(List.copyOf(prefix));
        List<Value> next = new ArrayList<>(prefix);
        next.add(null);
        if (s instanceof InputShape.Closed c) {
            for (Map.Entry<String, InputShape> e : c.keys().entrySet()) {
                next.set(prefix.size(), StringValue.of(e.getKey()));
                paths(e.getValue(), next, out);
            }
        } else if (s instanceof InputShape.Open o) {
            next.set(prefix.size(), StringValue.of("any_name"));
            paths(o.values(), next, out);
        } else if (s instanceof InputShape.Items it) {
            next.set(prefix.size(), NumberValue.of(3));
            paths(it.item(), next, out);
        }
    }

    /** The shape a JSON Schema node describes (the subset policy-input.schema.json uses). */
    private static InputShape shape(JsonNode n, String where) {
        String type = n.path("type").asText("");
        if (type.equals("object")) {
            JsonNode extra = n.path("additionalProperties");
            if (extra.isObject()) {
                assertThat(n.has("properties")).as(where).isFalse();
                return new InputShape.Open(shape(extra, where + ".*"));
            }
            assertThat(extra.isBoolean() && !extra.asBoolean()).as(where + ": closed").isTrue();
            Map<String, InputShape> keys = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.path("properties").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                keys.put(e.getKey(), shape(e.getValue(), where + "." + e.getKey()));
            }
            return new InputShape.Closed(keys);
        }
        if (type.equals("array")) {
            return new InputShape.Items(shape(n.path("items"), where + "[]"));
        }
        if (type.isEmpty() && n.has("enum")) {
            for (JsonNode v : n.path("enum")) {
                assertThat(v.isTextual()).as(where).isTrue();
            }
            return new InputShape.Scalar("string");
        }
        assertThat(Arrays.asList("string", "number", "integer", "boolean")).as(where).contains(type);
        return new InputShape.Scalar(type);
    }
}
