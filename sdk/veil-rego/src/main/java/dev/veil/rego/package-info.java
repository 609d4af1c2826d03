/**
 * Veil's Rego engine, public API: {@link dev.veil.rego.RegoException} and {@link dev.veil.rego.RegoError}
 * report what a Rego policy got wrong, with OPA's error codes and positions.
 */
package dev.veil.rego;
