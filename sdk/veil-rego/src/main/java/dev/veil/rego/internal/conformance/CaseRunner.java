package dev.veil.rego.internal.conformance;

import dev.veil.rego.RegoException;
import dev.veil.rego.internal.builtins.Builtin;
import dev.veil.rego.internal.builtins.BuiltinError;
import dev.veil.rego.internal.builtins.GoTime;
import dev.veil.rego.internal.builtins.RegoTypeError;
import dev.veil.rego.internal.compile.Plan;
import dev.veil.rego.internal.eval.Engine;
import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs one {@link TestCase} and compares the outcome as OPA's test runner does. */
public final class CaseRunner {
    /**
     * Builtins that only OPA's test harness defines, never the engine: {@code test.sleep(duration)} sleeps
     * (Go duration syntax) and returns null, so that cases can check that {@code time.now_ns()} stays the
     * same throughout one evaluation.
     */
    static final Map<String, Builtin> TEST_BUILTINS = Map.of("test.sleep", Builtin.of("test.sleep", 1, (a, ctx) -> {
        if (!(a[0] instanceof StringValue s)) {
            throw new RegoTypeError("test.sleep", "operand 1 must be string but got " + a[0].typeName());
        }
        long nanos;
        try {
            nanos = GoTime.parseDuration(s.value());
        } catch (RuntimeException e) {
            throw new BuiltinError("test.sleep", "time: invalid duration \"" + s.value() + "\"");
        }
        try {
            Thread.sleep(Math.max(0, nanos / 1_000_000), (int) Math.max(0, nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuiltinError("test.sleep", "interrupted");
        }
        return NullValue.NULL;
    }));

    private CaseRunner() {
    }

    /**
     * Runs a case.
     *
     * @return null when it passes, else a one-line reason
     */
    public static String run(TestCase c, long timeoutNanos) {
        List<Map<String, Value>> results;
        try {
            Map<String, String> modules = new LinkedHashMap<>();
            for (int i = 0; i < c.modules().size(); i++) {
                modules.put("test-" + i + ".rego", c.modules().get(i));
            }
            Value d = Values.fromJava(c.data() == null ? Map.of() : c.data());
            Engine engine = Engine.compile(modules, (ObjectValue) d, TEST_BUILTINS);
            Engine.Options opts = new Engine.Options(c.strictError(), null, timeoutNanos);
            Value input = null;
            if (c.inputTerm() != null) {
                Plan.Query iq = engine.prepare("input_term_value__ = " + c.inputTerm());
                List<Map<String, Value>> r = engine.query(iq, null, opts);
                input = r.isEmpty() ? null : r.get(0).get("input_term_value__");
            } else if (c.hasInput()) {
                input = Values.fromJava(c.input());
            }
            Plan.Query q = engine.prepare(c.query());
            results = engine.query(q, input, opts);
        } catch (RegoException e) {
            return checkError(c, e);
        } catch (RuntimeException e) {
            return "internal error: " + e;
        }
        if (c.wantError() != null || c.wantErrorCode() != null) {
            return "expected error " + (c.wantErrorCode() == null ? "" : c.wantErrorCode() + " ")
                    + (c.wantError() == null ? "" : "'" + c.wantError() + "'") + " but got " + results.size()
                    + " result(s)";
        }
        if (c.wantDefined() != null) {
            boolean defined = !results.isEmpty();
            return defined == c.wantDefined() ? null : "expected defined=" + c.wantDefined() + " but got " + defined;
        }
        List<Value> got = new ArrayList<>();
        for (Map<String, Value> r : results) {
            ObjectValue.Builder b = ObjectValue.builder();
            for (Map.Entry<String, Value> e : r.entrySet()) {
                if (c.ignoreGeneratedVars() && e.getKey().startsWith("__")) {
                    continue;
                }
                b.put(e.getKey(), normalise(e.getValue(), c.sortBindings()));
            }
            got.add(b.build());
        }
        List<Value> want = new ArrayList<>();
        if (c.wantResult() != null) {
            for (Map<String, Object> m : c.wantResult()) {
                want.add(normalise(Values.fromJava(m), c.sortBindings()));
            }
        }
        if (sameMultiset(got, want)) {
            return null;
        }
        return "want " + abbreviate(want.toString()) + " but got " + abbreviate(got.toString());
    }

    private static boolean sameMultiset(List<Value> a, List<Value> b) {
        if (a.size() != b.size()) {
            return false;
        }
        Value[] x = a.toArray(new Value[0]);
        Value[] y = b.toArray(new Value[0]);
        Arrays.sort(x);
        Arrays.sort(y);
        return Arrays.equals(x, y);
    }

    /** As JSON would carry it (sets become arrays), with arrays sorted when asked. */
    private static Value normalise(Value v, boolean sort) {
        return sortArrays(Values.parseJson(Values.toJson(v)), sort);
    }

    private static Value sortArrays(Value v, boolean sort) {
        if (v instanceof SetValue s) {
            List<Value> el = new ArrayList<>();
            for (Value e : s.elements()) {
                el.add(sortArrays(e, sort));
            }
            if (sort) {
                el.sort(null);
            }
            return ArrayValue.of(el);
        }
        if (v instanceof ArrayValue a) {
            List<Value> el = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) {
                el.add(sortArrays(a.get(i), sort));
            }
            if (sort) {
                el.sort(null);
            }
            return ArrayValue.of(el);
        }
        if (v instanceof ObjectValue o) {
            ObjectValue.Builder b = ObjectValue.builder();
            for (Value k : o.keys()) {
                b.put(k, sortArrays(o.get(k), sort));
            }
            return b.build();
        }
        return v;
    }

    private static String checkError(TestCase c, RegoException e) {
        if ("eval_cancel_error".equals(e.code())) {
            return "timeout";
        }
        if (c.wantError() == null && c.wantErrorCode() == null) {
            return "unexpected error: " + abbreviate(e.getMessage().replace('\n', ' '));
        }
        if (c.wantErrorCode() != null && !e.errors().get(0).code().equals(c.wantErrorCode())) {
            return "expected error code " + c.wantErrorCode() + " but got " + abbreviate(e.getMessage()
                    .replace('\n', ' '));
        }
        if (c.wantError() != null && !e.getMessage().contains(c.wantError())) {
            return "expected error '" + c.wantError() + "' but got " + abbreviate(e.getMessage().replace('\n', ' '));
        }
        return null;
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }
}
