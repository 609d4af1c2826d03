package dev.veil.rego.internal.value;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Invariants of the value model over random values (see {@link RandomValues}). */
class ValuePropertiesTest {

    @Test
    void compareToIsAntisymmetricAndConsistentWithEqualsAndHashCode() {
        qt().withExamples(3000).forAll(longs().all(), longs().all()).checkAssert((s1, s2) -> {
            Value a = RandomValues.any(s1);
            Value b = RandomValues.any(s2);
            int ab = Integer.signum(a.compareTo(b));
            int ba = Integer.signum(b.compareTo(a));
            assertThat(ab).as("%s vs %s", a, b).isEqualTo(-ba);
            assertThat(ab == 0).as("compareTo == 0 iff equals: %s vs %s", a, b).isEqualTo(a.equals(b));
            if (a.equals(b)) {
                assertThat(a.hashCode()).as("equal values hash alike: %s, %s", a, b).isEqualTo(b.hashCode());
            }
        });
    }

    @Test
    void equalStructureMeansEqualValueEvenFromAnotherSeedPath() {
        // The same seed twice builds equal but not identical values: equality is structural.
        qt().withExamples(1000).forAll(longs().all()).checkAssert(s -> {
            Value a = RandomValues.any(s);
            Value b = RandomValues.any(s);
            assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
            assertThat(a.compareTo(b)).isZero();
        });
    }

    @Test
    void orderingIsTransitive() {
        qt().withExamples(2000).forAll(longs().all(), longs().all(), longs().all()).checkAssert((s1, s2, s3) -> {
            List<Value> v = new ArrayList<>(List.of(RandomValues.any(s1), RandomValues.any(s2), RandomValues.any(s3)));
            v.sort(null);
            assertThat(v.get(0).compareTo(v.get(2))).as("sorted %s", v).isLessThanOrEqualTo(0);
            assertThat(v.get(0).compareTo(v.get(1))).isLessThanOrEqualTo(0);
            assertThat(v.get(1).compareTo(v.get(2))).isLessThanOrEqualTo(0);
        });
    }

    @Test
    void kindDecidesTheOrderBeforeContent() {
        qt().withExamples(2000).forAll(longs().all(), longs().all()).checkAssert((s1, s2) -> {
            Value a = RandomValues.any(s1);
            Value b = RandomValues.any(s2);
            if (a.kind() != b.kind()) {
                assertThat(Integer.signum(a.compareTo(b)))
                        .isEqualTo(Integer.signum(Integer.compare(a.kind().ordinal(), b.kind().ordinal())));
            }
        });
    }

    @Test
    void toJsonThenParseJsonGivesTheSameValue() {
        qt().withExamples(3000).forAll(longs().all()).checkAssert(s -> {
            Value v = RandomValues.json(s);
            String json = Values.toJson(v);
            assertThat(Values.parseJson(json)).as(json).isEqualTo(v);
            assertThat(Values.toJson(Values.parseJson(json))).as("JSON text is stable").isEqualTo(json);
        });
    }

    @Test
    void toJsonOfAnyValueIsJsonThatParses() {
        // Sets become sorted arrays and non-string keys strings, but the output is always JSON.
        qt().withExamples(2000).forAll(longs().all()).checkAssert(s -> {
            Value v = RandomValues.any(s);
            String json = Values.toJson(v);
            assertThat(Values.parseJson(json).kind()).isEqualTo(v.kind() == Value.Kind.SET ? Value.Kind.ARRAY : v.kind());
        });
    }

    @Test
    void toJavaThenFromJavaGivesTheSameValue() {
        qt().withExamples(2000).forAll(longs().all()).checkAssert(s -> {
            Value v = RandomValues.json(s);
            Object java = Values.toJava(v);
            assertThat(Values.fromJava(java)).as("%s", java).isEqualTo(v);
            if (java instanceof Map<?, ?> m) {
                List<String> keys = new ArrayList<>();
                m.keySet().forEach(k -> keys.add((String) k));
                List<String> sorted = new ArrayList<>(keys);
                sorted.sort(StringValue::compareCodePoints);
                assertThat(keys).as("keys come sorted").isEqualTo(sorted);
            }
        });
    }

    @Test
    void aNumberEqualsItselfSpelledWithTrailingZerosOrAnExponent() {
        qt().withExamples(2000).forAll(longs().all()).checkAssert(s -> {
            NumberValue n = RandomValues.number(s);
            BigDecimal d = n.toBigDecimal();
            NumberValue padded = NumberValue.parse(d.setScale(Math.max(d.scale(), 0) + 3).toPlainString());
            NumberValue exp = NumberValue.parse(d.unscaledValue() + "e" + (-d.scale()));
            assertThat(padded).isEqualTo(n).hasSameHashCodeAs(n);
            assertThat(exp).isEqualTo(n).hasSameHashCodeAs(n);
            assertThat(padded.compareTo(n)).isZero();
        });
    }

    @Test
    void numbersAreOrderedNumerically() {
        qt().withExamples(2000).forAll(longs().all(), longs().all()).checkAssert((s1, s2) -> {
            NumberValue a = RandomValues.number(s1);
            NumberValue b = RandomValues.number(s2);
            assertThat(Integer.signum(a.compareTo(b)))
                    .isEqualTo(Integer.signum(a.toBigDecimal().compareTo(b.toBigDecimal())));
        });
    }

    @Test
    void stringsAreOrderedByUtf8Bytes() {
        qt().withExamples(2000).forAll(longs().all(), longs().all()).checkAssert((s1, s2) -> {
            StringValue x = RandomValues.string(s1);
            StringValue y = RandomValues.string(s2);
            assertThat(Integer.signum(x.compareTo(y))).as("%s vs %s", x, y)
                    .isEqualTo(Integer.signum(compareBytes(x.value(), y.value())));
        });
    }

    private static int compareBytes(String a, String b) {
        byte[] x = a.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] y = b.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return java.util.Arrays.compareUnsigned(x, y);
    }
}
