package dev.veil.internal.audit;

import java.util.Locale;

/** How one stage ended for a request, as recorded in an audit record's {@code stages} map. */
public enum StageOutcome {
    /** The stage let the request through unchanged. */
    ALLOW,
    /** The stage refused the request. */
    DENY,
    /** The stage could not be evaluated (an exception); the request failed closed. */
    ERROR,
    /** The stage was not reached (an earlier stage refused) or does not apply. */
    SKIPPED,
    /** The stage forced the most minimised release. */
    DEGRADE;

    private final String id = name().toLowerCase(Locale.ROOT);

    /** @return the lower-case wire form, e.g. {@code skipped} */
    public String id() {
        return id;
    }
}
