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
    /** Per-evaluation settings. */
    public record Options(boolean strict, PrintStream printOut, long timeoutNanos) {
        public static final Options DEFAULT = new Options(false, null, 0);
    }

    private final Compiler.Compiled compiled;
    private final ObjectValue data;
    /** What every evaluation without {@code print} output shares. */
    private final Evaluator.Setup quiet;

    private Engine(Compiler.Compiled compiled, ObjectValue data) {
        this.compiled = compiled;
        this.data = data;
        this.quiet = new Evaluator.Setup(compiled.root(), data, null);
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
        return new Engine(compiled, d);
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
        return new Evaluator(setup, input, opts.strict(), now, deadline);
    }
}
