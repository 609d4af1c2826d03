package dev.veil.rego;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Comparisons of {@code input} at constant keys with a constant ({@code input.a.b == "x"},
 * {@code "x" in input.a}, {@code input.a in {"x", "y"}}, negated or not), which the evaluator decides in a few
 * steps: the same answers as the general evaluation of the same comparison through a variable.
 */
class RegoInputTestsTest {
    private static final Object[] SCALARS = {"x", "y", "", 1, 1.0, 2, true, false, null};
    private static final String[] CONSTANTS = {"\"x\"", "\"y\"", "1", "1.0", "2", "true", "null", "[\"x\", 1]",
        "{\"x\", \"y\"}", "{\"b\": \"x\"}", "[]"};
    private static final String[] OPS = {"==", "!=", "=", "in"};

    /** A random JSON value of scalars, arrays and objects keyed a or b, a few levels deep. */
    private static Object value(Random r, int depth) {
        int k = depth > 2 ? 0 : r.nextInt(4);
        if (k == 0 || k == 1) {
            return SCALARS[r.nextInt(SCALARS.length)];
        }
        if (k == 2) {
            List<Object> l = new ArrayList<>();
            for (int i = r.nextInt(3); i > 0; i--) {
                l.add(value(r, depth + 1));
            }
            return l;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        for (String key : new String[] {"a", "b"}) {
            if (r.nextBoolean()) {
                m.put(key, value(r, depth + 1));
            }
        }
        return m;
    }

    @Test
    void aComparisonOfTheInputWithAConstantIsDecidedAsThroughAVariable() {
        qt().withExamples(400).forAll(longs().all()).checkAssert(seed -> {
            Random r = new Random(seed);
            Object input = r.nextInt(8) == 0 ? null : value(r, 0);
            String ref = "input" + (r.nextBoolean() ? ".a" : ".b") + (r.nextBoolean() ? ".a" : "")
                    + (r.nextInt(4) == 0 ? "[0]" : "");
            String c = CONSTANTS[r.nextInt(CONSTANTS.length)];
            String op = OPS[r.nextInt(OPS.length)];
            boolean inputFirst = r.nextBoolean();
            String not = r.nextBoolean() ? "not " : "";
            String fast = not + (inputFirst ? ref + " " + op + " " + c : c + " " + op + " " + ref);
            String slow = not + (inputFirst ? "v " + op + " " + c : c + " " + op + " v");
            String src = "package t\n\nimport rego.v1\n\n"
                    + "fast if " + fast + "\n\n"
                    + "slow if {\n\tsome v in [" + ref + "]\n\t" + slow + "\n}\n\n"
                    + "slow if {\n\tcount([x | x := " + ref + "]) == 0\n\t"
                    + (not.isEmpty() ? "false" : "true") + "\n}\n";
            Rego p = Rego.compile(Map.of("p.rego", src), Map.of());
            assertThat(p.evaluate("data.t.fast", input)).as("%s for input %s", fast, input)
                    .isEqualTo(p.evaluate("data.t.slow", input));
        });
    }

    @Test
    void examples() {
        Rego p = Rego.compile(Map.of("p.rego", """
                package t

                import rego.v1

                eq if input.caller.tenant == "northwind"
                member if "partner" in input.caller.roles
                within if input.caller.region in {"eu", "uk"}
                absent if not input.caller.status == "suspended"
                """), Map.of());
        Map<String, Object> in = Map.of("caller", Map.of("tenant", "northwind", "roles", List.of("partner"),
                "region", "eu"));
        Map<String, Object> other = Map.of("caller", Map.of("tenant", "acme", "roles", List.of("analyst"),
                "region", "us", "status", "suspended"));
        for (String rule : new String[] {"eq", "member", "within", "absent"}) {
            assertThat(p.evaluate("data.t." + rule, in)).as(rule).isEqualTo(true);
            assertThat(p.evaluate("data.t." + rule, other)).as(rule).isNull();
        }
        assertThat(p.evaluate("data.t.absent", null)).isEqualTo(true);
        assertThat(p.evaluate("data.t.eq", null)).isNull();
    }
}
