package dev.veil.spi;

/** What to do when the model is older than the policy's maximum age. */
public enum StaleAction {
    /** Refuse every request with {@code model_stale}. */
    DENY,
    /** Answer with the most minimised release. */
    DEGRADE,
    /** Answer normally, flag the audit record and publish an alert. */
    ALERT
}
