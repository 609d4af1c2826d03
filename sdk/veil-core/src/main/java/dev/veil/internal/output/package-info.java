/**
 * The OUTPUT (minimisation) stage: {@link dev.veil.internal.output.ReleaseTransformer} turns a raw
 * prediction into what a {@link dev.veil.spi.ReleaseSpec} allows (reverse sigmoid, calibrated
 * noise, confidence cut-off, top-k, rounding, label only), and
 * {@link dev.veil.internal.output.PrivacyLedger} accounts the privacy budget that noisy releases
 * spend, per caller and globally. Noise is sampled by {@code SecureNoise}, which snaps results to
 * a power-of-two grid against the floating-point attack on naive Laplace samplers.
 *
 * <p>Not exported: the Guard is the only user.
 */
package dev.veil.internal.output;
