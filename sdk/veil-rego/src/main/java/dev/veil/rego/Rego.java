package dev.veil.rego;

import dev.veil.rego.internal.ast.Ref;
import dev.veil.rego.internal.ast.Scalar;
import dev.veil.rego.internal.ast.Term;
import dev.veil.rego.internal.ast.Var;
import dev.veil.rego.internal.compile.Plan;
import dev.veil.rego.internal.eval.Engine;
import dev.veil.rego.internal.eval.Evaluator;
import dev.veil.rego.internal.parse.Parser;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A compiled set of Rego v1 modules with their base data, ready to answer queries. Compile once with
 * {@link #compile}; the result is immutable and may be used by any number of threads at once without
 * locking (each evaluation gets its own state).
 *
 * <pre>{@code
 * Rego policy = Rego.compile(Map.of("access.rego", source), Map.of());
 * Object decision = policy.evaluate("data.veil.access.decision", Map.of("role", "admin"));
 * }</pre>
 *
 * <p>Values cross the API as plain Java: maps with string keys, lists, strings, numbers
 * ({@code Long} or {@code BigDecimal}), booleans and null. Sets become sorted lists.
 */
public final class Rego {
    /** How many distinct queries and references are kept compiled. */
    private static final int MAX_CACHED = 1024;

    private final Engine engine;
    private final boolean strict;
    private final PrintStream printOut;
    private final long timeoutNanos;
    private final Map<String, Plan.Query> queries = new ConcurrentHashMap<>();
    private final Map<String, Plan.Ref> paths = new ConcurrentHashMap<>();

    private Rego(Engine engine, boolean strict, PrintStream printOut, long timeoutNanos) {
        this.engine = engine;
        this.strict = strict;
        this.printOut = printOut;
        this.timeoutNanos = timeoutNanos;
    }

    /**
     * Parses and compiles modules.
     *
     * @param modules the Rego sources by file name (names appear in error positions)
     * @param data    the base data document: a {@code Map} (or null for none)
     * @throws RegoException with every parse or compile error, each with file, line and column
     */
    public static Rego compile(Map<String, String> modules, Object data) {
        Objects.requireNonNull(modules, "modules");
        Value d = Values.fromJava(data == null ? Map.of() : data);
        if (!(d instanceof ObjectValue o)) {
            throw new IllegalArgumentException("the data document must be an object (a Map) but was a "
                    + d.typeName());
        }
        return new Rego(Engine.compile(modules, o), false, null, 0);
    }

    /**
     * This policy with strict builtin errors: a builtin failing (e.g. {@code json.unmarshal} of invalid
     * JSON) raises a {@link RegoException} instead of making the expression undefined.
     */
    public Rego strictBuiltinErrors(boolean on) {
        return new Rego(engine, on, printOut, timeoutNanos);
    }

    /** This policy with {@code print} output written to {@code out} (null to drop it, the default). */
    public Rego printTo(PrintStream out) {
        return new Rego(engine, strict, out, timeoutNanos);
    }

    /**
     * This policy with a time limit per evaluation: an evaluation running longer fails with a
     * {@link RegoException} of code {@code eval_cancel_error} (message {@code timeout}). Zero or negative
     * means no limit (the default). Whatever the limit, an evaluation whose thread is interrupted stops
     * the same way (message {@code interrupted}; the thread keeps its interrupt).
     */
    public Rego timeout(java.time.Duration limit) {
        return new Rego(engine, strict, printOut, limit == null || limit.isNegative() ? 0 : limit.toNanos());
    }

    /**
     * Runs a query such as {@code data.app.allow == true} or {@code x := data.app.users[_]}.
     *
     * @param input the input document (any JSON-like Java value) or null for none
     * @return one map per result, from each variable of the query to its value (empty when undefined)
     * @throws RegoException on a parse or compile error in the query, or an evaluation error
     */
    public List<Map<String, Object>> query(String query, Object input) {
        Plan.Query q = queries.get(query);
        if (q == null) {
            q = engine.prepare(query);
            if (queries.size() < MAX_CACHED) {
                queries.put(query, q);
            }
        }
        List<Map<String, Value>> rs = engine.query(q, input == null ? null : Values.fromJava(input), options());
        List<Map<String, Object>> out = new ArrayList<>(rs.size());
        for (Map<String, Value> r : rs) {
            Map<String, Object> m = new LinkedHashMap<>();
            r.forEach((k, v) -> m.put(k, Values.toJava(v)));
            out.add(m);
        }
        return out;
    }

    /**
     * The value of one document, e.g. {@code data.veil.access.decision}; the reference is parsed once
     * and cached, so repeated calls do no parsing.
     *
     * @return the value as plain Java, or null when the document is undefined
     * @throws IllegalArgumentException when {@code ref} is not a reference into data with constant steps
     * @throws RegoException            on an evaluation error
     */
    public Object evaluate(String ref, Object input) {
        Value v = engine.document(path(ref), input == null ? null : Values.fromJava(input), options());
        return v == null ? null : Values.toJava(v);
    }

    private Plan.Ref path(String ref) {
        Plan.Ref p = paths.get(ref);
        if (p == null) {
            p = Evaluator.documentRef(parsePath(ref));
            if (paths.size() < MAX_CACHED) {
                paths.put(ref, p);
            }
        }
        return p;
    }

    private static List<Value> parsePath(String ref) {
        Term t = Parser.parseTerm(ref);
        Ref r = t instanceof Ref x ? x : t instanceof Var v ? new Ref(v.location(), List.of(v)) : null;
        if (r == null || !(r.head() instanceof Var head) || !head.name().equals("data")) {
            throw new IllegalArgumentException("'" + ref + "' is not a reference into data: write e.g. "
                    + "data.veil.access.decision");
        }
        List<Value> out = new ArrayList<>();
        for (int i = 1; i < r.size(); i++) {
            if (!(r.get(i) instanceof Scalar s)) {
                throw new IllegalArgumentException("'" + ref + "' has a variable step " + r.get(i)
                        + ": evaluate() takes constant paths only; use query() for variables");
            }
            out.add(s.value());
        }
        return List.copyOf(out);
    }

    private Engine.Options options() {
        return new Engine.Options(strict, printOut, timeoutNanos);
    }
}
