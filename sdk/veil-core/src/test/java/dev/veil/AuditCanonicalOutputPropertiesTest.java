package dev.veil;

import static dev.veil.GuardFixtures.ALICE;
import static dev.veil.GuardFixtures.BOB;
import static dev.veil.GuardFixtures.INFO_A;
import static dev.veil.GuardFixtures.SAM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The verifier holds every line to its canonical bytes; this checks that the writers never write
 * anything else. Random requests go through a real Guard, with both writers and every
 * {@code logging.input} mode, and reach every decision: released, unauthenticated, forbidden,
 * refused by validation (range, NaN, infinity, unknown or missing feature: messages that quote names
 * with control characters, non-BMP characters and lone surrogates), with values such as -0.0,
 * subnormals, 1e22 and NaN; the log they leave must verify, record for record.
 */
@ExtendWith(QuietGuardLog.class)
class AuditCanonicalOutputPropertiesTest {
    private static final int EXAMPLES = 150;

    @TempDir
    Path tmp;

    static Stream<Arguments> writersAndModes() {
        List<Arguments> all = new ArrayList<>();
        for (String writer : List.of("async", "durable")) {
            for (String mode : List.of("keep", "digest", "mask")) {
                all.add(Arguments.of(writer, mode));
            }
        }
        return all.stream();
    }

    private static Gen<Double> values() {
        return doubles().any().mix(Generate.pick(List.of(-0.0, 0.0, Double.MIN_VALUE, -Double.MIN_VALUE,
                Double.MIN_NORMAL, 1e22, 1e21, 1e-7, 0.1, 0.3, 0.5, 18.0, 40.0, 120.0, Double.MAX_VALUE, Double.NaN,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 9007199254740993.0)), 50);
    }

    /** Names: the contract's, or any text (control characters, non-BMP, lone surrogates), or long. */
    private static Gen<String> names() {
        return Generate.pick(List.of("age", "income", "loan"))
                .mix(strings().allPossible().ofLengthBetween(1, 12), 40)
                .mix(strings().basicLatinAlphabet().ofLengthBetween(1, 3).map(s -> s.repeat(3000)), 5);
    }

    private static Gen<Map<String, Double>> inputs() {
        Gen<String> names = names();
        Gen<Double> values = values();
        return lists().of(integers().between(0, 1_000_000)).ofSizeBetween(0, 5).mutate((sizes, rs) -> {
            Map<String, Double> m = new LinkedHashMap<>();
            for (int i = 0; i < sizes.size(); i++) {
                m.put(names.generate(rs), values.generate(rs));
            }
            return m;
        }).mix(integers().between(18, 120).map(age -> {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("age", (double) age);
            m.put("income", age * 1000.5);
            return m;
        }), 40);
    }

    private static Gen<Credentials> credentials() {
        return Generate.pick(List.of(Credentials.apiKey(ALICE.plaintext()), Credentials.apiKey(BOB.plaintext()),
                Credentials.apiKey(SAM.plaintext()), Credentials.anonymous()))
                .mix(Generate.constant(Credentials.apiKey(ALICE.plaintext())), 60);
    }

    @ParameterizedTest(name = "{0} writer, input: {1}")
    @MethodSource("writersAndModes")
    void everyRecordTheWritersWriteIsInCanonicalFormAndVerifies(String writer, String mode) {
        PolicyBundle b = GuardFixtures.bundle(tmp.resolve("bundle")).set("validation", """
                default:
                  shape: []
                  features:
                    age: {min: 18, max: 120}
                    income: {min: -1e300}
                """).set("logging", "default: {input: " + mode + ", output: keep, raw: keep, caller: keep}").load();
        // the scores come from the input, so released values include subnormals and odd fractions
        Model<Map<String, Double>> m = Model.of(INFO_A, x -> {
            double p = Math.min(1, Math.max(0, (x.getOrDefault("age", 18.0) - 18) / 102));
            return Prediction.classification(List.of("yes \u2713", "no \uD83D\uDE00"), new double[] {p, 1 - p});
        }, Features::named);
        Path log = tmp.resolve(writer + "-" + mode + ".jsonl");
        AuditLog audit = writer.equals("async") ? AuditLog.jsonLines(log) : AuditLog.jsonLines(log).durable();
        AtomicInteger requests = new AtomicInteger();
        try (Guard<Map<String, Double>> g = Guard.builder(m).policy(b).audit(audit).build()) {
            qt().withExamples(EXAMPLES).forAll(credentials(), inputs()).checkAssert((c, input) -> {
                Response r = g.predict(Request.of(c, input));
                assertThat(r).isNotNull();
                requests.incrementAndGet();
            });
        }

        AuditVerification v = AuditLog.verify(log);

        assertThat(v.ok()).as(v.message()).isTrue();
        assertThat(v.records()).isEqualTo(requests.get());
        // the examples reached releases and the refusals of every stage they aim at
        List<String> outcomes = GuardFixtures.auditRecords(log).stream()
                .map(rec -> String.valueOf(GuardFixtures.at(rec, "stages"))).toList();
        assertThat(outcomes).anyMatch(o -> o.contains("output=allow"))
                .anyMatch(o -> o.contains("access=deny"))
                .anyMatch(o -> o.contains("validation=deny"));
    }
}
