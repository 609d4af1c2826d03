package dev.veil.conformance;

import dev.veil.Credentials;
import java.util.Arrays;

/**
 * One generated request of a {@link GuardContract} property: who asks (the contract's allowed or
 * forbidden caller, or garbage credentials) with which feature vector.
 *
 * @param kind what the probe tries
 * @param credentials the credentials presented
 * @param features the feature vector handed to {@link GuardContract#inputFor(double[])}
 * @param description how the credentials were made, for failure reports (never a secret)
 */
record Probe(Kind kind, Credentials credentials, double[] features, String description) {

    /** What a probe tries. */
    enum Kind {
        /** The allowed caller with a vector inside the feature space. */
        VALID,
        /** The allowed caller with one feature outside the feature space (the policy may accept it or not). */
        OUT_OF_SPACE,
        /** The allowed caller with NaN or infinite features. */
        NON_FINITE,
        /** The authenticated caller the access policy refuses, with a valid vector. */
        FORBIDDEN,
        /** Credentials that must not authenticate, with a valid vector. */
        GARBAGE
    }

    @Override
    public String toString() {
        return kind + "(" + description + ", features=" + Arrays.toString(features) + ")";
    }
}
