package dev.veil.rego.internal.engine;

import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of the policy input document (docs/policy-reference.md, section 8;
 * docs/policy-input.schema.json, which a test holds this to): which paths under {@code input} a
 * question can find, so that a reference no input can satisfy ({@code input.caller.rolez}) is refused
 * when the bundle loads instead of leaving its rule undefined for every request.
 */
sealed interface InputShape {
    /** An object with exactly these keys. */
    record Closed(Map<String, InputShape> keys) implements InputShape {}

    /** An object whose keys the service or the bundle chooses (attributes, signals by detector). */
    record Open(InputShape values) implements InputShape {}

    /** A list of these. */
    record Items(InputShape item) implements InputShape {}

    /** A string, number or boolean: nothing below it. */
    record Scalar(String type) implements InputShape {}

    /** The document itself. */
    InputShape DOCUMENT = closed(
            "caller", closed("id", new Scalar("string"), "authenticated", new Scalar("boolean"),
                    "method", new Scalar("string"), "roles", new Items(new Scalar("string")),
                    "tenant", new Scalar("string"), "attributes", new Open(new Scalar("string"))),
            "model", closed("name", new Scalar("string"), "version", new Scalar("string"),
                    "age_days", new Scalar("number")),
            "request", closed("features", new Scalar("integer"), "payload_bytes", new Scalar("integer"),
                    "names", new Items(new Scalar("string"))),
            "signals", new Open(closed("level", new Scalar("string"), "score", new Scalar("number"))),
            "degraded", new Scalar("boolean"),
            "prediction", closed("top_label", new Scalar("string"), "top_score", new Scalar("number"),
                    "margin", new Scalar("number"), "entropy", new Scalar("number"),
                    "classes", new Scalar("integer")));

    private static Closed closed(Object... pairs) {
        Map<String, InputShape> keys = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            keys.put((String) pairs[i], (InputShape) pairs[i + 1]);
        }
        return new Closed(java.util.Collections.unmodifiableMap(keys));
    }

    /**
     * Why no input document has a value at {@code path} (its steps after {@code input}; null for a
     * step that is not a constant), or null when some input may. A step that is not a constant goes
     * on into a list's items or an open object's values, which all have the same shape
     * ({@code input.signals[name].level}); into an object with fixed keys it ends the check.
     */
    static String undefined(List<Value> path) {
        InputShape at = DOCUMENT;
        StringBuilder where = new StringBuilder("input");
        for (Value step : path) {
            if (step == null) {
                if (at instanceof Open o) {
                    at = o.values();
                } else if (at instanceof Items it) {
                    at = it.item();
                } else if (at instanceof Closed) {
                    return null; // any of its keys
                } else {
                    return where + " is a " + ((Scalar) at).type() + ": nothing lies below it";
                }
                where.append("[_]");
                continue;
            }
            String shown = step instanceof StringValue s && dev.veil.rego.internal.ast.Ref.isIdentifier(s.value())
                    ? "." + s.value() : "[" + step + "]";
            if (at instanceof Closed c) {
                InputShape next = step instanceof StringValue s ? c.keys().get(s.value()) : null;
                if (next == null) {
                    return where + " has no key " + step + "; it has " + String.join(", ", c.keys().keySet());
                }
                at = next;
            } else if (at instanceof Open o) {
                if (!(step instanceof StringValue)) {
                    return where + " has only string keys, not " + step;
                }
                at = o.values();
            } else if (at instanceof Items it) {
                if (!(step instanceof NumberValue)) {
                    return where + " is a list: index it with a number, not " + step;
                }
                at = it.item();
            } else {
                return where + " is a " + ((Scalar) at).type() + ": nothing lies below it";
            }
            where.append(shown);
        }
        return null;
    }
}
