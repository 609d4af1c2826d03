/**
 * Veil core: the Guard API ({@code dev.veil}) and the engine and detector SPI ({@code dev.veil.spi}).
 * Everything under {@code dev.veil.internal} is implementation and not exported.
 */
module dev.veil.core {
    exports dev.veil;
    exports dev.veil.spi;

    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires com.nimbusds.jose.jwt;
    requires io.github.bucket4j.core;
    requires com.github.benmanes.caffeine;
    requires org.yaml.snakeyaml;
    // Optional: with --add-modules jdk.incubator.vector the input contract is checked with vectors
    // (internal.validation.ContractKernel), and knn's sketch distances are computed with them
    // (internal.monitor.SketchKernel); without it, by plain loops with the same answers.
    requires static jdk.incubator.vector;

    uses dev.veil.spi.PolicyEngine;

    provides dev.veil.spi.PolicyEngine with dev.veil.internal.policy.YamlPolicyEngine;

    // Jackson maps the YAML policy format onto records in this package.
    opens dev.veil.internal.policy to com.fasterxml.jackson.databind;
}
