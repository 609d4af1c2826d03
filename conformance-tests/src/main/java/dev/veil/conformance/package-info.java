/**
 * Veil's conformance kit: checks that users run in their own test suites.
 *
 * <ul>
 *   <li>{@link dev.veil.conformance.GuardContract}: extend it for your Guard, model and policy; its
 *       inherited property tests (QuickTheories) check the invariants that hold on every path through a
 *       Guard: denied requests never reach the model, one hash-chained audit record per request with
 *       the response's decision id, releases within the policy's limits, garbage credentials and
 *       non-finite inputs refused. {@link dev.veil.conformance.FeatureSpace} and
 *       {@link dev.veil.conformance.ReleaseLimits} describe valid inputs and the most a release may
 *       carry.
 *   <li>{@link dev.veil.conformance.DecisionCorpus}: YAML case files of policy inputs and expected,
 *       possibly partial, decision documents, run as JUnit dynamic tests through
 *       {@link dev.veil.PolicyBundle#evaluate(java.util.Map)}.
 * </ul>
 *
 * <p>The kit uses only Veil's exported API. Its file formats and the invariants are described in the
 * module's {@code README.md}.
 */
package dev.veil.conformance;
