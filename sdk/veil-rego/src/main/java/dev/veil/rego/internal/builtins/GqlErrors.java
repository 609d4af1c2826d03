package dev.veil.rego.internal.builtins;

import graphql.language.Argument;
import graphql.language.Definition;
import graphql.language.Document;
import graphql.language.Field;
import graphql.language.FragmentDefinition;
import graphql.language.FragmentSpread;
import graphql.language.InlineFragment;
import graphql.language.Node;
import graphql.language.OperationDefinition;
import graphql.language.Selection;
import graphql.language.SelectionSet;
import graphql.language.SourceLocation;
import graphql.schema.GraphQLArgument;
import graphql.schema.GraphQLFieldDefinition;
import graphql.schema.GraphQLFieldsContainer;
import graphql.schema.GraphQLInterfaceType;
import graphql.schema.GraphQLNamedType;
import graphql.schema.GraphQLObjectType;
import graphql.schema.GraphQLSchema;
import graphql.schema.GraphQLType;
import graphql.schema.GraphQLTypeUtil;
import graphql.schema.GraphQLUnionType;
import graphql.validation.ValidationError;
import graphql.validation.ValidationErrorType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Words graphql-java's validation errors as gqlparser (the validator OPA embeds, whose messages follow
 * graphql-js) words them: {@code Cannot query field "x" on type "T". Did you mean "y"?},
 * {@code Field "f" argument "a" of type "T!" is required, but it was not provided.}... Details
 * graphql-java leaves out (a field's parent type, an argument's type) come from a typed walk of the
 * query. Error kinds without a known gqlparser wording keep graphql-java's text.
 */
final class GqlErrors {

    private static final Pattern QUOTED = Pattern.compile("'([^']*)'");

    private GqlErrors() {
    }

    /** A field in the query with the type it was selected on and its definition (null when undefined). */
    private record FieldAt(GraphQLNamedType parent, Field field, GraphQLFieldDefinition definition) {
    }

    /** gqlparser's message for {@code e} (with its trailing period), or graphql-java's when unknown. */
    static String message(ValidationError e, Document doc, GraphQLSchema schema) {
        String text = e.getMessage() == null ? "invalid query" : e.getMessage();
        int sep = text.indexOf(") : ");
        String detail = sep >= 0 && text.startsWith("Validation error (") ? text.substring(sep + 4) : text;
        List<String> q = new ArrayList<>();
        Matcher m = QUOTED.matcher(detail);
        while (m.find()) {
            q.add(m.group(1));
        }
        SourceLocation at = e.getLocations() == null || e.getLocations().isEmpty() ? null : e.getLocations().get(0);
        if (e.getValidationErrorType() == ValidationErrorType.LoneAnonymousOperationViolation) {
            return "This anonymous operation must be the only defined operation.";
        }
        ValidationErrorType type = e.getValidationErrorType() instanceof ValidationErrorType t ? t : null;
        if (type == null || q.isEmpty()) {
            return text;
        }
        Map<String, FieldAt> fields = at == null ? Map.of() : fields(doc, schema);
        FieldAt f = at == null ? null : fields.get(key(at));
        switch (type) {
            case MissingFieldArgument -> {
                if (f != null && f.definition() != null && f.definition().getArgument(q.get(0)) != null) {
                    GraphQLArgument arg = f.definition().getArgument(q.get(0));
                    return "Field \"" + f.field().getName() + "\" argument \"" + arg.getName() + "\" of type \""
                            + GraphQLTypeUtil.simplePrint(arg.getType()) + "\" is required, but it was not provided.";
                }
            }
            case FieldUndefined -> {
                if (q.size() >= 2) {
                    return undefinedField(schema, q.get(0), q.get(1));
                }
            }
            case UnknownArgument -> {
                FieldAt owner = at == null ? null : fieldOfArgument(doc, schema, at);
                if (owner != null && detail.startsWith("Unknown field argument")) {
                    String msg = "Unknown argument \"" + q.get(0) + "\" on field \"" + owner.parent().getName() + "."
                            + owner.field().getName() + "\".";
                    if (owner.definition() != null) {
                        List<String> names = new ArrayList<>();
                        owner.definition().getArguments().forEach(a -> names.add(a.getName()));
                        List<String> s = suggestions(q.get(0), names);
                        if (!s.isEmpty()) {
                            msg += " Did you mean " + quotedOrList(s) + "?";
                        }
                    }
                    return msg;
                }
            }
            case SubselectionRequired -> {
                if (f != null && f.definition() != null) {
                    String name = f.field().getName();
                    return "Field \"" + name + "\" of type \"" + GraphQLTypeUtil.simplePrint(f.definition().getType())
                            + "\" must have a selection of subfields. Did you mean \"" + name + " { ... }\"?";
                }
            }
            case SubselectionNotAllowed -> {
                if (f != null && f.definition() != null) {
                    return "Field \"" + f.field().getName() + "\" must not have a selection since type \""
                            + GraphQLTypeUtil.simplePrint(f.definition().getType()) + "\" has no subfields.";
                }
            }
            case UndefinedVariable -> {
                String op = at == null ? "" : operationName(doc, at);
                return op.isEmpty() ? "Variable \"$" + q.get(0) + "\" is not defined."
                        : "Variable \"$" + q.get(0) + "\" is not defined by operation \"" + op + "\".";
            }
            case UnusedVariable -> {
                String op = at == null ? "" : operationName(doc, at);
                return op.isEmpty() ? "Variable \"$" + q.get(0) + "\" is never used."
                        : "Variable \"$" + q.get(0) + "\" is never used in operation \"" + op + "\".";
            }
            case UndefinedFragment -> {
                return "Unknown fragment \"" + q.get(0) + "\".";
            }
            case UnusedFragment -> {
                return "Fragment \"" + q.get(0) + "\" is never used.";
            }
            case UnknownType -> {
                return "Unknown type \"" + q.get(0) + "\".";
            }
            case UnknownDirective -> {
                return "Unknown directive \"@" + q.get(0) + "\".";
            }
            case DuplicateOperationName -> {
                return "There can be only one operation named \"" + q.get(0) + "\".";
            }
            case DuplicateFragmentName -> {
                return "There can be only one fragment named \"" + q.get(0) + "\".";
            }
            case DuplicateVariableName -> {
                return "There can be only one variable named \"$" + q.get(0) + "\".";
            }
            case DuplicateArgumentNames -> {
                return "There can be only one argument named \"" + q.get(0) + "\".";
            }
            default -> {
                return text;
            }
        }
        return text;
    }

    private static String undefinedField(GraphQLSchema schema, String field, String typeName) {
        String msg = "Cannot query field \"" + field + "\" on type \"" + typeName + "\".";
        GraphQLType parent = schema.getType(typeName);
        List<String> types = suggestedTypes(schema, parent, field);
        if (!types.isEmpty()) {
            return msg + " Did you mean to use an inline fragment on " + quotedOrList(types) + "?";
        }
        if (parent instanceof GraphQLObjectType || parent instanceof GraphQLInterfaceType) {
            List<String> names = new ArrayList<>();
            ((GraphQLFieldsContainer) parent).getFieldDefinitions().forEach(d -> names.add(d.getName()));
            List<String> s = suggestions(field, names);
            if (!s.isEmpty()) {
                return msg + " Did you mean " + quotedOrList(s) + "?";
            }
        }
        return msg;
    }

    /**
     * gqlparser's getSuggestedTypeNames: for abstract types, the possible types (interfaces first)
     * having the field.
     */
    private static List<String> suggestedTypes(GraphQLSchema schema, GraphQLType parent, String field) {
        List<GraphQLObjectType> possible;
        if (parent instanceof GraphQLInterfaceType i) {
            possible = schema.getImplementations(i);
        } else if (parent instanceof GraphQLUnionType u) {
            possible = new ArrayList<>();
            u.getTypes().forEach(t -> {
                if (t instanceof GraphQLObjectType o) {
                    possible.add(o);
                }
            });
        } else {
            return List.of();
        }
        List<String> objects = new ArrayList<>();
        LinkedHashMap<String, Integer> interfaces = new LinkedHashMap<>();
        for (GraphQLObjectType t : possible) {
            if (t.getFieldDefinition(field) == null) {
                continue;
            }
            objects.add(t.getName());
            for (GraphQLNamedType i : t.getInterfaces()) {
                if (i instanceof GraphQLInterfaceType it && it.getFieldDefinition(field) != null) {
                    interfaces.merge(it.getName(), 1, Integer::sum);
                }
            }
        }
        List<String> out = new ArrayList<>(interfaces.keySet());
        out.sort((a, b) -> interfaces.get(b) - interfaces.get(a)); // stable: ties keep first-seen order
        out.addAll(objects);
        return out;
    }

    /** gqlparser's SuggestionList: options within a lexical distance of about 40% of the input, closest first. */
    static List<String> suggestions(String input, List<String> options) {
        int threshold = Math.max(1, (int) Math.floor(input.length() * 0.4) + 1);
        Map<String, Integer> distance = new HashMap<>();
        List<String> out = new ArrayList<>();
        for (String o : options) {
            int d = lexicalDistance(input, o);
            if (d <= threshold) {
                out.add(o);
                distance.put(o, d);
            }
        }
        out.sort((a, b) -> distance.get(a) - distance.get(b));
        return out;
    }

    private static int lexicalDistance(String a, String b) {
        if (a.equals(b)) {
            return 0;
        }
        String x = a.toLowerCase(Locale.ROOT);
        String y = b.toLowerCase(Locale.ROOT);
        if (x.equals(y)) {
            return 1;
        }
        int[] xs = x.codePoints().toArray();
        int[] ys = y.codePoints().toArray();
        int[] prev = new int[ys.length + 1];
        int[] cur = new int[ys.length + 1];
        for (int j = 0; j <= ys.length; j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= xs.length; i++) {
            cur[0] = i;
            for (int j = 1; j <= ys.length; j++) {
                int cost = xs[i - 1] == ys[j - 1] ? 0 : 1;
                cur[j] = Math.min(Math.min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[ys.length];
    }

    /** {@code "a"}, {@code "a" or "b"}, {@code "a", "b", or "c"}; at most five. */
    static String quotedOrList(List<String> items) {
        List<String> q = new ArrayList<>();
        for (String s : items.subList(0, Math.min(5, items.size()))) {
            q.add("\"" + s + "\"");
        }
        if (q.size() == 2) {
            return q.get(0) + " or " + q.get(1);
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < q.size(); i++) {
            if (i > 0) {
                b.append(i == q.size() - 1 ? ", or " : ", ");
            }
            b.append(q.get(i));
        }
        return b.toString();
    }

    private static String key(SourceLocation l) {
        return l.getLine() + ":" + l.getColumn();
    }

    /** The name of the operation that contains {@code at} ({@code ""} for anonymous or none). */
    private static String operationName(Document doc, SourceLocation at) {
        String name = "";
        for (Definition<?> d : doc.getDefinitions()) {
            SourceLocation l = d.getSourceLocation();
            if (l != null && before(l, at)) {
                name = d instanceof OperationDefinition op && op.getName() != null ? op.getName() : "";
            }
        }
        return name;
    }

    private static boolean before(SourceLocation a, SourceLocation b) {
        return a.getLine() < b.getLine() || a.getLine() == b.getLine() && a.getColumn() <= b.getColumn();
    }

    private static FieldAt fieldOfArgument(Document doc, GraphQLSchema schema, SourceLocation at) {
        for (FieldAt f : fields(doc, schema).values()) {
            for (Argument a : f.field().getArguments()) {
                if (a.getSourceLocation() != null && key(a.getSourceLocation()).equals(key(at))) {
                    return f;
                }
            }
        }
        return null;
    }

    /** Every field of the query by its location, with the type it is selected on. */
    private static Map<String, FieldAt> fields(Document doc, GraphQLSchema schema) {
        Map<String, FragmentDefinition> fragments = new HashMap<>();
        for (Definition<?> d : doc.getDefinitions()) {
            if (d instanceof FragmentDefinition fd) {
                fragments.put(fd.getName(), fd);
            }
        }
        Map<String, FieldAt> out = new HashMap<>();
        Set<String> seen = new HashSet<>();
        for (Definition<?> d : doc.getDefinitions()) {
            if (d instanceof OperationDefinition op) {
                GraphQLObjectType root = switch (op.getOperation()) {
                    case MUTATION -> schema.getMutationType();
                    case SUBSCRIPTION -> schema.getSubscriptionType();
                    default -> schema.getQueryType();
                };
                walk(op.getSelectionSet(), root, schema, fragments, seen, out);
            } else if (d instanceof FragmentDefinition fd && seen.add(fd.getName())) {
                walk(fd.getSelectionSet(), schema.getType(fd.getTypeCondition().getName()), schema, fragments, seen,
                        out);
            }
        }
        return out;
    }

    private static void walk(SelectionSet set, GraphQLType parent, GraphQLSchema schema,
            Map<String, FragmentDefinition> fragments, Set<String> seen, Map<String, FieldAt> out) {
        if (set == null || !(parent instanceof GraphQLNamedType named)) {
            return;
        }
        for (Selection<?> s : set.getSelections()) {
            if (s instanceof Field f) {
                GraphQLFieldDefinition def = parent instanceof GraphQLFieldsContainer c
                        ? c.getFieldDefinition(f.getName()) : null;
                putAt(out, f, new FieldAt(named, f, def));
                if (def != null) {
                    walk(f.getSelectionSet(), GraphQLTypeUtil.unwrapAll(def.getType()), schema, fragments, seen, out);
                }
            } else if (s instanceof InlineFragment i) {
                GraphQLType t = i.getTypeCondition() == null ? parent : schema.getType(i.getTypeCondition().getName());
                walk(i.getSelectionSet(), t, schema, fragments, seen, out);
            } else if (s instanceof FragmentSpread sp) {
                FragmentDefinition fd = fragments.get(sp.getName());
                if (fd != null && seen.add(fd.getName())) {
                    walk(fd.getSelectionSet(), schema.getType(fd.getTypeCondition().getName()), schema, fragments,
                            seen, out);
                }
            }
        }
    }

    private static void putAt(Map<String, FieldAt> out, Node<?> node, FieldAt f) {
        if (node.getSourceLocation() != null) {
            out.putIfAbsent(key(node.getSourceLocation()), f);
        }
    }
}
