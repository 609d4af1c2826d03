package dev.veil.rego.internal.engine;

import dev.veil.rego.RegoException;
import dev.veil.rego.internal.builtins.Builtin;
import dev.veil.rego.internal.compile.Compiler;
import dev.veil.rego.internal.compile.Plan;
import dev.veil.rego.internal.eval.Engine;
import dev.veil.rego.internal.eval.Evaluator;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rego modules and data compiled once; evaluates documents under {@code data} with an input, with
 * strict builtin errors. Immutable and thread-safe: each evaluation has its own evaluator state.
 */
public final class RegoProgram {
    private static final String NO_NETWORK = "a Veil policy runs inside the model server and may not reach the "
            + "network; put what the policy needs in the bundle's data instead";
    private static final Engine.Options STRICT = new Engine.Options(true, null, 0);

    /**
     * Builtins a Veil policy may not call: it runs inside the model server on every prediction, so it
     * must not reach the network (an HTTP call or a DNS lookup per request, a new way for requests to
     * fail or leak). A bundle calling one does not load.
     */
    public static final Map<String, Builtin> WITHHELD = Map.of(
            "http.send", Compiler.Withheld.builtin("http.send", NO_NETWORK),
            "net.lookup_ip_addr", Compiler.Withheld.builtin("net.lookup_ip_addr", NO_NETWORK));

    /**
     * An input document as a Guard gives it to a policy: read as {@code veil eval} reads one (missing
     * parts filled in, unknown keys and wrong types refused with IllegalArgumentException), then
     * converted as the Guard converts its input.
     */
    @SuppressWarnings("unchecked")
    public static Value asGuardInput(Value doc) {
        if (!(Values.toJava(doc) instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("the policy input must be an object (section 8 of "
                    + "docs/policy-reference.md), was " + doc.typeName());
        }
        return InputValues.of(dev.veil.spi.PolicyInput.fromDocument((Map<String, Object>) m));
    }

    private final Engine engine;
    private final Set<List<Value>> rules;
    private final Map<String, Plan.Ref> refs = new ConcurrentHashMap<>();

    private RegoProgram(Engine engine, Set<List<Value>> rules) {
        this.engine = engine;
        this.rules = rules;
    }

    /**
     * Parses every module (file name to source) and compiles them with the data document.
     *
     * @throws RegoException with every parse error, or every compile error
     */
    static RegoProgram compile(Map<String, String> sources, Map<String, Object> data) {
        Engine engine = Engine.compile(sources, (ObjectValue) Values.fromJava(data), WITHHELD);
        return new RegoProgram(engine, new HashSet<>(engine.rulesNamed("")));
    }

    /** The compiled modules. */
    Engine engine() {
        return engine;
    }

    /** Whether some module defines a rule (not a function) at this dotted path under {@code data}. */
    boolean defines(String dottedPath) {
        return rules.contains(path(dottedPath));
    }

    /**
     * The value of {@code data.<dottedPath>} for this input, or {@code null} when undefined.
     *
     * @throws RegoException on a conflict, a type error, a builtin error or a too deep evaluation
     */
    Value evaluate(String dottedPath, Value input) {
        return evaluate(document(dottedPath), input);
    }

    /** The document {@code data.<dottedPath>}, prepared once for {@link #evaluate(Plan.Ref, Value)}. */
    Plan.Ref document(String dottedPath) {
        return refs.computeIfAbsent(dottedPath, p -> Evaluator.documentRef(path(p)));
    }

    /**
     * The value of a prepared document for this input, or {@code null} when undefined.
     *
     * @throws RegoException on a conflict, a type error, a builtin error or a too deep evaluation
     */
    Value evaluate(Plan.Ref document, Value input) {
        return engine.document(document, input, STRICT);
    }

    private static List<Value> path(String dotted) {
        List<Value> out = new ArrayList<>();
        for (String s : dotted.split("\\.")) {
            out.add(StringValue.of(s));
        }
        return List.copyOf(out);
    }
}
