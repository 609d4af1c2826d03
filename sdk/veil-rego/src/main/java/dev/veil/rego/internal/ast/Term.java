package dev.veil.rego.internal.ast;

/**
 * A Rego term: a value, a variable, a reference, a composite, a comprehension, a call or a template
 * string.
 */
public sealed interface Term extends Statement
        permits Scalar, Var, Ref, ArrayTerm, ObjectTerm, SetTerm, ArrayComprehension, SetComprehension,
        ObjectComprehension, Call, TemplateString {

    /** True when the term contains no variables, references, comprehensions or calls. */
    boolean isGround();
}
