package dev.veil.rego;

import dev.veil.rego.internal.ast.Ref;
import dev.veil.rego.internal.eval.Engine;
import dev.veil.rego.internal.eval.Evaluator;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Runs a policy's tests as {@code opa test} does: every rule whose name starts with {@code test_}
 * passes when it is defined and not {@code false}, fails otherwise, and errors when its evaluation
 * raises an error. Tests run with strict builtin errors, as Veil evaluates a bundle's policy (so a
 * builtin that fails, such as {@code to_number("abc")}, is an {@code ERROR}, not an undefined
 * expression that a test could pass on), and with a Guard's builtins ({@code http.send} and
 * {@code net.lookup_ip_addr} are not available: a module calling them does not compile). In a Veil
 * policy (modules that define a {@code data.veil.<question>.decision}), an input a {@code with} sets
 * that has a key of a policy input ({@code caller}, {@code model}, {@code request}, ...) is the input
 * a Guard would give: missing parts filled in as {@code veil eval} fills them (tenant {@code ""}, roles
 * {@code []}, ...), an unknown key or a wrong type an {@code ERROR}; so a test cannot pass on an
 * input no Guard sends. What a test printed with {@code print} is kept for the tests that do not
 * pass.
 */
public final class PolicyTests {
    private PolicyTests() {
    }

    /** The outcome of one test; {@code SKIP} for a rule named {@code todo_test_*}, which is not run (as in OPA). */
    public enum Outcome { PASS, FAIL, ERROR, SKIP }

    /**
     * One test's result.
     *
     * @param name    the rule's full name, e.g. {@code data.app.test_allow}
     * @param outcome what happened
     * @param error   the error message for {@link Outcome#ERROR}, else null
     * @param output  the lines the test printed with {@code print}, for a test that did not pass
     *     (empty for one that passed)
     */
    public record Result(String name, Outcome outcome, String error, List<String> output) {
        public Result {
            output = List.copyOf(output);
        }

        /** A result without printed output. */
        public Result(String name, Outcome outcome, String error) {
            this(name, outcome, error, List.of());
        }
    }

    /** All results, in name order. */
    public record Report(List<Result> results) {
        public Report {
            results = List.copyOf(results);
        }

        public long passed() {
            return results.stream().filter(r -> r.outcome() == Outcome.PASS).count();
        }

        public long failed() {
            return results.stream().filter(r -> r.outcome() == Outcome.FAIL || r.outcome() == Outcome.ERROR).count();
        }

        public long skipped() {
            return results.stream().filter(r -> r.outcome() == Outcome.SKIP).count();
        }

        /**
         * One line per test ({@code data.p.test_x: PASS}, {@code FAIL}, {@code ERROR: message} or
         * {@code SKIP} for a {@code todo_test_*} rule), each
         * line a test that did not pass printed after it, indented by two spaces, then
         * {@code PASS: n/total} and, when some failed, {@code FAIL: m/total}, when some were skipped,
         * {@code SKIPPED: k/total}.
         */
        public void print(PrintStream out) {
            for (Result r : results) {
                out.println(r.name() + ": " + r.outcome() + (r.error() == null ? "" : ": " + r.error()));
                for (String line : r.output()) {
                    out.println("  " + line);
                }
            }
            out.println("-".repeat(80));
            out.println("PASS: " + passed() + "/" + results.size());
            if (failed() > 0) {
                out.println("FAIL: " + failed() + "/" + results.size());
            }
            if (skipped() > 0) {
                out.println("SKIPPED: " + skipped() + "/" + results.size());
            }
        }
    }

    /**
     * Compiles modules and runs their tests. Each test has the time limit of one question of a
     * Guard's policy (system property {@code veil.rego.timeout}, 1s unless set): a test that takes
     * longer, or whose thread is interrupted, is an {@code ERROR} ({@code eval_cancel_error}); a
     * property set to something that is not a positive duration is an IllegalArgumentException.
     *
     * @param modules Rego sources by file name
     * @param data    the base data document (a Map) or null
     * @throws RegoException on parse or compile errors
     */
    public static Report run(Map<String, String> modules, Object data) {
        Value d = Values.fromJava(data == null ? Map.of() : data);
        if (!(d instanceof ObjectValue o)) {
            throw new IllegalArgumentException("the data document must be an object (a Map) but was a " + d.typeName());
        }
        // The builtins a Guard's policy has: a module that calls http.send does not load there, so
        // its tests must not pass here.
        return run(Engine.compile(modules, o, dev.veil.rego.internal.engine.RegoProgram.WITHHELD));
    }

    private static Report run(Engine engine) {
        // A Veil policy's tests get the inputs a Guard gives; other Rego's tests their input as written.
        boolean veilPolicy = dev.veil.rego.internal.engine.BundleChecks.isVeilPolicy(engine);
        java.util.function.UnaryOperator<Value> completer = veilPolicy ? PolicyTests::asGuardInput : null;
        long timeout = dev.veil.rego.internal.engine.RegoProgram.configuredTimeout().toNanos(); // a Guard's limit, per test
        List<Result> results = new ArrayList<>();
        for (List<Value> path : engine.rulesNamed("test_")) {
            String name = name(path);
            java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
            PrintStream printOut = new PrintStream(printed, true, StandardCharsets.UTF_8);
            Outcome outcome;
            String error = null;
            try {
                Value v = engine.document(Evaluator.documentRef(path), null, new Engine.Options(true, printOut,
                        timeout, completer));
                outcome = v != null && !v.equals(BooleanValue.FALSE) ? Outcome.PASS : Outcome.FAIL;
            } catch (RegoException e) {
                outcome = Outcome.ERROR;
                error = e.getMessage().replace('\n', ' ');
            }
            printOut.flush();
            List<String> output = outcome == Outcome.PASS ? List.of()
                    : printed.toString(StandardCharsets.UTF_8).lines().collect(Collectors.toList());
            results.add(new Result(name, outcome, error, output));
        }
        for (List<Value> path : engine.rulesNamed("todo_test_")) {
            results.add(new Result(name(path), Outcome.SKIP, null));
        }
        results.sort(java.util.Comparator.comparing(Result::name));
        return new Report(results);
    }

    /**
     * Runs the tests of a bundle as a Guard would load it: its {@code .rego} modules with its data,
     * after the checks a Guard's load makes beyond compiling (a rule the data would shadow, a module
     * outside the manifest roots, ...: {@code BundleChecks}), which fail like compile errors.
     *
     * @throws RegoException on parse or compile errors, and on what those checks refuse
     */
    public static Report run(dev.veil.spi.Bundle bundle) {
        Value d = Values.fromJava(bundle.data());
        Engine engine = Engine.compile(dev.veil.rego.internal.engine.RegoPolicyEngine.modules(bundle), (ObjectValue) d,
                dev.veil.rego.internal.engine.RegoProgram.WITHHELD);
        List<dev.veil.PolicyError> refused = dev.veil.rego.internal.engine.BundleChecks.check(engine, bundle);
        if (!refused.isEmpty()) {
            List<RegoError> errors = new ArrayList<>();
            for (dev.veil.PolicyError e : refused) {
                errors.add(new RegoError("bundle_error", e.message(), e.file(), e.line(), e.column()));
            }
            throw new RegoException(errors);
        }
        return run(engine);
    }

    /**
     * Runs the tests of a bundle directory: every {@code *.rego} file below it, and as base data every
     * {@code data.json} / {@code data.yaml} / {@code data.yml}, placed at its directory's path (as in
     * an OPA bundle). The directory is read by the bundle loader and checked, as {@code veil test} and
     * a Guard load it ({@link dev.veil.PolicyBundle#read}, then {@link #run(dev.veil.spi.Bundle)}):
     * within the loader's limits (file sizes, and at most 1,000,000 values in the data files together),
     * with its errors, and with the checks a Guard's load makes beyond compiling. So a
     * {@code .manifest}'s roots must hold the data files and the modules' packages, a rule the data
     * would shadow is refused, and hidden files and directories (names starting with a dot) are left
     * out, {@code *.rego} files among them. (Before 2026-12-01 this method walked the directory itself:
     * it ran hidden {@code *.rego} files, ignored the manifest and made none of those checks.)
     *
     * @throws IllegalArgumentException when {@code dir} is not a directory
     * @throws dev.veil.PolicyLoadException when the directory cannot be read as a bundle, or its data
     *     files do not parse or pass the loader's limits
     * @throws RegoException        on parse or compile errors, and on what the load's checks refuse
     */
    public static Report run(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is not a directory: give the bundle's folder");
        }
        return run(dev.veil.PolicyBundle.read(dir));
    }

    /** The top-level keys of a policy input document (docs/policy-reference.md, section 8). */
    private static final java.util.Set<Value> INPUT_KEYS = java.util.Set.of(StringValue.of("caller"),
            StringValue.of("model"), StringValue.of("request"), StringValue.of("signals"), StringValue.of("degraded"),
            StringValue.of("prediction"));

    /**
     * A test's input as a Guard would send it, when it is one: an object with at least one key of
     * a policy input document (then every other key is an error); any other value (a helper's own
     * input shape, {@code {"who": "staff"}}) stays as written.
     */
    private static Value asGuardInput(Value input) {
        if (input instanceof ObjectValue o && o.keys().stream().anyMatch(INPUT_KEYS::contains)) {
            return dev.veil.rego.internal.engine.RegoProgram.asGuardInput(input);
        }
        return input;
    }

    private static String name(List<Value> path) {
        StringBuilder b = new StringBuilder("data");
        for (Value v : path) {
            if (v instanceof StringValue s && Ref.isIdentifier(s.value())) {
                b.append('.').append(s.value());
            } else {
                b.append('[').append(v).append(']');
            }
        }
        return b.toString();
    }
}
