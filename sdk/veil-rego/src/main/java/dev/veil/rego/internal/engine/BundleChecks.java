package dev.veil.rego.internal.engine;

import dev.veil.PolicyError;
import dev.veil.rego.internal.ast.Location;
import dev.veil.rego.internal.eval.Engine;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.spi.Bundle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What OPA refuses when it activates a bundle, and Veil with it, beyond parsing and compiling:
 * <ul>
 *   <li>a rule at a path where the bundle's data has a value, or below a data value that is not an
 *       object (OPA: {@code conflicting rule for data path ... found}): the data would silently
 *       replace the rule, so a {@code data.json} dropped beside a policy could change its decisions;</li>
 *   <li>a module whose package is not under a manifest root (OPA: {@code manifest roots ... do not
 *       permit 'package ...' in module ...});</li>
 * </ul>
 * and what only Veil refuses: in a Veil policy ({@link #isVeilPolicy}), a reference into {@code input}
 * that no policy input document has (a typo such as {@code input.caller.rolez}, which OPA refuses only
 * when given the input's schema: {@code rego_type_error: undefined ref}; test files, {@code *_test.rego},
 * are not checked: their inputs are the tests' own), rules under {@code veil.settings} (the Guard reads its settings from
 * the data document, so such a rule would be ignored), and a stage question's {@code decision}
 * built by partial set or object rules (a decision is one object).
 */
public final class BundleChecks {
    private BundleChecks() {}

    /** What the bundle's compiled modules break of the rules above; empty when nothing. */
    public static List<PolicyError> check(Engine engine, Bundle bundle) {
        List<PolicyError> errors = new ArrayList<>();
        List<String> roots = bundle.roots();
        for (Engine.PackageSite p : engine.packages()) {
            if (!bundle.owns(String.join("/", p.path()))) {
                errors.add(error(p.location(), "manifest roots " + quoted(roots) + " do not permit 'package "
                        + String.join(".", p.path()) + "': move the module under a root or add a root to .manifest"));
            }
        }
        java.util.Set<Location> seen = new java.util.HashSet<>();
        Map<String, String> packageOf = new java.util.HashMap<>();
        for (Engine.PackageSite p : engine.packages()) {
            packageOf.put(p.location().file(), String.join(".", p.path()));
        }
        for (dev.veil.rego.internal.compile.Compiler.InputRef ref : policyInputRefs(engine)) {
            String why = InputShape.undefined(ref.path());
            if (why == null) {
                why = notYetKnown(packageOf.get(ref.location().file()), ref.path());
            }
            if (why != null && seen.add(ref.location())) {
                errors.add(error(ref.location(), "rego_type_error: undefined ref: " + shown(ref.path()) + ": " + why
                        + " (the policy input document: docs/policy-reference.md, section 8)"));
            }
        }
        for (Engine.RuleSite r : engine.ruleSites()) {
            List<String> path = strings(r.path());
            if (path == null) {
                continue; // a key that is not a string cannot meet data (as in OPA)
            }
            String dotted = "data." + String.join(".", path);
            String slash = String.join("/", path);
            if (dataConflicts(bundle.data(), path)) {
                errors.add(error(r.location(), "conflicting rule for data path " + slash + " found: the bundle's "
                        + "data has a value at " + dotted + " (or above it), which would replace the rule; rename "
                        + "the rule or move the data (data files are placed by their directory)"));
            }
            if (path.size() > 2 && path.get(0).equals("veil") && path.get(1).equals("settings")) {
                errors.add(error(r.location(), "rule " + dotted + " is never read: the Guard's settings are the "
                        + "data document data.veil.settings (veil/settings/data.yaml), not rules "
                        + "(docs/policy-reference.md, section 6.5)"));
            }
            if (r.multiValue() && path.size() == 3 && path.get(0).equals("veil") && path.get(2).equals("decision")
                    && RegoPolicyEngine.QUESTIONS.contains(path.get(1))) {
                errors.add(error(r.location(), dotted + " is built by partial set or object rules ('contains' or "
                        + "'decision[key]'), so its value is a set or an object of contributions; a decision is one "
                        + "object: write 'decision := {...} if ...'"));
            }
        }
        return errors;
    }

    /**
     * The references to {@code input} of a Veil policy's modules, test files ({@code _test.rego})
     * left out: their inputs are the author's own. Empty for modules that are no Veil policy.
     */
    private static List<dev.veil.rego.internal.compile.Compiler.InputRef> policyInputRefs(Engine engine) {
        if (!isVeilPolicy(engine)) {
            return List.of();
        }
        return engine.inputRefs().stream().filter(r -> !r.location().file().endsWith("_test.rego")).toList();
    }

    /**
     * Why a module of package {@code veil.access} or {@code veil.validation} reads in vain what the
     * Guard only knows later: their questions are asked before monitoring and the model, with
     * {@code signals} empty and no {@code prediction} (docs/policy-reference.md, section 6.1), so a
     * rule on them never fires in a Guard, though {@code veil eval} and {@code veil test} inputs may
     * give them values. The YAML engine refuses the same conditions at load. Null when it may read it.
     */
    static String notYetKnown(String pkg, List<Value> path) {
        if (pkg == null || !(pkg.equals("veil.access") || pkg.equals("veil.validation")) || path.isEmpty()
                || !(path.get(0) instanceof StringValue first)
                || !(first.value().equals("signals") || first.value().equals("prediction"))) {
            return null;
        }
        String question = pkg.substring("veil.".length());
        return "the " + question + " question is asked before monitoring and the model, so its input has no "
                + first.value() + " (section 6.1): a rule on it never fires in a Guard, whatever veil eval or veil "
                + "test inputs give it; act on signals in package veil.monitoring (block, throttle, degrade) and on "
                + "the prediction in veil.output";
    }

    /**
     * The references of a Veil policy to {@code input.signals.<name>} (a constant name) of a detector
     * the settings do not configure: such a signal never has a value, so a rule on it loads and never
     * fires (the YAML engine refuses it at load: {@code unknown signal}). Test files are not checked.
     *
     * @param detectors the names under {@code monitoring.detectors} of the settings, which were read
     */
    public static List<PolicyError> unknownSignals(Engine engine, java.util.Set<String> detectors) {
        List<PolicyError> errors = new ArrayList<>();
        java.util.Set<Location> seen = new java.util.HashSet<>();
        java.util.Set<String> configured = new java.util.TreeSet<>(detectors);
        for (dev.veil.rego.internal.compile.Compiler.InputRef ref : policyInputRefs(engine)) {
            List<Value> path = ref.path();
            if (path.size() < 2
                    || !(path.get(0) instanceof StringValue first) || !first.value().equals("signals")
                    || !(path.get(1) instanceof StringValue name) || configured.contains(name.value())) {
                continue;
            }
            if (seen.add(ref.location())) {
                errors.add(error(ref.location(), "rego_type_error: undefined ref: " + shown(path) + ": unknown signal '"
                        + name.value() + "': configure it under monitoring.detectors in the settings (data.veil.settings;"
                        + " configured: " + configured + "), or correct its name; as it is, a rule on it never fires"));
            }
        }
        return errors;
    }

    /**
     * Whether the modules are a Veil policy: one of them defines a stage question's
     * {@code data.veil.<question>.decision}. Only a Veil policy is evaluated with the policy input
     * document; other Rego (run by {@code veil test}) keeps the inputs its tests give it.
     */
    public static boolean isVeilPolicy(Engine engine) {
        return engine.rulesNamed("decision").stream().anyMatch(p -> p.size() == 3
                && p.get(0).equals(StringValue.of("veil")) && p.get(1) instanceof StringValue q
                && RegoPolicyEngine.QUESTIONS.contains(q.value()));
    }

    /**
     * OPA's test (storage.NonEmpty): the data has a value at the path, or the nearest ancestor the
     * data has is not an object.
     */
    static boolean dataConflicts(Map<String, Object> data, List<String> path) {
        Object cur = data;
        for (String step : path) {
            if (!(cur instanceof Map<?, ?> m)) {
                return true; // a value that is not an object lies above the rule
            }
            if (!m.containsKey(step)) {
                return false;
            }
            cur = m.get(step);
        }
        return true;
    }

    private static List<String> strings(List<Value> path) {
        List<String> out = new ArrayList<>(path.size());
        for (Value v : path) {
            if (!(v instanceof StringValue s)) {
                return null;
            }
            out.add(s.value());
        }
        return out;
    }

    /** {@code input.caller.rolez}, {@code input.signals[_]} for a step that is not a constant. */
    private static String shown(List<Value> path) {
        StringBuilder b = new StringBuilder("input");
        for (Value step : path) {
            if (step instanceof StringValue s && dev.veil.rego.internal.ast.Ref.isIdentifier(s.value())) {
                b.append('.').append(s.value());
            } else {
                b.append('[').append(step == null ? "_" : step.toString()).append(']');
            }
        }
        return b.toString();
    }

    private static String quoted(List<String> roots) {
        List<String> q = new ArrayList<>();
        for (String r : roots) {
            q.add("\"" + r + "\"");
        }
        return q.toString();
    }

    private static PolicyError error(Location loc, String message) {
        return new PolicyError(loc.file().isEmpty() ? "<bundle>" : loc.file(), Math.max(0, loc.line()),
                Math.max(0, loc.column()), message);
    }
}
