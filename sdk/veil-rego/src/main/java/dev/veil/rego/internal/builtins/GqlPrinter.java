package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.Graphql.bool;
import static dev.veil.rego.internal.builtins.Graphql.json;
import static dev.veil.rego.internal.builtins.Graphql.list;
import static dev.veil.rego.internal.builtins.Graphql.num;
import static dev.veil.rego.internal.builtins.Graphql.str;

import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.Value;
import java.util.List;

/** Prints gqlparser-shaped AST objects back to GraphQL text (for validation with graphql-java). */
final class GqlPrinter {

    private GqlPrinter() {
    }

    static String query(ObjectValue doc) {
        StringBuilder b = new StringBuilder();
        for (Value op : list(doc, "Operations")) {
            b.append(str(op, "Operation").isEmpty() ? "query" : str(op, "Operation"));
            if (!str(op, "Name").isEmpty()) {
                b.append(' ').append(str(op, "Name"));
            }
            variables(b, list(op, "VariableDefinitions"));
            directives(b, op);
            selections(b, list(op, "SelectionSet"));
            b.append('\n');
        }
        for (Value f : list(doc, "Fragments")) {
            b.append("fragment ").append(str(f, "Name"));
            variables(b, list(f, "VariableDefinition"));
            b.append(" on ").append(str(f, "TypeCondition"));
            directives(b, f);
            selections(b, list(f, "SelectionSet"));
            b.append('\n');
        }
        return b.toString();
    }

    private static void variables(StringBuilder b, List<Value> vars) {
        if (vars.isEmpty()) {
            return;
        }
        b.append('(');
        for (Value v : vars) {
            b.append('$').append(str(v, "Variable")).append(": ");
            type(b, field(v, "Type"));
            Value d = field(v, "DefaultValue");
            if (d != null) {
                b.append(" = ");
                value(b, d);
            }
            directives(b, v);
            b.append(' ');
        }
        b.append(')');
    }

    private static void selections(StringBuilder b, List<Value> set) {
        if (set.isEmpty()) {
            return;
        }
        b.append(" {");
        for (Value s : set) {
            b.append(' ');
            if (field(s, "Alias") == null && field(s, "SelectionSet") == null) {
                b.append("...").append(str(s, "Name"));
                directives(b, s);
            } else if (field(s, "Alias") == null) {
                b.append("...");
                if (!str(s, "TypeCondition").isEmpty()) {
                    b.append(" on ").append(str(s, "TypeCondition"));
                }
                directives(b, s);
                selections(b, list(s, "SelectionSet"));
            } else {
                String alias = str(s, "Alias");
                String name = str(s, "Name");
                if (!alias.equals(name) && !alias.isEmpty()) {
                    b.append(alias).append(": ");
                }
                b.append(name.isEmpty() ? alias : name);
                arguments(b, list(s, "Arguments"));
                directives(b, s);
                selections(b, list(s, "SelectionSet"));
            }
        }
        b.append(" }");
    }

    private static void arguments(StringBuilder b, List<Value> args) {
        if (args.isEmpty()) {
            return;
        }
        b.append('(');
        for (Value a : args) {
            b.append(str(a, "Name")).append(": ");
            value(b, field(a, "Value"));
            b.append(' ');
        }
        b.append(')');
    }

    private static void directives(StringBuilder b, Value owner) {
        for (Value d : list(owner, "Directives")) {
            b.append(" @").append(str(d, "Name"));
            arguments(b, list(d, "Arguments"));
        }
    }

    private static Value field(Value o, String key) {
        return o instanceof ObjectValue ov ? ov.get(key) : null;
    }

    static void value(StringBuilder b, Value v) {
        String raw = str(v, "Raw");
        switch (num(v, "Kind")) {
            case 0 -> b.append('$').append(raw);
            case 3, 4 -> b.append(json(raw));
            case 8 -> {
                b.append('[');
                for (Value c : list(v, "Children")) {
                    value(b, field(c, "Value"));
                    b.append(' ');
                }
                b.append(']');
            }
            case 9 -> {
                b.append('{');
                for (Value c : list(v, "Children")) {
                    b.append(str(c, "Name")).append(": ");
                    value(b, field(c, "Value"));
                    b.append(' ');
                }
                b.append('}');
            }
            default -> b.append(raw);
        }
    }

    static void type(StringBuilder b, Value t) {
        Value elem = field(t, "Elem");
        if (elem != null) {
            b.append('[');
            type(b, elem);
            b.append(']');
        } else {
            b.append(str(t, "NamedType"));
        }
        if (bool(t, "NonNull")) {
            b.append('!');
        }
    }

    static String typeHeader(String kind, String name) {
        return switch (kind) {
            case "SCALAR" -> "scalar " + name + "\n";
            case "OBJECT" -> "type " + name + "\n";
            case "INTERFACE" -> "interface " + name + "\n";
            case "UNION" -> "union " + name + "\n";
            case "ENUM" -> "enum " + name + "\n";
            default -> "input " + name + "\n";
        };
    }

    static String schema(ObjectValue doc) {
        StringBuilder b = new StringBuilder();
        for (Value s : list(doc, "Schema")) {
            schemaDef(b, "schema", s);
        }
        for (Value s : list(doc, "SchemaExtension")) {
            schemaDef(b, "extend schema", s);
        }
        for (Value d : list(doc, "Directives")) {
            b.append("directive @").append(str(d, "Name"));
            argumentDefs(b, list(d, "Arguments"));
            if (bool(d, "IsRepeatable")) {
                b.append(" repeatable");
            }
            b.append(" on ");
            List<Value> locs = list(d, "Locations");
            for (int i = 0; i < locs.size(); i++) {
                b.append(i > 0 ? " | " : "").append(((dev.veil.rego.internal.value.StringValue) locs.get(i)).value());
            }
            b.append('\n');
        }
        for (Value d : list(doc, "Definitions")) {
            definition(b, "", d);
        }
        for (Value d : list(doc, "Extensions")) {
            definition(b, "extend ", d);
        }
        return b.toString();
    }

    private static void schemaDef(StringBuilder b, String keyword, Value s) {
        b.append(keyword);
        directives(b, s);
        List<Value> ops = list(s, "OperationTypes");
        if (!ops.isEmpty()) {
            b.append(" {");
            for (Value op : ops) {
                b.append(' ').append(str(op, "Operation")).append(": ").append(str(op, "Type"));
            }
            b.append(" }");
        }
        b.append('\n');
    }

    private static void definition(StringBuilder b, String prefix, Value d) {
        String kind = str(d, "Kind");
        if (!str(d, "Description").isEmpty()) {
            b.append(json(str(d, "Description"))).append(' ');
        }
        b.append(prefix).append(typeHeader(kind, str(d, "Name")).trim());
        List<Value> ifaces = list(d, "Interfaces");
        for (int i = 0; i < ifaces.size(); i++) {
            b.append(i == 0 ? " implements " : " & ")
                    .append(((dev.veil.rego.internal.value.StringValue) ifaces.get(i)).value());
        }
        directives(b, d);
        List<Value> types = list(d, "Types");
        for (int i = 0; i < types.size(); i++) {
            b.append(i == 0 ? " = " : " | ").append(((dev.veil.rego.internal.value.StringValue) types.get(i)).value());
        }
        List<Value> values = list(d, "EnumValues");
        if (!values.isEmpty()) {
            b.append(" {");
            for (Value v : values) {
                b.append(' ').append(str(v, "Name"));
                directives(b, v);
            }
            b.append(" }");
        }
        List<Value> fields = list(d, "Fields");
        if (!fields.isEmpty()) {
            b.append(" {");
            for (Value f : fields) {
                b.append(' ').append(str(f, "Name"));
                argumentDefs(b, list(f, "Arguments"));
                b.append(": ");
                type(b, field(f, "Type"));
                Value dv = field(f, "DefaultValue");
                if (dv != null) {
                    b.append(" = ");
                    value(b, dv);
                }
                directives(b, f);
            }
            b.append(" }");
        }
        b.append('\n');
    }

    private static void argumentDefs(StringBuilder b, List<Value> args) {
        if (args.isEmpty()) {
            return;
        }
        b.append('(');
        for (Value a : args) {
            b.append(str(a, "Name")).append(": ");
            type(b, field(a, "Type"));
            Value dv = field(a, "DefaultValue");
            if (dv != null) {
                b.append(" = ");
                value(b, dv);
            }
            directives(b, a);
            b.append(' ');
        }
        b.append(')');
    }
}
