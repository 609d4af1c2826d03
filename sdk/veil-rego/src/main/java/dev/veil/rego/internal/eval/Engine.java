package dev.veil.rego.internal.eval;

import dev.veil.rego.RegoException;
import dev.veil.rego.internal.ast.Module;
import dev.veil.rego.internal.compile.Compiler;
import dev.veil.rego.internal.compile.Plan;
import dev.veil.rego.internal.parse.Parser;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.Value;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A compiled policy with its base data: immutable, shared by any number of threads; every evaluation
 * runs in its own {@link Evaluator}.
 */
public final class Engine {
    /**
     * Per-evaluation settings.
     *
     * @param inputCompleter applied to every input a {@code with} sets, or null (see
     *     {@link Evaluator#completeInputs})
     */
    public record Options(boolean strict, PrintStream printOut, long timeoutNanos,
                          java.util.function.UnaryOperator<Value> inputCompleter) {
        public static final Options DEFAULT = new Options(false, null, 0);

        public Options(boolean strict, PrintStream printOut, long timeoutNanos) {
            this(strict, printOut, timeoutNanos, null);
        }
    }

    /** Where a module declares its package: the package's path under {@code data} (its string steps). */
    public record PackageSite(dev.veil.rego.internal.ast.Location location, List<String> path) {}

    /**
     * Where rules (not functions) are defined: their path under {@code data}, the first rule's place,
     * and whether the value is built from several rules' contributions (partial set or object rules).
     */
    public record RuleSite(List<Value> path, dev.veil.rego.internal.ast.Location location, boolean multiValue) {}

    private final Compiler.Compiled compiled;
    private final ObjectValue data;
    /** What every evaluation without {@code print} output shares. */
    private final Evaluator.Setup quiet;
    private final List<PackageSite> packages;

    private Engine(Compiler.Compiled compiled, ObjectValue data, List<PackageSite> packages) {
        this.compiled = compiled;
        this.data = data;
        this.quiet = new Evaluator.Setup(compiled.root(), data, null);
        this.packages = List.copyOf(packages);
    }

    /** Every module's package, in file-name order. */
    public List<PackageSite> packages() {
        return packages;
    }

    /** Every reference the modules make into {@code input}, in the order they were compiled. */
    public List<Compiler.InputRef> inputRefs() {
        return compiled.inputRefs();
    }

    /** Every path at which rules (not functions) are defined, in path order. */
    public List<RuleSite> ruleSites() {
        List<RuleSite> out = new ArrayList<>();
        collectSites(compiled.root(), out);
        out.sort(java.util.Comparator.comparing(r -> r.path().toString()));
        return out;
    }

    private static void collectSites(dev.veil.rego.internal.compile.RuleNode n, List<RuleSite> out) {
        if (n.hasRules()) {
            Plan.Rule first = !n.complete.isEmpty() ? n.complete.get(0)
                    : n.defaultRule != null ? n.defaultRule : n.partial.get(0);
            out.add(new RuleSite(n.path, first.loc, !n.partial.isEmpty()));
        }
        for (dev.veil.rego.internal.compile.RuleNode c : n.children.values()) {
            collectSites(c, out);
        }
    }

    /**
     * Parses and compiles modules (by file name, compiled in file-name order).
     *
     * @throws RegoException on parse or compile errors
     */
    public static Engine compile(Map<String, String> modules, ObjectValue data) {
        return compile(modules, data, Map.of());
    }

    /**
     * Parses and compiles modules with builtins beyond the engine's own (which take precedence over
     * same-named ones), e.g. the test-only builtins of OPA's conformance runner.
     *
     * @throws RegoException on parse or compile errors
     */
    public static Engine compile(Map<String, String> modules, ObjectValue data,
                                 Map<String, dev.veil.rego.internal.builtins.Builtin> extraBuiltins) {
        List<Module> parsed = new ArrayList<>();
        List<dev.veil.rego.RegoError> errors = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(modules).entrySet()) {
            try {
                parsed.add(Parser.parseModule(e.getKey(), e.getValue()));
            } catch (RegoException ex) {
                errors.addAll(ex.errors());
            }
        }
        if (!errors.isEmpty()) {
            throw new RegoException(errors);
        }
        ObjectValue d = data == null ? ObjectValue.EMPTY : data;
        Compiler.Compiled compiled = Compiler.compile(parsed, d, extraBuiltins);
        Evaluator.fold(compiled.root(), d);
        List<PackageSite> packages = new ArrayList<>();
        for (Module m : parsed) {
            List<String> path = new ArrayList<>();
            dev.veil.rego.internal.ast.Ref ref = m.pkg().path();
            for (int i = 1; i < ref.size(); i++) {
                if (ref.get(i) instanceof dev.veil.rego.internal.ast.Scalar s
                        && s.value() instanceof dev.veil.rego.internal.value.StringValue str) {
                    path.add(str.value());
                }
            }
            packages.add(new PackageSite(m.pkg().location(), path));
        }
        return new Engine(compiled, d, packages);
    }

    /**
     * Parses and compiles a query against this policy.
     *
     * @throws RegoException on parse or compile errors
     */
    public Plan.Query prepare(String query) {
        return Compiler.compileQuery(compiled, Parser.parseQuery(query));
    }

    /**
     * Runs a prepared query.
     *
     * @param input the input document or null
     * @throws RegoException on evaluation errors (conflicts, type errors, strict builtin errors)
     */
    public List<Map<String, Value>> query(Plan.Query q, Value input, Options opts) {
        return run(() -> evaluator(input, opts).query(q));
    }

    /**
     * The document at {@code data.<path>}, or null when undefined.
     *
     * @throws RegoException on evaluation errors
     */
    public Value document(Plan.Ref path, Value input, Options opts) {
        if (Thread.currentThread().isInterrupted()) {
            // Checked before any step as well as every 1,024 steps: an interrupted thread's evaluation
            // fails whatever the policy's size (a constant decision takes no step), so the outcome
            // does not depend on how long the policy runs. The flag stays set for the caller.
            throw new RegoException(dev.veil.rego.RegoError.of("eval_cancel_error", "interrupted"));
        }
        return run(() -> evaluator(input, opts).document(path));
    }

    /** Runs one evaluation, turning every way it can fail into a {@link RegoException}. */
    private static <T> T run(java.util.function.Supplier<T> evaluation) {
        try {
            return evaluation.get();
        } catch (EvalError e) {
            throw new RegoException(e.error());
        } catch (RegoException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new RegoException(List.of(dev.veil.rego.RegoError.of("eval_internal_error",
                    "evaluation failed: " + e)), e);
        } catch (StackOverflowError e) {
            throw new RegoException(dev.veil.rego.RegoError.of("eval_internal_error",
                    "evaluation too deep (stack overflow)"));
        }
    }

    /**
     * The values of the rules at {@code path} that are written as constants ({@code p := {"a": 1}},
     * {@code default p := ...}, an {@code else := ...} with a constant), each with its place, in
     * source order; empty when there is no rule there.
     */
    public List<Map.Entry<dev.veil.rego.internal.ast.Location, Value>> constantValues(List<Value> path) {
        dev.veil.rego.internal.compile.RuleNode n = compiled.root().find(path);
        List<Map.Entry<dev.veil.rego.internal.ast.Location, Value>> out = new ArrayList<>();
        if (n == null) {
            return out;
        }
        List<Plan.Rule> rules = new ArrayList<>(n.complete);
        if (n.defaultRule != null) {
            rules.add(n.defaultRule);
        }
        for (Plan.Rule first : rules) {
            for (Plan.Rule r = first; r != null; r = r.elseRule) {
                if (r.kind == Plan.Rule.Kind.COMPLETE && r.value instanceof Plan.Const c) {
                    out.add(Map.entry(r.value.loc, c.value));
                }
            }
        }
        return out;
    }

    /** The paths of the rules (not functions) whose name starts with {@code prefix}, sorted by name. */
    public List<List<Value>> rulesNamed(String prefix) {
        List<List<Value>> out = new ArrayList<>();
        collect(compiled.root(), prefix, out);
        out.sort(java.util.Comparator.comparing(Object::toString));
        return out;
    }

    private static void collect(dev.veil.rego.internal.compile.RuleNode n, String prefix, List<List<Value>> out) {
        if (n.hasRules() && !n.path.isEmpty()
                && n.path.get(n.path.size() - 1) instanceof dev.veil.rego.internal.value.StringValue s
                && s.value().startsWith(prefix)) {
            out.add(n.path);
        }
        for (dev.veil.rego.internal.compile.RuleNode c : n.children.values()) {
            collect(c, prefix, out);
        }
    }

    private Evaluator evaluator(Value input, Options opts) {
        long now = Evaluator.NOW_ON_FIRST_USE;
        long deadline = opts.timeoutNanos() > 0 ? System.nanoTime() + opts.timeoutNanos() : 0;
        Evaluator.Setup setup = opts.printOut() == null ? quiet : new Evaluator.Setup(compiled.root(), data,
                opts.printOut());
        Evaluator ev = new Evaluator(setup, input, opts.strict(), now, deadline);
        if (opts.inputCompleter() != null) {
            ev.completeInputs(opts.inputCompleter());
        }
        return ev;
    }
}
