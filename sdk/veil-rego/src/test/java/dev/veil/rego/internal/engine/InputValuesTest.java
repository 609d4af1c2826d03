package dev.veil.rego.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.ModelInfo;
import dev.veil.spi.PolicyInput;
import dev.veil.spi.PredictionSummary;
import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The input document over a {@link PolicyInput}: the same value as {@link PolicyInput#toDocument()}. */
class InputValuesTest {
    private static final String[] WORDS = {"caller", "model", "id", "authenticated", "method", "roles", "tenant",
        "attributes", "status", "region", "contract", "analyst", "name", "absent", ""};

    private static PolicyInput input(Random r) {
        Set<String> roles = new HashSet<>();
        Map<String, String> attributes = new HashMap<>();
        for (int i = r.nextInt(4); i > 0; i--) {
            roles.add(WORDS[r.nextInt(WORDS.length)]);
            attributes.put(WORDS[r.nextInt(WORDS.length)], WORDS[r.nextInt(WORDS.length)]);
        }
        AuthMethod method = AuthMethod.values()[r.nextInt(AuthMethod.values().length)];
        Caller c = new Caller(WORDS[r.nextInt(WORDS.length)], method, roles, WORDS[r.nextInt(WORDS.length)],
                attributes);
        PredictionSummary p = r.nextBoolean() ? null : new PredictionSummary("cat", 0.5, 0.1, 1.0, 3);
        return new PolicyInput(c, new ModelInfo("m", "1", Instant.EPOCH), 3.5, 4, 32, List.of(), List.of(),
                r.nextBoolean(), p);
    }

    /** A path of 1 to 4 keys, most of them below {@code caller}, some of them not strings. */
    private static Value[] path(Random r) {
        Value[] keys = new Value[1 + r.nextInt(4)];
        for (int i = 0; i < keys.length; i++) {
            int w = r.nextInt(WORDS.length + 2);
            keys[i] = w == WORDS.length ? NumberValue.of(0) : w == WORDS.length + 1 ? StringValue.of("caller")
                    : r.nextBoolean() ? StringValue.canonical(WORDS[w]) : StringValue.of(new String(WORDS[w]));
        }
        if (r.nextInt(4) > 0) {
            keys[0] = StringValue.of("caller");
        }
        return keys;
    }

    /** Indexing key by key, as the evaluator does; null when undefined. */
    private static Value index(Value v, Value[] keys) {
        for (Value key : keys) {
            if (v instanceof ObjectValue o) {
                v = o.get(key);
            } else if (v instanceof ArrayValue a) {
                v = key instanceof NumberValue n && n.isInt() && n.longValueExact() >= 0
                        && n.longValueExact() < a.size() ? a.get((int) n.longValueExact()) : null;
            } else if (v instanceof SetValue s) {
                v = s.contains(key) ? key : null;
            } else {
                v = null;
            }
        }
        return v;
    }

    @Test
    void aPathResolvedInOneStepIsWhatIndexingTheDocumentGives() {
        qt().withExamples(2000).forAll(longs().all()).checkAssert(seed -> {
            Random r = new Random(seed);
            PolicyInput in = input(r);
            Value doc = Values.fromJava(in.toDocument());
            Value[] keys = path(r);
            ObjectValue lazy = InputValues.of(in);
            Value got = lazy.getPath(keys, 0);
            if (got != ObjectValue.UNRESOLVED) {
                assertThat(got).as("input.%s", List.of(keys)).isEqualTo(index(doc, keys));
            }
            assertThat(index(lazy, keys)).as("input.%s", List.of(keys)).isEqualTo(index(doc, keys));
            assertThat(lazy).isEqualTo(doc);
        });
    }

    @Test
    void callerPathsAreResolvedWithoutIndexingAndOthersAreLeftToIt() {
        Caller c = new Caller("pat", AuthMethod.API_KEY, Set.of("partner"), "northwind",
                Map.of("contract", "active", "region", "eu"));
        ObjectValue in = InputValues.of(new PolicyInput(c, new ModelInfo("m", "1", Instant.EPOCH), 1, 1, 1,
                List.of(), List.of(), false, null));
        assertThat(in.getPath(keys("caller", "attributes", "region"), 0)).isEqualTo(StringValue.of("eu"));
        assertThat(in.getPath(keys("caller", "attributes", "status"), 0)).isNull();
        assertThat(in.getPath(keys("caller", "attributes", "region", "x"), 0)).isNull();
        assertThat(in.getPath(keys("caller", "tenant"), 0)).isEqualTo(StringValue.of("northwind"));
        assertThat(in.getPath(keys("caller", "tenant", "x"), 0)).isNull();
        assertThat(in.getPath(keys("caller", "nope"), 0)).isNull();
        assertThat(in.getPath(keys("caller", "roles"), 0)).isEqualTo(ArrayValue.of(StringValue.of("partner")));
        assertThat(in.getPath(keys("caller", "roles", "0"), 0)).isSameAs(ObjectValue.UNRESOLVED);
        assertThat(in.getPath(keys("caller"), 0)).isSameAs(ObjectValue.UNRESOLVED);
        assertThat(in.getPath(keys("model", "name"), 0)).isSameAs(ObjectValue.UNRESOLVED);
        assertThat(in.getPath(keys("x", "caller", "tenant"), 1)).isEqualTo(StringValue.of("northwind"));
    }

    private static Value[] keys(String... ks) {
        Value[] out = new Value[ks.length];
        for (int i = 0; i < ks.length; i++) {
            out[i] = StringValue.of(ks[i]);
        }
        return out;
    }
}
