/**
 * The VALIDATION stage: checks one request's {@link dev.veil.Features} against the
 * {@link dev.veil.spi.InputContract} the policy chose for it.
 *
 * <p>Entry points: {@link dev.veil.internal.validation.CompiledContract#compile} once per contract
 * (at policy load), then {@link dev.veil.internal.validation.CompiledContract#check} per request;
 * {@link dev.veil.internal.validation.TrainingStats} computes and parses the training statistics a
 * bundle ships for the distribution check. Grammar of cross-field rules:
 * {@link dev.veil.internal.validation.CrossFieldExpression}.
 *
 * <p>Not exported from the module.
 */
package dev.veil.internal.validation;
