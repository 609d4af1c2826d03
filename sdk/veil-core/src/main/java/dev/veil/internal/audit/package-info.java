/**
 * The AUDIT stage: one JSON-lines record per request, hash-chained so that tampering is evident.
 *
 * <ul>
 *   <li>{@link dev.veil.internal.audit.AuditRecord} is what the Guard builds per request (cheap,
 *       immutable, no serialisation on the request thread).</li>
 *   <li>{@link dev.veil.internal.audit.AuditWriters#open(dev.veil.AuditLog)} opens an
 *       {@link dev.veil.internal.audit.AuditWriter}: asynchronous with back-pressure or durable with
 *       group commit; both serialise, mask, digest and hash on their one writer thread, so the
 *       file order is the chain order.</li>
 *   <li>{@link dev.veil.internal.audit.AuditVerifier} checks a log's chain.</li>
 * </ul>
 *
 * <p>Record format: one canonical JSON object per line (object keys sorted by UTF-16 code units,
 * no whitespace, doubles in their shortest round-trip form, NaN and infinities as the strings
 * {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}). {@code hash} is the lowercase hex
 * SHA-256 of the canonical JSON of the record without {@code hash} (with {@code prev_hash});
 * {@code prev_hash} of the first record of a file is 64 zeros.
 *
 * <p>Record layout (fields in the order written; a field marked ? is left out when the record has
 * no such part or the logging decision masks it):
 * <pre>
 * alerts        ["rule-id", ...]                       monitoring rules that raised an alert
 * bundles       {"&lt;name&gt;": {"revision": "..."}}         as in OPA's decision log
 * caller        {"attributes"?: {...} | "sha256:..", "id", "method", "roles": [sorted], "tenant"}
 * decision_id   "..."
 * erased        ["/caller/attributes", "/input/features", "/raw", "/result/released"]  (MASKed)
 * hash          64 hex
 * input         {"features"?: [..] | "sha256:..", "names"?: [..], "payload_bytes": n (-1 unknown)}
 *               (the features' digest hashes their values as big-endian IEEE-754 doubles, 8 bytes
 *               each, NaN as 0x7ff8000000000000; every other digest hashes the canonical JSON)
 * latency_ns    n
 * masked        [paths as in erased]                   (DIGESTed)
 * model         {"name", "version"}
 * path          "veil/predict"
 * prev_hash     64 hex
 * raw?          {"entropy", "margin", "top_label", "top_score"} | "sha256:.."
 * result        release: {"allowed": true, "applied": [..], "degraded": b, "reasons"?: [..],
 *                         "released"?: {"label"?, "scores": [["label", score], ..], "value"?} | "sha256:.."}
 *               denial:  {"allowed": false, "reasons": [{"code", "message", "rule", "stage"}, ..]}
 * signals       {"&lt;name&gt;": {"level", "score"}}
 * stages        {"&lt;stage id&gt;": "allow" | "deny" | "error" | "skipped" | "degrade"}
 * timestamp     "2026-11-29T10:15:30.123456789Z"      RFC 3339, UTC, nine fraction digits
 * </pre>
 */
package dev.veil.internal.audit;
