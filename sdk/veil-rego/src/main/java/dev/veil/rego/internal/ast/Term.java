package dev.veil.rego.internal.ast;

/** A Rego term: a value, a variable, a reference, a composite, a comprehension or a call. */
public sealed interface Term extends Statement
        permits Scalar, Var, Ref, ArrayTerm, ObjectTerm, SetTerm, ArrayComprehension, SetComprehension,
        ObjectComprehension, Call {

    /** True when the term contains no variables, references, comprehensions or calls. */
    boolean isGround();
}
