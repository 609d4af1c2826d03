package dev.veil.rego.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.RandomValues;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import org.junit.jupiter.api.Test;

/**
 * {@link RegoPolicy#document}: a decision document read as plain Java in one walk that also refuses
 * what JSON cannot say (a set, a key that is not a string), naming the first such place in key order.
 */
class DecisionDocumentTest {

    @Test
    void aJsonDocumentReadsAsValuesToJavaDoesKeysInTheSameOrder() {
        qt().withExamples(3000).forAll(longs().all()).checkAssert(s -> {
            Value v = RandomValues.json(s);
            Object read = RegoPolicy.document("output", v);
            assertThat(read).as("%s", v).isEqualTo(Values.toJava(v));
            // LinkedHashMap equality ignores order; the text does not.
            assertThat(String.valueOf(read)).isEqualTo(String.valueOf(Values.toJava(v)));
        });
    }

    @Test
    void anyDocumentIsReadOrRefusedAsTheCheckThenConvertReadingDid() {
        qt().withExamples(3000).forAll(longs().all()).checkAssert(s -> {
            Value v = RandomValues.any(s);
            String problem = firstProblem(v, "");
            if (problem == null) {
                assertThat(String.valueOf(RegoPolicy.document("model", v))).isEqualTo(String.valueOf(Values.toJava(v)));
            } else {
                assertThatThrownBy(() -> RegoPolicy.document("model", v)).as("%s", v)
                        .isInstanceOf(IllegalArgumentException.class).hasMessage("model decision: " + problem);
            }
        });
    }

    @Test
    void aSetAsTheWholeDocumentIsRefusedAsNotAnObject() {
        assertThatThrownBy(() -> RegoPolicy.document("access", SetValue.of(NumberValue.of(1))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("access decision: expected an object, was a set [1] (a set has no order and holds each "
                        + "value once; write an array: [...], or [x | ...] for a comprehension)");
    }

    @Test
    void theFirstProblemInKeyOrderIsNamedWithItsPathThroughArraysAndObjects() {
        Value inner = ObjectValue.of(StringValue.of("b"), SetValue.of(StringValue.of(
                "a long string that is cut at forty characters in the message")));
        Value doc = ObjectValue.of(StringValue.of("z"), SetValue.EMPTY,
                StringValue.of("a"), ArrayValue.of(NumberValue.of(0), inner));
        assertThatThrownBy(() -> RegoPolicy.document("output", doc)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("output decision: a[1].b: expected a list, was a set [\"a long string that is cut at "
                        + "forty cha... (a set has no order and holds each value once; write an array: [...], or "
                        + "[x | ...] for a comprehension)");
        Value badKey = ObjectValue.of(NumberValue.of(7), StringValue.of("x"));
        assertThatThrownBy(() -> RegoPolicy.document("logging", badKey))
                .hasMessage("logging decision: keys must be strings, was the number 7");
        Value nested = ObjectValue.of(StringValue.of("k"), ArrayValue.of(badKey));
        assertThatThrownBy(() -> RegoPolicy.document("logging", nested))
                .hasMessage("logging decision: k[0]: keys must be strings, was the number 7");
    }

    /** The check as it ran before the reading was one walk (a walk of its own, before Values.toJava). */
    private static String firstProblem(Value v, String path) {
        switch (v.kind()) {
            case SET:
                return (path.isEmpty() ? "" : path + ": ") + "expected " + (path.isEmpty() ? "an object" : "a list")
                        + ", was a set " + Values.toJson(v).replaceFirst("^(.{40}).+$", "$1...")
                        + " (a set has no order and holds each value once; write an array: [...], or [x | ...] for "
                        + "a comprehension)";
            case ARRAY: {
                ArrayValue a = (ArrayValue) v;
                for (int i = 0; i < a.size(); i++) {
                    String p = firstProblem(a.get(i), path + "[" + i + "]");
                    if (p != null) {
                        return p;
                    }
                }
                return null;
            }
            case OBJECT: {
                ObjectValue o = (ObjectValue) v;
                for (Value k : o.keys()) {
                    if (!(k instanceof StringValue s)) {
                        return (path.isEmpty() ? "" : path + ": ") + "keys must be strings, was the " + k.typeName()
                                + " " + Values.toJson(k).replaceFirst("^(.{40}).+$", "$1...");
                    }
                    String p = firstProblem(o.get(k), path.isEmpty() ? s.value() : path + "." + s.value());
                    if (p != null) {
                        return p;
                    }
                }
                return null;
            }
            default:
                return null;
        }
    }
}
