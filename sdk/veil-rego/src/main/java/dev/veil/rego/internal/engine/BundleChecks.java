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
 * and what only Veil refuses: rules under {@code veil.settings} (the Guard reads its settings from
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
