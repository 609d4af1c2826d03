package dev.veil.rego.internal.engine;

import dev.veil.rego.RegoException;
import dev.veil.rego.internal.ast.Module;
import dev.veil.rego.internal.compile.Compiler;
import dev.veil.rego.internal.compile.RuleNode;
import dev.veil.rego.internal.eval.EvalError;
import dev.veil.rego.internal.eval.Evaluator;
import dev.veil.rego.internal.parse.Parser;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rego modules and data compiled once; evaluates documents under {@code data} with an input.
 * Immutable and thread-safe: each evaluation has its own {@link Evaluator}.
 */
public final class RegoProgram {
    private final List<Module> modules;
    private final RuleNode root;
    private final ObjectValue data;
    private final Map<String, List<Value>> paths = new ConcurrentHashMap<>();

    private RegoProgram(List<Module> modules, RuleNode root, ObjectValue data) {
        this.modules = modules;
        this.root = root;
        this.data = data;
    }

    /**
     * Parses every module (file name to source) and compiles them with the data document.
     *
     * @throws RegoException with every parse error of the first module that does not parse, or
     *     every compile error
     */
    public static RegoProgram compile(Map<String, String> sources, Map<String, Object> data) {
        List<Module> modules = new ArrayList<>();
        for (Map.Entry<String, String> e : sources.entrySet()) {
            modules.add(Parser.parseModule(e.getKey(), e.getValue()));
        }
        ObjectValue d = (ObjectValue) Values.fromJava(data);
        return new RegoProgram(List.copyOf(modules), Compiler.compile(modules, d).root(), d);
    }

    /** The parsed modules, in file order. */
    public List<Module> modules() {
        return modules;
    }

    /** Whether some module defines a rule at this dotted path under {@code data}. */
    public boolean defines(String dottedPath) {
        RuleNode n = root.find(path(dottedPath));
        return n != null && n.hasRules();
    }

    /**
     * The value of {@code data.<dottedPath>} for this input, or {@code null} when undefined.
     *
     * @throws RegoException on a conflict, a type error, a builtin error (strict) or a timeout
     */
    public Value evaluate(String dottedPath, Value input) {
        Evaluator ev = new Evaluator(root, data, input, true, null, System.nanoTime(), 0);
        try {
            return ev.document(path(dottedPath));
        } catch (EvalError e) {
            throw new RegoException(e.error());
        }
    }

    private List<Value> path(String dotted) {
        return paths.computeIfAbsent(dotted, p -> {
            List<Value> out = new ArrayList<>();
            for (String s : p.split("\\.")) {
                out.add(StringValue.of(s));
            }
            return List.copyOf(out);
        });
    }
}
