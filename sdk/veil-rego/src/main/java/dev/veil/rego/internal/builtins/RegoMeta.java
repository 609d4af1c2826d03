package dev.veil.rego.internal.builtins;

import dev.veil.rego.internal.value.ObjectValue;
import java.util.List;

/**
 * {@code rego.metadata.chain}, {@code rego.metadata.rule} and {@code opa.runtime}.
 *
 * <p>The compiler replaces the {@code rego.metadata.*} calls inside a rule by the rule's annotations (as
 * OPA's compiler does), so the functions registered here only run when called from a query, where OPA
 * fails with the same message. {@code opa.runtime()} returns what OPA returns when it runs without a
 * runtime (embedded, as here): an empty object.
 */
public final class RegoMeta {
    /** Every builtin of this topic. */
    public static final List<Builtin> ALL = List.of(
            Builtin.of("rego.metadata.chain", 0, (a, c) -> {
                throw outsideRule("rego.metadata.chain");
            }),
            Builtin.of("rego.metadata.rule", 0, (a, c) -> {
                throw outsideRule("rego.metadata.rule");
            }),
            Builtin.of("opa.runtime", 0, (a, c) -> ObjectValue.EMPTY));

    private RegoMeta() {
    }

    private static BuiltinError outsideRule(String name) {
        return new BuiltinError(name, "the " + name + " function must only be called within the scope of a rule");
    }
}
