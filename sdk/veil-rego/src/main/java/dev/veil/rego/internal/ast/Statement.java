package dev.veil.rego.internal.ast;

/**
 * What an {@link Expr} states: a term (usually a {@link Call}, such as {@code x == 1} which is
 * {@code equal(x, 1)}, or {@code x := 1} which is {@code assign(x, 1)}; a lone term such as
 * {@code input.allowed} must be defined and not false), a {@code some} declaration, a
 * {@code some ... in ...} iteration, or an {@code every} quantifier.
 */
public sealed interface Statement extends Node permits Term, SomeDecl, SomeIn, Every {
}
