package dev.veil.rego;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code # METADATA} annotations: what {@code rego.metadata.chain()} and {@code rego.metadata.rule()} return,
 * and one test per error OPA reports for a malformed, misplaced or redeclared block.
 */
class RegoAnnotationsTest {

    private static Object eval(String source, String ref) {
        return Rego.compile(Map.of("p.rego", source), Map.of()).evaluate(ref, null);
    }

    private static RegoError only(Map<String, String> modules) {
        RegoException e = (RegoException) catchThrowable(() -> Rego.compile(modules, Map.of()));
        assertThat(e).as("compiling should fail").isNotNull();
        assertThat(e.errors()).hasSize(1);
        return e.errors().get(0);
    }

    private static RegoError only(String source) {
        return only(Map.of("p.rego", source));
    }

    private static void assertError(RegoError e, String code, String message, int line, int column) {
        assertThat(e.code()).isEqualTo(code);
        assertThat(e.message()).isEqualTo(message);
        assertThat(e.line()).isEqualTo(line);
        assertThat(e.column()).isEqualTo(column);
    }

    @Test
    void ruleReturnsTheClosestRuleScopeAnnotation() {
        Object v = eval("""
                # METADATA
                # description: pkg
                package a

                # METADATA
                # title: T
                # authors:
                # - Jane Doe <jane@example.com>
                # - name: Bob
                # organizations: [Acme]
                # related_resources:
                # - https://example.com
                # - ref: https://example.org/x
                #   description: more
                # custom:
                #   severity: 3
                #   tags: [x, y]
                p := rego.metadata.rule()
                """, "data.a.p");
        assertThat(v).isEqualTo(Map.of(
                "scope", "rule",
                "title", "T",
                "authors", List.of(Map.of("name", "Jane Doe", "email", "jane@example.com"), Map.of("name", "Bob")),
                "organizations", List.of("Acme"),
                "related_resources", List.of(Map.of("ref", "https://example.com"),
                        Map.of("ref", "https://example.org/x", "description", "more")),
                // OPA reads annotations with go-yaml v2, where an unquoted y is the boolean true
                "custom", Map.of("severity", 3L, "tags", List.of("x", true))));
    }

    @Test
    void ruleWithoutAnnotationsIsEmpty() {
        assertThat(eval("package a\n\np := rego.metadata.rule()\n", "data.a.p")).isEqualTo(Map.of());
    }

    @Test
    void chainGoesFromRuleToDocumentToPackageToSubpackages() {
        Map<String, String> modules = Map.of("a.rego", """
                # METADATA
                # scope: subpackages
                # title: root
                package a
                """, "b.rego", """
                # METADATA
                # title: pkg
                package a.b

                # METADATA
                # scope: document
                # description: doc
                # entrypoint: true

                # METADATA
                # title: far

                # METADATA
                # title: near
                p := rego.metadata.chain()
                """);
        Object v = Rego.compile(modules, Map.of()).evaluate("data.a.b.p", null);
        assertThat(v).isEqualTo(List.of(
                Map.of("path", List.of("a", "b", "p"), "annotations", Map.of("scope", "rule", "title", "near")),
                Map.of("path", List.of("a", "b", "p"), "annotations", Map.of("scope", "rule", "title", "far")),
                Map.of("path", List.of("a", "b", "p"), "annotations",
                        Map.of("scope", "document", "description", "doc", "entrypoint", true)),
                Map.of("path", List.of("a", "b"), "annotations", Map.of("scope", "package", "title", "pkg")),
                Map.of("path", List.of("a"), "annotations", Map.of("scope", "subpackages", "title", "root"))));
    }

    @Test
    void elseBranchHasNoRuleAnnotations() {
        Object v = eval("""
                package a

                # METADATA
                # title: first
                p := x if {
                \tfalse
                \tx := rego.metadata.rule()
                } else := rego.metadata.rule()
                """, "data.a.p");
        assertThat(v).isEqualTo(Map.of());
    }

    @Test
    void schemasAreKeptAsPaths() {
        Object v = eval("""
                package a

                # METADATA
                # schemas:
                # - input: schema.input
                # - data.x: {type: string}
                p := rego.metadata.rule()
                """, "data.a.p");
        assertThat(v).isEqualTo(Map.of("scope", "rule", "schemas", List.of(
                Map.of("path", List.of("input"), "schema", List.of("schema", "input")),
                Map.of("path", List.of("data", "x"), "definition", Map.of("type", "string")))));
    }

    @Test
    void calledFromAQueryIsABuiltinError() {
        Rego r = Rego.compile(Map.of("p.rego", "package a\n"), Map.of()).strictBuiltinErrors(true);
        RegoException e = (RegoException) catchThrowable(() -> r.query("x := rego.metadata.chain()", null));
        assertThat(e.errors().get(0).code()).isEqualTo("eval_builtin_error");
        assertThat(e.errors().get(0).message()).isEqualTo(
                "rego.metadata.chain: the rego.metadata.chain function must only be called within the scope of a rule");
    }

    @Test
    void emptyBlock() {
        assertError(only("# METADATA\npackage a\n"), "rego_parse_error",
                "expected METADATA block, found whitespace", 1, 1);
    }

    @Test
    void invalidYaml() {
        RegoError e = only("package a\n\n# METADATA\n# title: [a\np := 1\n");
        assertThat(e.code()).isEqualTo("rego_parse_error");
        assertThat(e.message()).startsWith("yaml: line ");
        assertThat(e.line()).isEqualTo(4);
    }

    @Test
    void colonNotFollowedBySpaceGetsAHint() {
        RegoError e = only("package a\n\n# METADATA\n# title:x\n# description: [\np := 1\n");
        assertThat(e.code()).isEqualTo("rego_parse_error");
        assertThat(e.message()).contains("\n  Hint: on line 4, symbol(s) ['x'] immediately following a key/value "
                + "separator ':' is not a legal yaml space character");
    }

    @Test
    void wrongFieldType() {
        RegoError e = only("package a\n\n# METADATA\n# title: [a, b]\np := 1\n");
        assertError(e, "rego_parse_error", "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into string",
                4, 1);
    }

    @Test
    void notAMapping() {
        RegoError e = only("package a\n\n# METADATA\n# just text\np := 1\n");
        assertThat(e.message()).isEqualTo(
                "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `just text` into ast.rawAnnotation");
    }

    @Test
    void invalidScope() {
        assertError(only("package a\n\n# METADATA\n# scope: everything\np := 1\n"), "rego_parse_error",
                "invalid annotation scope 'everything'. Use one of 'rule', 'document', 'package', or 'subpackages'",
                3, 1);
    }

    @Test
    void ruleScopeOnAPackage() {
        assertError(only("# METADATA\n# scope: rule\npackage a\n"), "rego_parse_error",
                "annotation scope 'rule' must be applied to rule (have package)", 1, 1);
    }

    @Test
    void packageScopeOnARule() {
        assertError(only("package a\n\n# METADATA\n# scope: package\np := 1\n"), "rego_parse_error",
                "annotation scope 'package' must be applied to package (have rule)", 3, 1);
    }

    @Test
    void annotationOnAnImport() {
        assertError(only("package a\n\n# METADATA\n# title: x\nimport data.b\n"), "rego_parse_error",
                "invalid annotation scope 'import'. Use one of 'rule', 'document', 'package', or 'subpackages'", 3, 1);
    }

    @Test
    void annotationWithNothingAfterIt() {
        assertError(only("package a\n\np := 1\n\n# METADATA\n# scope: rule\n"), "rego_parse_error",
                "annotation scope 'rule' must be applied to rule", 5, 1);
    }

    @Test
    void entrypointOnRuleScope() {
        assertError(only("package a\n\n# METADATA\n# scope: rule\n# entrypoint: true\np := 1\n"),
                "rego_parse_error", "annotation entrypoint applied to non-document or package scope 'rule'", 3, 1);
    }

    @Test
    void invalidAuthor() {
        assertError(only("package a\n\n# METADATA\n# authors:\n# - {title: x}\np := 1\n"), "rego_parse_error",
                "invalid author definition map[title:x]: 'name' and/or 'email' values required in object", 3, 1);
    }

    @Test
    void emptyAuthor() {
        assertError(only("package a\n\n# METADATA\n# authors: [\"  \"]\np := 1\n"), "rego_parse_error",
                "invalid author definition   : author is an empty string", 3, 1);
    }

    @Test
    void invalidRelatedResource() {
        assertError(only("package a\n\n# METADATA\n# related_resources:\n# - description: x\np := 1\n"),
                "rego_parse_error",
                "invalid related-resource definition map[description:x]: 'ref' value required in object", 3, 1);
    }

    @Test
    void invalidRelatedResourceUrl() {
        assertError(only("package a\n\n# METADATA\n# related_resources: [\"http://x/%zz\"]\np := 1\n"),
                "rego_parse_error", "invalid related-resource definition http://x/%zz: parse \"http://x/%zz\": "
                        + "invalid URL escape \"%zz\"", 3, 1);
    }

    @Test
    void invalidSchemaReference() {
        assertError(only("package a\n\n# METADATA\n# schemas:\n# - input: foo.bar\np := 1\n"), "rego_parse_error",
                "invalid schema reference", 3, 1);
    }

    @Test
    void invalidSchemaDeclaration() {
        assertError(only("package a\n\n# METADATA\n# schemas:\n# - input: 3\np := 1\n"), "rego_parse_error",
                "invalid schema declaration for path \"input\"", 3, 1);
    }

    @Test
    void customWithNonStringKeys() {
        assertError(only("package a\n\n# METADATA\n# custom:\n#   a:\n#     1: x\np := 1\n"), "rego_parse_error",
                "invalid map key type(s): ", 3, 1);
    }

    @Test
    void packageAnnotationRedeclared() {
        RegoError e = only(Map.of("a.rego", "# METADATA\n# title: one\npackage a\n",
                "b.rego", "# METADATA\n# title: two\npackage a\n"));
        assertError(e, "rego_type_error", "package annotation redeclared: a.rego:1", 1, 1);
        assertThat(e.file()).isEqualTo("b.rego");
    }

    @Test
    void documentAnnotationRedeclared() {
        RegoError e = only("package a\n\n# METADATA\n# scope: document\np := 1 if false\n\n"
                + "# METADATA\n# scope: document\np := 2\n");
        assertError(e, "rego_type_error", "document annotation redeclared: p.rego:3", 7, 1);
    }

    @Test
    void commentsNotInColumnOneAreNotMetadata() {
        assertThat(eval("package a\n\n  # METADATA\n  # title: x\np := rego.metadata.rule()\n", "data.a.p"))
                .isEqualTo(Map.of());
    }
}
