package dev.veil.rego.internal.ast;

/** Any AST node: immutable, with the location where it starts. */
public interface Node {
    Location location();
}
