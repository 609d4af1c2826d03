/**
 * Veil's API: wrap a model's predict function in a {@link dev.veil.Guard} that enforces a policy
 * bundle on every prediction.
 *
 * <p>The pieces: a {@link dev.veil.Model} (identity, predict function, feature view), a
 * {@link dev.veil.PolicyBundle} (OPA-style bundle with a {@code *.veil.yaml} policy), an
 * {@link dev.veil.AuditLog} (hash-chained JSON lines), and per request a {@link dev.veil.Request}
 * (credentials, input) that yields a {@link dev.veil.Response}: either
 * {@link dev.veil.Response.Released} with a minimised {@link dev.veil.ReleasedPrediction}, or
 * {@link dev.veil.Response.Denied} with machine-readable {@link dev.veil.Reason}s. Both carry the
 * decision id of their audit record.
 *
 * <p>Decisions are data; exceptions mean "could not evaluate". Every exception Veil throws is a
 * {@link dev.veil.VeilException}; a bundle that does not load is a
 * {@link dev.veil.PolicyLoadException} listing its errors with file, line and column.
 */
package dev.veil;
