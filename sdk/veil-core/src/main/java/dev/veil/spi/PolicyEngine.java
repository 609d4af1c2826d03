package dev.veil.spi;

import dev.veil.PolicyLoadException;

/**
 * A policy language. Engines are found with {@link java.util.ServiceLoader}; the YAML engine ships
 * in veil-core, the Rego engine in veil-rego. Every engine answers the same stage questions with
 * the same decision documents, so a bundle can be written in either language with no change to
 * Java code.
 */
public interface PolicyEngine {
    /** Short name, e.g. {@code yaml} or {@code rego}. */
    String name();

    /** Whether this engine recognises the bundle (e.g. it holds {@code *.veil.yaml} files). */
    boolean handles(Bundle bundle);

    /**
     * Parses and compiles the bundle once. Throws {@link PolicyLoadException} listing the errors
     * found, each with its file, line and column (the YAML engine reports the first error of its
     * policy file); never returns a half-compiled policy.
     */
    CompiledPolicy compile(Bundle bundle);
}
