package dev.veil.rego.internal.builtins;

import dev.veil.rego.RegoError;
import dev.veil.rego.internal.ast.AstJson;
import dev.veil.rego.internal.ast.Module;
import dev.veil.rego.internal.parse.Parser;
import dev.veil.rego.internal.parse.RegoParseException;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code rego.metadata.chain}, {@code rego.metadata.rule}, {@code rego.parse_module} and {@code opa.runtime}.
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
            Builtin.of("opa.runtime", 0, (a, c) -> ObjectValue.EMPTY),
            Builtin.of("rego.parse_module", 2, (a, c) -> parseModule(
                    Operands.string("rego.parse_module", a[0], 1), Operands.string("rego.parse_module", a[1], 2))));

    private RegoMeta() {
    }

    /** The module's JSON AST as OPA's {@code rego.parse_module} returns it. */
    static Value parseModule(String file, String source) {
        Module m;
        try {
            m = Parser.parseModule(file, source);
        } catch (RegoParseException e) {
            throw new BuiltinError("rego.parse_module", goErrors(e.errors(), source));
        }
        return AstJson.module(m);
    }

    /** OPA's {@code ast.Errors} text: {@code 1 error occurred: x.rego:1: rego_parse_error: ...} and the caret lines. */
    private static String goErrors(List<RegoError> errors, String source) {
        String[] lines = source.split("\n", -1);
        List<String> each = new ArrayList<>();
        for (RegoError e : errors) {
            StringBuilder b = new StringBuilder();
            if (e.file() != null && !e.file().isEmpty()) {
                b.append(e.file()).append(':').append(e.line());
            } else {
                b.append(e.line()).append(':').append(e.column());
            }
            b.append(": ").append(e.code()).append(": ").append(e.message());
            if (e.line() >= 1 && e.line() <= lines.length) {
                String line = lines[e.line() - 1];
                String trimmed = line.replaceFirst("^\t+", "");
                int indent = Math.max(0, e.column() - 1 - (line.length() - trimmed.length()));
                b.append("\n\t").append(trimmed).append("\n\t").append(" ".repeat(indent)).append('^');
            }
            each.add(b.toString());
        }
        return errors.size() == 1 ? "1 error occurred: " + each.get(0)
                : errors.size() + " errors occurred:\n" + String.join("\n", each);
    }

    private static BuiltinError outsideRule(String name) {
        return new BuiltinError(name, "the " + name + " function must only be called within the scope of a rule");
    }
}
