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

    /** The system property that sets {@link #configuredTimeout()}. */
    public static final String TIMEOUT_PROPERTY = "veil.rego.timeout";

    /** How long one question's evaluation may take unless {@link #TIMEOUT_PROPERTY} says otherwise. */
    public static final java.time.Duration DEFAULT_TIMEOUT = java.time.Duration.ofSeconds(1);

    /** The longest {@link #configuredTimeout()}: a deadline must stay far from overflowing {@link System#nanoTime()}. */
    private static final java.time.Duration MAX_TIMEOUT = java.time.Duration.ofDays(1);

    /**
     * How long one evaluation of a Guard's policy may take (one question, or one {@code veil test}
     * rule): the system property {@value #TIMEOUT_PROPERTY} as a whole number of milliseconds or
     * seconds ({@code 1500ms}, {@code 2s}) or an ISO-8601 duration ({@code PT2S}), read when called;
     * {@link #DEFAULT_TIMEOUT} when it is not set. A policy that never finishes (a loop over huge
     * ranges) would otherwise hold the request thread for good.
     *
     * @throws IllegalArgumentException when the property is set to anything else, to zero or less, or to more
     *     than a day
     */
    public static java.time.Duration configuredTimeout() {
        String raw = System.getProperty(TIMEOUT_PROPERTY);
        if (raw == null) {
            return DEFAULT_TIMEOUT;
        }
        String v = raw.strip();
        java.time.Duration d = null;
        try {
            if (v.matches("[0-9]{1,12}ms")) {
                d = java.time.Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            } else if (v.matches("[0-9]{1,9}s")) {
                d = java.time.Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            } else if (v.startsWith("PT") || v.startsWith("pt")) {
                d = java.time.Duration.parse(v);
            }
        } catch (java.time.format.DateTimeParseException e) {
            d = null;
        }
        if (d == null || d.isNegative() || d.isZero() || d.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException("system property " + TIMEOUT_PROPERTY + ": invalid value '" + raw
                    + "': expected how long one evaluation of a policy question may take, greater than 0 and at "
                    + "most 1 day, in milliseconds or seconds (1500ms, 2s) or as an ISO-8601 duration (PT2S); "
                    + "unset, it is " + describe(DEFAULT_TIMEOUT));
        }
        return d;
    }

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

    /** A limit as its property value would give it: {@code 1s}, {@code 1500ms}. */
    static String describe(java.time.Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    private final Engine engine;
    private final Set<List<Value>> rules;
    private final java.time.Duration timeout;
    private final Engine.Options strict;
    private final Map<String, Plan.Ref> refs = new ConcurrentHashMap<>();

    private RegoProgram(Engine engine, Set<List<Value>> rules, java.time.Duration timeout) {
        this.engine = engine;
        this.rules = rules;
        this.timeout = timeout;
        this.strict = new Engine.Options(true, null, timeout.toNanos());
    }

    /**
     * Parses every module (file name to source) and compiles them with the data document.
     *
     * @param timeout how long one {@link #evaluate} may take before it fails ({@code eval_cancel_error})
     * @throws RegoException with every parse error, or every compile error
     */
    static RegoProgram compile(Map<String, String> sources, Map<String, Object> data, java.time.Duration timeout) {
        Engine engine = Engine.compile(sources, (ObjectValue) Values.fromJava(data), WITHHELD);
        return new RegoProgram(engine, new HashSet<>(engine.rulesNamed("")), timeout);
    }

    /** How long one {@link #evaluate} may take. */
    java.time.Duration timeout() {
        return timeout;
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
     * @throws RegoException on a conflict, a type error, a builtin error, a too deep evaluation, or an
     *     evaluation that takes longer than {@link #timeout()} or whose thread is interrupted
     *     ({@code eval_cancel_error}, message {@code timeout} or {@code interrupted})
     */
    Value evaluate(Plan.Ref document, Value input) {
        return engine.document(document, input, strict);
    }

    private static List<Value> path(String dotted) {
        List<Value> out = new ArrayList<>();
        for (String s : dotted.split("\\.")) {
            out.add(StringValue.of(s));
        }
        return List.copyOf(out);
    }
}
