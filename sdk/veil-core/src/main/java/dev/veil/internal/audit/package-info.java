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
 */
package dev.veil.internal.audit;
