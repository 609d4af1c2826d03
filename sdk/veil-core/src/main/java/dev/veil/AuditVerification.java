package dev.veil;

import java.util.Objects;

/**
 * The outcome of {@link AuditLog#verify(java.nio.file.Path)}: whether an audit log's hash chain is
 * intact and, when it is not, where it first breaks.
 *
 * <p>Each record carries the SHA-256 hash of its own content and the hash of the record before it, so
 * an edited, removed, inserted or reordered record, or a line cut short, breaks the chain at a
 * definite line. The chain alone cannot show that whole records were cut off the <em>end</em> of
 * the log: compare {@link #lastHash()} with a copy of the last hash kept elsewhere for that.
 *
 * <p>Immutable and thread-safe.
 *
 * @param ok true when every line is a record whose hash matches its content and whose
 *     {@code prev_hash} matches the record before it
 * @param records the number of intact records before the first broken line (all of them when ok)
 * @param firstBrokenLine the 1-based line number of the first broken record; 0 when ok
 * @param firstBrokenDecisionId the {@code decision_id} of the first broken record as far as it could be
 *     read; {@code ""} when ok or unreadable
 * @param message {@code "ok N records"} when ok, otherwise what is wrong at the first broken line
 * @param lastHash the hash of the last intact record; 64 zeros for an empty log
 */
public record AuditVerification(
        boolean ok, long records, long firstBrokenLine, String firstBrokenDecisionId, String message, String lastHash) {

    public AuditVerification {
        Objects.requireNonNull(firstBrokenDecisionId, "firstBrokenDecisionId");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(lastHash, "lastHash");
        if (records < 0) {
            throw new IllegalArgumentException("records must be >= 0, was " + records);
        }
        if (ok != (firstBrokenLine == 0)) {
            throw new IllegalArgumentException(
                    "firstBrokenLine must be 0 exactly when ok, was " + firstBrokenLine + " with ok=" + ok);
        }
        if (firstBrokenLine < 0) {
            throw new IllegalArgumentException("firstBrokenLine must be >= 0, was " + firstBrokenLine);
        }
    }

    @Override
    public String toString() {
        return message;
    }
}
