package dev.veil.benchmarks;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Level;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.Signal;
import dev.veil.spi.AccessDecision;
import dev.veil.spi.CompiledPolicy;
import dev.veil.spi.OutputDecision;
import dev.veil.spi.PolicyInput;
import dev.veil.spi.PredictionSummary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The Rego engine against the YAML engine (the baseline) in one run: the image-classifier policy,
 * written in both languages (policies/bundles/image-classifier and image-classifier-rego, which the twin
 * check proves equal), answering its {@code access} and {@code output} questions for eight callers in
 * turn (analysts, researchers, partners in and out of contract, an intern, a suspended account: every
 * rule of each question is taken); and a policy of 100 access rules, one per caller id, in both
 * languages ({@code decision := ... if input.caller.id == "caller-17"} in Rego, indexed on the constant;
 * {@code when: {callers: [caller-17]}} in YAML), asked for a caller that rotates over the 100 ids.
 *
 * <p>Each call is the whole question as the Guard asks it: the input document made from the
 * {@link PolicyInput} (a lazy view in the Rego engine), the rule evaluated, the decision document read into the SPI's record.
 * Run from the repository root (the bundles are read from {@code policies/bundles}; another
 * directory with {@code -jvmArgsAppend -Dveil.bench.policies=DIR}).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RegoBenchmark {
    static final int RULES = 100;

    /** Both engines' policies and the inputs they are asked about. */
    @State(Scope.Benchmark)
    public static class Policies {
        CompiledPolicy yaml;
        CompiledPolicy rego;
        CompiledPolicy yaml100;
        CompiledPolicy rego100;
        /** Access questions of different callers, each taking another rule; output questions likewise. */
        PolicyInput[] requests;
        PolicyInput[] predicted;
        PolicyInput[] callers = new PolicyInput[RULES];
        Path dir;

        @Setup
        public void setUp() throws IOException {
            Path policies = Path.of(System.getProperty("veil.bench.policies", "policies/bundles"));
            yaml = PolicyBundle.load(policies.resolve("image-classifier")).policy();
            rego = PolicyBundle.load(policies.resolve("image-classifier-rego")).policy();
            dir = Files.createTempDirectory("veil-bench-rego");
            yaml100 = PolicyBundle.load(write(dir.resolve("yaml100"), "many.veil.yaml", yaml100())).policy();
            rego100 = PolicyBundle.load(write(dir.resolve("rego100"), "access.rego", rego100())).policy();

            ModelInfo info = new ModelInfo("fashion", "3", Instant.EPOCH);
            Caller[] people = {
                new Caller("demo-analyst", AuthMethod.API_KEY, Set.of("analyst"), "acme",
                        Map.of("department", "quality")),
                new Caller("rob", AuthMethod.JWT, Set.of("analyst", "researcher"), "acme", Map.of()),
                new Caller("pat", AuthMethod.API_KEY, Set.of("partner"), "northwind",
                        Map.of("contract", "active", "region", "eu")),
                new Caller("ivy", AuthMethod.API_KEY, Set.of("intern"), "acme", Map.of()),
                new Caller("sue", AuthMethod.JWT, Set.of("researcher"), "acme", Map.of("status", "suspended")),
                new Caller("ann", AuthMethod.API_KEY, Set.of("analyst", "viewer"), "acme", Map.of("team", "qa")),
                new Caller("pia", AuthMethod.API_KEY, Set.of("partner"), "northwind",
                        Map.of("contract", "active", "region", "us")),
                new Caller("res", AuthMethod.JWT, Set.of("researcher"), "lab", Map.of("department", "ml")),
            };
            List<Signal> signals = List.of(new Signal("rate", Level.NONE, 3));
            requests = new PolicyInput[people.length];
            predicted = new PolicyInput[people.length];
            for (int i = 0; i < people.length; i++) {
                requests[i] = new PolicyInput(people[i], info, 30.0 + i, 784, 6272, List.of(), List.of(), false, null);
                predicted[i] = new PolicyInput(people[i], info, 30.0 + i, 784, 6272, List.of(), signals, i % 3 == 0,
                        new PredictionSummary(i % 2 == 0 ? "coat" : "shirt", 0.5 + 0.05 * i, 0.1 + 0.04 * i,
                                1.1 - 0.1 * i, 10));
            }
            for (int i = 0; i < RULES; i++) {
                Caller c = new Caller("caller-" + i, AuthMethod.API_KEY, Set.of("app"), "acme", Map.of());
                callers[i] = new PolicyInput(c, info, 30.0, 784, 6272, List.of(), List.of(), false, null);
            }
            // Both engines must give the same answers on the measured paths.
            Set<String> accessRules = new java.util.TreeSet<>();
            Set<String> outputRules = new java.util.TreeSet<>();
            for (int i = 0; i < requests.length; i++) {
                check(yaml.access(requests[i]).equals(rego.access(requests[i])), "access, " + people[i].id());
                check(yaml.output(predicted[i]).equals(rego.output(predicted[i])), "output, " + people[i].id());
                accessRules.add(rego.access(requests[i]).rule());
                outputRules.add(rego.output(predicted[i]).rule());
            }
            // every access rule of the bundle (internal-roles since 30 November: a researcher of tenant lab)
            check(accessRules.size() == 6 && outputRules.size() == 3, "the rules taken: " + accessRules + " "
                    + outputRules);
            for (PolicyInput in : callers) {
                AccessDecision a = rego100.access(in);
                check(a.allow() && a.equals(yaml100.access(in)), "100 rules, " + in.caller().id());
            }
        }

        @TearDown
        public void tearDown() throws IOException {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("benchmark setup: the YAML and Rego policies differ on " + what);
        }
    }

    static Path write(Path bundle, String policyFile, String policy) {
        try {
            Files.createDirectories(bundle.resolve("veil/settings"));
            Files.writeString(bundle.resolve(policyFile), policy);
            if (policyFile.endsWith(".rego")) {
                Files.writeString(bundle.resolve("veil/settings/data.yaml"),
                        "name: many\nauthentication: {anonymous: true}\n");
                Files.writeString(bundle.resolve("rest.rego"), REST);
            }
            return bundle;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String yaml100() {
        StringBuilder b = new StringBuilder("veil: 1\nname: many\nauthentication: {anonymous: true}\n"
                + "access:\n  default: {effect: deny}\n  rules:\n");
        for (int i = 0; i < RULES; i++) {
            b.append("    - {id: r").append(i).append(", when: {callers: [caller-").append(i)
                    .append("]}, effect: allow, rate_limit: {per_second: ").append(i + 1).append("}, daily_quota: ")
                    .append(1000 + i).append("}\n");
        }
        return b.append("validation: {default: {shape: []}}\noutput: {default: {form: label_only}}\n").toString();
    }

    static String rego100() {
        StringBuilder b = new StringBuilder("package veil.access\n\nimport rego.v1\n\n"
                + "default decision := {\"allow\": false, \"rule\": \"default\", \"message\": "
                + "\"no access rule allows this caller\", \"rate_limit\": null, \"daily_quota\": 0}\n\n");
        for (int i = 0; i < RULES; i++) {
            b.append("decision := {\"allow\": true, \"rule\": \"r").append(i).append("\", \"message\": \"allowed by rule r")
                    .append(i).append("\", \"rate_limit\": {\"per_second\": ").append(i + 1).append(", \"burst\": ")
                    .append(i + 1).append("}, \"daily_quota\": ").append(1000 + i).append("} if input.caller.id == \"caller-")
                    .append(i).append("\"\n\n");
        }
        return b.toString();
    }

    /** The other five questions of the 100-rule policy (not measured). */
    static final String REST = """
            package veil

            import rego.v1

            validation.decision := {"rule": "default", "contract": {"shape": [], "min": null, "max": null,
                "features": {}, "allow_unknown_features": true, "cross_field": [], "max_payload_bytes": 0,
                "distribution": null}}

            monitoring.decision := {"actions": []}

            model.decision := {"rule": "default", "stale": false, "action": "alert"}

            output.decision := {"rule": "default", "release": {"form": "label_only", "top_k": 0, "round": 0,
                "min_confidence": 0, "reverse_sigmoid": null, "noise": null, "allow_label_change": false}}

            logging.decision := {"rule": "default", "input": "digest", "output": "keep", "raw": "mask",
                "caller": "keep"}
            """;

    /** Rotates over the inputs, so that consecutive calls ask about other callers and take other rules. */
    @State(Scope.Thread)
    public static class Cursor {
        int i;
    }

    @Benchmark
    public AccessDecision accessYaml(Policies p, Cursor c) {
        return p.yaml.access(p.requests[c.i++ & 7]);
    }

    @Benchmark
    public AccessDecision accessRego(Policies p, Cursor c) {
        return p.rego.access(p.requests[c.i++ & 7]);
    }

    @Benchmark
    public OutputDecision outputYaml(Policies p, Cursor c) {
        return p.yaml.output(p.predicted[c.i++ & 7]);
    }

    @Benchmark
    public OutputDecision outputRego(Policies p, Cursor c) {
        return p.rego.output(p.predicted[c.i++ & 7]);
    }

    @Benchmark
    public AccessDecision rules100Yaml(Policies p, Cursor c) {
        return p.yaml100.access(p.callers[c.i++ % RULES]);
    }

    @Benchmark
    public AccessDecision rules100Rego(Policies p, Cursor c) {
        return p.rego100.access(p.callers[c.i++ % RULES]);
    }
}
