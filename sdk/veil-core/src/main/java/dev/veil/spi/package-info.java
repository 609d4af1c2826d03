/**
 * Veil's service-provider interface: what a policy engine and a detector implement.
 *
 * <p>A {@link dev.veil.spi.PolicyEngine} (found with {@link java.util.ServiceLoader}) compiles a
 * {@link dev.veil.spi.Bundle} into a {@link dev.veil.spi.CompiledPolicy} that answers one question
 * per stage ({@code access}, {@code validation}, {@code monitoring}, {@code model}, {@code output},
 * {@code logging}) for a {@link dev.veil.spi.PolicyInput} with a decision record. The records and
 * their JSON form ({@code docs/decision.schema.json}) are the contract every engine implements,
 * so a bundle can be written in YAML or Rego with no change to Java code. An engine that produces
 * the JSON form (as Rego does) reads it into the records, and its settings document into
 * {@link dev.veil.spi.GuardSettings}, with {@link dev.veil.spi.DecisionDocuments}.
 *
 * <p>A {@link dev.veil.spi.Detector} watches the query stream with bounded state and emits a
 * {@link dev.veil.Signal} per query, which enters the policy input under {@code signals}.
 */
package dev.veil.spi;
