/**
 * Veil's Rego engine: runs Rego v1 policies in-process. Only {@code dev.veil.rego} is exported;
 * everything under {@code dev.veil.rego.internal} (value model, AST, parser, compiler, evaluator,
 * builtins) is implementation.
 */
module dev.veil.rego {
    exports dev.veil.rego;

    requires transitive dev.veil.core;
    requires com.fasterxml.jackson.databind;
    requires re2j;
    requires org.yaml.snakeyaml;
    requires com.nimbusds.jose.jwt;
    requires com.networknt.schema;
    requires com.graphqljava;

    provides dev.veil.spi.PolicyEngine with dev.veil.rego.internal.engine.RegoPolicyEngine;
}
