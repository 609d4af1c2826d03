package dev.veil.rego.internal.builtins;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaException;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import com.networknt.schema.regex.RegularExpression;
import com.networknt.schema.resource.SchemaLoader;
import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import dev.veil.rego.internal.value.Values;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * {@code json.verify_schema} and {@code json.match_schema}, as OPA's {@code topdown/json_schema.go}
 * (which uses gojsonschema): schemas are objects or JSON strings, documents also arrays; validation runs on
 * com.networknt's validator (draft 7 unless the schema names another) and each error is reported in
 * gojsonschema's shape and wording: {@code {"error": "id: Invalid type. Expected: integer, given:
 * string", "type": "invalid_type", "field": "id", "desc": "Invalid type. Expected: integer, given:
 * string"}}.
 */
public final class JsonSchema {
    private static final ObjectMapper MAPPER = JsonMapper.builder().build();
    private static final Set<String> TYPES = Set.of("array", "boolean", "integer", "number", "null", "object",
            "string");
    /** Never fetches a remote {@code $ref}: schemas may come from input, and a fetch would be an outbound request. */
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7,
            b -> b.schemaLoader(SchemaLoader.getDefault()).schemaRegistryConfig(SchemaRegistryConfig.builder()
                    .regularExpressionFactory(JsonSchema::re2).build()));

    /**
     * A schema's pattern ({@code pattern}, {@code patternProperties}) with RE2 semantics, as gojsonschema's
     * Go regexp in OPA: Go's syntax, no lookaround or backreferences, {@code $} the end of the text, found
     * anywhere in the string, and linear time (the validator's default, java.util.regex, backtracks: a
     * pattern from a policy or its data could hold one builtin call, and so the request, for minutes,
     * and the time limit is checked between calls).
     */
    private static RegularExpression re2(String pattern) {
        com.google.re2j.Pattern p;
        try {
            p = Regex.compile("json.match_schema", pattern); // regex.match's RE2, cached
        } catch (BuiltinError e) {
            throw new IllegalArgumentException("invalid pattern '" + pattern + "': " + e.getMessage(), e);
        }
        return text -> p.matcher(text).find();
    }

    /** Compiled schemas by their JSON text, as OPA caches them between queries; lock-free. */
    private static final int CACHE_SIZE = 256;
    private static final java.util.concurrent.ConcurrentHashMap<String, Schema> CACHE =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** Every builtin of this topic. */
    public static final List<Builtin> ALL = List.of(
            Builtin.of("json.verify_schema", 1, (a, c) -> verify(a[0])),
            Builtin.of("json.match_schema", 2, (a, c) -> match(a[0], a[1])));

    private JsonSchema() {
    }

    private static final class Invalid extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    private static JsonNode load(Value v) {
        String json;
        if (v instanceof StringValue s) {
            json = s.value();
        } else if (v instanceof ObjectValue || v instanceof ArrayValue) {
            json = Values.toJson(v);
        } else {
            throw new Invalid("wrong type, expected string or object");
        }
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new Invalid("invalid JSON string");
        }
    }

    private static Schema compile(Value schemaValue) {
        JsonNode node = load(schemaValue);
        if (!node.isObject() && !node.isBoolean()) {
            throw new Invalid("schema is invalid");
        }
        checkTypes(node);
        try {
            String text = MAPPER.writeValueAsString(node);
            Schema cached = CACHE.get(text);
            if (cached != null) {
                return cached;
            }
            Schema schema = REGISTRY.getSchema(text);
            if (CACHE.size() >= CACHE_SIZE) {
                CACHE.clear(); // crude bound: policies use a handful of constant schemas
            }
            CACHE.put(text, schema);
            return schema;
        } catch (SchemaException | JsonProcessingException | IllegalArgumentException e) {
            throw new Invalid("invalid schema: " + e.getMessage());
        }
    }

    /** gojsonschema's check that every {@code type} names a JSON type. */
    private static void checkTypes(JsonNode node) {
        if (node.isObject()) {
            JsonNode type = node.get("type");
            if (type != null) {
                List<JsonNode> names = new ArrayList<>();
                if (type.isArray()) {
                    type.forEach(names::add);
                } else {
                    names.add(type);
                }
                for (JsonNode t : names) {
                    if (!t.isTextual() || !TYPES.contains(t.textValue())) {
                        throw new Invalid("has a primitive type that is NOT VALID -- given: /"
                                + (t.isTextual() ? t.textValue() : t.toString())
                                + "/ Expected valid values are:[array boolean integer number null object string]");
                    }
                }
            }
            Iterator<JsonNode> it = node.elements();
            while (it.hasNext()) {
                JsonNode child = it.next();
                if (child.isContainerNode()) {
                    checkTypes(child);
                }
            }
        } else if (node.isArray()) {
            node.forEach(JsonSchema::checkTypes);
        }
    }

    private static Value verify(Value schema) {
        try {
            compile(schema);
            return ArrayValue.of(BooleanValue.TRUE, NullValue.NULL);
        } catch (Invalid e) {
            return ArrayValue.of(BooleanValue.FALSE, StringValue.of("jsonschema: " + e.getMessage()));
        }
    }

    private static Value match(Value document, Value schemaValue) {
        Schema schema;
        JsonNode doc;
        try {
            doc = load(document);
            schema = compile(schemaValue);
        } catch (Invalid e) {
            throw new BuiltinError("json.match_schema", e.getMessage());
        }
        List<Error> errors;
        try {
            errors = schema.validate(doc);
        } catch (SchemaException | IllegalStateException | IllegalArgumentException e) {
            String m = String.valueOf(e.getMessage());
            if (m.startsWith("java.io.FileNotFoundException: ")) {
                m = "schema reference " + m.substring(31) + " cannot be resolved: remote schemas are not fetched, "
                        + "inline the referenced schema under $defs";
            }
            throw new BuiltinError("json.match_schema", m);
        }
        List<Value> out = new ArrayList<>(errors.size());
        for (Error e : errors) {
            out.add(describe(e));
        }
        return ArrayValue.of(BooleanValue.of(errors.isEmpty()), ArrayValue.of(out));
    }

    /** One error in gojsonschema's shape. */
    private static Value describe(Error e) {
        String keyword = e.getKeyword() == null ? "" : e.getKeyword();
        String field = field(e.getInstanceLocation());
        String type;
        String desc;
        JsonNode schemaNode = e.getSchemaNode();
        JsonNode instance = e.getInstanceNode();
        switch (keyword) {
            case "type" -> {
                type = "invalid_type";
                desc = "Invalid type. Expected: " + expectedTypes(schemaNode) + ", given: " + typeOf(instance);
            }
            case "required" -> {
                type = "required";
                desc = e.getProperty() + " is required";
            }
            case "additionalProperties" -> {
                type = "additional_property_not_allowed";
                desc = "Additional property " + e.getProperty() + " is not allowed";
            }
            case "enum" -> {
                type = "enum";
                desc = field + " must be one of the following: " + listOf(schemaNode);
            }
            case "const" -> {
                type = "const";
                desc = field + " does not match: " + (schemaNode == null ? "" : schemaNode.toString());
            }
            case "minLength" -> {
                type = "string_gte";
                desc = "String length must be greater than or equal to " + text(schemaNode);
            }
            case "maxLength" -> {
                type = "string_lte";
                desc = "String length must be less than or equal to " + text(schemaNode);
            }
            case "minimum" -> {
                type = "number_gte";
                desc = "Must be greater than or equal to " + text(schemaNode);
            }
            case "maximum" -> {
                type = "number_lte";
                desc = "Must be less than or equal to " + text(schemaNode);
            }
            case "exclusiveMinimum" -> {
                type = "number_gt";
                desc = "Must be greater than " + text(schemaNode);
            }
            case "exclusiveMaximum" -> {
                type = "number_lt";
                desc = "Must be less than " + text(schemaNode);
            }
            case "minItems" -> {
                type = "array_min_items";
                desc = "Array must have at least " + text(schemaNode) + " items";
            }
            case "maxItems" -> {
                type = "array_max_items";
                desc = "Array must have at most " + text(schemaNode) + " items";
            }
            case "pattern" -> {
                type = "pattern";
                desc = "Does not match pattern '" + text(schemaNode) + "'";
            }
            case "format" -> {
                type = "format";
                desc = "Does not match format '" + text(schemaNode) + "'";
            }
            case "multipleOf" -> {
                type = "multiple_of";
                desc = "Must be a multiple of " + text(schemaNode);
            }
            case "anyOf" -> {
                type = "number_any_of";
                desc = "Must validate at least one schema (anyOf)";
            }
            case "oneOf" -> {
                type = "number_one_of";
                desc = "Must validate one and only one schema (oneOf)";
            }
            case "allOf" -> {
                type = "number_all_of";
                desc = "Must validate all the schemas (allOf)";
            }
            case "not" -> {
                type = "number_not";
                desc = "Must not validate the schema (not)";
            }
            default -> {
                type = keyword;
                desc = e.getMessage();
            }
        }
        return ObjectValue.of(
                StringValue.of("error"), StringValue.of(field + ": " + desc),
                StringValue.of("type"), StringValue.of(type),
                StringValue.of("field"), StringValue.of(field),
                StringValue.of("desc"), StringValue.of(desc));
    }

    /** gojsonschema's field: {@code (root)} or dotted names and indices ({@code a.b.0}). */
    private static String field(NodePath path) {
        if (path == null || path.getNameCount() == 0) {
            return "(root)";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < path.getNameCount(); i++) {
            if (i > 0) {
                b.append('.');
            }
            b.append(path.getElement(i));
        }
        return b.toString();
    }

    private static String text(JsonNode n) {
        return n == null ? "" : n.isTextual() ? n.textValue() : n.toString();
    }

    private static String listOf(JsonNode n) {
        if (n == null || !n.isArray()) {
            return text(n);
        }
        List<String> parts = new ArrayList<>();
        n.forEach(x -> parts.add(x.toString()));
        return String.join(", ", parts);
    }

    private static String expectedTypes(JsonNode n) {
        if (n != null && n.isArray()) {
            List<String> parts = new ArrayList<>();
            n.forEach(x -> parts.add(text(x)));
            return String.join("/", parts);
        }
        return text(n);
    }

    private static String typeOf(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return "null";
        }
        if (n.isTextual()) {
            return "string";
        }
        if (n.isBoolean()) {
            return "boolean";
        }
        if (n.isIntegralNumber() || n.isNumber() && n.decimalValue().stripTrailingZeros().scale() <= 0) {
            return "integer";
        }
        if (n.isNumber()) {
            return "number";
        }
        return n.isArray() ? "array" : "object";
    }
}
