package dev.veil.rego.internal.compile;

import dev.veil.rego.RegoError;
import dev.veil.rego.RegoException;
import dev.veil.rego.internal.ast.ArrayComprehension;
import dev.veil.rego.internal.ast.ArrayTerm;
import dev.veil.rego.internal.ast.Body;
import dev.veil.rego.internal.ast.Call;
import dev.veil.rego.internal.ast.Every;
import dev.veil.rego.internal.ast.Expr;
import dev.veil.rego.internal.ast.Import;
import dev.veil.rego.internal.ast.Location;
import dev.veil.rego.internal.ast.Module;
import dev.veil.rego.internal.ast.ObjectComprehension;
import dev.veil.rego.internal.ast.ObjectTerm;
import dev.veil.rego.internal.ast.Ref;
import dev.veil.rego.internal.ast.Rule;
import dev.veil.rego.internal.ast.Scalar;
import dev.veil.rego.internal.ast.SetComprehension;
import dev.veil.rego.internal.ast.SetTerm;
import dev.veil.rego.internal.ast.SomeDecl;
import dev.veil.rego.internal.ast.SomeIn;
import dev.veil.rego.internal.ast.Statement;
import dev.veil.rego.internal.ast.Term;
import dev.veil.rego.internal.ast.Var;
import dev.veil.rego.internal.ast.With;
import dev.veil.rego.internal.builtins.Builtin;
import dev.veil.rego.internal.builtins.Builtins;
import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles parsed modules into one {@link RuleNode} tree: rules merged by full path, variables resolved
 * to frame slots, imports and rule names resolved to references, bodies reordered for safety as OPA
 * does, and the errors OPA reports at compile time (unsafe variables, undefined functions, arity,
 * recursion, conflicting and multiple default rules), each with file, line and column.
 */
public final class Compiler {
    private final List<RegoError> errors = new ArrayList<>();
    private final RuleNode root = new RuleNode(List.of());
    private final ObjectValue data;
    /** Rule names (first head segment) per package path. */
    private final Map<List<Value>, Set<String>> packageRules = new HashMap<>();
    /** Nodes each rule node depends on. */
    private final Map<RuleNode, Set<List<Value>>> deps = new LinkedHashMap<>();
    private final Map<RuleNode, Location> firstLoc = new HashMap<>();

    /** Context of the rule or query being compiled. */
    private Ctx ctx;
    /** The modules' METADATA annotations; null when compiling a query. */
    private Annotations annotations;

    private record Pending(Module module, List<Value> pkg, Rule rule, RuleNode node, int keyStart) {
    }

    /** Per module: package path, imports. */
    private static final class Ctx {
        List<Value> pkg = List.of();
        Map<String, Ref> imports = new HashMap<>();
        Set<String> rules = Set.of();
        /** Paths referenced, null elements standing for variables. */
        Set<List<Value>> deps = new LinkedHashSet<>();
        int slots;
        /** The module and rule being compiled (for rego.metadata.*), null for a query. */
        Module module;
        Rule rule;
        /** True while compiling an else branch, which has no annotations of its own. */
        boolean elseBranch;
    }

    /** A lexical scope: one body (rule body, comprehension body, every body, query). */
    static final class Scope {
        final Scope parent;
        /** Every variable this body declares ({@code some}, {@code :=}, {@code some ... in}). */
        final Set<String> declared = new HashSet<>();
        /** Declarations seen so far while compiling the body in source order (what closures may capture). */
        final Set<String> declaredNow = new HashSet<>();
        /**
         * Variables the body uses outside closures (not counting declarations): a closure captures these
         * whatever their position, since the body is reordered so that they are bound first.
         */
        final Set<String> seen = new HashSet<>();
        final Map<String, Integer> slots = new HashMap<>();

        Scope(Scope parent) {
            this.parent = parent;
        }
    }

    private Compiler(ObjectValue data) {
        this.data = data == null ? ObjectValue.EMPTY : data;
    }

    /**
     * The compiled policy: the rule tree, and the builtins it was compiled with beyond the engine's own
     * (for queries against it).
     */
    public record Compiled(RuleNode root, Map<String, Builtin> extraBuiltins, List<InputRef> inputRefs) {
        public Compiled {
            extraBuiltins = Map.copyOf(extraBuiltins);
            inputRefs = List.copyOf(inputRefs);
        }

        public Compiled(RuleNode root) {
            this(root, Map.of(), List.of());
        }
    }

    /**
     * A reference into {@code input} that the modules make, as written or through an import
     * ({@code import input.caller} then {@code caller.roles} is {@code input.caller.roles}).
     *
     * @param path its steps after {@code input}: a constant's value, or null for a step that is not a
     *     constant ({@code input.signals[name]})
     */
    public record InputRef(Location location, List<Value> path) {
        public InputRef {
            path = java.util.Collections.unmodifiableList(new ArrayList<>(path));
        }
    }

    /** Every reference into input, in the order compiled (a module's queries are not among them). */
    private final List<InputRef> inputRefs = new ArrayList<>();

    /** Builtins beyond the engine's own (e.g. {@code test.sleep} of the conformance runner). */
    private Map<String, Builtin> extraBuiltins = Map.of();

    /**
     * The implementation of a builtin an embedder withholds: passed in {@code extraBuiltins} under the
     * builtin's name, it turns every call of that builtin into a compile error that gives the reason,
     * so that a policy relying on it fails when it loads, not on its first request.
     */
    public record Withheld(String reason) implements dev.veil.rego.internal.builtins.BuiltinFunction {
        /** A builtin called {@code name} that no policy compiled with it may call. */
        public static Builtin builtin(String name, String reason) {
            return new Builtin(name, Builtin.VARIADIC, new Withheld(reason), false);
        }

        @Override
        public Value call(Value[] args, dev.veil.rego.internal.builtins.BuiltinContext ctx) {
            throw new IllegalStateException("withheld builtin called: " + reason);
        }
    }

    private Builtin builtin(String name) {
        Builtin b = extraBuiltins.get(name);
        return b != null ? b : Builtins.lookup(name);
    }

    /**
     * Compiles modules.
     *
     * @throws RegoException with every compile error found
     */
    public static Compiled compile(List<Module> modules, ObjectValue data) {
        return compile(modules, data, Map.of());
    }

    /**
     * Compiles modules with builtins beyond the engine's own, which take precedence over same-named ones.
     *
     * @throws RegoException with every compile error found
     */
    public static Compiled compile(List<Module> modules, ObjectValue data, Map<String, Builtin> extraBuiltins) {
        Compiler c = new Compiler(data);
        c.extraBuiltins = Map.copyOf(extraBuiltins);
        c.run(modules);
        if (!c.errors.isEmpty()) {
            c.errors.sort(Comparator.comparing((RegoError e) -> e.file() == null ? "" : e.file())
                    .thenComparingInt(RegoError::line).thenComparingInt(RegoError::column));
            throw new RegoException(c.errors);
        }
        c.root.buildIndex();
        return new Compiled(c.root, c.extraBuiltins, c.inputRefs);
    }

    /**
     * Compiles a query against a compiled policy.
     *
     * @throws RegoException on unsafe variables, undefined functions, arity errors
     */
    public static Plan.Query compileQuery(Compiled policy, Body query) {
        Compiler c = new Compiler(null);
        c.extraBuiltins = policy.extraBuiltins();
        c.root.children.putAll(policy.root().children);
        Plan.Query q = c.query(query);
        if (!c.errors.isEmpty()) {
            throw new RegoException(c.errors);
        }
        return q;
    }

    // ---------------------------------------------------------------- placement

    private void run(List<Module> modules) {
        annotations = Annotations.build(modules, errors);
        List<Pending> pending = new ArrayList<>();
        for (Module m : modules) {
            List<Value> pkg = constPath(m.pkg().path(), 1);
            Set<String> names = packageRules.computeIfAbsent(pkg, k -> new HashSet<>());
            for (Rule r : m.rules()) {
                names.add(r.name());
            }
        }
        for (Module m : modules) {
            List<Value> pkg = constPath(m.pkg().path(), 1);
            RuleNode pn = root;
            for (Value v : pkg) {
                pn = pn.child(v);
            }
            for (Rule r : m.rules()) {
                List<Value> full = new ArrayList<>(pkg);
                full.add(StringValue.of(r.name()));
                int i = 1;
                for (; i < r.head().size(); i++) {
                    Term t = r.head().get(i);
                    if (!(t instanceof Scalar s)) {
                        break;
                    }
                    full.add(s.value());
                }
                RuleNode node = root;
                for (Value v : full) {
                    node = node.child(v);
                }
                firstLoc.putIfAbsent(node, r.location());
                if (r.kind() == Rule.Kind.FUNCTION) {
                    node.pendingFunction = true;
                    if (node.declaredArity < 0) {
                        node.declaredArity = r.args().size();
                    }
                } else {
                    node.pendingRules = true;
                }
                pending.add(new Pending(m, pkg, r, node, i));
            }
        }
        for (Pending p : pending) {
            compileRule(p);
        }
        checkConflicts(root);
        checkRecursion();
    }

    private static List<Value> constPath(Ref ref, int from) {
        List<Value> out = new ArrayList<>();
        for (int i = from; i < ref.size(); i++) {
            if (ref.get(i) instanceof Scalar s) {
                out.add(s.value());
            }
        }
        return out;
    }

    private void moduleCtx(Module m, List<Value> pkg) {
        ctx = new Ctx();
        ctx.pkg = pkg;
        ctx.rules = packageRules.getOrDefault(pkg, Set.of());
        for (Import i : m.imports()) {
            if (i.isKeywordImport()) {
                continue;
            }
            String name = i.name();
            if (name != null) {
                ctx.imports.put(name, i.path());
            }
        }
    }

    private void compileRule(Pending p) {
        moduleCtx(p.module(), p.pkg());
        Rule r = p.rule();
        ctx.module = p.module();
        ctx.rule = r;
        RuleNode node = p.node();
        Plan.Rule first = null;
        Plan.Rule prev = null;
        List<Term> keyTerms = new ArrayList<>();
        for (int i = p.keyStart(); i < r.head().size(); i++) {
            keyTerms.add(r.head().get(i));
        }
        for (Rule cur = r; cur != null; cur = cur.elseRule()) {
            ctx.elseBranch = cur != r;
            Plan.Rule c = compileOne(cur, r, keyTerms);
            if (c == null) {
                return;
            }
            if (first == null) {
                first = c;
            } else {
                prev.elseRule = c;
            }
            prev = c;
        }
        deps.computeIfAbsent(node, k -> new LinkedHashSet<>()).addAll(ctx.deps);
        switch (first.kind) {
            case FUNCTION -> {
                int n = first.args.length;
                if (node.arity >= 0 && node.arity != n) {
                    error("rego_type_error", "conflicting rules " + node.name + " found", r.location());
                }
                node.arity = n;
                if (first.isDefault) {
                    if (node.defaultFunction != null) {
                        error("rego_type_error", "multiple default rules " + node.name + " found", r.location());
                    }
                    node.defaultFunction = first;
                } else {
                    node.functions.add(first);
                }
            }
            case COMPLETE -> {
                if (first.isDefault) {
                    if (node.defaultRule != null) {
                        error("rego_type_error", "multiple default rules " + node.name + " found", r.location());
                    }
                    node.defaultRule = first;
                } else {
                    node.complete.add(first);
                }
            }
            default -> node.partial.add(first);
        }
    }

    private Plan.Rule compileOne(Rule r, Rule head, List<Term> keyTerms) {
        ctx.slots = 0;
        Scope scope = new Scope(null);
        Rule.Kind kind = head.kind();
        List<Term> args = head.args();
        Body ruleBody = r.body();
        if (args != null) {
            // Arguments that are not patterns (references, calls, templates...) become equalities at
            // the end of the body, so that they are evaluated once what they need is bound (as OPA).
            List<Term> plain = new ArrayList<>();
            List<Expr> extra = new ArrayList<>();
            for (int i = 0; i < args.size(); i++) {
                Term a = args.get(i);
                if (a instanceof Var || a instanceof Scalar || a instanceof ArrayTerm || a instanceof ObjectTerm) {
                    plain.add(a);
                } else {
                    Var v = new Var(a.location(), "__arg" + i + "__");
                    plain.add(v);
                    extra.add(Expr.of(new Call(a.location(), Ref.of(a.location(), "eq"), List.of(v, a))));
                }
            }
            if (!extra.isEmpty()) {
                List<Expr> all = new ArrayList<>(ruleBody.exprs());
                all.addAll(extra);
                ruleBody = new Body(ruleBody.location(), all);
                args = plain;
            }
        }
        // Vars of the head (args, keys, value) belong to the body's scope.
        List<Term> headTerms = new ArrayList<>(keyTerms);
        if (args != null) {
            headTerms.addAll(args);
        }
        if (r.key() != null) {
            headTerms.add(r.key());
        }
        if (r.value() != null) {
            headTerms.add(r.value());
        }
        prepareScope(scope, ruleBody, args);
        if (args != null) {
            for (Term t : args) {
                markSeen(t, scope);
            }
        }
        Plan.T[] cargs = null;
        BitSet bound = new BitSet();
        if (args != null) {
            cargs = new Plan.T[args.size()];
            for (int i = 0; i < cargs.length; i++) {
                cargs[i] = term(args.get(i), scope);
                Analysis.slots(cargs[i], bound);
            }
        }
        Plan.Body body = body(ruleBody, scope, bound, 0);
        Plan.Rule.Kind k;
        Plan.T[] keys;
        Plan.T value;
        if (kind == Rule.Kind.FUNCTION) {
            k = Plan.Rule.Kind.FUNCTION;
            keys = new Plan.T[0];
            value = term(r.value(), scope);
        } else if (kind == Rule.Kind.PARTIAL_SET) {
            k = Plan.Rule.Kind.SET;
            keys = terms(keyTerms, scope);
            value = term(r.key(), scope);
        } else if (keyTerms.isEmpty()) {
            k = Plan.Rule.Kind.COMPLETE;
            keys = new Plan.T[0];
            value = term(r.value(), scope);
        } else {
            k = Plan.Rule.Kind.OBJECT;
            keys = terms(keyTerms, scope);
            value = term(r.value(), scope);
        }
        BitSet after = Analysis.boundAfter(body, bound);
        for (Plan.T t : keys) {
            unsafeHead(t, after);
        }
        unsafeHead(value, after);
        Value indexConst = null;
        Plan.Ref indexRef = null;
        if (head.elseRule() == null && r == head) {
            if (k == Plan.Rule.Kind.FUNCTION && cargs.length > 0 && cargs[0] instanceof Plan.Const c) {
                indexConst = c.value;
            } else if (k != Plan.Rule.Kind.FUNCTION) {
                for (Plan.Expr e : body.exprs) {
                    if (e.negated || e.withs.length > 0) {
                        continue;
                    }
                    Plan.Ref ref = null;
                    Value cv = null;
                    if (e.kind == Plan.Kind.UNIFY && !e.assign || e.kind == Plan.Kind.CALL && e.b == null
                            && e.a instanceof Plan.CallT call && "equal".equals(call.name)) {
                        Plan.T x = e.kind == Plan.Kind.UNIFY ? e.a : ((Plan.CallT) e.a).args[0];
                        Plan.T y = e.kind == Plan.Kind.UNIFY ? e.b : ((Plan.CallT) e.a).args[1];
                        if (x instanceof Plan.Const c && indexable(y)) {
                            ref = (Plan.Ref) y;
                            cv = c.value;
                        } else if (y instanceof Plan.Const c && indexable(x)) {
                            ref = (Plan.Ref) x;
                            cv = c.value;
                        }
                    }
                    if (ref != null && cv.isScalar()) {
                        indexRef = ref;
                        indexConst = cv;
                        break;
                    }
                }
            }
        }
        return new Plan.Rule(k, r.isDefault(), r.location(), cargs, keys, value, body, ctx.slots, indexConst,
                indexRef);
    }

    private static boolean indexable(Plan.T t) {
        return t instanceof Plan.Ref ref && ref.head instanceof Plan.Root root && root.input
                && ref.groundPrefix == ref.path.length;
    }

    private void unsafeHead(Plan.T t, BitSet bound) {
        Set<Plan.Local> need = new LinkedHashSet<>();
        Analysis.needLocals(t, need, false);
        for (Plan.Local l : need) {
            if (!bound.get(l.slot)) {
                error("rego_unsafe_var_error", "var " + display(l.name) + " is unsafe", l.loc);
                bound.set(l.slot);
            }
        }
    }

    private Plan.Query query(Body q) {
        ctx = new Ctx();
        ctx.pkg = List.of();
        Scope scope = new Scope(null);
        prepareScope(scope, q);
        Plan.Body body = body(q, scope, new BitSet(), 0);
        List<String> names = new ArrayList<>();
        List<Integer> slots = new ArrayList<>();
        Map<String, Integer> sorted = new java.util.TreeMap<>(scope.slots);
        for (Map.Entry<String, Integer> e : sorted.entrySet()) {
            if (!e.getKey().startsWith("$") && !e.getKey().startsWith("__")) {
                names.add(e.getKey());
                slots.add(e.getValue());
            }
        }
        return new Plan.Query(body, ctx.slots, names.toArray(new String[0]),
                slots.stream().mapToInt(Integer::intValue).toArray());
    }

    // ---------------------------------------------------------------- scopes

    /** Collects the variables a body declares and uses (outside closures) and allocates the declared ones. */
    private void prepareScope(Scope scope, Body body) {
        prepareScope(scope, body, null);
    }

    /** As {@link #prepareScope(Scope, Body)}, for a rule's body and its arguments ({@code null}: none). */
    private void prepareScope(Scope scope, Body body, List<Term> args) {
        checkDeclarations(scope, body, args);
        for (Expr e : body.exprs()) {
            declarations(e, scope.declared);
            uses(e, scope.seen);
        }
        for (String n : scope.declared) {
            slot(scope, n);
        }
        // Allocate the body's own variables now, before any closure in it takes its slot range.
        for (String n : new java.util.TreeSet<>(scope.seen)) {
            if (resolveScope(n, scope) == scope) {
                slot(scope, n);
            }
        }
    }

    /**
     * OPA's checks of the variables one body declares, in source order (its compiler's rewriting of
     * declared variables): a variable declared with {@code :=} or {@code some} must not have been
     * assigned, declared or referenced earlier in the same body, nor be an argument of the function,
     * nor be named {@code input} or {@code data}. Without them a second {@code x := 2} would be read
     * as a comparison with the first, and the rule would silently be undefined. A closure's body is
     * a scope of its own, checked on its own.
     */
    private void checkDeclarations(Scope scope, Body body, List<Term> args) {
        Map<String, String> before = new HashMap<>();
        if (args != null) {
            for (Term a : args) {
                Set<String> names = new HashSet<>();
                collectVars(a, names);
                names.forEach(n -> before.putIfAbsent(n, "arg"));
            }
        }
        // An every body starts with its key and value declared (OPA declares them in its frame).
        scope.declared.forEach(n -> before.putIfAbsent(n, "declared"));
        // A variable an enclosing body declared before this one, read here and then declared again:
        // OPA reads the outer variable up to the declaration and a new one after it. Here a body's
        // variable is one for the whole body, so that program is refused with its own message
        // rather than run with other answers.
        Set<String> outer = new HashSet<>();
        for (Scope p = scope.parent; p != null; p = p.parent) {
            outer.addAll(p.declaredNow);
        }
        for (Expr e : body.exprs()) {
            // what the statement reads, then what it declares, then its with values (OPA's order)
            Set<String> read = new HashSet<>();
            statementUses(e.statement(), read);
            referenced(read, before, outer);
            List<Var> vars = new ArrayList<>();
            String how = declaredVars(e.statement(), vars);
            for (Var v : vars) {
                declare(v, how, before);
            }
            for (With w : e.withs()) {
                Set<String> names = new HashSet<>();
                collectVars(w.value(), names);
                referenced(names, before, outer);
            }
        }
    }

    private static void referenced(Set<String> names, Map<String, String> before, Set<String> outer) {
        for (String n : names) {
            before.putIfAbsent(n, outer.contains(n) ? "outer" : "referenced");
        }
    }

    /**
     * The variables a statement declares ({@code some}, the patterns of {@code some ... in} and of
     * {@code :=}) into {@code out}, and how: "declared", "assigned", or null when it declares none.
     */
    private static String declaredVars(Statement s, List<Var> out) {
        if (s instanceof SomeDecl d) {
            out.addAll(d.vars());
            return "declared";
        }
        if (s instanceof SomeIn si) {
            if (si.key() != null) {
                declaredVars(si.key(), out);
            }
            declaredVars(si.value(), out);
            return "declared";
        }
        if (s instanceof Call c && "assign".equals(c.name()) && c.args().size() == 2) {
            declaredVars(c.args().get(0), out);
            return "assigned";
        }
        return null;
    }

    /** The variables a declaration's pattern binds (a variable, or one inside arrays and object values). */
    private static void declaredVars(Term t, List<Var> out) {
        if (t instanceof Var v) {
            out.add(v);
        } else if (t instanceof Ref r && r.terms().size() == 1 && r.head() instanceof Var v) {
            out.add(v); // input or data, parsed as a reference to the root document
        } else if (t instanceof ArrayTerm a) {
            a.elements().forEach(x -> declaredVars(x, out));
        } else if (t instanceof ObjectTerm o) {
            o.entries().forEach(x -> declaredVars(x.value(), out));
        }
    }

    private void declare(Var v, String how, Map<String, String> before) {
        if (v.isWildcard()) {
            return;
        }
        String n = v.name();
        if (n.equals("input") || n.equals("data")) {
            error("rego_compile_error", "variables must not shadow " + n + " (use a different variable name)",
                    v.location());
            return;
        }
        String was = before.get(n);
        if (was == null) {
            before.put(n, how);
        } else if (was.equals("arg")) {
            error("rego_compile_error", "arg " + n + " redeclared", v.location());
        } else if (was.equals("outer")) {
            error("rego_compile_error", "var " + n + " of an enclosing body is read above and declared again here:"
                    + " Veil does not support redeclaring a variable after reading it; rename one of them",
                    v.location());
        } else {
            error("rego_compile_error", "var " + n + " " + was + " above", v.location());
        }
    }

    private static void declarations(Expr e, Set<String> out) {
        Statement s = e.statement();
        if (s instanceof SomeDecl d) {
            for (Var v : d.vars()) {
                out.add(v.name());
            }
        } else if (s instanceof SomeIn si) {
            if (si.key() != null) {
                collectVars(si.key(), out);
            }
            collectVars(si.value(), out);
        } else if (s instanceof Call c && "assign".equals(c.name()) && c.args().size() == 2) {
            collectVars(c.args().get(0), out);
        }
    }

    /** Variables an expression uses outside closures, not counting what it declares. */
    private static void uses(Expr e, Set<String> names) {
        statementUses(e.statement(), names);
        for (With w : e.withs()) {
            collectVars(w.value(), names);
        }
    }

    /** As {@link #uses}, without the expression's {@code with} values. */
    private static void statementUses(Statement s, Set<String> names) {
        if (s instanceof SomeIn si) {
            collectVars(si.collection(), names);
        } else if (s instanceof Every ev) {
            collectVars(ev.domain(), names);
        } else if (s instanceof Call c && "assign".equals(c.name()) && c.args().size() == 2) {
            collectVars(c.args().get(1), names);
        } else if (s instanceof Term t) {
            collectVars(t, names);
        }
    }

    /**
     * Records an expression's declarations in source order (a closure captures a variable declared with
     * {@code :=} or {@code some} only after the declaration) and allocates its local variables.
     */
    private void markSeen(Expr e, Scope scope) {
        Set<String> names = new HashSet<>();
        declarations(e, scope.declaredNow);
        uses(e, names);
        for (String n : names) {
            if (resolveScope(n, scope) == scope) {
                slot(scope, n);
                scope.seen.add(n);
            }
        }
    }

    private void markSeen(Term t, Scope scope) {
        Set<String> names = new HashSet<>();
        collectVars(t, names);
        for (String n : names) {
            if (resolveScope(n, scope) == scope) {
                slot(scope, n);
                scope.seen.add(n);
            }
        }
    }

    private int slot(Scope s, String name) {
        Integer i = s.slots.get(name);
        if (i == null) {
            i = ctx.slots++;
            s.slots.put(name, i);
        }
        return i;
    }

    /** The scope a local variable lives in, or null when the name is global (data, input, import, rule). */
    private Scope resolveScope(String name, Scope scope) {
        if (scope.declared.contains(name)) {
            return scope;
        }
        for (Scope s = scope.parent; s != null; s = s.parent) {
            if (s.declaredNow.contains(name)) {
                return s;
            }
        }
        if (isGlobal(name)) {
            return null;
        }
        // The outermost enclosing body that uses the name owns it.
        Scope owner = null;
        for (Scope s = scope.parent; s != null; s = s.parent) {
            if (s.seen.contains(name)) {
                owner = s;
            }
        }
        return owner != null ? owner : scope;
    }

    private boolean isGlobal(String name) {
        return name.equals("data") || name.equals("input") || ctx.imports.containsKey(name)
                || ctx.rules.contains(name);
    }

    /** Variables of a term, not descending into closures. */
    private static void collectVars(Term t, Set<String> out) {
        if (t instanceof Var v) {
            out.add(v.name());
        } else if (t instanceof Ref r) {
            for (Term x : r.terms()) {
                collectVars(x, out);
            }
        } else if (t instanceof ArrayTerm a) {
            a.elements().forEach(x -> collectVars(x, out));
        } else if (t instanceof SetTerm a) {
            a.elements().forEach(x -> collectVars(x, out));
        } else if (t instanceof ObjectTerm o) {
            for (ObjectTerm.Entry e : o.entries()) {
                collectVars(e.key(), out);
                collectVars(e.value(), out);
            }
        } else if (t instanceof Call c) {
            for (int i = 1; i < c.operator().size(); i++) {
                collectVars(c.operator().get(i), out);
            }
            c.args().forEach(x -> collectVars(x, out));
        } else {
            TemplateSupport.collectVars(t, out);
        }
    }

    // ---------------------------------------------------------------- bodies

    private Plan.Body body(Body b, Scope scope, BitSet outerBound, int lo) {
        List<Plan.Expr> exprs = new ArrayList<>();
        for (Expr e : b.exprs()) {
            markSeen(e, scope);
            Plan.Expr pe = expr(e, scope);
            if (pe != null) {
                exprs.add(pe);
            }
        }
        int hi = Integer.MAX_VALUE;
        List<Plan.Expr> ordered = reorder(exprs, outerBound, lo);
        return new Plan.Body(ordered, lo, hi);
    }

    private List<Plan.Expr> reorder(List<Plan.Expr> exprs, BitSet outerBound, int lo) {
        BitSet bound = (BitSet) outerBound.clone();
        // Slots below lo belong to enclosing scopes: bound by the time this body runs.
        bound.set(0, lo);
        List<Plan.Expr> out = new ArrayList<>();
        List<Plan.Expr> rest = new ArrayList<>(exprs);
        boolean progress = true;
        while (!rest.isEmpty() && progress) {
            progress = false;
            for (int i = 0; i < rest.size(); i++) {
                Plan.Expr e = rest.get(i);
                if (Analysis.safe(e, bound)) {
                    Analysis.bind(e, bound);
                    out.add(e);
                    rest.remove(i);
                    i--;
                    progress = true;
                }
            }
        }
        for (Plan.Expr e : rest) {
            Set<Plan.Local> unbound = new LinkedHashSet<>();
            Analysis.unboundLocals(e, bound, unbound);
            Set<String> seen = new HashSet<>();
            for (Plan.Local l : unbound) {
                if (seen.add(l.name)) {
                    error("rego_unsafe_var_error", "var " + display(l.name) + " is unsafe", l.loc);
                }
            }
            if (unbound.isEmpty()) {
                error("rego_unsafe_var_error", "expression is unsafe: " + e.text, e.loc);
            }
            out.add(e);
        }
        return out;
    }

    private static String display(String name) {
        return name.startsWith("$") ? "_" : name;
    }

    private Plan.Expr expr(Expr e, Scope scope) {
        Statement s = e.statement();
        Plan.With[] withs = new Plan.With[e.withs().size()];
        for (int i = 0; i < withs.length; i++) {
            withs[i] = with(e.withs().get(i), scope);
        }
        String text = e.toString();
        Location loc = e.location();
        if (s instanceof SomeDecl) {
            return null; // only declares: the scope already knows its variables
        }
        if (s instanceof SomeIn si) {
            Plan.T key = si.key() == null ? null : term(si.key(), scope);
            Plan.T val = term(si.value(), scope);
            Plan.T coll = term(si.collection(), scope);
            return new Plan.Expr(loc, Plan.Kind.SOME_IN, e.negated(), withs, val, key, coll, null, false, text);
        }
        if (s instanceof Every ev) {
            Scope inner = new Scope(scope);
            if (ev.key() != null) {
                collectVars(ev.key(), inner.declared);
                collectVars(ev.key(), inner.declaredNow);
            }
            collectVars(ev.value(), inner.declared);
            collectVars(ev.value(), inner.declaredNow);
            int lo = ctx.slots;
            prepareScope(inner, ev.body());
            Plan.T key = ev.key() == null ? null : term(ev.key(), inner);
            Plan.T val = term(ev.value(), inner);
            Plan.T dom = term(ev.domain(), scope);
            BitSet kv = new BitSet();
            if (key != null) {
                Analysis.slots(key, kv);
            }
            Analysis.slots(val, kv);
            Plan.Body body = closureBody(ev.body(), inner, kv, lo);
            return new Plan.Expr(loc, Plan.Kind.EVERY, e.negated(), withs, val, key, dom, body, false, text);
        }
        if (s instanceof Call c) {
            String name = c.name();
            if (("eq".equals(name) || "assign".equals(name)) && c.args().size() == 2) {
                Plan.T a = term(c.args().get(0), scope);
                Plan.T b = term(c.args().get(1), scope);
                boolean assign = "assign".equals(name);
                if (assign && !(a instanceof Plan.Local || a instanceof Plan.Arr || a instanceof Plan.Obj
                        || a instanceof Plan.Const)) {
                    error("rego_compile_error", "cannot assign to " + c.args().get(0), loc);
                }
                return new Plan.Expr(loc, Plan.Kind.UNIFY, e.negated(), withs, a, b, null, null, assign, text);
            }
            Plan.CallT call = call(c, scope, true);
            if (call == null) {
                // Already reported; keep the expression so that its output variables do not look unsafe.
                call = new Plan.CallT(c.location(), String.valueOf(name), null, null,
                        terms(c.args().subList(0, Math.max(0, c.args().size() - 1)), scope));
                Plan.T out = c.args().isEmpty() ? null : term(c.args().get(c.args().size() - 1), scope);
                return new Plan.Expr(loc, Plan.Kind.CALL, e.negated(), withs, call, out, null, null, false, text);
            }
            int arity = call.builtin != null ? call.builtin.arity() : call.function.arity >= 0
                    ? call.function.arity : call.function.declaredArity;
            Plan.T out = null;
            if (arity >= 0 && c.args().size() == arity + 1) {
                Plan.T[] args = java.util.Arrays.copyOf(call.args, arity);
                out = call.args[arity];
                call = new Plan.CallT(call.loc, call.name, call.builtin, call.function, args);
            }
            return new Plan.Expr(loc, Plan.Kind.CALL, e.negated(), withs, call, out, null, null, false, text);
        }
        Plan.T t = term((Term) s, scope);
        return new Plan.Expr(loc, Plan.Kind.TERM, e.negated(), withs, t, null, null, null, false, text);
    }

    private Plan.Body closureBody(Body b, Scope inner, BitSet initial, int lo) {
        List<Plan.Expr> exprs = new ArrayList<>();
        for (Expr e : b.exprs()) {
            markSeen(e, inner);
            Plan.Expr pe = expr(e, inner);
            if (pe != null) {
                exprs.add(pe);
            }
        }
        BitSet bound = (BitSet) initial.clone();
        List<Plan.Expr> ordered = reorder(exprs, bound, lo);
        return new Plan.Body(ordered, lo, ctx.slots);
    }

    private Plan.With with(With w, Scope scope) {
        Term target = w.target();
        Ref ref = target instanceof Ref r ? r : target instanceof Var v ? new Ref(v.location(), List.of(v)) : null;
        if (ref == null) {
            error("rego_compile_error", "with keyword target must reference existing input, data, or a function",
                    w.location());
            return new Plan.With(Plan.With.Target.INPUT, new Value[0], null, new Plan.Const(w.location(),
                    dev.veil.rego.internal.value.NullValue.NULL), null, null, null);
        }
        FnRef replacement = functionRef(w.value());
        Plan.T value = replacement != null && functionRef(target) != null
                ? new Plan.Const(w.location(), dev.veil.rego.internal.value.NullValue.NULL) : term(w.value(), scope);
        String head = ref.head() instanceof Var v ? v.name() : null;
        if ("input".equals(head)) {
            return new Plan.With(Plan.With.Target.INPUT, constPath(ref, 1).toArray(new Value[0]), null, value, null,
                    null, null);
        }
        FnRef fn = functionRef(target);
        if (fn != null) {
            if (replacement != null) {
                return new Plan.With(Plan.With.Target.FUNCTION, null, fn.name, value, replacement.name,
                        replacement.builtin, replacement.node);
            }
            return new Plan.With(Plan.With.Target.FUNCTION, null, fn.name, value, null, null, null);
        }
        Plan.T resolved = term(ref, new Scope(null));
        if (resolved instanceof Plan.Ref pr && pr.head instanceof Plan.Root root) {
            List<Value> path = new ArrayList<>();
            for (Plan.T t : pr.path) {
                if (t instanceof Plan.Const c) {
                    path.add(c.value);
                }
            }
            return new Plan.With(root.input ? Plan.With.Target.INPUT : Plan.With.Target.DATA,
                    path.toArray(new Value[0]), null, value, null, null, null);
        }
        if (resolved instanceof Plan.Root root) {
            return new Plan.With(root.input ? Plan.With.Target.INPUT : Plan.With.Target.DATA, new Value[0], null,
                    value, null, null, null);
        }
        error("rego_compile_error", "with keyword target must reference existing input, data, or a function",
                w.location());
        return new Plan.With(Plan.With.Target.INPUT, new Value[0], null, value, null, null, null);
    }

    private record FnRef(String name, Builtin builtin, RuleNode node) {
    }

    /** The function a term names (a builtin or a user function), or null. */
    private FnRef functionRef(Term t) {
        Ref ref = t instanceof Ref r ? r : t instanceof Var v ? new Ref(v.location(), List.of(v)) : null;
        if (ref == null) {
            return null;
        }
        String dotted = ref.dottedName();
        if (dotted == null) {
            return null;
        }
        RuleNode n = userFunction(ref);
        if (n != null && n.isFunctionLike()) {
            return new FnRef(n.name, null, n);
        }
        if (n == null || !n.anyPending()) {
            Builtin b = builtin(dotted);
            if (b != null) {
                return new FnRef(dotted, b, null);
            }
        }
        return null;
    }

    /** The node a function name designates (data.x.f, an imported name, a package rule), or null. */
    private RuleNode userFunction(Ref op) {
        String head = op.head() instanceof Var v ? v.name() : null;
        if (head == null) {
            return null;
        }
        List<Value> path = new ArrayList<>();
        if (head.equals("data")) {
            path.addAll(constPath(op, 1));
        } else if (ctx.imports.containsKey(head)) {
            Ref imp = ctx.imports.get(head);
            if (!(imp.head() instanceof Var iv) || !iv.name().equals("data")) {
                return null;
            }
            path.addAll(constPath(imp, 1));
            path.addAll(constPath(op, 1));
        } else if (ctx.rules.contains(head)) {
            path.addAll(ctx.pkg);
            path.add(StringValue.of(head));
            path.addAll(constPath(op, 1));
        } else {
            return null;
        }
        return root.find(path);
    }

    private Plan.CallT call(Call c, Scope scope, boolean asExpr) {
        String dotted = c.name();
        RuleNode fn = userFunction(c.operator());
        Plan.T[] args = terms(c.args(), scope);
        if (fn != null && fn.isFunctionLike()) {
            ctx.deps.add(fn.path);
            int arity = fn.arity >= 0 ? fn.arity : fn.declaredArity;
            if (c.args().size() != arity && !(asExpr && c.args().size() == arity + 1)) {
                error("rego_type_error", "function " + fn.name + " has arity " + arity + ", got " + c.args().size()
                        + " argument" + (c.args().size() == 1 ? "" : "s"), c.location());
                return null;
            }
            return new Plan.CallT(c.location(), fn.name, null, fn, args);
        }
        Builtin b = dotted == null ? null : builtin(dotted);
        if (b != null && ctx.rule != null && annotations != null
                && (dotted.equals("rego.metadata.chain") || dotted.equals("rego.metadata.rule"))) {
            // As OPA's compiler, which replaces these calls by the rule's metadata computed once.
            Value meta = dotted.endsWith("chain") ? annotations.chain(ctx.module, ctx.rule, ctx.elseBranch)
                    : annotations.rule(ctx.rule, ctx.elseBranch);
            b = Builtin.of(dotted, 0, (a, bc) -> meta);
        }
        if (b == null) {
            error("rego_type_error", "undefined function " + (dotted == null ? c.operator() : dotted),
                    c.location());
            return null;
        }
        if (b.fn() instanceof Withheld w) {
            error("rego_type_error", "builtin " + dotted + " is not available here: " + w.reason(), c.location());
            return null;
        }
        if (!b.variadic() && c.args().size() != b.arity() && !(asExpr && c.args().size() == b.arity() + 1)) {
            arityError(dotted, b.arity(), c);
            return null;
        }
        return new Plan.CallT(c.location(), dotted, b, null, args);
    }

    private void arityError(String name, int arity, Call c) {
        error("rego_type_error", name + ": arity mismatch: expected " + arity + " argument"
                + (arity == 1 ? "" : "s") + " but got " + c.args().size(), c.location());
    }

    // ---------------------------------------------------------------- terms

    private Plan.T[] terms(List<Term> ts, Scope scope) {
        Plan.T[] out = new Plan.T[ts.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = term(ts.get(i), scope);
        }
        return out;
    }

    Plan.T term(Term t, Scope scope) {
        Location loc = t.location();
        if (t instanceof Scalar s) {
            Value v = s.value();
            return new Plan.Const(loc, v instanceof StringValue str ? StringValue.canonical(str.value()) : v);
        }
        if (t instanceof Var v) {
            Plan.T x = var(v, scope);
            if (x instanceof Plan.Root root && !root.input && ctx != null) {
                ctx.deps.add(List.of()); // the whole of data: every rule
            }
            return x;
        }
        if (t instanceof Ref r) {
            return ref(r, scope);
        }
        if (t instanceof ArrayTerm a) {
            Plan.T[] el = terms(a.elements(), scope);
            if (allConst(el)) {
                Value[] vs = new Value[el.length];
                for (int i = 0; i < el.length; i++) {
                    vs[i] = ((Plan.Const) el[i]).value;
                }
                return new Plan.Const(loc, ArrayValue.wrap(vs));
            }
            return new Plan.Arr(loc, el);
        }
        if (t instanceof SetTerm st) {
            Plan.T[] el = terms(st.elements(), scope);
            if (allConst(el)) {
                SetValue.Builder b = SetValue.builder();
                for (Plan.T x : el) {
                    b.add(((Plan.Const) x).value);
                }
                return new Plan.Const(loc, b.build());
            }
            return new Plan.SetT(loc, el);
        }
        if (t instanceof ObjectTerm o) {
            Plan.T[] ks = new Plan.T[o.entries().size()];
            Plan.T[] vs = new Plan.T[ks.length];
            for (int i = 0; i < ks.length; i++) {
                ks[i] = term(o.entries().get(i).key(), scope);
                vs[i] = term(o.entries().get(i).value(), scope);
            }
            if (allConst(ks) && allConst(vs)) {
                ObjectValue.Builder b = ObjectValue.builder();
                for (int i = 0; i < ks.length; i++) {
                    b.put(((Plan.Const) ks[i]).value, ((Plan.Const) vs[i]).value);
                }
                return new Plan.Const(loc, b.build());
            }
            return new Plan.Obj(loc, ks, vs);
        }
        if (t instanceof ArrayComprehension ac) {
            Scope inner = new Scope(scope);
            int lo = ctx.slots;
            prepareScope(inner, ac.body());
            Plan.Body body = closureBody(ac.body(), inner, new BitSet(), lo);
            Plan.T head = term(ac.head(), inner);
            return new Plan.ArrC(loc, head, body);
        }
        if (t instanceof SetComprehension sc) {
            Scope inner = new Scope(scope);
            int lo = ctx.slots;
            prepareScope(inner, sc.body());
            Plan.Body body = closureBody(sc.body(), inner, new BitSet(), lo);
            Plan.T head = term(sc.head(), inner);
            return new Plan.SetC(loc, head, body);
        }
        if (t instanceof ObjectComprehension oc) {
            Scope inner = new Scope(scope);
            int lo = ctx.slots;
            prepareScope(inner, oc.body());
            Plan.Body body = closureBody(oc.body(), inner, new BitSet(), lo);
            Plan.T key = term(oc.key(), inner);
            Plan.T value = term(oc.value(), inner);
            return new Plan.ObjC(loc, key, value, body);
        }
        if (t instanceof Call c) {
            Plan.CallT call = call(c, scope, false);
            if (call == null) {
                return new Plan.Const(loc, dev.veil.rego.internal.value.NullValue.NULL);
            }
            return call;
        }
        return TemplateSupport.compile(this, t, scope);
    }

    private int templates;

    /** Compiles an expression embedded in a template string into a closure {@code {v | v = expr}}. */
    Plan.T templateExpr(Expr e, Scope scope) {
        if (!(e.statement() instanceof Term term)) {
            error("rego_compile_error", "template expression must be a term: " + e, e.location());
            return new Plan.Const(e.location(), dev.veil.rego.internal.value.NullValue.NULL);
        }
        Var out = new Var(e.location(), "__tmpl" + (templates++) + "__");
        Call eq = new Call(e.location(), Ref.of(e.location(), "eq"), List.of(out, term));
        Body b = new Body(e.location(), List.of(new Expr(e.location(), false, eq, e.withs())));
        Scope inner = new Scope(scope);
        int lo = ctx.slots;
        prepareScope(inner, b);
        Plan.T head = var(out, inner);
        Plan.Body body = closureBody(b, inner, new BitSet(), lo);
        return new Plan.SetC(e.location(), head, body);
    }

    private static boolean allConst(Plan.T[] ts) {
        for (Plan.T t : ts) {
            if (!(t instanceof Plan.Const)) {
                return false;
            }
        }
        return true;
    }

    private Plan.T var(Var v, Scope scope) {
        String name = v.name();
        Scope s = resolveScope(name, scope);
        if (s != null) {
            return new Plan.Local(v.location(), slot(s, name), name);
        }
        if (name.equals("data")) {
            return new Plan.Root(v.location(), false);
        }
        if (name.equals("input")) {
            return new Plan.Root(v.location(), true);
        }
        if (ctx.imports.containsKey(name)) {
            Ref imp = ctx.imports.get(name);
            return ref(imp, new Scope(null));
        }
        // A rule of the package.
        Plan.T[] path = new Plan.T[ctx.pkg.size() + 1];
        for (int i = 0; i < ctx.pkg.size(); i++) {
            path[i] = new Plan.Const(v.location(), ctx.pkg.get(i));
        }
        path[ctx.pkg.size()] = new Plan.Const(v.location(), StringValue.of(name));
        Plan.Ref r = new Plan.Ref(v.location(), new Plan.Root(v.location(), false), path);
        addDep(r);
        return r;
    }

    private Plan.T ref(Ref r, Scope scope) {
        Plan.T head = r.head() instanceof Var hv ? var(hv, scope) : term(r.head(), scope);
        List<Plan.T> path = new ArrayList<>();
        if (head instanceof Plan.Ref hr) {
            head = hr.head;
            path.addAll(List.of(hr.path));
        }
        for (int i = 1; i < r.size(); i++) {
            path.add(term(r.get(i), scope));
        }
        if (path.isEmpty()) {
            if (head instanceof Plan.Root root && !root.input && ctx != null) {
                ctx.deps.add(List.of()); // the whole of data: every rule
            }
            return head;
        }
        Plan.Ref out = new Plan.Ref(r.location(), head, path.toArray(new Plan.T[0]));
        addDep(out);
        if (head instanceof Plan.Root root && root.input && ctx != null) {
            List<Value> steps = new ArrayList<>(path.size());
            for (Plan.T t : path) {
                steps.add(t instanceof Plan.Const c ? c.value : null);
            }
            inputRefs.add(new InputRef(r.location(), steps));
        }
        return out;
    }

    private void addDep(Plan.Ref r) {
        if (!(r.head instanceof Plan.Root root) || root.input || ctx == null) {
            return;
        }
        List<Value> pattern = new ArrayList<>();
        for (Plan.T t : r.path) {
            pattern.add(t instanceof Plan.Const c ? c.value : null);
        }
        ctx.deps.add(pattern);
    }

    // ---------------------------------------------------------------- checks

    private void checkConflicts(RuleNode n) {
        boolean single = !n.complete.isEmpty() || n.defaultRule != null;
        if (single && !n.partial.isEmpty() || n.isFunction() && (single || !n.partial.isEmpty())) {
            error("rego_type_error", "conflicting rules " + n.name + " found", firstLoc.get(n));
        } else if (single) {
            for (RuleNode c : n.children.values()) {
                if (c.anyPending()) {
                    error("rego_type_error", "rule " + n.name + " conflicts with [" + c.name + "]", firstLoc.get(n));
                    break;
                }
            }
        }
        for (RuleNode c : n.children.values()) {
            checkConflicts(c);
        }
    }

    private void checkRecursion() {
        Map<RuleNode, Integer> state = new IdentityHashMap<>();
        Set<RuleNode> reported = new HashSet<>();
        for (RuleNode n : deps.keySet()) {
            dfs(n, state, reported);
        }
    }

    /**
     * A depth-first walk of the rules {@code n} may read, reporting each cycle once. Iterative, with
     * its own stack: a chain of thousands of rules ({@code r1 := r2 + 1}, ...) must not overflow the
     * thread's stack while the bundle loads.
     */
    private void dfs(RuleNode n, Map<RuleNode, Integer> state, Set<RuleNode> reported) {
        List<RuleNode> stack = new ArrayList<>();
        java.util.ArrayDeque<java.util.Iterator<RuleNode>> pending = new java.util.ArrayDeque<>();
        if (enter(n, stack, state, reported)) {
            pending.push(readBy(n));
        }
        while (!pending.isEmpty()) {
            java.util.Iterator<RuleNode> next = pending.peek();
            if (!next.hasNext()) {
                pending.pop();
                state.put(stack.remove(stack.size() - 1), 2);
            } else {
                RuleNode target = next.next();
                if (enter(target, stack, state, reported)) {
                    pending.push(readBy(target));
                }
            }
        }
    }

    /**
     * Starts the walk of {@code n}: false when it was walked already or is on the walk's stack (a
     * cycle, reported the first time).
     */
    private boolean enter(RuleNode n, List<RuleNode> stack, Map<RuleNode, Integer> state, Set<RuleNode> reported) {
        Integer st = state.get(n);
        if (st != null && st == 2) {
            return false;
        }
        if (st != null && st == 1) {
            int i = stack.indexOf(n);
            List<RuleNode> cycle = new ArrayList<>(stack.subList(i, stack.size()));
            if (reported.add(n)) {
                StringBuilder b = new StringBuilder();
                for (RuleNode c : cycle) {
                    b.append(c.name).append(" -> ");
                }
                b.append(n.name);
                error("rego_recursion_error", "rule " + n.name + " is recursive: " + b, firstLoc.get(n));
            }
            return false;
        }
        state.put(n, 1);
        stack.add(n);
        return true;
    }

    /** The position of each rule in {@link #deps}, the order in which a reference's targets are walked. */
    private Map<RuleNode, Integer> depsOrder;

    /**
     * The rules of {@link #deps} a reference may read (each step of the reference a variable, null, or
     * equal to the rule path's step, as far as the shorter of the two goes), in the order of {@code deps}:
     * found along the rule tree (a constant step leads to one child, a variable to all, the end of the
     * reference to the whole subtree), not by matching it against every rule, which made loading a
     * bundle of many rules take time growing with their number squared.
     */
    private List<RuleNode> candidates(List<Value> ref) {
        if (depsOrder == null) {
            depsOrder = new IdentityHashMap<>();
            for (RuleNode n : deps.keySet()) {
                depsOrder.put(n, depsOrder.size());
            }
        }
        List<RuleNode> out = new ArrayList<>();
        java.util.ArrayDeque<RuleNode> todo = new java.util.ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            RuleNode at = todo.pop();
            if (depsOrder.containsKey(at)) {
                out.add(at);
            }
            int d = at.path.size();
            Value step = d < ref.size() ? ref.get(d) : null;
            if (step != null) {
                RuleNode c = at.childAt(step);
                if (c != null) {
                    todo.push(c);
                }
            } else {
                at.children.values().forEach(todo::push);
            }
        }
        out.sort(java.util.Comparator.comparingInt(depsOrder::get));
        return out;
    }

    /** The rules {@code n} may read, in the order of its references, then of {@link #deps}; computed as walked. */
    private java.util.Iterator<RuleNode> readBy(RuleNode n) {
        java.util.Iterator<List<Value>> refs = deps.getOrDefault(n, Set.of()).iterator();
        return new java.util.Iterator<>() {
            private java.util.Iterator<RuleNode> targets = java.util.Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!targets.hasNext()) {
                    if (!refs.hasNext()) {
                        return false;
                    }
                    targets = candidates(refs.next()).iterator();
                }
                return true;
            }

            @Override
            public RuleNode next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                return targets.next();
            }
        };
    }

    private void error(String code, String message, Location loc) {
        if (loc == null) {
            errors.add(RegoError.of(code, message));
        } else {
            errors.add(new RegoError(code, message, loc.file().isEmpty() ? null : loc.file(), loc.line(),
                    loc.column()));
        }
    }

    /** A key identifying a ground reference ({@code input.a.b}). */
    static String refKey(Plan.Ref r) {
        StringBuilder b = new StringBuilder(r.head instanceof Plan.Root root && root.input ? "input" : "data");
        for (Plan.T t : r.path) {
            b.append('/').append(((Plan.Const) t).value);
        }
        return b.toString();
    }
}
